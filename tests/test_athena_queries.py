"""The view and every named query, run on a real SQL engine (DuckDB; sqlglot transpiles the Trino SQL)
over Firehose-shaped gzip NDJSON objects, against answers computed here independently, in Python.

The objects are filed as Firehose files them: each event under the hour the real jq engine computes
with the stream's own query (naming.EVENT_HOUR_QUERY), copies included (retries, replays, redrives,
backfills), late events and a line no JSON reader can read.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jq
import pytest

from modules.contract.athena_table import (
    CATEGORIES,
    GROUPS,
    NAMED_QUERIES,
    PARTITION,
    TABLE,
    VIEW,
)
from modules.contract.naming import EVENT_HOUR_QUERY
from ops.local_athena import to_duckdb as to_sql

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
FAIL, SUCCESS = set(CATEGORIES["auth.login.fail"]), set(CATEGORIES["auth.login.success"])
EVERY_CODE = sorted({c for codes in (*CATEGORIES.values(), *GROUPS.values()) for c in codes})
SOURCE = "aws.partner/auth0.com/acme-1-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee/auth0.logs"


class Corpus:
    """Events as Auth0 sends them, each with its own log_id, and what the queries should find."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.ids = itertools.count(1)

    def add(self, code: str, ago: timedelta, **data: Any) -> dict[str, Any]:
        moment = NOW - ago
        log_id = f"900{next(self.ids):053d}"
        record = {"date": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "type": code, "log_id": log_id,
                  "description": f"{code} event", "ip": "203.0.113.1", "user_id": None, "user_name": None,
                  "client_id": "app-1", "client_name": "Portal", "connection": "Username-Password-Authentication",
                  **data}  # fmt: skip
        event = {"version": "0", "id": f"e-{log_id}", "detail-type": "Auth0 log", "source": SOURCE,
                 "account": "111111111111", "time": record["date"][:19] + "Z", "region": "eu-west-1",
                 "resources": [], "detail": {"log_id": log_id, "data": record}}  # fmt: skip
        self.events.append(event)
        return event

    @staticmethod
    def when(event: dict[str, Any]) -> datetime:
        """Auth0's date, else EventBridge's time (the corpus's dates are all well formed or absent)."""
        moment = event["detail"]["data"].get("date") or event["time"]
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).replace(microsecond=0) + timedelta(
            milliseconds=int(moment[20:23]) if moment[19:20] == "." else 0
        )

    def within(self, hours: int, codes: set[str] | None = None) -> list[dict[str, Any]]:
        """The events of the window a query is given: the hour ``hours`` ago to the current hour, whole."""
        first = hour_of(NOW - timedelta(hours=hours))
        return [e for e in self.events if first <= self.when(e) < hour_of(NOW) + timedelta(hours=1)
                and (codes is None or e["detail"]["data"]["type"] in codes)]  # fmt: skip


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def window(hours: int) -> tuple[str, str]:
    """The execution parameters of the window: the first hour and the hour after the last, as dt spells them."""
    return f"{hour_of(NOW - timedelta(hours=hours)):%Y/%m/%d/%H}", f"{hour_of(NOW) + timedelta(hours=1):%Y/%m/%d/%H}"


