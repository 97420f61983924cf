"""ops/verify.py: the post-deployment checklist, offline with botocore's Stubber."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from modules.contract.naming import ALARM_SUFFIXES
from modules.contract.settings import Environment
from modules.contract.validation import parse_config
from ops.verify import Verifier, report, sample_events

SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
PATTERN = json.dumps({"source": [SOURCE], "detail-type": ["Auth0 log"]})
CONFIG = f"""
[defaults]
alarm_email = "sec@example.com"

[environments.dev]
aws_account_id = "111111111111"
aws_region = "us-east-1"
auth0_event_source = "{SOURCE}"

[environments.managed]
aws_account_id = "111111111111"
aws_region = "us-east-1"
[environments.managed.auth0]
domain = "acme.auth0.com"
"""


class Stubs:
    """One stubbed botocore client per service, and the Verifier's client factory."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        for service in ("sts", "events", "firehose", "s3", "sqs", "cloudwatch", "kms"):
            client = boto3.client(service, region_name="us-east-1", aws_access_key_id="test",
                                  aws_secret_access_key="test")  # fmt: skip
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()

    def __call__(self, service: str) -> Any:
        return self.clients[service]

    def add(self, service: str, method: str, response: dict, params: dict | None = None) -> None:
        self.stubbers[service].add_response(method, response, params)

    def error(self, service: str, method: str, code: str, message: str = "") -> None:
        self.stubbers[service].add_client_error(method, code, message)

    def all_used(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def environment(name: str = "dev") -> Environment:
    return parse_config(CONFIG, "verify.toml").environment(name)


def healthy(stubs: Stubs, *, rule_state: str = "ENABLED", pattern_result: bool = True,
            stream_status: str = "ACTIVE", newest: datetime | None = NOW - timedelta(minutes=20),
            waiting: str = "0", alarm_state: str = "OK", source: str = SOURCE,
            key_state: str = "Enabled") -> None:  # fmt: skip
    """The responses of a deployed, working pipeline, with one thing changed at a time."""
    stubs.add("sts", "get_caller_identity", {"Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/x",
                                             "UserId": "x"})  # fmt: skip
    stubs.add("events", "describe_event_source", {"Name": source, "State": "ACTIVE"}, {"Name": source})
    stubs.add("events", "describe_event_bus", {"Name": source}, {"Name": source})
    stubs.add("events", "describe_rule", {"Name": "r", "State": rule_state, "EventPattern": PATTERN},
              {"Name": f"auth0-log-archive-{'dev' if source == SOURCE else 'managed'}-auth0-logs",
               "EventBusName": source})  # fmt: skip
    for _ in sample_events():
        stubs.add("events", "test_event_pattern", {"Result": pattern_result}, {"EventPattern": PATTERN, "Event": ANY})
    stubs.add("firehose", "describe_delivery_stream", {"DeliveryStreamDescription": {
        "DeliveryStreamName": "s", "DeliveryStreamARN": "arn:aws:firehose:us-east-1:111111111111:deliverystream/s",
        "DeliveryStreamStatus": stream_status, "DeliveryStreamType": "DirectPut", "VersionId": "1",
        "Destinations": [], "HasMoreDestinations": False}})  # fmt: skip
    contents = [{"Key": "logs/2026/11/26/14/x.gz", "LastModified": newest, "Size": 10}] if newest else []
    for day in ("25", "26"):
        stubs.add("s3", "list_objects_v2", {"Contents": contents if day == "26" else [], "IsTruncated": False},
                  {"Bucket": "auth0-log-archive-dev-111111111111" if source == SOURCE else ANY,
                   "Prefix": f"logs/2026/11/{day}/"})  # fmt: skip
    stubs.add("sqs", "get_queue_url", {"QueueUrl": "https://sqs/q"}, {"QueueName": ANY})
    stubs.add("sqs", "get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": waiting,
                                                             "ApproximateNumberOfMessagesNotVisible": "0"}})  # fmt: skip
    if waiting != "0":  # read as make redrive reads them: two Auth0 events of this environment, one other message
        auth0 = json.dumps({"detail-type": "Auth0 log", "source": source, "detail": {}})
        bodies = [auth0, auth0, '{"detail-type": "Scheduled Event", "source": "aws.events"}']
        stubs.add("sqs", "receive_message", {"Messages": [
            {"MessageId": str(n), "ReceiptHandle": f"r{n}", "Body": body} for n, body in enumerate(bodies)]})  # fmt: skip
        stubs.add("sqs", "receive_message", {})
        stubs.add("sqs", "change_message_visibility_batch", {"Successful": [], "Failed": []})
    prefix = "auth0-log-archive-dev" if source == SOURCE else "auth0-log-archive-managed"
    stubs.add("cloudwatch", "describe_alarms", {"MetricAlarms": [
        {"AlarmName": f"{prefix}-{s}", "StateValue": alarm_state if s == "no-events" else "OK"}
        for s in ALARM_SUFFIXES]}, {"AlarmNamePrefix": f"{prefix}-"})  # fmt: skip
    for alias in (f"alias/{prefix}", f"alias/{prefix}-alarms"):
        stubs.add("kms", "describe_key", {"KeyMetadata": {"KeyId": "k", "KeyState": key_state if alias.endswith(
            "-alarms") else "Enabled"}}, {"KeyId": alias})  # fmt: skip


