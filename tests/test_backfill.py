"""ops/backfill.py and ops/auth0_api.py end to end, offline: a local fake of Auth0's logs API
(tests/fake_auth0.py) and a local S3 (moto), the objects then read back as Athena reads them."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modules.contract.naming import event_hour
from modules.contract.validation import parse_config
from ops.auth0_api import Auth0Api, Auth0Unavailable
from ops.backfill import Window, backfill, envelope, window_of
from ops.common import OperatorError
from tests.conftest import ROOT, aws_environment
from tests.fake_auth0 import FakeAuth0
from tests.helpers import OPERATOR_CONFIG, OPERATOR_SOURCE

SOURCE = OPERATOR_SOURCE
CONFIG = OPERATOR_CONFIG
ENV = parse_config(CONFIG, "backfill.toml").environment("dev")
BUCKET = ENV.names.archive_bucket
START = datetime(2026, 11, 24, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def auth0_logs(count: int = 250, first: datetime = START) -> list[dict[str, Any]]:
    """Logs every 17 minutes from ``first``; log ids follow the dates, with neighbours swapped now and then
    (Auth0 orders checkpoint pages by log_id, not by date)."""
    logs = []
    for n in range(count):
        moment = first + timedelta(minutes=17 * n + (3 if n % 10 == 5 else 0))
        logs.append({"log_id": f"900{n:053d}", "date": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                     "type": ("s", "f", "fp", "sapi")[n % 4], "description": "event", "ip": f"198.51.100.{n % 7}",
                     "user_id": f"auth0|{n % 13}", "client_id": "app"})  # fmt: skip
        if n % 10 == 6:
            logs[-1]["date"], logs[-2]["date"] = logs[-2]["date"], logs[-1]["date"]
    return logs


def api(fake: FakeAuth0, out: Any = lambda _: None, secret: str = "secret") -> Auth0Api:
    return Auth0Api(fake.url, "acme.auth0.com", {"client_id": "id", "client_secret": secret},
                    sleep=lambda _: None, out=out)  # fmt: skip


def archived(s3: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every event in the archive with its object key, read as Athena reads gzip NDJSON."""
    events = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="logs/"):
        for item in page.get("Contents", []):
            body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()).decode()
            events += [(item["Key"], json.loads(line)) for line in body.splitlines() if line]
    return events


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        clients = {s: boto3.client(s, region_name="us-east-1") for s in ("s3", "sts", "events")}
        clients["s3"].create_bucket(Bucket=BUCKET)
        yield clients


def run(aws: Any, fake: FakeAuth0, window: Window, **kwargs: Any) -> tuple[Any, list[str]]:
    said: list[str] = []
    kwargs.setdefault("gap_wait_seconds", 0)
    tally = backfill(ENV, aws.__getitem__, api(fake, said.append), window, out=said.append, **kwargs)
    return tally, said


def test_backfill_writes_every_log_once_as_the_stream_would(aws: Any) -> None:
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.rate_limit_once = True
        tally, said = run(aws, fake, window_of("2026-11-24", "2026-11-27", NOW))
    assert fake.pages_served >= 3  # several checkpoint pages, following the Link header
    found = archived(aws["s3"])
    assert sorted(e["detail"]["log_id"] for _, e in found) == sorted(log["log_id"] for log in logs)
    for key, event in found:
        log = next(log for log in logs if log["log_id"] == event["detail"]["log_id"])
        # The envelope of an Auth0 stream event (see ../shared/auth0-events): the log under detail.data.
        assert event == {
            "version": "0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"auth0-log:{log['log_id']}")),  # stable across re-runs
            "detail-type": "Auth0 log",
            "source": SOURCE,
            "account": ENV.aws_account_id,
            "time": log["date"],
            "region": ENV.aws_region,
            "resources": [],
            "detail": {"log_id": log["log_id"], "data": log},
        }
        assert event["detail-type"] == "Auth0 log" and event["source"] == SOURCE
        # Filed under the hour the event happened, in an object whose name says it was backfilled.
        assert key.startswith(f"logs/{event_hour(log['date'])}/backfill-")
    assert sum(tally.written.values()) == len(logs)
    assert said[-4:-1] == [
        "2026-11-24: Auth0 85, archived 0, missing 85, written 85",
        "2026-11-25: Auth0 85, archived 0, missing 85, written 85",
        "2026-11-26: Auth0 80, archived 0, missing 80, written 80",
    ]
    assert said[-1].startswith("written 250, already archived 0, given twice by Auth0 0, outside the window 0")
    assert any("Auth0 rate limit reached: waiting" in line for line in said)  # a wait says what it waits for


