"""ops/recovery.py: make replay (botocore Stubber) and make redrive (moto: SQS → Firehose → S3), offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from modules.contract.settings import Environment
from modules.contract.validation import parse_config
from ops.common import OperatorError
from ops.recovery import parse_moment, redrive, replay, replay_name
from tests.helpers import OPERATOR_CONFIG, OPERATOR_SOURCE

SOURCE = OPERATOR_SOURCE
CONFIG = OPERATOR_CONFIG
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
START, END = datetime(2026, 11, 26, 8, 0, tzinfo=UTC), datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def environment() -> Environment:
    return parse_config(CONFIG, "recovery.toml").environment("dev")


# --- replay ------------------------------------------------------------------------------


def with_sts(events: Any, account: str | None = None) -> Any:
    """The replay's clients: EventBridge's stub, and STS answering for the environment's account."""
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    stubber = Stubber(sts)
    identity = {"Account": account or environment().aws_account_id, "Arn": "arn:aws:iam::1:user/x", "UserId": "x"}
    for _ in range(3):
        stubber.add_response("get_caller_identity", identity)
    stubber.activate()
    return lambda service: sts if service == "sts" else events


def events_stubber() -> tuple[Any, Stubber]:
    client = boto3.client("events", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


ARCHIVE = "arn:aws:events:us-east-1:123456789012:archive/auth0-log-archive-dev-replay"
BUS = f"arn:aws:events:us-east-1:123456789012:event-bus/{SOURCE}"
RULE = f"arn:aws:events:us-east-1:123456789012:rule/{SOURCE}/auth0-log-archive-dev-auth0-logs"


def expect_start(stubber: Stubber, name: str, start: datetime, end: datetime) -> None:
    """The calls that start a replay of [start, end) named ``name``: from the replay archive, into the ingest rule
    of the partner bus only (Destination.FilterArns)."""
    stubber.add_response("describe_archive", {"ArchiveArn": ARCHIVE}, {"ArchiveName": "auth0-log-archive-dev-replay"})
    stubber.add_response("describe_event_bus", {"Arn": BUS, "Name": SOURCE}, {"Name": SOURCE})
    stubber.add_response(
        "describe_rule", {"Arn": RULE}, {"Name": "auth0-log-archive-dev-auth0-logs", "EventBusName": SOURCE}
    )
    stubber.add_response("start_replay", {"State": "STARTING", "ReplayArn": "arn"}, {
        "ReplayName": name, "Description": ANY, "EventSourceArn": ARCHIVE, "EventStartTime": start,
        "EventEndTime": end, "Destination": {"Arn": BUS, "FilterArns": [RULE]},
    })  # fmt: skip


def test_replay_name_is_the_window_and_fits_eventbridge() -> None:
    name = replay_name("a" * 32, START, END)
    assert name == "a" * 32 + "-20261126T0800-20261126T1400"
    assert len(name) <= 64  # EventBridge: ReplayName [\.\-_A-Za-z0-9]+, at most 64


def test_replay_starts_into_the_ingest_rule_only_and_follows_it() -> None:
    env = environment()
    client, stubber = events_stubber()
    name = "auth0-log-archive-dev-20261126T0800-20261126T1400"
    stubber.add_client_error("describe_replay", "ResourceNotFoundException", expected_params={"ReplayName": name})
    expect_start(stubber, name, START, END)
    stubber.add_response(
        "describe_replay", {"State": "RUNNING", "EventLastReplayedTime": datetime(2026, 11, 26, 11, 0)}
    )
    stubber.add_response("describe_replay", {"State": "COMPLETED", "EventLastReplayedTime": END})
    said: list[str] = []
    state = replay(env, with_sts(client), START, END, now=NOW, poll_seconds=0, out=said.append)
    assert state == "COMPLETED"
    stubber.assert_no_pending_responses()
    assert said[0].startswith(f"replay {name} started (STARTING): 2026-11-26 08:00 to 2026-11-26 14:00 UTC")
    assert said[1] == "  RUNNING, replayed up to 2026-11-26 11:00:00 UTC (50%)"
    assert said[2] == "  COMPLETED, replayed up to 2026-11-26 14:00:00 UTC (100%)"


def test_replay_run_again_follows_the_one_already_started() -> None:
    client, stubber = events_stubber()
    stubber.add_response("describe_replay", {"State": "RUNNING"})
    stubber.add_response("describe_replay", {"State": "COMPLETED"})
    said: list[str] = []
    assert replay(environment(), with_sts(client), START, END, now=NOW, poll_seconds=0, out=said.append) == "COMPLETED"
    stubber.assert_no_pending_responses()  # and no start_replay: no second replay
    assert said[0].endswith("was started before (RUNNING): following it")


def test_a_long_replay_goes_window_by_window_under_the_active_partition_limit() -> None:
    """Firehose files each event under its hour and sends what passes 500 open hours to errors/
    (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html): 20 days are replayed as three
    windows of at most a week, each started once the previous one completed and had time to settle."""
    env = environment()
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    client, stubber = events_stubber()
    windows = [(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC)),
               (datetime(2026, 11, 8, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)),
               (datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))]  # fmt: skip
    # The first window was replayed by an earlier run: it is skipped, not replayed again.
    stubber.add_response(
        "describe_replay", {"State": "COMPLETED"}, {"ReplayName": replay_name(env.names.prefix, *windows[0])}
    )
    for window_start, window_end in windows[1:]:
        name = replay_name(env.names.prefix, window_start, window_end)
        stubber.add_client_error("describe_replay", "ResourceNotFoundException", expected_params={"ReplayName": name})
        expect_start(stubber, name, window_start, window_end)
        stubber.add_response("describe_replay", {"State": "COMPLETED"}, {"ReplayName": name})
    said: list[str] = []
    state = replay(env, with_sts(client), start, end, now=NOW, poll_seconds=0, settle_seconds=0, out=said.append)
    assert state == "COMPLETED"
    stubber.assert_no_pending_responses()
    assert said[1].startswith("3 windows of at most 168 hours")
    assert all(end - begin <= timedelta(hours=168) for begin, end in windows)  # 168 event hours < 500 partitions
    # Settles after each window it followed, before the next; not after a window replayed before, nor the last.
    assert [line for line in said if line.startswith("waiting")] == [
        "waiting 0 s for Firehose to close this window's partitions before the next"
    ]


