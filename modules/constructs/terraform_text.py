"""Literal text in Terraform JSON.

Terraform reads every string of a ``.tf.json`` file as an HCL template:
``${...}`` is an interpolation and ``%{...}`` a directive. Text that AWS must
receive as written (an Athena location template, SQL, a description) escapes
them as ``$${`` and ``%%{``. References made by cdktf (``${aws_x.y.z}``) are
not literal text and must not pass through here.
https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences
"""

from __future__ import annotations


def literal(text: str) -> str:
    """``text`` as a Terraform string whose value is exactly ``text``."""
    return text.replace("${", "$${").replace("%{", "%%{")