def test_a_second_run_adds_nothing(aws: Any) -> None:
    with FakeAuth0(auth0_logs()) as fake:
        window = window_of("2026-11-24", "2026-11-27", NOW)
        run(aws, fake, window)
        objects = aws["s3"].list_objects_v2(Bucket=BUCKET)["KeyCount"]
        tally, said = run(aws, fake, window)
    assert sum(tally.written.values()) == 0
    assert said[-2] == "2026-11-26: Auth0 80, archived 80, missing 0, written 0"
    assert aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="logs/")["KeyCount"] <= objects


def test_an_interrupted_run_resumes_from_its_checkpoint(aws: Any) -> None:
    logs = auth0_logs()
    window = window_of("2026-11-24", "2026-11-27", NOW)
    with FakeAuth0(logs) as fake:
        fake.fail_after_pages = 1
        with pytest.raises(Auth0Unavailable, match="Auth0 answered 500"):
            run(aws, fake, window)
        partial = len(archived(aws["s3"]))
        assert 0 < partial < len(logs)
        fake.fail_after_pages = None
        _, said = run(aws, fake, window)
    assert any(line.startswith("resuming ") and " shards of this job" in line for line in said)
    ids = Counter(e["detail"]["log_id"] for _, e in archived(aws["s3"]))
    assert set(ids) == {log["log_id"] for log in logs}
    assert set(ids.values()) == {1}  # each event once


def test_the_gap_check_counts_then_backfill_writes_exactly_the_missing(aws: Any) -> None:
    logs = auth0_logs()
    # The stream delivered half of 25 November: one object per hour, as Firehose writes them.
    delivered = [log for log in logs if log["date"].startswith("2026-11-25") and int(log["log_id"]) % 2]
    by_hour: dict[str, list[dict]] = {}
    for log in delivered:
        by_hour.setdefault(event_hour(log["date"]), []).append(envelope(log, ENV, SOURCE) | {"id": "from-stream"})
    for hour, events in by_hour.items():
        body = "".join(json.dumps(e) + "\n" for e in events).encode()
        aws["s3"].put_object(Bucket=BUCKET, Key=f"logs/{hour}/auth0-log-archive-dev-1-x.gz", Body=gzip.compress(body))
    window = window_of("2026-11-24T00:00", "2026-11-27", NOW)
    with FakeAuth0(logs) as fake:
        _, said = run(aws, fake, window, dry_run=True)
        assert said[-4:-1] == [
            "2026-11-24: Auth0 85, archived 0, missing 85",
            f"2026-11-25: Auth0 85, archived {len(delivered)}, missing {85 - len(delivered)}",
            "2026-11-26: Auth0 80, archived 0, missing 80",
        ]
        assert not [k for k, _ in archived(aws["s3"]) if "backfill" in k]  # a dry run writes nothing
        tally, _ = run(aws, fake, window)
    assert tally.written["2026-11-25"] == 85 - len(delivered)
    ids = Counter(e["detail"]["log_id"] for _, e in archived(aws["s3"]))
    assert set(ids) == {log["log_id"] for log in logs} and set(ids.values()) == {1}


def test_a_window_older_than_auth0_holds_is_warned_about(aws: Any) -> None:
    with FakeAuth0(auth0_logs(20)) as fake:
        _, said = run(aws, fake, window_of("2026-11-01", "2026-11-25", NOW), dry_run=True)
    assert said[0].startswith("warning: Auth0 holds logs from 2026-11-24T00:00:00.000Z on; those between 2026-11-01")


