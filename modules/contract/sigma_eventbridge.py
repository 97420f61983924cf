"""A Sigma rule's detection as an EventBridge event pattern, exactly or not at all.

Sigma fields are paths into the Auth0 record (``data.type``, ``data.details.request.body.scope{}``), which
the partner event carries at ``detail.data``; ``{}`` marks an array, and EventBridge matches an array when
any of its elements matches. What a pattern cannot say with Sigma's meaning raises ``NotExpressible`` with
the reason, and the rule becomes a hunting query instead (docs/detections.md). The meaning kept:

- strings compare case-insensitively (``equals-ignore-case``, also under ``prefix``, ``suffix`` and
  ``anything-but``); ``|cased`` strings and strings without letters compare exactly. EventBridge's
  ``wildcard`` is case-sensitive, so a ``*`` inside text with letters cannot be matched;
- values keep their JSON type: a string never matches a boolean or a number (as EventBridge compares);
- ``not field = x`` also holds when the field is absent (Sigma), so it is two alternatives:
  ``exists: false`` or ``anything-but``. Over an array, "no element is x" has no pattern;
- ``field: null`` holds for a JSON null or an absent field.

The pattern is checked against AWS's limits (2048 characters by default, the provider's own check).
tests/test_detections_agreement.py proves each pattern selects what pySigma's SQL backend selects.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaString,
    SpecialChars,
)

# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html ("Event pattern size", default
# 2048 characters; the aws provider refuses longer patterns).
MAX_PATTERN_CHARS = 2048
# $or alternatives of one rule; far below the point where a pattern's size limit stops it anyway.
MAX_ALTERNATIVES = 64
ARRAY = "{}"
RECORD = "data"  # Sigma's root of the Auth0 record
ENVELOPE_RECORD = ("detail", "data")  # where the partner event carries it
_ABSENT = {"exists": False}
_NULL = object()  # "field: null": a JSON null or no field


class NotExpressible(Exception):
    """The detection has no exact event pattern; ``reason`` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Literal:
    """``field`` matches one of ``matchers`` (negated: none of them)."""

    field: str
    matchers: tuple[Any, ...]
    negated: bool = False

    @property
    def is_array(self) -> bool:
        return self.field.endswith(ARRAY)


def record_names(field: str) -> tuple[tuple[str, ...], bool]:
    """A Sigma field's names in the Auth0 record (``data.a.b{}`` → ``data``, ``a``, ``b``) and whether it is
    an array; ValueError with the reason for a field that is no such path. The patterns and the queries
    (sigma_athena) read fields alike."""
    parts = field.split(".")
    if parts[0] != RECORD or len(parts) < 2 or any(not part for part in parts):
        raise ValueError(f"field {field!r} is not a path in the Auth0 record (data.<name>...)")
    if any(ARRAY in part for part in parts[:-1]) or parts[-1].count(ARRAY) > 1:
        raise ValueError(f"field {field!r} has an array ({ARRAY}) before its last name")
    last = parts[-1].removesuffix(ARRAY)
    if last == "" or ARRAY in last:
        raise ValueError(f"field {field!r} has an empty or misplaced name")
    return (*parts[:-1], last), parts[-1].endswith(ARRAY)


def field_path(field: str) -> tuple[str, ...]:
    """The path of a Sigma field in the partner event: ``data.a.b{}`` → ``detail.data.a.b``."""
    try:
        names, _ = record_names(field)
    except ValueError as error:
        raise NotExpressible(str(error)) from None
    return (*ENVELOPE_RECORD[:1], *names)


def _cased(text: str) -> bool:
    return any(ch.lower() != ch.upper() for ch in text)