class Auth0Streams:
    """GET /api/v2/log-streams as Auth0 answers it (camelCase sink fields)."""

    def __init__(self, status: str = "active", source: str = SOURCE) -> None:
        self.streams = [{"id": "lst_0000000000012345", "name": "Amazon EventBridge", "type": "eventbridge",
                         "status": status, "sink": {"awsAccountId": "111111111111", "awsRegion": "us-east-1",
                                                    "awsPartnerEventSource": source}}]  # fmt: skip

    def log_streams(self) -> list[dict]:
        return self.streams


def verify(env: Environment, stubs: Stubs, auth0: Auth0Streams | None = None) -> tuple[list[str], bool]:
    checks = Verifier(env, stubs, now=NOW, within_hours=24, auth0=auth0 or Auth0Streams()).run()
    stubs.all_used()
    return report(env, checks)


def test_a_working_pipeline_is_verified() -> None:
    stubs = Stubs()
    healthy(stubs)
    lines, passed = verify(environment(), stubs)
    assert passed
    assert lines[-1] == "Verdict: VERIFIED: the archive is receiving Auth0 logs"
    assert all(line.startswith("  [ok  ]") for line in lines[1:-1]), lines
    assert "all 4 sample events match" in "\n".join(lines)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"rule_state": "DISABLED"}, "[FAIL] rule auth0-log-archive-dev-auth0-logs: it is DISABLED"),
        (
            {"pattern_result": False},
            "[FAIL] EventBridge TestEventPattern with the sample Auth0 events: "
            "the deployed pattern rejects Auth0 events of type",
        ),
        ({"stream_status": "CREATING"}, "[FAIL] Firehose stream auth0-log-archive-dev: it is CREATING"),
        ({"newest": NOW - timedelta(hours=30)}, "[FAIL] objects in the last 24 h: no object under"),
        ({"newest": None}, "[FAIL] objects in the last 24 h: no object under"),
        # As make redrive would count them: what it moves, and what it leaves there.
        (
            {"waiting": "3"},
            "[FAIL] dead-letter queue auth0-log-archive-dev-undelivered: 2 undelivered Auth0 event(s) "
            "wait: fix the cause, then redrive; 1 message(s) that are not Auth0 log events of dev "
            "(1 'Scheduled Event' from aws.events), which make redrive leaves there",
        ),
        ({"alarm_state": "ALARM"}, "[FAIL] alarms: in ALARM: auth0-log-archive-dev-no-events"),
        ({"key_state": "Disabled"}, "[FAIL] keys: alias/auth0-log-archive-dev-alarms is Disabled"),
    ],
)
def test_each_failure_gives_a_failed_verdict(broken: dict, expected: str) -> None:
    stubs = Stubs()
    healthy(stubs, **broken)
    lines, passed = verify(environment(), stubs)
    assert not passed
    assert any(line.startswith(f"  {expected}") for line in lines), lines
    assert lines[-1] == "Verdict: FAILED: 1 of 10 checks failed"


def test_alarms_without_data_are_a_warning_not_a_failure() -> None:
    stubs = Stubs()
    healthy(stubs, alarm_state="INSUFFICIENT_DATA")
    lines, passed = verify(environment(), stubs)
    assert passed
    assert "  [warn] alarms: none firing; INSUFFICIENT_DATA (no data yet): auth0-log-archive-dev-no-events" in lines


def test_credentials_for_another_account_stop_the_checks() -> None:
    stubs = Stubs()
    stubs.add("sts", "get_caller_identity", {"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/x",
                                             "UserId": "x"})  # fmt: skip
    lines, passed = verify(environment(), stubs)
    assert not passed
    assert lines[1] == ("  [FAIL] credentials are for the environment's account: they are for account "
                        "999999999999, the environment is 111111111111")  # fmt: skip
    assert len(lines) == 3


