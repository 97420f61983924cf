"""modules/auth0_log_table.py: the table matches the Firehose layout, Auth0's schemas and the queries."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import sqlglot
from sqlglot import exp

from modules.constructs.delivery_stream import RECORD_PREFIX
from modules.contract.athena_table import (
    DATA_FIELDS,
    ENVELOPE,
    NAMED_QUERIES,
    PARTITION,
    PARTITION_FORMAT,
    SERDE_PARAMETERS,
    TABLE,
    location_template,
    projection,
    projection_start,
)
from tests.helpers import only
from tests.sample_events import SCHEMAS


def schemas() -> dict[str, dict]:
    return {path.name.removesuffix(".schema.json"): json.loads(path.read_text())
            for path in sorted(SCHEMAS.glob("*.schema.json"))}  # fmt: skip


def test_projection_template_is_the_firehose_prefix() -> None:
    parameters = projection("NOW-400DAYS")
    template = location_template("archive")
    firehose_path = re.sub(r"!\{timestamp:([a-zA-Z]+)\}", lambda m: m.group(1), RECORD_PREFIX)
    assert template == "s3://archive/logs/${dt}/"
    assert template.replace("${dt}", PARTITION_FORMAT) == f"s3://archive/{firehose_path}"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy/MM/dd/HH"
    assert (parameters["projection.dt.interval"], parameters["projection.dt.interval.unit"]) == ("1", "HOURS")
    assert parameters["projection.dt.range"] == "NOW-400DAYS,NOW"


def test_projection_starts_at_the_configured_day_or_the_expiry() -> None:
    assert projection_start("2026-03-01", 400) == "2026/03/01/00"
    assert projection_start(None, 400) == "NOW-400DAYS"


def test_hyphenated_envelope_keys_are_mapped() -> None:
    assert SERDE_PARAMETERS["mapping.detail_type"] == "detail-type"
    assert ("detail_type", "string") in ENVELOPE


def test_columns_cover_every_field_in_most_log_types() -> None:
    counts = Counter(field for schema in schemas().values() for field in schema.get("properties", {}))
    total = len(schemas())
    common = {field for field, n in counts.items() if n > total / 2 and not field.startswith("$")}
    columns = {name for name, _ in DATA_FIELDS}
    assert common <= columns, common - columns
    assert all(counts[name] >= 20 for name in columns)  # and nothing that hardly ever appears


def _types(schema: dict) -> set[str]:
    if "type" in schema:
        return set(schema["type"]) if isinstance(schema["type"], list) else {schema["type"]}
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return set().union(*(_types(part) for part in schema[combinator]))
    return {"any"}


def test_column_types_follow_the_schemas() -> None:
    seen: dict[str, set[str]] = {}
    for schema in schemas().values():
        for field, sub in schema.get("properties", {}).items():
            seen.setdefault(field, set()).update(_types(sub) - {"null"})
    for name, kind in DATA_FIELDS:
        if seen[name] == {"boolean"}:
            assert kind == "boolean", name
        else:  # strings, and objects or mixed types kept as JSON text
            assert kind == "string", name
            assert seen[name] <= {"string"} or seen[name] & {"object", "array", "any"}, (name, seen[name])


def test_the_synthesized_column_types_parse_as_hive_ddl(prod: dict) -> None:
    """The types Glue receives must be valid Hive DDL (what Athena reads for a JSON table), with
    detail.log_id and detail.data holding the fields the schemas call for (test above)."""
    _, table = only(prod, "aws_glue_catalog_table")
    types = {column["name"]: column["type"] for column in table["storage_descriptor"]["columns"]}
    detail = exp.DataType.build(types["detail"], dialect="hive")
    assert detail.this == exp.DataType.Type.STRUCT
    fields = {column.name: column.args["kind"] for column in detail.expressions}
    assert sorted(fields) == ["data", "log_id"]
    data = {column.name: column.args["kind"].sql("hive").lower() for column in fields["data"].expressions}
    assert data["log_id"] == data["date"] == data["details"] == "string"
    assert data["is_mobile"] == "boolean"
    assert len(data) == len(DATA_FIELDS)
    for name in ("resources",):
        assert exp.DataType.build(types[name], dialect="hive").this == exp.DataType.Type.ARRAY


def columns_of_table() -> set[str]:
    return (
        {name for name, _ in ENVELOPE}
        | {PARTITION}
        | {f"detail.data.{name}" for name, _ in DATA_FIELDS}
        | {"detail.log_id"}
    )


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_named_query_parses_as_trino_and_uses_only_table_columns(query) -> None:
    tree = sqlglot.parse_one(query.sql, dialect="trino")
    assert tree.find(exp.Table).name == TABLE
    aliases = {a.alias for a in tree.find_all(exp.Alias)}
    referenced = {c.sql(dialect="trino") for c in tree.find_all(exp.Column)} - aliases
    assert referenced, query.name
    assert referenced <= columns_of_table(), referenced - columns_of_table()
    assert PARTITION in referenced  # every query prunes partitions: it scans hours, not the archive


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_named_queries_ask_for_log_types_that_exist(query) -> None:
    # Quoted lowercase words in the WHERE clause are Auth0 log type codes ('fp', 'sapi', ...).
    codes = set(re.findall(r"'([a-z_]+)'", query.sql.split("WHERE", 1)[1]))
    assert codes <= set(schemas()), codes - set(schemas())
    assert codes or "user_id = ?" in query.sql