def _string_matcher(value: SigmaString) -> Any:
    if value.contains_placeholder():
        raise NotExpressible(f"value {value} has a placeholder without a value")
    if SpecialChars.WILDCARD_SINGLE in value.s:
        raise NotExpressible(f"value {value} has a single-character wildcard (?), which patterns lack")
    exact = isinstance(value, SigmaCasedString)
    parts = list(value.s)
    texts = [part for part in parts if isinstance(part, str)]
    wildcards = [i for i, part in enumerate(parts) if part is SpecialChars.WILDCARD_MULTI]
    text = "".join(texts)
    ignore_case = not exact and _cased(text)
    if not wildcards:
        return {"equals-ignore-case": text} if ignore_case else text
    if len(parts) == 2 and wildcards == [1]:
        return {"prefix": {"equals-ignore-case": text} if ignore_case else text}
    if len(parts) == 2 and wildcards == [0]:
        return {"suffix": {"equals-ignore-case": text} if ignore_case else text}
    if ignore_case:
        raise NotExpressible(
            f"value {value} needs a case-insensitive wildcard (EventBridge's wildcard is case-sensitive)"
        )
    escaped = [part.replace("\\", "\\\\").replace("*", "\\*") if isinstance(part, str) else "*" for part in parts]
    return {"wildcard": "".join(escaped)}


_NUMERIC_OPS = {
    SigmaCompareExpression.CompareOperators.LT: "<",
    SigmaCompareExpression.CompareOperators.LTE: "<=",
    SigmaCompareExpression.CompareOperators.GT: ">",
    SigmaCompareExpression.CompareOperators.GTE: ">=",
}


def _matcher(field: str, value: Any) -> Any:
    if isinstance(value, SigmaNull):
        return _NULL
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaString):
        return _string_matcher(value)
    if isinstance(value, SigmaCIDRExpression):
        return {"cidr": value.cidr}
    if isinstance(value, SigmaExists):
        return {"exists": value.exists}
    if isinstance(value, SigmaCompareExpression) and value.op in _NUMERIC_OPS:
        return {"numeric": [_NUMERIC_OPS[value.op], value.number.number]}
    raise NotExpressible(f"{field}: a {type(value).__name__.removeprefix('Sigma')} value has no pattern form")


# --- the condition as alternatives of conjunctions ------------------------------------------------------


def _nnf(cond: Any, negated: bool = False) -> Any:
    """The condition with every NOT pushed onto a field test: ("and"|"or", [...]) or a Literal."""
    if isinstance(cond, ConditionNOT):
        return _nnf(cond.args[0], not negated)
    if isinstance(cond, ConditionAND | ConditionOR):
        op = "and" if isinstance(cond, ConditionAND) != negated else "or"
        return _merge(op, [_nnf(arg, negated) for arg in cond.args])
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        return Literal(cond.field, (_matcher(cond.field, cond.value),), negated)
    raise NotExpressible(f"a {type(cond).__name__.removeprefix('Condition')} (a value without a field) has no pattern")


def _merge(op: str, args: list[Any]) -> Any:
    """x=a or x=b is x in (a, b); not x=a and not x=b is not x in (a, b): one list in a pattern."""
    flat: list[Any] = []
    for arg in args:
        flat.extend(arg[1] if isinstance(arg, tuple) and arg[0] == op else [arg])
    merged: list[Any] = []
    for arg in flat:
        same = next(
            (
                i
                for i, m in enumerate(merged)
                if isinstance(arg, Literal)
                and isinstance(m, Literal)
                and m.field == arg.field
                and m.negated == arg.negated
                and arg.negated == (op == "and")
            ),
            None,
        )
        if same is None:
            merged.append(arg)
        else:
            kept = merged[same]
            merged[same] = Literal(kept.field, kept.matchers + arg.matchers, kept.negated)
    return merged[0] if len(merged) == 1 else (op, merged)


def _alternatives(node: Any) -> list[list[Literal]]:
    if isinstance(node, Literal):
        return [[node]]
    op, args = node
    if op == "or":
        return [branch for arg in args for branch in _alternatives(arg)]
    branches: list[list[Literal]] = [[]]
    for arg in args:
        branches = [left + right for left in branches for right in _alternatives(arg)]
        if len(branches) > MAX_ALTERNATIVES:
            raise NotExpressible(f"the condition has more than {MAX_ALTERNATIVES} alternatives")
    return branches


