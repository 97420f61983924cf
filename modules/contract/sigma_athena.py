"""A Sigma rule as an Athena query over the archive's view: the events a detection selects in a window
of hours, and a correlation's groups that cross its threshold within its timespan.

Sigma fields are paths into the Auth0 record; in the view (athena_table.VIEW) the record is the ``data``
row: typed columns for the fields every log type has (``data.type``) and JSON text for the nested ones
(``data.details``), read with json_extract. The meaning is the one the event patterns keep
(sigma_eventbridge): strings compare case-insensitively, values keep their JSON type, ``{}`` is an array
(a scalar counts as one element), ``not`` holds when the field is absent, and over an array means "no
element". A correlation counts, for each selected event, the events of its group in the timespan up to it
(its group's values compared case-insensitively), as pySigma's SQL backends do; only events in the window
are counted. tests/test_detections_agreement.py runs these queries on DuckDB over a generated corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.correlations import SigmaCorrelationConditionOperator, SigmaCorrelationRule, SigmaCorrelationType
from sigma.rule import SigmaRule
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

from modules.contract.athena_table import DATA_FIELDS, PARTITION, VIEW, WINDOW, window
from modules.contract.sigma_eventbridge import record_names

# The view's typed columns of the record, and those that hold JSON text (athena_table.DATA_FIELDS).
JSON_COLUMNS = frozenset(("details", "auth0_client", "security_context", "scope", "references"))
TYPED_COLUMNS = {name: kind for name, kind in DATA_FIELDS if name not in JSON_COLUMNS}
KEY = re.compile(r"[A-Za-z0-9_\-]+", re.ASCII)
# What a hunting query shows of each event (besides the fields the rule tests).
EVENT_COLUMNS = (
    "event_time, log_id, type, data.description AS description, data.ip AS ip, data.user_name AS user_name, "
    "data.user_id AS user_id, data.client_id AS client_id, data.client_name AS client_name"
)
CORRELATION_OPERATORS = {
    SigmaCorrelationConditionOperator.LT: "<",
    SigmaCorrelationConditionOperator.LTE: "<=",
    SigmaCorrelationConditionOperator.GT: ">",
    SigmaCorrelationConditionOperator.GTE: ">=",
    SigmaCorrelationConditionOperator.EQ: "=",
    SigmaCorrelationConditionOperator.NEQ: "<>",
}


class NotQueryable(Exception):
    """The rule has no query over the archive's view; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Column:
    sql: str
    json: bool  # a JSON value (json_extract), else a typed column of the view
    kind: str  # the typed column's type ("string", "boolean"); "json" otherwise
    array: bool


def column(field: str) -> Column:
    try:
        names, array = record_names(field)
    except ValueError as error:
        raise NotQueryable(str(error)) from None
    if any(not KEY.fullmatch(name) for name in names[1:]):
        raise NotQueryable(f"field {field!r} has a name Athena's JSON paths do not take here")
    top, path = names[1], names[2:]
    if top in TYPED_COLUMNS and not path:
        return Column(f"data.{top}", False, TYPED_COLUMNS[top], array)
    if top in JSON_COLUMNS and path:
        json_path = "$" + "".join(f'["{name}"]' for name in path)
        return Column(f"json_extract(data.{top}, {quote(json_path)})", True, "json", array)
    raise NotQueryable(f"field {field!r} is not in the archive's table (athena_table.DATA_FIELDS)")


def _like(value: SigmaString) -> str:
    out = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:
            raise NotQueryable(f"value {value} has a placeholder without a value")
    return "".join(out)


def _text_test(text: str, value: Any) -> str:
    """``text`` (varchar) against a Sigma string or regular expression."""
    if isinstance(value, SigmaRegularExpression):
        flags = "(?i)" if SigmaRegularExpressionFlag.IGNORECASE in value.flags else ""
        return f"regexp_like({text}, {quote(flags + value.regexp.to_plain())})"
    cased = isinstance(value, SigmaCasedString)
    subject = text if cased else f"lower({text})"
    if value.contains_special():
        pattern = _like(value) if cased else _like(value).lower()
        return f"{subject} LIKE {quote(pattern)} ESCAPE '\\'"
    plain = value.to_plain()
    return f"{subject} = {quote(plain if cased else plain.lower())}"


