"""Operator commands around the stacks: plan, deploy, review, verify (``python -m ops``)."""