def _negation(field: str, matchers: tuple[Any, ...], is_array: bool) -> list[Any]:
    """``not field in matchers``: absent, or present and none of them. Lists what a pattern's field takes."""
    if is_array:
        raise NotExpressible(f"'not' over the array {field} (no element matches) has no pattern")
    if all(isinstance(m, str) or (isinstance(m, dict) and "equals-ignore-case" in m) for m in matchers):
        texts = [m if isinstance(m, str) else m["equals-ignore-case"] for m in matchers]
        if all(isinstance(m, str) for m in matchers):
            return [[_ABSENT], [{"anything-but": texts}]]
        return [[_ABSENT], [{"anything-but": {"equals-ignore-case": texts}}]]
    if all(isinstance(m, int | float) and not isinstance(m, bool) for m in matchers):
        return [[_ABSENT], [{"anything-but": list(matchers)}]]
    if len(matchers) == 1 and isinstance(matchers[0], dict) and set(matchers[0]) <= {"prefix", "suffix"}:
        ((how, text),) = matchers[0].items()
        if isinstance(text, str):
            return [[_ABSENT], [{"anything-but": {how: text}}]]
    raise NotExpressible(f"'not' over {field} with these values ({_show(matchers)}) has no pattern")


def _field_alternatives(field: str, literals: list[Literal]) -> list[list[Any]]:
    """What one field of one conjunction may be, as alternative matcher lists."""
    positive = {_show(lit.matchers): lit.matchers for lit in literals if not lit.negated}
    negative = [lit for lit in literals if lit.negated]
    if len(positive) > 1 or (positive and negative) or len(negative) > 1:
        raise NotExpressible(f"{field} is tested twice in one branch (a pattern has one list per field)")
    if negative:
        return _negation(field, negative[0].matchers, negative[0].is_array)
    (matchers,) = positive.values()
    unique = list(dict.fromkeys(json.dumps(m, sort_keys=True) for m in matchers if m is not _NULL))
    values = [json.loads(m) for m in unique]
    if any(isinstance(m, dict) and "exists" in m for m in values) and len(values) > 1:
        raise NotExpressible(f"{field} mixes an existence test with values")
    if _NULL in matchers:
        return [[*values, None], [_ABSENT]]
    return [values]


def _conjunction_patterns(literals: list[Literal]) -> list[dict[str, Any]]:
    by_field: dict[str, list[Literal]] = {}
    for lit in literals:
        by_field.setdefault(lit.field, []).append(lit)
    paths = {}
    for field in by_field:
        path = field_path(field)
        for other, other_path in paths.items():
            if path[: len(other_path)] == other_path or other_path[: len(path)] == path:
                raise NotExpressible(f"{field} and {other} are the same or nested paths")
        paths[field] = path
    options = [_field_alternatives(field, lits) for field, lits in by_field.items()]
    patterns = []
    for choice in itertools.product(*options):
        pattern: dict[str, Any] = {}
        for field, matchers in zip(by_field, choice, strict=True):
            node = pattern
            for name in paths[field][:-1]:
                node = node.setdefault(name, {})
            node[paths[field][-1]] = matchers
        patterns.append(pattern)
    return patterns


def event_pattern(rule: SigmaRule, base: dict[str, Any]) -> dict[str, Any]:
    """The pattern (``base`` and the detection) that selects what ``rule`` selects, or NotExpressible."""
    conditions = rule.detection.parsed_condition
    roots = [condition.parse() for condition in conditions]
    node = roots[0] if len(roots) == 1 else ConditionOR(roots)
    branches: list[dict[str, Any]] = []
    for conjunction in _alternatives(_nnf(node)):
        branches.extend(_conjunction_patterns(conjunction))
    unique = list({json.dumps(b, sort_keys=True): b for b in branches}.values())
    if len(unique) > MAX_ALTERNATIVES:
        raise NotExpressible(f"the condition has more than {MAX_ALTERNATIVES} alternatives")
    if "$or" in base or any(set(base) & set(branch) for branch in unique):
        raise NotExpressible("the detection tests the envelope's own fields")
    pattern = {**base, **unique[0]} if len(unique) == 1 else {**base, "$or": unique}
    size = len(json.dumps(pattern, separators=(",", ":")))
    if size > MAX_PATTERN_CHARS:
        raise NotExpressible(f"the pattern has {size} characters, over EventBridge's {MAX_PATTERN_CHARS}")
    return pattern


def _show(matchers: tuple[Any, ...]) -> str:
    return ", ".join("null" if m is _NULL else json.dumps(m) for m in matchers)