def _cidr_test(text: str, value: Any) -> str:
    """An IPv4 address (text) within a network, by arithmetic on its four numbers (Athena and DuckDB alike)."""
    network = value.network
    if network.version != 4:
        raise NotQueryable(f"the IPv6 network {network} has no query form here")
    number = " + ".join(f"CAST(split_part({text}, '.', {i + 1}) AS bigint) * {256 ** (3 - i)}" for i in range(4))
    low, high = int(network.network_address), int(network.broadcast_address)
    return f"(regexp_like({text}, '^[0-9]{{1,3}}(\\.[0-9]{{1,3}}){{3}}$') AND ({number}) BETWEEN {low} AND {high})"


def _json_test(j: str, value: Any) -> str:
    """A JSON value against a Sigma value, type for type."""
    is_string = f"json_format({j}) LIKE '\"%'"
    if isinstance(value, SigmaString | SigmaRegularExpression):
        return f"({is_string} AND {_text_test(f'json_extract_scalar({j}, {quote(chr(36))})', value)})"
    if isinstance(value, SigmaCIDRExpression):
        return f"({is_string} AND {_cidr_test(f'json_extract_scalar({j}, {quote(chr(36))})', value)})"
    if isinstance(value, SigmaBool):
        return f"json_format({j}) = {quote('true' if value.boolean else 'false')}"
    if isinstance(value, SigmaNumber):
        return f"(NOT {is_string} AND TRY_CAST(json_format({j}) AS double) = {value.number})"
    raise NotQueryable(f"a {type(value).__name__.removeprefix('Sigma')} value has no query form here")


def _typed_test(col: Column, value: Any) -> str:
    if col.kind == "boolean":
        return f"{col.sql} = {str(value.boolean).lower()}" if isinstance(value, SigmaBool) else "false"
    if isinstance(value, SigmaString | SigmaRegularExpression):
        return _text_test(col.sql, value)
    if isinstance(value, SigmaCIDRExpression):
        return _cidr_test(col.sql, value)
    if isinstance(value, SigmaBool | SigmaNumber):
        return "false"  # a string column never holds a boolean or a number
    raise NotQueryable(f"a {type(value).__name__.removeprefix('Sigma')} value has no query form here")


def field_test(field: str, value: Any) -> str:
    col = column(field)
    if isinstance(value, SigmaNull):
        return f"({col.sql} IS NULL)" if not col.json else f"({col.sql} IS NULL OR json_format({col.sql}) = 'null')"
    if isinstance(value, SigmaExists):
        return f"({col.sql} IS {'NOT ' if value.exists else ''}NULL)"
    if not col.json:
        return _typed_test(col, value)
    if not col.array:
        return _json_test(col.sql, value)
    element = _json_test("e", value)
    return (
        f"(CASE WHEN json_format({col.sql}) LIKE '[%' "
        f"THEN cardinality(filter(CAST({col.sql} AS array(json)), e -> {element})) > 0 "
        f"ELSE {_json_test(col.sql, value)} END)"
    )


def condition_sql(cond: Any) -> str:
    if isinstance(cond, ConditionNOT):
        return f"NOT coalesce({condition_sql(cond.args[0])}, false)"
    if isinstance(cond, ConditionAND | ConditionOR):
        joiner = " AND " if isinstance(cond, ConditionAND) else " OR "
        return "(" + joiner.join(condition_sql(arg) for arg in cond.args) + ")"
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        return field_test(cond.field, cond.value)
    raise NotQueryable(f"a {type(cond).__name__.removeprefix('Condition')} (a value without a field) has no query")


def detection_sql(rule: SigmaRule) -> str:
    roots = [condition.parse() for condition in rule.detection.parsed_condition]
    return " OR ".join(f"coalesce({condition_sql(root)}, false)" for root in roots)


