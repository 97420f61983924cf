"""Reading synthesized Terraform JSON in tests."""

from __future__ import annotations

import json
from typing import Any

Document = dict[str, Any]


def resources(doc: Document, resource_type: str) -> dict[str, dict[str, Any]]:
    """All resources of one type, by logical name."""
    return doc.get("resource", {}).get(resource_type, {})


def only(doc: Document, resource_type: str) -> tuple[str, dict[str, Any]]:
    """The single resource of a type, as (logical name, attributes)."""
    found = resources(doc, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def named(doc: Document, resource_type: str, stem: str) -> tuple[str, dict[str, Any]]:
    """The resource whose logical name is ``stem`` plus cdktf's hash suffix.

    cdktf names a resource after its construct path ("delivery/role/policy"
    becomes "delivery_role_policy_CA90C18D").
    """
    matches = [(name, attrs) for name, attrs in resources(doc, resource_type).items() if name.rsplit("_", 1)[0] == stem]
    assert len(matches) == 1, f"expected one {resource_type} named {stem}_*, found {len(matches)}"
    return matches[0]


def ref(resource_type: str, name: str, attribute: str) -> str:
    """The Terraform reference to an attribute, as it appears in synthesized JSON."""
    return f"${{{resource_type}.{name}.{attribute}}}"


def policy(attrs: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    return json.loads(attrs[key])


def statements_by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


# One environment in moto's account (123456789012), for the operator commands' tests.
OPERATOR_SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
OPERATOR_CONFIG = f"""
[environments.dev]
aws_account_id = "123456789012"
aws_region = "us-east-1"
alarm_email = "sec@example.com"
auth0_event_source = "{OPERATOR_SOURCE}"
"""
