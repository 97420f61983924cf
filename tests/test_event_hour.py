"""Every event lands in exactly one well-formed UTC hour, and the Athena view reads the same hour.

Each row is an Auth0 `date` (or an envelope that has none) with the hour ISO 8601 says it happened in,
in UTC, worked out by hand; or, when the date is not a usable time, EventBridge's `time`. The stream's
own query (naming.EVENT_HOUR_QUERY) runs in jq 1.6, the version Firehose runs, when it is on PATH (the
jq Python package otherwise); the prefix it gives must be an hour of the table's partition projection,
and the view (athena_table.VIEW_SQL, on DuckDB) must give that event the same hour and say which time
it used.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from modules.constructs.delivery_stream import RECORD_PREFIX
from modules.contract.athena_table import PARTITION, PARTITION_FORMAT, TABLE, VIEW, VIEW_SQL, projection
from modules.contract.naming import EVENT_HOUR_QUERY, LOG_PREFIX
from ops.local_athena import to_duckdb

RECEIVED = "2026-01-02T05:00:00Z"  # EventBridge's time, unless a row says otherwise
BY_TIME = "2026/01/02/05"
MISSING = object()

# (what, detail, EventBridge time, the hour, which time the view reports)
CASES: list[tuple[str, Any, str, str, str]] = [
    ("UTC with milliseconds", "2026-01-02T03:04:05.123Z", RECEIVED, "2026/01/02/03", "date"),
    ("UTC without seconds", "2026-01-02T03:04Z", RECEIVED, "2026/01/02/03", "date"),
    # Cut to milliseconds, never rounded into the next hour (DuckDB parses at most microseconds exactly).
    ("microseconds at the end of an hour", "2026-01-02T03:59:59.999999Z", RECEIVED, "2026/01/02/03", "date"),
    ("positive offset: the UTC hour, the day before", "2026-01-02T01:30:00+05:30", RECEIVED, "2026/01/01/20", "date"),
    ("negative offset: the UTC hour, the next day", "2026-01-01T23:30:00-02:00", RECEIVED, "2026/01/02/01", "date"),
    ("offset across a year", "2025-12-31T23:59:59-01:00", "2026-01-01T01:00:00Z", "2026/01/01/00", "date"),
    ("+00:00 is UTC", "2026-01-02T04:10:00+00:00", RECEIVED, "2026/01/02/04", "date"),
    ("a leap day", "2024-02-29T12:00:00Z", "2024-02-29T12:01:00Z", "2024/02/29/12", "date"),
    ("10 minutes ahead of EventBridge: clock skew", "2026-01-02T05:10:00Z", RECEIVED, "2026/01/02/05", "date"),
    ("20 minutes ahead of EventBridge: the future", "2026-01-02T05:20:00Z", RECEIVED, BY_TIME, "time"),
    ("far in the future", "2099-01-01T00:00:00Z", RECEIVED, BY_TIME, "time"),
    ("a number", 1767322800, RECEIVED, BY_TIME, "time"),
    ("a number of milliseconds", 1767322800123, RECEIVED, BY_TIME, "time"),
    ("empty", "", RECEIVED, BY_TIME, "time"),
    ("null", None, RECEIVED, BY_TIME, "time"),
    ("absent", MISSING, RECEIVED, BY_TIME, "time"),
    ("date only", "2026-01-02", RECEIVED, BY_TIME, "time"),
    ("no zone", "2026-01-02T03:04:05", RECEIVED, BY_TIME, "time"),
    ("offset without a colon", "2026-01-02T03:04:05+0200", RECEIVED, BY_TIME, "time"),
    ("offset beyond +14:00", "2026-01-02T03:04:05+15:00", RECEIVED, BY_TIME, "time"),
    ("30 February", "2026-02-30T03:04:05Z", "2026-03-03T00:00:00Z", "2026/03/03/00", "time"),
    ("hour 24", "2026-01-02T24:00:00Z", RECEIVED, BY_TIME, "time"),
    ("minute 60", "2026-01-02T03:60:00Z", RECEIVED, BY_TIME, "time"),
    ("month 13", "2026-13-02T03:04:05Z", RECEIVED, BY_TIME, "time"),
    ("year 0999", "0999-01-02T03:04:05Z", RECEIVED, BY_TIME, "time"),
    ("a fraction without digits", "2026-01-02T03:04:05.Z", RECEIVED, BY_TIME, "time"),
    ("lower-case t and z", "2026-01-02t03:04:05z", RECEIVED, BY_TIME, "time"),
    ("a leading space", " 2026-01-02T03:04:05Z", RECEIVED, BY_TIME, "time"),
    ("full-width digits", "\uff12\uff10\uff12\uff16-01-02T03:04:05Z", RECEIVED, BY_TIME, "time"),
    ("Arabic-Indic digits", "\u0662\u0660\u0662\u0666-01-02T03:04:05Z", RECEIVED, BY_TIME, "time"),
    ("a control character", "2026-01-02T03:04:05\u0000Z", RECEIVED, BY_TIME, "time"),
    ("a list", ["2026-01-02T03:04:05Z"], RECEIVED, BY_TIME, "time"),
]
# Envelopes whose detail is not an Auth0 log: no view row (no log_id), but a hour all the same.
ODD_DETAILS: list[tuple[str, Any]] = [
    ("detail is a string", "2026-01-02T03:04:05Z"),
    ("detail is a list", [{"data": {"date": "2026-01-02T03:04:05Z"}}]),
    ("detail.data is a list", {"data": ["2026-01-02T03:04:05Z"]}),
    ("no detail", MISSING),
]


def envelope(n: int, date: Any, received: str) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "s", "log_id": f"9000{n:04d}"}
    if date is not MISSING:
        data["date"] = date
    return {"version": "0", "id": f"event-{n}", "detail-type": "Auth0 log", "source": "aws.partner/auth0.com/x",
            "time": received, "detail": {"log_id": data["log_id"], "data": data}}  # fmt: skip


def hours(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The query's output for each event, from the jq Firehose runs (1.6) when installed."""
    if shutil.which("jq"):
        return [
            [json.loads(line) for line in subprocess.run(
                ["jq", "-c", EVENT_HOUR_QUERY], input=json.dumps(e), capture_output=True, text=True, check=True
            ).stdout.splitlines()]
            for e in events
        ]  # fmt: skip
    import jq

    program = jq.compile(EVENT_HOUR_QUERY)
    return [program.input_value(e).all() for e in events]


