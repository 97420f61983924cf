"""The user contract and what tools share: settings, validation, naming, AWS and Auth0 rules,
the Athena table. Plain Python: nothing here may import cdktf, constructs or jsii (tests/test_layers.py)."""