def build_corpus() -> Corpus:
    rng = random.Random(7)
    corpus = Corpus()
    users = [("auth0|1", "ana@example.com"), ("auth0|2", "bo@example.com"), ("auth0|3", "cy@example.com")]
    for code in EVERY_CODE:  # every category and group, at times spread over 40 days
        for _ in range(3):
            user_id, user_name = rng.choice(users)
            corpus.add(code, timedelta(minutes=rng.randrange(1, 40 * 24 * 60)), user_id=user_id, user_name=user_name,
                       ip=f"198.51.100.{rng.randrange(1, 6)}", client_name=rng.choice(["Portal", "Mobile"]))  # fmt: skip
    # Edges of a 24-hour window: the first minute of its first hour, the last minute before it.
    first = hour_of(NOW - timedelta(hours=24))
    for moment, ip in ((first + timedelta(minutes=1), "192.0.2.10"), (first - timedelta(minutes=1), "192.0.2.11")):
        corpus.add("fp", NOW - moment, ip=ip, user_name="edge@example.com")
    # Events without an Auth0 date are read at EventBridge's time (and their copies collapse, the same hour).
    for n in range(3):
        event = corpus.add("fp", timedelta(hours=2, minutes=n), ip="192.0.2.70", user_name=f"nodate{n}@example.com")
        del event["detail"]["data"]["date"]
    # User names as Auth0 compares them: case does not matter, an empty one is no account.
    for name in ("Alice@X.com", "alice@x.com", "ALICE@x.com", "", "  "):
        corpus.add("fu", timedelta(hours=5), ip="192.0.2.80", user_name=name)
    # An envelope without detail.log_id (written by another tool): the record's own log_id identifies it.
    event = corpus.add("fp", timedelta(hours=6), ip="192.0.2.90", user_name="noid@example.com")
    del event["detail"]["log_id"]
    # Every MFA code, once each.
    for n, code in enumerate(sorted(GROUPS["mfa"])):
        corpus.add(code, timedelta(hours=30, minutes=n), user_id="auth0|1", ip="198.51.100.9")
    # A burst and a spray from one IP each, in one 5-minute bucket, then a success from the sprayer.
    base = timedelta(hours=3, minutes=7)
    for n in range(12):
        corpus.add("fp", base - timedelta(seconds=n), ip="192.0.2.50", user_name="ana@example.com")
        corpus.add("fu", base - timedelta(seconds=n), ip="192.0.2.60", user_name=f"guess{n}@example.com")
    corpus.add("s", base - timedelta(minutes=30), ip="192.0.2.60", user_id="auth0|9", user_name="guess3@example.com")
    corpus.add("s", base - timedelta(minutes=10), ip="192.0.2.51", user_id="auth0|1", user_name="Ana@Example.com")
    # Management API operations with who acted.
    for n, (method, path) in enumerate([("PATCH", "/api/v2/users/auth0|1"), ("DELETE", "/api/v2/clients/x")] * 2):
        details = {"request": {"method": method, "path": path, "auth": {"strategy": "jwt", "user": {"user_id": f"admin|{n % 2}"}}},
                   "response": {"statusCode": 200}}  # fmt: skip
        corpus.add("sapi" if n < 3 else "fapi", timedelta(days=n + 1), details=json.dumps(details), client_id="mgmt")
    # details.request.auth.user is an object in most records, a plain string in some (both occur).
    details = {"request": {"method": "POST", "path": "/api/v2/roles", "auth": {"strategy": "jwt", "user": "admin|9"}}}
    corpus.add("sapi", timedelta(days=2, hours=3), details=json.dumps(details), client_id="mgmt")
    return corpus


def file_as_firehose(corpus: Corpus, root: Path) -> None:
    """Objects under logs/<the hour the JQ query gives>/: each event once, some twice (a retry, a replay,
    a redrive or a backfill delivers a copy later, with another EventBridge id), and one bad line."""
    hour_of = jq.compile(EVENT_HOUR_QUERY)
    objects: dict[str, list[str]] = defaultdict(list)
    for n, event in enumerate(corpus.events):
        hour = hour_of.input_value(event).first()["dt"]
        objects[f"{hour}/stream-{n // 40}.gz"].append(json.dumps(event))
        if n % 9 == 0:  # a second copy, delivered later, in another object of the same hour
            objects[f"{hour}/late-{n}.gz"].append(json.dumps({**event, "id": f"copy-{n}", "time": NOW.isoformat()}))
    first = sorted(objects)[-1]
    objects[first].append('{"version": "0", "id": "broken", "detail": {')  # a truncated line
    for name, lines in objects.items():
        path = root / "logs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Corpus]:
    """make query's engine (ops/local_athena.py: the table as Athena reads it, the view) over the corpus."""
    from ops.local_athena import connect

    root = tmp_path_factory.mktemp("archive")
    corpus = build_corpus()
    file_as_firehose(corpus, root)
    return connect(root), corpus