def test_jq_is_firehose_jq_on_this_machine() -> None:
    """The table below is meant to run on jq 1.6, Firehose's; say so when it does not."""
    if not shutil.which("jq"):
        pytest.skip("no jq binary on PATH: the jq Python package ran the query instead")
    version = subprocess.run(["jq", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == "jq-1.6"


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], duckdb.DuckDBPyConnection]:
    events = [envelope(n, date, received) for n, (_, date, received, _, _) in enumerate(CASES)]
    results = hours(events)
    assert all(len(r) == 1 for r in results), results  # exactly one partition key per event
    dts = [r[0]["dt"] for r in results]
    root = tmp_path_factory.mktemp("archive")
    for event, dt in zip(events, dts, strict=True):
        path = root / RECORD_PREFIX.replace("!{partitionKeyFromQuery:dt}", dt) / f"{event['id']}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps(event).encode() + b"\n"))
    return dts, view_over(root)


def view_over(root: Path) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    # The date is read as text whatever its JSON type, as the table's string column reads it.
    db.execute(f"""CREATE VIEW {TABLE} AS
        SELECT id, "time", {{'log_id': detail->>'log_id',
                             'data': {{'type': detail->'data'->>'type', 'date': detail->'data'->>'date',
                                       'log_id': detail->'data'->>'log_id'}}}} AS detail,
               regexp_extract(filename, '{LOG_PREFIX}([0-9/]{{13}})/', 1) AS {PARTITION}
        FROM read_json('{root}/{LOG_PREFIX}*/*/*/*/*.gz', format = 'newline_delimited',
                       columns = {{'id': 'VARCHAR', 'time': 'VARCHAR', 'detail': 'JSON'}}, filename = true)""")
    db.execute(f"CREATE VIEW {VIEW} AS {to_duckdb(VIEW_SQL)}")
    return db


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_each_event_is_filed_under_the_utc_hour_it_happened(filed: Any, index: int) -> None:
    dts, _ = filed
    assert dts[index] == CASES[index][3]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_the_prefix_is_an_hour_of_the_partition_projection(filed: Any, index: int) -> None:
    dts, _ = filed
    parameters = projection("2024/01/01/00")
    assert parameters[f"projection.{PARTITION}.format"] == PARTITION_FORMAT == "yyyy/MM/dd/HH"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\d{2}", dts[index])  # what yyyy/MM/dd/HH reads, nothing else
    hour = datetime.strptime(dts[index], "%Y/%m/%d/%H").replace(tzinfo=UTC)
    start = datetime.strptime(parameters[f"projection.{PARTITION}.range"].split(",")[0], "%Y/%m/%d/%H")
    assert start.replace(tzinfo=UTC) <= hour <= datetime.now(UTC)  # the range is "<start>,NOW"


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_the_view_reads_the_hour_the_event_is_filed_under(filed: Any, index: int) -> None:
    dts, db = filed
    row = db.execute(
        f"SELECT event_time, event_time_source, {PARTITION} FROM {VIEW} WHERE event_id = ?", [f"event-{index}"]
    ).fetchall()
    assert len(row) == 1
    event_time, source, dt = row[0]
    assert event_time.tzinfo is None  # a UTC timestamp, as Glue's Hive type "timestamp" has it
    assert (f"{event_time:%Y/%m/%d/%H}", source, dt) == (CASES[index][3], CASES[index][4], dts[index])


@pytest.mark.parametrize("detail", [d for _, d in ODD_DETAILS], ids=[what for what, _ in ODD_DETAILS])
def test_an_envelope_without_an_auth0_log_is_filed_by_its_eventbridge_time(detail: Any) -> None:
    event = {"version": "0", "id": "odd", "time": RECEIVED}
    if detail is not MISSING:
        event["detail"] = detail
    assert hours([event]) == [[{"dt": BY_TIME}]]


def test_an_envelope_without_any_usable_time_gives_no_partition() -> None:
    """Firehose then files the record under errors/ (the errors-written watch reports it), never logs/////."""
    assert hours([{"time": "yesterday", "detail": {"data": {"date": "soon"}}}])[0] in ([], [{"dt": None}])