def test_a_long_replay_without_waiting_starts_one_window_and_says_what_is_left() -> None:
    env = environment()
    client, stubber = events_stubber()
    stubber.add_response("describe_replay", {"State": "RUNNING"})
    said: list[str] = []
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    assert replay(env, with_sts(client), start, end, now=NOW, wait=False, out=said.append) == "RUNNING"
    stubber.assert_no_pending_responses()
    assert said[-1] == "2 more window(s) after this one: run the command again once it is done"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (END, START, "must be before TO"),
        (START, datetime(2026, 11, 28, tzinfo=UTC), "is in the future"),
    ],
)
def test_replay_refuses_windows_it_cannot_replay(start: datetime, end: datetime, message: str) -> None:
    with pytest.raises(OperatorError, match=message) as raised:
        replay(environment(), lambda _: None, start, end, now=NOW)
    assert raised.value.status == 2


def test_replay_warns_beyond_the_archive_window() -> None:
    client, stubber = events_stubber()
    stubber.add_response("describe_replay", {"State": "COMPLETED"})
    said: list[str] = []
    start, end = datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)  # one window
    replay(environment(), with_sts(client), start, end, now=NOW, out=said.append)
    assert said[0].startswith("warning: the replay archive keeps 14 days; events before 2026-11-13 12:00 UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),
        ("2026-11-26T08:30Z", datetime(2026, 11, 26, 8, 30, tzinfo=UTC)),
        ("2026-11-26T09:30+01:00", datetime(2026, 11, 26, 8, 30, tzinfo=UTC)),
    ],
)
def test_moments_are_utc(text: str, expected: datetime) -> None:
    assert parse_moment(text, "FROM") == expected


