"""Independent evaluators of Sigma rules over Auth0 partner events, for the detections' agreement test:

- ``sqlite_selects``: pySigma's own SQLite backend converts the rule (or correlation), and SQLite runs it
  over a table with one column per Sigma field (an array field: one row per element, so "any element");
- ``reference_selects``: a direct reading of pySigma's parsed condition, with a Sigma array field's
  negation meaning "no element matches" (what the SQLite table's rows cannot say).

Neither uses the project's translations (modules/contract/sigma_eventbridge.py, sigma_athena.py).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR
from sigma.rule import SigmaDetection
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

ABSENT = object()


def lookup(event: dict[str, Any], field: str) -> Any:
    """The value at a Sigma field (``data.a.b{}``) of a partner event, or ABSENT."""
    node: Any = event["detail"]
    for name in field.removesuffix("{}").split("."):
        if not isinstance(node, dict) or name not in node:
            return ABSENT
        node = node[name]
    return node


def detection_items(rule: Any) -> Iterator[Any]:
    """Every field test of a rule's detection (none for a correlation, which has no detection)."""

    def walk(item: Any) -> Iterator[Any]:
        if isinstance(item, SigmaDetection):
            for sub in item.detection_items:
                yield from walk(sub)
        elif item.field:
            yield item

    for detection in rule.detection.detections.values() if hasattr(rule, "detection") else []:
        yield from walk(detection)


def fields_of(rules: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(item.field for rule in rules for item in detection_items(rule)))


# --- pySigma's SQLite backend ------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is ABSENT or value is None:
        return None
    if isinstance(value, bool):
        return int(value)  # as SQLite's JSON functions give a JSON boolean
    if isinstance(value, int | float | str):
        return value
    return json.dumps(value)


def _sqlite_time(moment: str) -> str:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def sqlite_table(events: Sequence[dict[str, Any]], fields: Sequence[str]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    # SQLite has no REGEXP of its own: "x REGEXP y" calls regexp(y, x); Python's re stands in.
    db.create_function(
        "REGEXP", 2, lambda pattern, text: text is not None and re.search(pattern, str(text)) is not None
    )
    columns = ", ".join(f"`{f}`" for f in fields)
    db.execute(f"CREATE TABLE logs (event_no INTEGER, timestamp TEXT{', ' + columns if fields else ''})")
    rows = []
    for n, event in enumerate(events):
        options = []
        for field in fields:
            value = lookup(event, field)
            if field.endswith("{}") and isinstance(value, list):
                options.append([_cell(v) for v in value] or [None])
            else:
                options.append([_cell(value)])
        for combination in itertools.product(*options):
            rows.append((n, _sqlite_time(event_time(event)), *combination))
    marks = ", ".join("?" for _ in range(2 + len(fields)))
    db.executemany(f"INSERT INTO logs VALUES ({marks})", rows)
    return db


def sqlite_selects(collection: Any, events: Sequence[dict[str, Any]]) -> set[int]:
    """The events a single-event rule selects, by pySigma's SQLite backend."""
    from sigma.backends.sqlite import sqliteBackend

    (query,) = sqliteBackend(collate_nocase=True).convert(collection)
    db = sqlite_table(events, fields_of(collection.rules))
    return {row[0] for row in db.execute(query.replace("SELECT *", "SELECT DISTINCT event_no", 1))}


def sqlite_alerts(collection: Any, events: Sequence[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """A correlation's alerts by pySigma's SQLite backend: (group values..., window end in ms)."""
    from sigma.backends.sqlite import sqliteBackend
    from sigma.correlations import SigmaCorrelationRule

    queries = sqliteBackend(collate_nocase=True).convert(collection)
    correlation = next(r for r in collection.rules if isinstance(r, SigmaCorrelationRule))
    fields = fields_of(collection.rules)
    for extra in [*(correlation.group_by or []), correlation.condition.fieldref]:
        if extra and extra not in fields:
            fields.append(extra)
    db = sqlite_table(events, fields)
    alerts = set()
    for row in db.execute(queries[-1]):
        keys = json.loads(row[1])
        alerts.add((*(keys[f] for f in correlation.group_by or []), round(row[2] * 1000)))
    return alerts


# --- a direct reading ---------------------------------------------------------------------------------------


def event_time(event: dict[str, Any]) -> str:
    return event["detail"]["data"].get("date") or event["time"]


def _string_regex(value: SigmaString) -> re.Pattern[str]:
    out = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(".*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(".")
        else:
            out.append(re.escape(part))
    flags = re.DOTALL | (0 if isinstance(value, SigmaCasedString) else re.IGNORECASE)
    return re.compile("".join(out), flags)


def _matches(candidate: Any, value: Any) -> bool:
    if isinstance(value, SigmaBool):
        return isinstance(candidate, bool) and candidate == value.boolean
    if isinstance(value, SigmaNumber):
        return isinstance(candidate, int | float) and not isinstance(candidate, bool) and candidate == value.number
    if isinstance(value, SigmaString):
        return isinstance(candidate, str) and _string_regex(value).fullmatch(candidate) is not None
    if isinstance(value, SigmaRegularExpression):
        flags = re.IGNORECASE if SigmaRegularExpressionFlag.IGNORECASE in value.flags else 0
        return isinstance(candidate, str) and re.search(value.regexp.to_plain(), candidate, flags) is not None
    if isinstance(value, SigmaCIDRExpression):
        try:
            return isinstance(candidate, str) and ipaddress.ip_address(candidate) in value.network
        except ValueError:
            return False
    raise NotImplementedError(type(value).__name__)


def _holds(cond: Any, event: dict[str, Any]) -> bool:
    if isinstance(cond, ConditionNOT):
        return not _holds(cond.args[0], event)
    if isinstance(cond, ConditionAND):
        return all(_holds(arg, event) for arg in cond.args)
    if isinstance(cond, ConditionOR):
        return any(_holds(arg, event) for arg in cond.args)
    assert isinstance(cond, ConditionFieldEqualsValueExpression), cond
    found = lookup(event, cond.field)
    if isinstance(cond.value, SigmaNull):
        return found is ABSENT or found is None
    if isinstance(cond.value, SigmaExists):
        return (found is not ABSENT) == cond.value.exists
    if found is ABSENT:
        return False
    candidates = found if cond.field.endswith("{}") and isinstance(found, list) else [found]
    return any(_matches(c, cond.value) for c in candidates)


def reference_selects(rule: Any, events: Sequence[dict[str, Any]]) -> set[int]:
    roots = [c.parse() for c in rule.detection.parsed_condition]
    return {n for n, event in enumerate(events) if any(_holds(root, event) for root in roots)}