def test_aws_errors_are_reported_per_check() -> None:
    stubs = Stubs()
    stubs.add("sts", "get_caller_identity", {"Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/x",
                                             "UserId": "x"})  # fmt: skip
    stubs.error("events", "describe_event_source", "ResourceNotFoundException", "Event source not found")
    stubs.error("events", "describe_rule", "ResourceNotFoundException", "Rule does not exist")
    stubs.add("firehose", "describe_delivery_stream", {"DeliveryStreamDescription": {
        "DeliveryStreamName": "s", "DeliveryStreamARN": "arn:aws:firehose:us-east-1:111111111111:deliverystream/s",
        "DeliveryStreamStatus": "ACTIVE",
        "DeliveryStreamType": "DirectPut", "VersionId": "1", "Destinations": [], "HasMoreDestinations": False}})  # fmt: skip
    for _ in range(2):
        stubs.add("s3", "list_objects_v2", {"IsTruncated": False})
    stubs.error("sqs", "get_queue_url", "AccessDenied", "not allowed")
    stubs.error("cloudwatch", "describe_alarms", "AccessDenied", "not allowed")
    lines, passed = verify(environment(), stubs)
    assert not passed
    text = "\n".join(lines)
    assert "[FAIL] partner event source: AWS refused: ResourceNotFoundException: Event source not found" in text
    assert "[FAIL] rule auth0-log-archive-dev-auth0-logs: AWS refused: ResourceNotFoundException" in text
    assert "[FAIL] EventBridge TestEventPattern with the sample Auth0 events: no deployed rule pattern" in text
    assert "[FAIL] dead-letter queue auth0-log-archive-dev-undelivered: AWS refused: AccessDenied" in text


def test_a_managed_stream_is_found_by_its_rule() -> None:
    managed_source = "aws.partner/auth0.com/acme-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/auth0.logs"
    stubs = Stubs()
    stubs.add("events", "list_event_buses", {"EventBuses": [{"Name": "aws.partner/auth0.com/other/auth0.logs"},
                                                            {"Name": managed_source}]},
              {"NamePrefix": "aws.partner/auth0.com/"})  # fmt: skip
    stubs.error("events", "describe_rule", "ResourceNotFoundException")
    stubs.add("events", "describe_rule", {"Name": "r"}, {"Name": "auth0-log-archive-managed-auth0-logs",
                                                         "EventBusName": managed_source})  # fmt: skip
    healthy(stubs, source=managed_source)
    checks = Verifier(environment("managed"), stubs, now=NOW).run()
    stubs.all_used()
    assert all(c.passed for c in checks), [c.line() for c in checks]
    assert checks[1].detail == f"{managed_source} is ACTIVE and its partner bus exists"


def test_without_auth0_credentials_the_stream_check_is_skipped_and_says_why() -> None:
    stubs = Stubs()
    healthy(stubs)
    checks = Verifier(environment(), stubs, now=NOW, within_hours=24, auth0=None).run()
    lines, passed = report(environment(), checks)
    assert passed
    assert any(line.startswith("  [warn] Auth0 log stream: skipped: no Auth0 credentials") for line in lines)


@pytest.mark.parametrize("status", ["paused", "suspended"])
def test_a_paused_or_suspended_stream_fails_with_how_to_resume_and_what_to_backfill(status: str) -> None:
    stubs = Stubs()
    healthy(stubs)
    lines, passed = verify(environment(), stubs, Auth0Streams(status))
    assert not passed
    assert (
        f"  [FAIL] Auth0 log stream: Amazon EventBridge (lst_0000000000012345) is {status}: resume it (Auth0 "
        "dashboard, Monitoring → Streams, or PATCH /api/v2/log-streams/lst_0000000000012345 with "
        '{"status": "active"}), then make backfill ENV=dev FROM=2026-11-26T14:00'
    ) in lines


# --- the canary: a record through Firehose into the bucket (moto; its Firehose files by partition key as
# AWS does, through the harness's patch for that gap) -------------------------------------------------


def deployed_stream(query: str, bucket: str = "auth0-log-archive-dev-111111111111", *, lock: bool = False) -> None:
    """The bucket and a DirectPut stream with the stack's own S3 layout, JQ query and processors."""
    from modules.constructs.delivery_stream import ERROR_OUTPUT_PREFIX, RECORD_PREFIX

    s3 = boto3.client("s3", region_name="us-east-1")
    for name in {bucket, "auth0-log-archive-dev-111111111111"}:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    if lock:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})  # fmt: skip
    boto3.client("firehose", region_name="us-east-1").create_delivery_stream(
        DeliveryStreamName="auth0-log-archive-dev",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::111111111111:role/auth0-log-archive-dev-firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": RECORD_PREFIX, "ErrorOutputPrefix": ERROR_OUTPUT_PREFIX,
            "CompressionFormat": "GZIP", "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [
                {"Type": "MetadataExtraction", "Parameters": [
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
                {"Type": "AppendDelimiterToRecord"}]},
        },
    )  # fmt: skip