# --- redrive ------------------------------------------------------------------------------


def auth0_event(n: int, source: str = SOURCE) -> dict:
    return {"version": "0", "id": f"e-{n}", "detail-type": "Auth0 log", "source": source, "account": "123456789012",
            "time": "2026-11-26T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"log_id": f"9000{n}", "data": {"type": "s", "log_id": f"9000{n}"}}}  # fmt: skip


class Refusing:
    """A Firehose client that refuses the records whose data mentions ``refused``."""

    def __init__(self, client: Any, refused: str) -> None:
        self.client, self.refused = client, refused

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict]) -> dict:
        ok = [r for r in Records if self.refused.encode() not in r["Data"]]
        answer = self.client.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=ok) if ok else None
        taken = iter(answer["RequestResponses"] if answer else [])
        return {"RequestResponses": [
            {"ErrorCode": "ServiceUnavailableException"} if self.refused.encode() in r["Data"] else next(taken)
            for r in Records
        ]}  # fmt: skip


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        clients = {s: boto3.client(s, region_name="us-east-1") for s in ("sqs", "firehose", "s3", "sts")}
        names = environment().names
        clients["s3"].create_bucket(Bucket=names.archive_bucket)
        clients["firehose"].create_delivery_stream(
            DeliveryStreamName=names.delivery_stream, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/r",
                                                "BucketARN": f"arn:aws:s3:::{names.archive_bucket}", "Prefix": "logs/"},
        )  # fmt: skip
        url = clients["sqs"].create_queue(QueueName=names.dead_letter_queue)["QueueUrl"]
        yield clients, url


def archived(clients: dict, bucket: str) -> list[dict]:
    keys = [o["Key"] for o in clients["s3"].list_objects_v2(Bucket=bucket).get("Contents", [])]
    text = "".join(clients["s3"].get_object(Bucket=bucket, Key=k)["Body"].read().decode() for k in keys)
    decoder, events, at = json.JSONDecoder(), [], 0
    while at < len(text):  # moto's Firehose concatenates records (ours appends a newline to each)
        event, at = decoder.raw_decode(text, at)
        events.append(event)
    return events


