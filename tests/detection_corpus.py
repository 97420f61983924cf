"""A corpus of Auth0 partner events for every detection rule: positives and near misses.

Each event starts as a record Auth0's JSON Schema shapes for its log type (tests/sample_events.py), and
the fields a rule tests are set from what the rule compares them with: a value it accepts (also in
another case), a near miss (one character more, the other boolean, the next number), another type
code, an array holding it or not, or no field at all. Choices are random with a fixed seed per rule,
so the corpus is the same on every run. Correlation rules get events of a few groups spread over a few
hours, so that some groups cross their thresholds within the timespan and others do not.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sigma.types import (
    SigmaBool,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from tests.sample_events import envelope, schema_shaped_records
from tests.sigma_reference import detection_items

SOURCE = "aws.partner/auth0.com/acme-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# What the placeholders are filled with in the tests (each of the catalog's values).
VALUES: dict[str, Any] = {
    "auth0_tenant_domain": "acme.eu.auth0.com",
    "trusted_client_ids": ["TrustedClient1", "trusted-client-2"],
    "critical_client_ids": ["CriticalClient1"],
    "api_explorer_client_id": "ApiExplorer01",
    "auth0_dashboard_client_id": "Dashboard01",
    "recognized_allowlist_entries": ["192.0.2.0/24", "198.51.100.7"],
}
# Values a |re test can match or miss (the catalog's one regex reads an e-mail's domain).
REGEX_SAMPLES = ["alice@example.com", "BOB@Mailinator.COM", "not-an-email", "@nodomain", ""]


def _items(rule: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for item in detection_items(rule):
        found.setdefault(item.field, []).extend(item.value)
    return found


# What a * stands for; a correlation's events fill it alike, so that its groups fill up.
FILLERS = ("", "x", "users", "Any Thing")


def _text(value: SigmaString, rng: random.Random, fillers: tuple[str, ...] = FILLERS) -> str:
    out = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(rng.choice(fillers))
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("q")
        else:
            out.append(part)
    return "".join(out)


def _swap_case(text: str) -> str:
    return text.swapcase() if text.lower() != text.upper() else text


def candidates(value: Any, rng: random.Random, fillers: tuple[str, ...] = FILLERS) -> tuple[list[Any], list[Any]]:
    """(values the Sigma value accepts, near misses) as JSON values."""
    if isinstance(value, SigmaBool):
        return [value.boolean], [not value.boolean]
    if isinstance(value, SigmaNumber):
        return [value.number], [value.number + 1, str(value.number)]
    if isinstance(value, SigmaNull):
        return [None], ["", "s"]
    if isinstance(value, SigmaRegularExpression):
        return [], list(REGEX_SAMPLES)
    if isinstance(value, SigmaString):
        text = _text(value, rng, fillers)
        return [text, _swap_case(text)], [text + "z", "z" + text, text[:-1], ""]
    return [], []


def _set(record: dict[str, Any], field: str, value: Any) -> None:
    names = field.removesuffix("{}").split(".")[1:]
    node = record
    for name in names[:-1]:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    if value is _REMOVE:
        node.pop(names[-1], None)
    else:
        node[names[-1]] = value


_REMOVE = object()


def _records_by_type() -> dict[str, dict[str, Any]]:
    return {record["type"]: record for record in schema_shaped_records()}


def _field_value(field: str, values: list[Any], rng: random.Random, accept: float, fillers: tuple[str, ...]) -> Any:
    good: list[Any] = []
    bad: list[Any] = []
    for value in values:
        yes, no = candidates(value, rng, fillers)
        good += yes
        bad += no
    if field.endswith("{}"):
        element = rng.choice(good) if good and rng.random() < accept else rng.choice(bad or ["other"])
        other = rng.choice(bad or ["other"])
        return rng.choice([[element], [other, element], [other], [], element])
    if good and rng.random() < accept:
        return rng.choice(good)
    return rng.choice([*bad, _REMOVE]) if bad else _REMOVE


def _event(record: dict[str, Any], n: int, moment: datetime, rule_id: str) -> dict[str, Any]:
    record = {**record, "date": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
    log_id = hashlib.sha256(f"{rule_id}/{n}".encode()).hexdigest()[:40]
    record["log_id"] = log_id
    return envelope(SOURCE, record, event_id=f"{rule_id[:20]}-{n}", time=moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def rule_events(rule_id: str, bases: list[Any], count: int, correlation: Any = None) -> list[dict[str, Any]]:
    """``count`` events around ``bases`` (a rule's parsed base rules, placeholders filled)."""
    import copy

    rng = random.Random(rule_id)
    records = _records_by_type()
    fields: dict[str, list[Any]] = {}
    for base in bases:
        for field, values in _items(base).items():
            fields.setdefault(field, []).extend(values)
    type_values = [v.to_plain() for v in fields.get("data.type", []) if isinstance(v, SigmaString)]
    groups: list[str] = list(correlation.group_by or []) if correlation is not None else []
    counted = correlation.condition.fieldref if correlation is not None else None
    # Groups of a field the rule tests (data.type, data.description) come from the rule's own values.
    pools = {field: [f"g{i}-{field.rsplit('.', 1)[-1]}" for i in range(3)] for field in groups if field not in fields}
    if counted and counted not in fields:  # a tested field (data.type) varies with the rule's own values
        pools[counted] = [f"v{i}" for i in range(4)]
    events = []
    for n in range(count):
        code = rng.choice(type_values) if type_values and rng.random() < 0.85 else rng.choice(["s", "f", "sapi", "fp"])
        record = copy.deepcopy(records.get(code) or records["s"])
        record["type"] = code
        for field, values in fields.items():
            if field == "data.type":
                continue
            _set(record, field, _field_value(field, values, rng, 0.75, FILLERS if correlation is None else ("",)))
        for field, pool in pools.items():
            choice = rng.choice(pool)
            if field in groups and rng.random() < 0.1:
                choice = _swap_case(choice)  # grouping ignores case, as the SQL backends do
            _set(record, field, choice if rng.random() < 0.95 else _REMOVE)
        if correlation is not None:
            moment = START + timedelta(seconds=rng.randrange(0, 5400), milliseconds=rng.randrange(1000))
        else:
            moment = START + timedelta(seconds=n * 7)
        events.append(_event(record, n, moment, rule_id))
    return events