def test_credentials_for_another_account_write_nothing(aws: Any) -> None:
    other = parse_config(CONFIG.replace("123456789012", "999999999999"), "other.toml").environment("dev")
    with FakeAuth0(auth0_logs(5)) as fake, pytest.raises(OperatorError, match="are for account 123456789012"):
        backfill(other, aws.__getitem__, api(fake), window_of(None, None, NOW), out=lambda _: None)
    assert aws["s3"].list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            "90020261124000000000000000000000000000000000000000000001",
            Window(None, "90020261124000000000000000000000000000000000000000000001", NOW, end_given=False),
        ),
        ("2026-11-20", Window(datetime(2026, 11, 20, tzinfo=UTC), None, NOW, end_given=False)),
    ],
)
def test_from_is_a_date_or_a_log_id(start: str, expected: Window) -> None:
    assert window_of(start, None, NOW) == expected


def test_make_backfill_as_users_run_it(moto_server: str, tmp_path: Any) -> None:
    """python -m ops backfill with AUTH0_BASE_URL at the fake and AWS_ENDPOINT_URL at moto's server."""
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    (tmp_path / "c.toml").write_text(CONFIG)
    with FakeAuth0(auth0_logs(30)) as fake:
        environ = {**os.environ, **aws_environment(moto_server), "AUTH0_ARCHIVE_CONFIG": str(tmp_path / "c.toml"),
                   "AUTH0_DOMAIN": "acme.auth0.com", "AUTH0_BASE_URL": fake.url, "AUTH0_API_TOKEN": "fake-management-token"}  # fmt: skip
        command = [
            sys.executable,
            "-m",
            "ops",
            "backfill",
            "--env",
            "dev",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-25",
        ]
        result = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "2026-11-24: Auth0 30, archived 0, missing 30, written 30\n" in result.stdout
    assert sum(1 for _ in s3.list_objects_v2(Bucket=BUCKET, Prefix="logs/")["Contents"]) >= 1


def test_make_backfill_without_auth0_credentials_says_what_it_needs(tmp_path: Any) -> None:
    (tmp_path / "c.toml").write_text(CONFIG)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTH0_")}
    environ["AUTH0_ARCHIVE_CONFIG"] = str(tmp_path / "c.toml")
    result = subprocess.run([sys.executable, "-m", "ops", "backfill", "--env", "dev"], cwd=ROOT, env=environ,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("error: backfill reads Auth0's Management API: set AUTH0_DOMAIN")
    assert "Traceback" not in result.stderr


# --- an on-call engineer's backfill: resumes, never calls a gap success, survives bad answers ----------


def checkpoints(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="backfill/").get("Contents", [])]


def each_once(s3: Any, logs: list[dict[str, Any]], start: datetime = START, end: datetime = NOW) -> None:
    ids = Counter(e["detail"]["log_id"] for _, e in archived(s3))
    expected = {
        log["log_id"] for log in logs if start <= datetime.fromisoformat(log["date"].replace("Z", "+00:00")) < end
    }
    assert set(ids) == expected and set(ids.values()) == {1}


@pytest.mark.parametrize("to", ["2026-11-27", None], ids=["with TO", "without TO"])
@pytest.mark.parametrize("killed_after_pages", [1, 2])
def test_a_run_killed_and_run_again_archives_every_event_once(
    aws: Any, to: str | None, killed_after_pages: int
) -> None:
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.fail_after_pages = killed_after_pages
        with pytest.raises(Auth0Unavailable):
            run(aws, fake, window_of("2026-11-24", to, NOW))
        assert len(checkpoints(aws["s3"])) == 1
        fake.fail_after_pages = None
        # Run again later: without TO, "now" has moved on, and the job still resumes its own window.
        said: list[str] = []
        backfill(ENV, aws.__getitem__, api(fake, said.append), window_of("2026-11-24", to, NOW + timedelta(hours=5)),
                 out=said.append, gap_wait_seconds=0)  # fmt: skip
    assert any(line.startswith("resuming ") and " shards of this job" in line for line in said)
    each_once(aws["s3"], logs)
    assert checkpoints(aws["s3"]) == []  # no orphan left behind