def run(engine: Any, name: str, *parameters: str) -> list[tuple]:
    db, _ = engine
    query = next(q for q in NAMED_QUERIES if q.name == name)
    assert len(parameters) == len(query.parameters)
    return [tuple(normal(v) for v in row) for row in db.execute(to_sql(query.sql), list(parameters)).fetchall()]


def normal(value: Any) -> Any:
    if isinstance(value, datetime):  # the view's event_time is a UTC timestamp without a zone
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return value


def at(event: dict[str, Any]) -> str:
    return normal(Corpus.when(event))


def d(event: dict[str, Any], field: str) -> Any:
    return event["detail"]["data"].get(field)


# --- the view -----------------------------------------------------------------------------------------


def test_the_view_has_every_event_once_with_its_time(engine: Any) -> None:
    db, corpus = engine
    rows = db.execute(f"SELECT log_id, event_time, type FROM {VIEW}").fetchall()
    assert sorted(r[0] for r in rows) == sorted(e["detail"]["data"]["log_id"] for e in corpus.events)
    raw = db.execute(f"SELECT count(*) FROM {TABLE} WHERE detail IS NOT NULL").fetchone()[0]
    assert raw > len(corpus.events)  # the copies are in the objects; the view reads each event once
    times = {r[0]: normal(r[1]) for r in rows}
    assert all(times[e["detail"]["data"]["log_id"]] == at(e) for e in corpus.events)


def test_a_window_by_event_time_finds_late_and_copied_events_once(engine: Any) -> None:
    db, corpus = engine
    start, end = NOW - timedelta(hours=30), NOW - timedelta(hours=2)
    sql = to_sql(f"""SELECT log_id FROM {VIEW}
        WHERE {PARTITION} BETWEEN '{start:%Y/%m/%d/%H}' AND '{end:%Y/%m/%d/%H}'
          AND event_time >= from_iso8601_timestamp('{start.isoformat()}')
          AND event_time < from_iso8601_timestamp('{end.isoformat()}')""")
    found = [r[0] for r in db.execute(sql).fetchall()]
    expected = [e["detail"]["data"]["log_id"] for e in corpus.events if start <= Corpus.when(e) < end]
    assert sorted(found) == sorted(expected) and len(found) == len(set(found))


# --- every named query ------------------------------------------------------------------------------------


def expect_failed_logins_by_ip(corpus: Corpus) -> list[tuple]:
    by_ip: dict[str, list] = defaultdict(list)
    for e in corpus.within(24, FAIL):
        by_ip[d(e, "ip")].append(e)
    rows = [(ip, len(es), len({d(e, "user_name").strip().lower() for e in es if (d(e, "user_name") or "").strip()}),
             min(at(e) for e in es), max(at(e) for e in es)) for ip, es in by_ip.items()]  # fmt: skip
    return sorted(rows, key=lambda r: (-r[1], r[0]))[:100]


def expect_logins_per_day(corpus: Corpus) -> list[tuple]:
    groups: dict[tuple, list] = defaultdict(list)
    for e in corpus.within(720, SUCCESS):
        groups[(at(e)[:10], d(e, "client_name"), d(e, "connection"))].append(e)
    rows = [(*k, len(es), len({d(e, "user_id") for e in es if d(e, "user_id")})) for k, es in groups.items()]
    return sorted(rows, key=lambda r: (r[0], -r[3], r[1], r[2]), reverse=False)


def rows_of(corpus: Corpus, hours: int, codes: set[str], fields: tuple[str, ...], newest_first: bool = False) -> list:
    events = sorted(corpus.within(hours, codes), key=lambda e: (Corpus.when(e), e["detail"]["data"]["log_id"]))
    if newest_first:
        events = sorted(events, key=lambda e: (-Corpus.when(e).timestamp(), e["detail"]["data"]["log_id"]))
    return [tuple(at(e) if f == "event_time" else d(e, f) for f in fields) for e in events]


def group(*names: str) -> set[str]:
    return {c for n in names for c in {**CATEGORIES, **GROUPS}[n]}