def in_queue(clients: dict, url: str) -> int:
    attributes = clients["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_redrive_moves_every_auth0_event_and_only_those(aws: Any) -> None:
    clients, url = aws
    env = environment()
    for n in range(23):
        clients["sqs"].send_message(QueueUrl=url, MessageBody=json.dumps(auth0_event(n)))
    clients["sqs"].send_message(QueueUrl=url, MessageBody=json.dumps(auth0_event(99, "aws.partner/other/x")))
    clients["sqs"].send_message(QueueUrl=url, MessageBody="not json")
    said: list[str] = []
    result = redrive(env, clients.__getitem__, out=said.append)
    assert (result.moved, result.refused, result.foreign) == (23, 0, 2)
    assert sorted(e["id"] for e in archived(clients, env.names.archive_bucket)) == sorted(f"e-{n}" for n in range(23))
    assert in_queue(clients, url) == 2  # the two foreign messages stay
    assert said[0] == f"{env.names.dead_letter_queue}: about 25 message(s) to redrive into {env.names.delivery_stream}"
    assert said[-1] == (
        "done: 23 event(s) moved into auth0-log-archive-dev; 2 message(s) that are not Auth0 log "
        "events of dev stay in the queue (1 'Auth0 log' from aws.partner/other/x, 1 not JSON)"
    )


def test_a_record_firehose_refuses_stays_in_the_queue(aws: Any) -> None:
    clients, url = aws
    env = environment()
    for n in range(5):
        clients["sqs"].send_message(QueueUrl=url, MessageBody=json.dumps(auth0_event(n)))
    refusing = {**clients, "firehose": Refusing(clients["firehose"], '"e-3"')}
    result = redrive(env, refusing.__getitem__, out=lambda _: None)
    assert (result.moved, result.refused) == (4, 1)
    assert in_queue(clients, url) == 1
    assert "e-3" not in {e["id"] for e in archived(clients, env.names.archive_bucket)}


def test_redrive_of_an_empty_queue_does_nothing(aws: Any) -> None:
    clients, _ = aws
    result = redrive(environment(), clients.__getitem__, out=lambda _: None)
    assert (result.moved, result.refused, result.foreign) == (0, 0, 0)


def test_make_redrive_talks_to_the_aws_endpoint_url(moto_server: str, tmp_path) -> None:
    """The command as users run it, against a local AWS at AWS_ENDPOINT_URL (moto in server mode)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, aws_environment

    env = environment()
    names = env.names
    endpoint = {"endpoint_url": moto_server, "region_name": "us-east-1",
                "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # fmt: skip
    sqs, s3, firehose = (boto3.client(s, **endpoint) for s in ("sqs", "s3", "firehose"))
    s3.create_bucket(Bucket=names.archive_bucket)
    firehose.create_delivery_stream(
        DeliveryStreamName=names.delivery_stream, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/r",
                                            "BucketARN": f"arn:aws:s3:::{names.archive_bucket}", "Prefix": "logs/"},
    )  # fmt: skip
    url = sqs.create_queue(QueueName=names.dead_letter_queue)["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(auth0_event(n)))
    (tmp_path / "c.toml").write_text(CONFIG)
    command = [sys.executable, "-m", "ops", "redrive", "--env", "dev"]
    run_env = {**os.environ, **aws_environment(moto_server), "AUTH0_ARCHIVE_CONFIG": str(tmp_path / "c.toml")}
    for expected in ("done: 3 event(s) moved", "done: 0 event(s) moved"):  # run twice: the second finds nothing
        result = subprocess.run(command, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
    assert len(s3.list_objects_v2(Bucket=names.archive_bucket)["Contents"]) == 1


@pytest.mark.parametrize("ended", ["FAILED", "CANCELLED"])
def test_a_failed_or_cancelled_replay_is_started_anew_under_the_next_name(ended: str) -> None:
    env = environment()
    client, stubber = events_stubber()
    base = "auth0-log-archive-dev-20261126T0800-20261126T1400"
    stubber.add_response("describe_replay", {"State": ended}, {"ReplayName": base})
    stubber.add_client_error(
        "describe_replay", "ResourceNotFoundException", expected_params={"ReplayName": f"{base}-r2"}
    )
    expect_start(stubber, f"{base}-r2", START, END)
    stubber.add_response("describe_replay", {"State": "COMPLETED"}, {"ReplayName": f"{base}-r2"})
    said: list[str] = []
    assert replay(env, with_sts(client), START, END, now=NOW, poll_seconds=0, out=said.append) == "COMPLETED"
    stubber.assert_no_pending_responses()
    assert said[0] == f"replay {base} ended {ended}: starting it again"


def test_a_replay_cancelled_while_followed_is_a_failure() -> None:
    client, stubber = events_stubber()
    stubber.add_response("describe_replay", {"State": "RUNNING"})
    stubber.add_response("describe_replay", {"State": "CANCELLED"})
    with pytest.raises(OperatorError, match=r"ended CANCELLED: .* run the command again to start it anew"):
        replay(environment(), with_sts(client), START, END, now=NOW, poll_seconds=0, out=lambda _: None)


def test_replay_and_redrive_change_nothing_with_another_account_s_credentials(aws: Any) -> None:
    client, _ = events_stubber()  # no EventBridge call is stubbed: any would fail the test
    with pytest.raises(OperatorError, match="are for account 999999999999; dev is 123456789012: nothing was changed"):
        replay(environment(), with_sts(client, "999999999999"), START, END, now=NOW, out=lambda _: None)
    clients, url = aws
    clients["sqs"].send_message(QueueUrl=url, MessageBody="{}")
    other = parse_config(CONFIG.replace("123456789012", "999999999999"), "other.toml").environment("dev")
    with pytest.raises(OperatorError, match="are for account 123456789012; dev is 999999999999"):
        redrive(other, clients.__getitem__, out=lambda _: None)
    assert in_queue(clients, url) == 1
