"""``make query``: a named Athena query run locally, on a folder of archive objects, before paying Athena.

The same table, view and query text the stack gives Athena (modules/contract/athena_table.py), run on
DuckDB with sqlglot turning Athena's Trino SQL into DuckDB's. The folder holds objects in the archive's
layout, ``logs/YYYY/MM/DD/HH/*.gz`` as Firehose writes them (an ``aws s3 cp --recursive`` of a window),
or, without a folder, the sample Auth0 events filed as the stream would file them. Only the objects of
the window's hours are read, as Athena's partition projection reads them. The tests run every named
query on this engine (tests/test_athena_queries.py).

    python -m ops query --name failed-logins-by-ip --from 2026-11-20 --to 2026-11-21 [--dir DIR] [VALUE...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modules.contract.athena_table import (
    DATA_FIELDS,
    END_HOUR,
    FIRST_HOUR,
    NAMED_QUERIES,
    PARTITION,
    TABLE,
    VIEW,
    VIEW_SQL,
    NamedQuery,
)
from modules.contract.naming import LOG_PREFIX, event_hour
from ops.common import OperatorError

SAMPLE_EVENTS = Path(__file__).parent / "sample-events"
DUCK_TYPES = {"string": "VARCHAR", "boolean": "BOOLEAN"}
HOUR = re.compile(r"\d{4}/\d{2}/\d{2}/\d{2}")


def to_duckdb(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="trino", write="duckdb")[0]


def connect(root: Path, hours: tuple[str, str] | None = None) -> Any:
    """DuckDB with the archive's table over ``root/logs/`` (only the hours in [first, end) when given) and the
    deduplicating view. A line no JSON reader can read becomes a row of NULLs, as with Athena's SerDe."""
    import duckdb

    files = sorted(
        str(path)
        for path in (root / LOG_PREFIX).glob("*/*/*/*/*")
        if path.is_file() and (hours is None or hours[0] <= _hour_of(path, root) < hours[1])
    )
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    data = ", ".join(f'"{name}" {DUCK_TYPES[kind]}' for name, kind in DATA_FIELDS)
    columns = {"version": "VARCHAR", "id": "VARCHAR", "detail-type": "VARCHAR", "source": "VARCHAR",
               "account": "VARCHAR", "time": "VARCHAR", "region": "VARCHAR", "resources": "VARCHAR[]",
               "detail": f'STRUCT("log_id" VARCHAR, "data" STRUCT({data}))'}  # fmt: skip
    struct = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    select = f"""SELECT version, id, "detail-type" AS detail_type, source, account, "time", region, resources, detail,
               regexp_extract(filename, '{LOG_PREFIX}([0-9/]{{13}})/', 1) AS {PARTITION}, filename AS "$path" """
    if files:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        db.execute(f"""CREATE VIEW {TABLE} AS {select}
            FROM read_json([{listed}], format = 'newline_delimited', columns = {struct}, filename = true,
                           ignore_errors = true)""")  # fmt: skip
    else:  # no object in the window: an empty table of the same shape
        nulls = ", ".join(f'CAST(NULL AS {kind}) AS "{name.replace("-", "_")}"' for name, kind in columns.items())
        db.execute(f"""CREATE VIEW {TABLE} AS SELECT {nulls}, CAST(NULL AS VARCHAR) AS {PARTITION},
            CAST(NULL AS VARCHAR) AS "$path" WHERE false""")
    db.execute(f"CREATE VIEW {VIEW} AS {to_duckdb(VIEW_SQL)}")
    return db


def _hour_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root / LOG_PREFIX).parts
    return "/".join(parts[:4])


def run(db: Any, query: NamedQuery, parameters: Sequence[str]) -> tuple[list[str], list[tuple]]:
    """The query's columns and rows, with its ? given in order (as Athena's execution parameters give them)."""
    if len(parameters) != len(query.parameters):
        wanted = ", ".join(query.parameters) or "none"
        raise OperatorError(
            f"{query.name} takes {len(query.parameters)} parameters ({wanted}), got {len(parameters)}", 2
        )
    result = db.execute(to_duckdb(query.sql), list(parameters))
    return [c[0] for c in result.description], result.fetchall()


