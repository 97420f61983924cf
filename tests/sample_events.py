"""Auth0 log records shaped by Auth0's JSON Schemas (../shared/auth0-log-schemas)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.conftest import SHARED

SCHEMAS = SHARED / "auth0-log-schemas" / "schemas" / "log-types"


def example_value(schema: dict[str, Any], name: str = "") -> Any:
    """A small value valid under ``schema`` (the subset of JSON Schema Auth0 uses)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    examples = schema.get("examples") or [None]
    if isinstance(examples[0], str | int | float | bool) and schema.get("type") in ("string", "integer", "number"):
        return examples[0]
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in schema:
            if combinator == "allOf":
                merged: dict[str, Any] = {}
                for part in schema["allOf"]:
                    value = example_value(part, name)
                    if isinstance(value, dict):
                        merged.update(value)
                    else:
                        return value
                return merged
            return example_value(schema[combinator][0], name)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            key: example_value(sub, key)
            for key, sub in properties.items()
            if key in schema.get("required", []) or key in ("date", "ip", "user_id")
        }
    if kind == "array":
        return [example_value(schema.get("items", {}), name)]
    return {
        "string": f"example-{name}" if name else "example",
        "integer": 1,
        "number": 1.5,
        "boolean": True,
        "null": None,
    }.get(kind)


@cache
def schema_shaped_records() -> list[dict[str, Any]]:
    """One record (the ``detail.data`` object) for each of Auth0's log types."""
    return [example_value(json.loads(path.read_text())) for path in sorted(SCHEMAS.glob("*.schema.json"))]


def envelope(source: str, record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge envelope an Auth0 log stream puts around a record."""
    log_id = record.get("log_id", "90020261112160210114000123456789012345678901234567890123")
    return {
        "version": "0",
        "id": "5f0c3e7a-8a51-4a62-9f5e-2b1de0c7a0aa",
        "detail-type": "Auth0 log",
        "source": source,
        "account": "111111111111",
        "time": "2026-11-12T16:02:10Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"log_id": log_id, "data": record},
    }