def test_other_unfinished_jobs_are_named(aws: Any) -> None:
    with FakeAuth0(auth0_logs()) as fake:
        fake.fail_after_pages = 1
        with pytest.raises(Auth0Unavailable):
            run(aws, fake, window_of("2026-11-25", None, NOW))
        fake.fail_after_pages = None
        _, said = run(aws, fake, window_of("2026-11-24", "2026-11-25", NOW))
    assert any(line.startswith("note: an unfinished backfill from 2026-11-25T00:00:00+00:00 to 2026-11-27T12:00")
               for line in said)  # fmt: skip


def test_a_read_that_stops_early_is_a_gap_not_a_success(aws: Any) -> None:
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.lag_after = logs[120]["log_id"]  # the log store lags: later logs exist, pages stop here
        with pytest.raises(OperatorError, match=r"a gap from 2026-11-25T\S+ to 2026-11-27T12:00:00Z") as gap:
            run(aws, fake, window_of("2026-11-24", None, NOW))
        assert gap.value.status == 1
        assert len(checkpoints(aws["s3"])) == 1  # intact: the next run resumes
        fake.lag_after = None
        run(aws, fake, window_of("2026-11-24", None, NOW))
    each_once(aws["s3"], logs)


def test_an_empty_page_that_recovers_is_asked_again(aws: Any) -> None:
    logs = auth0_logs()
    waits: list[float] = []
    with FakeAuth0(logs) as fake:
        fake.lag_after = logs[60]["log_id"]

        def wait(seconds: float) -> None:  # the store catches up while we wait
            waits.append(seconds)
            fake.lag_after = None

        said: list[str] = []
        backfill(ENV, aws.__getitem__, api(fake, said.append), window_of("2026-11-24", None, NOW),
                 out=said.append, gap_wait_seconds=7, sleep=wait)  # fmt: skip
    assert waits == [7]
    assert any("but holds later logs: asking again shortly (1 of 3)" in line for line in said)
    each_once(aws["s3"], logs)


def test_a_quiet_tenant_is_caught_up_not_a_gap(aws: Any) -> None:
    logs = auth0_logs(40)  # the last log is a day before the end of the window
    with FakeAuth0(logs) as fake:
        tally, _ = run(aws, fake, window_of("2026-11-24", None, NOW))
    assert sum(tally.written.values()) == 40


def test_an_answer_cut_short_is_asked_again(aws: Any) -> None:
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.not_json_once = True
        _, said = run(aws, fake, window_of("2026-11-24", None, NOW))
    assert any("that are not JSON" in line and "asking again" in line for line in said)
    each_once(aws["s3"], logs)


def test_unreadable_archive_objects_are_reported_and_their_events_written_again(aws: Any) -> None:
    logs = auth0_logs(30)
    hour = event_hour(logs[0]["date"])
    aws["s3"].put_object(Bucket=BUCKET, Key=f"logs/{hour}/not-gzip.gz", Body=b"plain text")
    cut = json.dumps(envelope(logs[1], ENV, SOURCE))[:40]
    aws["s3"].put_object(Bucket=BUCKET, Key=f"logs/{hour}/cut.gz", Body=gzip.compress(cut.encode()))
    with FakeAuth0(logs) as fake:
        _, said = run(aws, fake, window_of("2026-11-24", None, NOW))
    assert any("not-gzip.gz is not a readable gzip object" in line for line in said)
    assert any("cut.gz has 1 line(s) no JSON reader can read" in line for line in said)
    ids = Counter(e["detail"]["log_id"] for k, e in archived_readable(aws["s3"]))
    assert set(ids) == {log["log_id"] for log in logs} and set(ids.values()) == {1}


def archived_readable(s3: Any) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="logs/")["Contents"]:
        if "backfill-" in item["Key"]:
            body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()).decode()
            found += [(item["Key"], json.loads(line)) for line in body.splitlines() if line]
    return found


