"""modules/contract/athena_table.py: the table matches the Firehose layout, Auth0's schemas and the queries."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from modules.constructs.delivery_stream import RECORD_PREFIX
from modules.contract.athena_table import (
    CATEGORIES,
    DATA_FIELDS,
    ENVELOPE,
    GROUPS,
    NAMED_QUERIES,
    PARTITION,
    PARTITION_FORMAT,
    SERDE_PARAMETERS,
    TABLE,
    VIEW,
    VIEW_COLUMNS,
    location_template,
    projection,
    projection_start,
)
from tests.conftest import SHARED
from tests.helpers import named
from tests.sample_events import SCHEMAS

SAMPLE_EVENTS = SHARED / "auth0-events"


def schemas() -> dict[str, dict]:
    return {path.name.removesuffix(".schema.json"): json.loads(path.read_text())
            for path in sorted(SCHEMAS.glob("*.schema.json"))}  # fmt: skip


def test_projection_template_is_where_firehose_files_each_event() -> None:
    """Firehose fills !{partitionKeyFromQuery:dt} with the JQ query's dt (run here by the real jq engine);
    Athena fills ${dt} from the projection's format. Both must name the same object prefix, the hour the
    event happened."""
    import jq

    from modules.contract.naming import EVENT_HOUR_QUERY
    from tests.sample_events import SCHEMAS  # noqa: F401 - the shared samples are there

    event = json.loads((SAMPLE_EVENTS / "success-login.json").read_text())
    dt = jq.compile(EVENT_HOUR_QUERY).input_value(event).first()["dt"]
    happened = datetime.fromisoformat(event["detail"]["data"]["date"].replace("Z", "+00:00"))
    assert dt == f"{happened:%Y/%m/%d/%H}"
    firehose_prefix = RECORD_PREFIX.replace("!{partitionKeyFromQuery:dt}", dt)
    assert location_template("archive").replace("${dt}", dt) == f"s3://archive/{firehose_prefix}"
    parameters = projection("NOW-400DAYS")
    # Athena's date projection format, Java's DateTimeFormatter: yyyy/MM/dd/HH reads dt back as that hour.
    assert parameters["projection.dt.format"] == PARTITION_FORMAT == "yyyy/MM/dd/HH"
    assert datetime.strptime(dt, "%Y/%m/%d/%H").replace(tzinfo=UTC) == happened.replace(
        minute=0, second=0, microsecond=0
    )
    assert parameters["projection.dt.type"] == "date"
    assert (parameters["projection.dt.interval"], parameters["projection.dt.interval.unit"]) == ("1", "HOURS")
    assert parameters["projection.dt.range"] == "NOW-400DAYS,NOW"


def test_events_without_an_auth0_date_are_filed_by_their_eventbridge_time() -> None:
    import jq

    from modules.contract.naming import EVENT_HOUR_QUERY

    event = {"time": "2026-11-12T15:58:23Z", "detail": {"log_id": "1", "data": {"type": "s"}}}
    assert jq.compile(EVENT_HOUR_QUERY).input_value(event).first() == {"dt": "2026/11/12/15"}


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
    _, table = named(prod, "aws_glue_catalog_table", "queries_table")
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


VIEW_NAMES = {name for name, _, _ in VIEW_COLUMNS}


def columns_of_view() -> set[str]:
    return (VIEW_NAMES - {"data"}) | {f"data.{name}" for name, _ in DATA_FIELDS}


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_named_query_parses_as_trino_and_uses_only_known_columns(query) -> None:
    tree = sqlglot.parse_one(query.sql, dialect="trino")
    tables = {t.name for t in tree.find_all(exp.Table)}
    aliases = {a.alias for a in tree.find_all(exp.Alias)}
    # Without the table alias (success.data.ip is data.ip of the view).
    referenced = {".".join(p.name for p in c.parts if p.name not in ("success", "failure"))
                  for c in tree.find_all(exp.Column)} - aliases  # fmt: skip
    assert referenced, query.name
    known = columns_of_view() if tables == {VIEW} else columns_of_table() | {"$path"}
    assert tables in ({VIEW}, {TABLE})
    assert referenced <= known, referenced - known
    assert PARTITION in referenced  # it scans hours, not the archive


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_named_queries_take_their_type_codes_from_the_category_table(query) -> None:
    where = query.sql.split("WHERE", 1)[1]
    for codes in re.findall(r"type IN \(([^)]*)\)", where):
        listed = set(re.findall(r"'([a-z_]+)'", codes))
        named = [{*CATEGORIES.get(n, ()), *GROUPS.get(n, ())} for n in (*CATEGORIES, *GROUPS)]
        assert any(listed == group for group in named) or listed == set().union(*[g for g in named if g <= listed]), (
            listed
        )


def test_category_codes_are_auth0_log_types() -> None:
    """Every code of the table is a type of Auth0's log schemas, or one Auth0's documentation lists that the
    schemas (July 2026) do not have yet."""
    codes = {c for group in (*CATEGORIES.values(), *GROUPS.values()) for c in group}
    documented_without_schema = {
        "fc", "fapi", "admin_update_launch", "coff", "con", "sys_os_update_start", "sys_os_update_end",
        "sys_update_start", "sys_update_end", "fdeaz", "fdecc", "limit_sul",
        "gd_recovery_rate_limit_exceed", "gd_user_delete",
    }  # fmt: skip
    assert codes - set(schemas()) == documented_without_schema - set(schemas())


def test_the_mfa_group_is_every_second_factor_type_of_auth0_s_catalog() -> None:
    """Derived from the catalog (all 166 types), not from memory: the Guardian types, MFA required, and the
    exchanges of a password or passkey with an OTP, OOB or MFA recovery code challenge."""
    second_factor = re.compile(r"\b(OTP|OOB) Challenge\b|\bMFA Recovery Code\b")
    derived = {code for code, schema in schemas().items()
               if code.startswith("gd_") or code == "mfar"
               or second_factor.search(schema["properties"]["type"].get("description") or "")}  # fmt: skip
    assert len(schemas()) == 166
    documented_without_schema = {"gd_recovery_rate_limit_exceed", "gd_user_delete"}
    assert set(GROUPS["mfa"]) == derived | documented_without_schema
    assert {"feotpft", "feoobft", "fercft", "seotpft", "seoobft", "sercft"} <= derived
    assert "fepotpft" not in derived  # a passwordless one-time code is a first factor


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_every_query_reads_only_the_hours_of_its_window(query) -> None:
    """Every comparison with dt, evaluated over a year of hours with the window given as parameters: each
    table reads the window's hours (a look-back join also the hour before), never more."""
    import duckdb

    first, end = "2026/06/01/00", "2026/06/02/00"  # 24 hours
    values = [first if "first hour" in p else end if "hour after" in p else "x" for p in query.parameters]
    tree = sqlglot.parse_one(query.sql, dialect="trino")
    placeholders = list(tree.find_all(exp.Placeholder, bfs=False))  # in the order of the text
    assert len(placeholders) == len(query.parameters)
    bounds: dict[str, list[str]] = {}
    for comparison in tree.find_all(exp.GTE, exp.LT, exp.GT, exp.LTE, exp.EQ):
        columns = [c for c in comparison.find_all(exp.Column) if c.name == PARTITION]
        if not columns:
            continue
        text = comparison.sql(dialect="trino")
        for placeholder in comparison.find_all(exp.Placeholder, bfs=False):
            index = next(i for i, p in enumerate(placeholders) if p is placeholder)  # equal nodes: by identity
            text = text.replace("?", f"'{values[index]}'", 1)
        bounds.setdefault(columns[0].table, []).append(re.sub(r"\b\w+\.dt\b", "dt", text))
    assert bounds, "no condition on dt"
    db = duckdb.connect()
    db.execute("CREATE TABLE hours AS SELECT strftime(h, '%Y/%m/%d/%H') AS dt FROM "
               "generate_series(TIMESTAMP '2026-01-01', TIMESTAMP '2026-12-31 23:00', INTERVAL 1 HOUR) t(h)")  # fmt: skip
    for table, conditions in bounds.items():
        where = " AND ".join(sqlglot.transpile(b, read="trino", write="duckdb")[0] for b in conditions)
        admitted = db.execute(f"SELECT count(*), min(dt), max(dt) FROM hours WHERE {where}").fetchone()
        expected = (25, "2026/05/31/23", "2026/06/01/23") if table == "failure" else (24, first, "2026/06/01/23")
        assert admitted == expected, (query.name, table, where)