@dataclass(frozen=True)
class HuntingQuery:
    sql: str
    parameters: tuple[str, ...]


def events_query(rule: SigmaRule) -> HuntingQuery:
    """The events ``rule`` selects in the window, oldest first."""
    return HuntingQuery(
        f"""SELECT {EVENT_COLUMNS}
FROM {VIEW}
WHERE {window()}
  AND ({detection_sql(rule)})
ORDER BY event_time, log_id""",
        WINDOW,
    )


def _group_value(field: str) -> str:
    """A group or counted value as pySigma's SQL backends compare it: text ignoring case."""
    col = column(field)
    if col.array:
        raise NotQueryable(f"a correlation groups by the array {field}")
    text = f"json_extract_scalar({col.sql}, '$')" if col.json else f"CAST({col.sql} AS varchar)"
    return f"lower({text})"


def correlation_query(correlation: SigmaCorrelationRule, bases: list[SigmaRule], threshold: int | None) -> HuntingQuery:
    """The groups of ``correlation`` whose count reaches its condition within its timespan, and when."""
    if correlation.type not in (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT):
        raise NotQueryable(f"a {correlation.type.value} correlation has no query here")
    condition = correlation.condition
    if condition.op not in CORRELATION_OPERATORS:
        raise NotQueryable(f"the correlation condition {condition.op} has no query here")
    count = condition.count if threshold is None else threshold
    groups = list(correlation.group_by or [])
    keys = [f"{_group_value(field)} AS g{i}" for i, field in enumerate(groups)]
    counted = "b.log_id" if correlation.type is SigmaCorrelationType.EVENT_COUNT else "b.v"
    value = f"{_group_value(condition.fieldref)} AS v" if correlation.type is SigmaCorrelationType.VALUE_COUNT else ""
    selection = " OR ".join(f"({detection_sql(base)})" for base in bases)
    seconds = correlation.timespan.seconds
    join = " AND ".join([*(f"b.g{i} = a.g{i}" for i in range(len(groups))), "b.event_time BETWEEN "
                         f"a.event_time - INTERVAL '{seconds}' SECOND AND a.event_time"])  # fmt: skip
    shown = ", ".join(f"a.g{i} AS {quote_identifier(field)}" for i, field in enumerate(groups))
    sql = f"""WITH matched AS (
  SELECT event_time, log_id{"".join(", " + k for k in keys)}{", " + value if value else ""}
  FROM {VIEW}
  WHERE {window()}
    AND ({selection})
)
SELECT {shown + ", " if shown else ""}a.event_time AS window_end, count(DISTINCT {counted}) AS metric
FROM matched a
JOIN matched b ON {join}
WHERE {" AND ".join(f"a.g{i} IS NOT NULL" for i in range(len(groups))) or "true"}
GROUP BY {", ".join([*(f"a.g{i}" for i in range(len(groups))), "a.event_time"])}
HAVING count(DISTINCT {counted}) {CORRELATION_OPERATORS[condition.op]} {int(count)}
ORDER BY window_end{"".join(f", a.g{i}" for i in range(len(groups)))}"""
    return HuntingQuery(sql, WINDOW)


def scheduled_window(hours: int) -> str:
    """The ``hours`` that ended an hour before the query runs (late events are filed by then), as dt spells
    them: what a scheduled run reads instead of its window's parameters."""

    def hour(back: int) -> str:
        return f"date_format(date_add('hour', -{back}, date_trunc('hour', current_timestamp)), '%Y/%m/%d/%H')"

    return f"{PARTITION} >= {hour(hours + 1)} AND {PARTITION} < {hour(1)}"


def scheduled(sql: str, hours: int) -> str:
    """A hunting query with its window's parameters replaced by the last ``hours`` (scheduled_window)."""
    if sql.count(window()) != 1 or sql.count("?") != 2:
        raise ValueError("a hunting query reads its window once, as its only parameters")
    return sql.replace(window(), scheduled_window(hours))


def quote_identifier(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'