@pytest.fixture
def moto_firehose(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto import mock_aws

    from e2e.moto_gaps import GAPS, patch_moto

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    list(patch_moto(tuple(g for g in GAPS if g.name == "Firehose dynamic partitioning")))
    with mock_aws():
        yield lambda service: boto3.client(service, region_name="us-east-1")


def canary(client: Any, **options: Any) -> str:
    verifier = Verifier(environment(), client, canary=True, sleep=lambda _: None, **options)
    return verifier.check_canary()[0]


def test_the_canary_goes_through_firehose_under_its_hour_on_a_locked_bucket(moto_firehose: Any) -> None:
    from modules.contract.naming import EVENT_HOUR_QUERY

    deployed_stream(EVENT_HOUR_QUERY, lock=True)
    before = datetime.now(UTC)
    detail = canary(moto_firehose)
    after = datetime.now(UTC)
    # Filed by the stream's own query under the hour it was sent (EventBridge's time: it has no Auth0 date).
    hours = {f"logs/{t:%Y/%m/%d/%H}/" for t in (before, after)}
    assert any(f"s3://auth0-log-archive-dev-111111111111/{h}" in detail for h in hours), detail
    assert detail.endswith("on a bucket with Object Lock (GOVERNANCE, 30 days): S3 takes Firehose's writes")
    (item,) = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket="auth0-log-archive-dev-111111111111")["Contents"]  # fmt: skip
    import gzip

    body = gzip.decompress(boto3.client("s3", region_name="us-east-1").get_object(
        Bucket="auth0-log-archive-dev-111111111111", Key=item["Key"])["Body"].read())  # fmt: skip
    envelope = json.loads(body)
    assert envelope["detail-type"] == "Auth0 log archive canary" and "log_id" not in envelope["detail"]


def test_a_canary_that_never_arrives_fails_and_says_where_to_look(moto_firehose: Any) -> None:
    from modules.contract.naming import EVENT_HOUR_QUERY
    from ops.verify import CheckFailed

    deployed_stream(EVENT_HOUR_QUERY, bucket="somewhere-else")  # what a redirected stream does
    with pytest.raises(CheckFailed, match=r"no canary under s3://auth0-log-archive-dev-111111111111/logs/") as failed:
        canary(moto_firehose, canary_wait_seconds=0)
    assert "/auth0-log-archive-dev/firehose" in str(failed.value) and "make replay" in str(failed.value)


def test_a_canary_filed_under_errors_fails(moto_firehose: Any) -> None:
    from ops.verify import CheckFailed

    deployed_stream("{dt: .detail.data.date | ascii_downcase}")  # a query that fails on the canary
    with pytest.raises(CheckFailed, match=r"Firehose filed the canary under s3://[^ ]+/errors/partitioning-failed/"):
        canary(moto_firehose, canary_wait_seconds=0)


def test_the_canary_is_only_sent_when_asked_for() -> None:
    stubs = Stubs()
    healthy(stubs)
    titles = [c.title for c in Verifier(environment(), stubs, now=NOW, auth0=Auth0Streams()).run()]
    assert not any("canary" in t for t in titles)  # and no firehose.put_record: the Stubber would refuse it


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        (
            {"AWS_PROFILE": "no-such-profile"},
            "error: no AWS credentials (The config profile (no-such-profile) could not be found)",
        ),
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "y",
                "AWS_MAX_ATTEMPTS": "1",
            },
            "[FAIL] credentials are for the environment's account: could not reach AWS: Could not connect to the endpoint",
        ),
    ],
    ids=["no credentials", "no endpoint"],
)
def test_verify_without_credentials_or_endpoint_is_one_line(tmp_path: Any, environ: dict, said: str) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "c.toml").write_text(CONFIG)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {**clean, "HOME": str(tmp_path), "AUTH0_ARCHIVE_CONFIG": str(tmp_path / "c.toml"),
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", **environ}  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "ops", "verify", "--env", "dev"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert "Traceback" not in result.stderr
    assert result.returncode != 0 and said in result.stdout + result.stderr, result.stdout + result.stderr
