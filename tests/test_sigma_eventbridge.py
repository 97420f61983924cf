"""Sigma's meaning, kept or refused, one construct at a time: each Sigma detection below is translated, and
the pattern is run by moto's EventBridge pattern engine on events whose answer Sigma's specification gives
(strings ignore case; `not` holds on an absent field; `null` is absent or null; a `{}` field is any of its
elements). What EventBridge cannot say exactly must be refused, with the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from modules.contract.detections import parse
from modules.contract.sigma_eventbridge import MAX_PATTERN_CHARS, NotExpressible, event_pattern

BASE = {"source": [{"prefix": "aws.partner/auth0.com/"}]}
SOURCE = "aws.partner/auth0.com/acme-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"


def rule(detection: str) -> Any:
    text = (
        f"title: t\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n    product: auth0\ndetection:\n{detection}"
    )
    (parsed,) = parse(text).rules
    assert not parsed.errors, parsed.errors
    return parsed


def matches(detection: str, data: dict[str, Any]) -> bool:
    pattern = EventPattern.load(json.dumps(event_pattern(rule(detection), BASE)))
    return pattern.matches_event({"source": SOURCE, "detail-type": "Auth0 log", "detail": {"data": data}})


def test_strings_ignore_case_unless_cased() -> None:
    detection = "    s:\n        data.type: sapi\n    condition: s\n"
    assert matches(detection, {"type": "SAPI"}) and not matches(detection, {"type": "sapix"})
    cased = "    s:\n        data.type|cased: sapi\n    condition: s\n"
    assert matches(cased, {"type": "sapi"}) and not matches(cased, {"type": "SAPI"})


def test_values_keep_their_json_type() -> None:
    detection = "    s:\n        data.details.enabled: false\n    condition: s\n"
    assert matches(detection, {"details": {"enabled": False}})
    assert not matches(detection, {"details": {"enabled": "false"}})
    number = "    s:\n        data.details.statusCode: 200\n    condition: s\n"
    assert matches(number, {"details": {"statusCode": 200}}) and not matches(number, {"details": {"statusCode": "200"}})


def test_not_holds_when_the_field_is_absent() -> None:
    detection = "    s:\n        data.type: sapi\n    f:\n        data.client_id:\n            - Trusted\n    condition: s and not f\n"
    assert matches(detection, {"type": "sapi"})
    assert matches(detection, {"type": "sapi", "client_id": "other"})
    assert not matches(detection, {"type": "sapi", "client_id": "TRUSTED"})


def test_null_is_absent_or_null() -> None:
    detection = "    s:\n        data.type: s\n        data.user_id: null\n    condition: s\n"
    assert matches(detection, {"type": "s"}) and matches(detection, {"type": "s", "user_id": None})
    assert not matches(detection, {"type": "s", "user_id": "auth0|1"})


def test_an_array_field_matches_any_element() -> None:
    detection = "    s:\n        data.details.scope{}|startswith: 'delete:'\n    condition: s\n"
    assert matches(detection, {"details": {"scope": ["read:users", "Delete:users"]}})
    assert not matches(detection, {"details": {"scope": ["read:users"]}})


def test_one_of_several_selections() -> None:
    detection = "    a:\n        data.type: f\n    b:\n        data.type: fp\n        data.ip: 192.0.2.1\n    condition: 1 of them\n"
    assert matches(detection, {"type": "f"}) and matches(detection, {"type": "fp", "ip": "192.0.2.1"})
    assert not matches(detection, {"type": "fp", "ip": "192.0.2.2"})


@pytest.mark.parametrize(
    ("detection", "reason"),
    [
        ("    s:\n        data.details.shields{}: block\n    condition: not s\n", "'not' over the array"),
        ("    s:\n        data.description|contains: mismatch\n    condition: s\n", "case-insensitive wildcard"),
        ("    s:\n        data.user_name|re: '.+@x'\n    condition: s\n", "RegularExpression value has no pattern"),
        ("    s:\n        - needle\n    condition: s\n", "a value without a field"),
        ("    s:\n        data.type: s\n    t:\n        data.type: f\n    condition: s and t\n", "tested twice"),
        ("    s:\n        data.type: 'a?c'\n    condition: s\n", "single-character wildcard"),
        ("    s:\n        details.x: y\n    condition: s\n", "not a path in the Auth0 record"),
    ],
)
def test_what_a_pattern_cannot_say_is_refused_with_the_reason(detection: str, reason: str) -> None:
    with pytest.raises(NotExpressible, match=reason):
        event_pattern(rule(detection), BASE)


def test_a_pattern_over_eventbridge_s_size_is_refused() -> None:
    values = "".join(f"            - value-{i:04d}-{'x' * 20}\n" for i in range(80))
    with pytest.raises(NotExpressible, match=f"over EventBridge's {MAX_PATTERN_CHARS}"):
        event_pattern(rule(f"    s:\n        data.description:\n{values}    condition: s\n"), BASE)


def test_a_contains_without_letters_is_an_exact_wildcard() -> None:
    detection = "    s:\n        data.ip|contains: '.0.'\n    condition: s\n"
    assert event_pattern(rule(detection), BASE)["detail"]["data"]["ip"] == [{"wildcard": "*.0.*"}]
    assert matches(detection, {"ip": "10.0.0.1"}) and not matches(detection, {"ip": "10.1.1.1"})