def expect_management(corpus: Corpus) -> list[tuple]:
    groups: dict[tuple, list] = defaultdict(list)
    for e in corpus.within(720, group("management.success", "management.fail")):
        details = json.loads(d(e, "details") or "{}").get("request", {})
        user = details.get("auth", {}).get("user")
        key = (user.get("user_id") if isinstance(user, dict) else user, details.get("auth", {}).get("strategy"),
               d(e, "client_id"), d(e, "type"), details.get("method"), details.get("path"))  # fmt: skip
        groups[key].append(e)
    rows = [(*k, len(es), max(at(e) for e in es)) for k, es in groups.items()]
    return sorted(rows, key=lambda r: (-r[6], *last(r[5]), r[3], r[2], *last(r[0]), *last(r[4])))


def last(value: Any) -> tuple:
    """Sorts as SQL's NULLS LAST does."""
    return (value is None, value or "")


def expect_after_failures(corpus: Corpus, key: Callable[[dict], Any], by_user: bool) -> list[tuple]:
    rows = []
    for s in corpus.within(7 * 24, SUCCESS):
        if key(s) is None:
            continue
        before = [f for f in corpus.events if d(f, "type") in FAIL and key(f) == key(s)
                  and Corpus.when(s) - timedelta(hours=1) <= Corpus.when(f) <= Corpus.when(s)]  # fmt: skip
        if len(before) >= 5:
            rows.append(
                (key(s), d(s, "ip"), at(s), len(before)) if by_user else (key(s), d(s, "user_id"), at(s), len(before))
            )
    return sorted(rows, key=lambda r: (r[2], r[0]))