def filed_hour(event: dict[str, Any]) -> str:
    """The hour (dt) a partner event is filed under: its Auth0 date's, else EventBridge's time's."""
    return event_hour(event["detail"]["data"].get("date") or event["time"])


def file_samples(root: Path, events: Sequence[dict[str, Any]]) -> None:
    """Write events as the stream files them: under logs/<the hour>/, gzip, one per line, an object an hour."""
    by_hour: dict[str, list[bytes]] = {}
    for event in events:
        by_hour.setdefault(filed_hour(event), []).append(json.dumps(event).encode() + b"\n")
    for hour, lines in by_hour.items():
        path = root / LOG_PREFIX / hour / "samples.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(b"".join(lines), mtime=0))


def hour_argument(text: str, what: str) -> str:
    """'2026-11-20', '2026-11-20T08' or '2026-11-20T08:00' (UTC), or dt's own '2026/11/20/08'."""
    if HOUR.fullmatch(text):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise OperatorError(f"{what}: expected YYYY-MM-DD[THH[:MM]] (UTC) or YYYY/MM/DD/HH, got {text!r}", 2) from None
    return f"{moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC):%Y/%m/%d/%H}"


def main(argv: Sequence[str], out: Any = print) -> int:
    names = [q.name for q in NAMED_QUERIES]
    parser = argparse.ArgumentParser(prog="python -m ops query", description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, choices=names, metavar="NAME", help=f"one of: {', '.join(names)}")
    parser.add_argument("--from", dest="start", required=True, help="first hour, UTC: YYYY-MM-DD[THH]")
    parser.add_argument("--to", dest="end", help="end, excluded, UTC: YYYY-MM-DD[THH] (default: the next hour)")
    parser.add_argument("--dir", type=Path, help="a folder with logs/YYYY/MM/DD/HH/*.gz (default: the samples)")
    parser.add_argument("values", nargs="*", help="the query's other parameters, in order (a user id, an IP, ...)")
    args = parser.parse_args(list(argv))
    query = next(q for q in NAMED_QUERIES if q.name == args.name)
    first = hour_argument(args.start, "--from")
    now = datetime.now(UTC)
    end = hour_argument(args.end, "--to") if args.end else f"{now + timedelta(hours=1):%Y/%m/%d/%H}"
    if not first < end:
        raise OperatorError(f"--from ({first}) must be before --to ({end})", 2)
    values = iter(args.values)
    parameters = [first if p == FIRST_HOUR else end if p == END_HOUR else next(values, None) for p in query.parameters]
    if None in parameters or next(values, None) is not None:
        own = [p for p in query.parameters if p not in (FIRST_HOUR, END_HOUR)]
        raise OperatorError(f"{query.name} takes {len(own)} value(s) after the options: {', '.join(own) or 'none'}", 2)
    with tempfile.TemporaryDirectory() as samples:
        root = args.dir
        if root is None:
            root = Path(samples)
            file_samples(root, [json.loads(p.read_text()) for p in sorted(SAMPLE_EVENTS.glob("*.json"))])
            out(f"no --dir: the {len(list(SAMPLE_EVENTS.glob('*.json')))} sample events of ops/sample-events/")
        elif not (root / LOG_PREFIX).is_dir():
            raise OperatorError(f"--dir {root}: no {LOG_PREFIX} folder (expected {LOG_PREFIX}YYYY/MM/DD/HH/*.gz)", 2)
        db = connect(root, (first, end))
        columns, rows = run(db, query, parameters)  # type: ignore[arg-type]
    out(f"{query.name}, {first} to {end} (UTC, end excluded): {len(rows)} row(s)")
    out("\t".join(columns))
    for row in rows:
        out("\t".join("" if v is None else str(v) for v in row))
    return 0