def test_ids_out_of_date_order_at_from_and_repeated_ids(aws: Any) -> None:
    """Auth0's log ids are not quite in date order: a log dated after FROM can have a smaller id than the first
    log at FROM. And Auth0 may give a log twice."""
    logs = auth0_logs(60)
    start = datetime.fromisoformat(logs[30]["date"].replace("Z", "+00:00"))
    # A log dated just after FROM whose id sorts before the first log at FROM.
    logs[29]["date"], logs[30]["date"] = (
        logs[30]["date"],
        (start + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    with FakeAuth0([*logs, dict(logs[40])]) as fake:
        tally, said = run(aws, fake, window_of(start.isoformat(), None, NOW))
    each_once(aws["s3"], logs, start=start)
    assert tally.duplicates == 1 and "given twice by Auth0 1" in said[-1]
    assert any(line.startswith("  page ") and "logs read (" in line and "requests/s), " in line for line in said)


@pytest.mark.parametrize(
    ("refuse", "secret", "message"),
    [
        (
            None,
            "wrong",
            "Auth0 refused the client credentials (401: Unauthorized): check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET",
        ),
        ("invalid", "secret", "Auth0 did not accept the token from AUTH0_CLIENT_ID (401: Invalid token)"),
        ("without_scope", "secret", "the token lacks a scope; it needs read:logs"),
    ],
)
def test_a_refusal_says_which_credential_is_wrong(aws: Any, refuse: str | None, secret: str, message: str) -> None:
    with FakeAuth0(auth0_logs(5)) as fake:
        fake.refuse = refuse
        with pytest.raises(OperatorError, match=re.escape(message)):
            backfill(ENV, aws.__getitem__, api(fake, secret=secret), window_of(None, None, NOW),
                     out=lambda _: None)  # fmt: skip


def test_an_expired_token_is_renewed_with_client_credentials_and_named_for_a_static_one(aws: Any) -> None:
    with FakeAuth0(auth0_logs(5)) as fake:
        fake.refuse = "expired"
        tally = backfill(ENV, aws.__getitem__, api(fake), window_of(None, None, NOW), out=lambda _: None)
        assert sum(tally.written.values()) == 5
        fake.refuse = "expired"
        static = Auth0Api(fake.url, "acme.auth0.com", {"token": "fake-management-token"}, sleep=lambda _: None,
                          out=lambda _: None)  # fmt: skip
        with pytest.raises(OperatorError, match=r"the Auth0 token has expired .*: set a new AUTH0_API_TOKEN"):
            static.first_log()


@pytest.mark.parametrize("to", ["2026-11-27", None], ids=["with TO", "without TO"])
def test_a_sharded_run_killed_and_run_again_archives_every_event_once(aws: Any, to: str | None) -> None:
    """Four time shards read at once; one of them fails mid-way, the others stop; the next run resumes each."""
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.fail_after_pages = 3
        with pytest.raises(Auth0Unavailable):
            run(aws, fake, window_of("2026-11-24", to, NOW), shards=4)
        state = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=checkpoints(aws["s3"])[0])["Body"].read())
        assert len(state["shards"]) == 4
        fake.fail_after_pages = None
        _, said = run(aws, fake, window_of("2026-11-24", to, NOW + timedelta(hours=3)), shards=2)  # its own 4 shards
    assert any(line.startswith("resuming ") and " of 4 shards of this job" in line for line in said)
    each_once(aws["s3"], logs)
    assert checkpoints(aws["s3"]) == []


def test_shards_follow_the_rate_limit_auth0_states(aws: Any) -> None:
    from ops.backfill import MAX_SHARDS, shard_count

    with FakeAuth0(auth0_logs(50)) as fake:
        fake.rate_limit = 50
        auth0 = api(fake)
        auth0.first_log()
        assert auth0.rate.per_second == 50  # from x-ratelimit-limit
    assert shard_count(50) == MAX_SHARDS and shard_count(2) == 1 and shard_count(10) == 4
    logs = auth0_logs()
    with FakeAuth0(logs) as fake:
        fake.rate_limit = 10
        paced = Auth0Api(fake.url, "acme.auth0.com", {"client_id": "id", "client_secret": "secret"},
                         out=lambda _: None)  # fmt: skip  # real waits: the shards keep to the limit
        backfill(ENV, aws.__getitem__, paced, window_of("2026-11-24", None, NOW), out=lambda _: None)
    each_once(aws["s3"], logs)
    assert fake.limited <= 2  # kept to the limit (a request can straddle the fake's second)