def expect_spraying(corpus: Corpus) -> list[tuple]:
    buckets: dict[tuple, list] = defaultdict(list)
    for e in corpus.within(24, FAIL):
        second = int(Corpus.when(e).timestamp())
        buckets[(d(e, "ip"), normal(datetime.fromtimestamp(second // 300 * 300, UTC)))].append(e)
    rows = [(ip, b, len(es), len({d(e, "user_name").strip().lower() for e in es if (d(e, "user_name") or "").strip()}))
            for (ip, b), es in buckets.items()]  # fmt: skip
    return sorted([r for r in rows if r[2] >= 10 or r[3] >= 10], key=lambda r: (r[1], r[0]))


CASES: dict[str, tuple[tuple[str, ...], Callable[[Corpus], list[tuple]]]] = {
    "failed-logins-by-ip": (window(24), expect_failed_logins_by_ip),
    "logins-per-application-and-connection-per-day": (window(720), lambda c: sorted(
        expect_logins_per_day(c), key=lambda r: (tuple(-ord(ch) for ch in r[0]), -r[3], r[1], r[2]))),
    "blocks-and-breached-passwords": (window(720), lambda c: rows_of(c, 720, group("blocks", "breached_passwords"), (
        "event_time", "type", "description", "ip", "user_name", "user_id"), newest_first=True)),
    "management-api-by-actor": (window(720), expect_management),
    "events-of-one-user": ((*window(720), "auth0|2"), lambda c: [
        r[:-1] for r in rows_of(c, 720, None, ("event_time", "type", "description", "ip", "client_name", "user_agent", "user_id"))
        if r[-1] == "auth0|2"]),
    "events-of-one-user-name": ((*window(720), " BO@example.com"), lambda c: [
        r[:-1] for r in rows_of(c, 720, None, ("event_time", "type", "description", "ip", "user_id", "user_name"))
        if (r[-1] or "").strip().lower() == "bo@example.com"]),
    "events-of-one-ip": ((*window(720), "198.51.100.3"), lambda c: [
        r[:-1] for r in rows_of(c, 720, None, ("event_time", "type", "description", "user_name", "user_id", "client_name", "ip"))
        if r[-1] == "198.51.100.3"]),
    "login-after-failures-by-ip": (window(168) * 2, lambda c: expect_after_failures(c, lambda e: d(e, "ip"), by_user=False)),
    "login-after-failures-by-user": (window(168) * 2, lambda c: expect_after_failures(
        c, lambda e: (d(e, "user_name") or "").strip().lower() or None, by_user=True)),
    "password-spraying-and-bursts": (window(24), expect_spraying),
    "mfa-events": (window(168), lambda c: rows_of(c, 168, group("mfa"), ("event_time", "type", "description", "user_id", "ip"))),
    "password-and-email-changes": (window(720), lambda c: rows_of(c, 720, group("password_and_email_changes"), (
        "event_time", "type", "description", "user_id", "user_name", "ip"))),
    "refresh-token-reuse": (window(720), lambda c: rows_of(c, 720, group("refresh_token_reuse"), (
        "event_time", "user_id", "client_name", "ip", "description"))),
    "unblocks": (window(720), lambda c: rows_of(c, 720, group("unblocks"), ("event_time", "user_id", "user_name", "ip", "description"))),
}  # fmt: skip


def test_every_named_query_is_checked() -> None:
    assert set(CASES) | {"unparseable-lines"} == {q.name for q in NAMED_QUERIES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_query_returns_exactly_the_expected_rows(engine: Any, name: str) -> None:
    parameters, expect = CASES[name]
    _, corpus = engine
    expected = expect(corpus)
    assert expected, f"{name}: the corpus should give it something to find"
    assert run(engine, name, *parameters) == expected


def test_the_scenarios_are_found(engine: Any) -> None:
    assert run(engine, "login-after-failures-by-ip", *window(168) * 2)[0][:2] == ("192.0.2.60", "auth0|9")
    spraying = {r[0]: r for r in run(engine, "password-spraying-and-bursts", *window(24))}
    assert spraying["192.0.2.60"][3] == 12 and spraying["192.0.2.50"][2] == 12  # spray: names; burst: failures
    failed = {r[0]: r for r in run(engine, "failed-logins-by-ip", *window(24))}
    assert "192.0.2.10" in failed and "192.0.2.11" not in failed  # the window's hours, exactly
    assert failed["192.0.2.80"][1:3] == (5, 1)  # five failures, one account: Alice in any case; no empty name
    assert failed["192.0.2.70"][1] == 3  # events without an Auth0 date, read at EventBridge's time


def test_every_mfa_code_is_found(engine: Any) -> None:
    found = {r[1] for r in run(engine, "mfa-events", *window(168))}
    assert found == set(GROUPS["mfa"])


def test_both_shapes_of_the_acting_user_are_read(engine: Any) -> None:
    actors = {r[0] for r in run(engine, "management-api-by-actor", *window(720))}
    assert {"admin|0", "admin|1", "admin|9"} <= actors


def test_unparseable_lines_are_found(engine: Any) -> None:
    rows = run(engine, "unparseable-lines", *window(24 * 40))
    assert len(rows) == 1 and rows[0][2] == 1


def test_the_documented_execution_parameters_run_as_athena_substitutes_them(engine: Any) -> None:
    """docs/querying.md's start-query-execution call: its --execution-parameters are SQL literals that Athena
    puts in place of each ?, in order. Substituted so into events-of-one-user, the query runs, and gives what
    the same values as bound parameters give."""
    import shlex

    from tests.conftest import ROOT

    text = (ROOT / "docs" / "querying.md").read_text()
    block = text.split("<!-- execution parameters example -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    words = shlex.split(block.replace("\\\n", " "))
    literals = words[words.index("--execution-parameters") + 1 :]
    assert literals == ["'2026/11/20/00'", "'2026/11/21/00'", "'auth0|123'"]
    query = next(q for q in NAMED_QUERIES if q.name == "events-of-one-user")
    assert len(literals) == len(query.parameters)
    sql = query.sql
    for literal in literals:
        sql = sql.replace("?", literal, 1)
    db, _ = engine
    substituted = db.execute(to_sql(sql)).fetchall()
    values = [literal.strip("'") for literal in literals]
    assert substituted == db.execute(to_sql(query.sql), values).fetchall()
    # And with a window and user the corpus has, the call finds that user's events.
    assert run(engine, "events-of-one-user", *window(720), "auth0|2")
