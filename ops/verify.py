"""``make verify``: after a deployment, is the pipeline really archiving?

A checklist against the deployed resources, with the operator's AWS
credentials (assuming the environment's deploy role when it has one):

1. the credentials are for the environment's account;
2. the partner event source is ACTIVE, and its partner bus exists;
3. the rule on that bus is ENABLED;
4. EventBridge's own TestEventPattern accepts the sample Auth0 events against the deployed rule;
5. the Firehose stream is ACTIVE;
6. log objects arrived under logs/YYYY/MM/DD/ within the last N hours;
7. the dead-letter queue is empty;
8. every alarm is OK (INSUFFICIENT_DATA is reported, and is no failure);
9. the archive key and the alarm topic's key are enabled (a disabled alarm key silences every alarm);
10. with Auth0 credentials, the tenant's log stream that feeds the archive is active (paused or
    suspended: how to resume it, and what to backfill);
11. with ``--canary``: a canary record put into the Firehose stream arrives in the bucket, under its
    hour, written by Firehose itself. This proves delivery end to end, on a bucket with Object Lock
    too: S3 requires an integrity header (Content-MD5 or x-amz-checksum-*) on every PutObject to a
    bucket with a default retention, and AWS's documentation does not say whether Firehose sends one.
    The canary is an EventBridge-shaped envelope of its own detail-type, without an Auth0 log_id, so
    the archive's view never shows it; it stays in the archive like any record.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from modules.contract.naming import ERROR_ROOT, LOG_PREFIX, event_hour
from modules.contract.settings import Environment
from ops.auth0_events import SAMPLE_EVENTS, sample_events
from ops.common import OperatorError, partner_bus


@dataclass(frozen=True)
class Check:
    title: str
    passed: bool
    detail: str
    warning: bool = False  # passed, but worth a look

    def line(self) -> str:
        mark = "ok  " if self.passed and not self.warning else "warn" if self.passed else "FAIL"
        return f"  [{mark}] {self.title}: {self.detail}"


CANARY_DETAIL_TYPE = "Auth0 log archive canary"
CANARY_SOURCE = "auth0-log-archive.verify"
CANARY_POLL_SECONDS = 15


def canary_event(env: Environment, sent: datetime, token: str) -> dict[str, Any]:
    """An envelope shaped like EventBridge's, filed by its time (it has no Auth0 date) and never read as an
    Auth0 log (no detail.log_id)."""
    return {"version": "0", "id": f"canary-{token}", "detail-type": CANARY_DETAIL_TYPE, "source": CANARY_SOURCE,
            "account": env.aws_account_id, "time": f"{sent:%Y-%m-%dT%H:%M:%SZ}", "region": env.aws_region,
            "resources": [], "detail": {"canary": token, "sent_by": "python -m ops verify --canary"}}  # fmt: skip


class CheckFailed(Exception):
    """The check's negative verdict, with what was found."""


class Verifier:
    """Runs the checks with clients from ``client(service_name)`` (boto3 in use, stubs in tests)."""

    def __init__(
        self,
        env: Environment,
        client: Callable[[str], Any],
        *,
        now: datetime | None = None,
        within_hours: int = 24,
        events: list[dict[str, Any]] | None = None,
        auth0: Any = None,
        canary: bool = False,
        canary_wait_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.env = env
        self.auth0 = auth0  # ops.auth0_api.Auth0Api, or None without Auth0 credentials
        self.newest: datetime | None = None
        self.client = client
        self.now = now or datetime.now(UTC)
        self.within_hours = within_hours
        self.events = sample_events() if events is None else events
        self.names = env.names
        self.source: str | None = env.auth0_event_source
        self.pattern: str | None = None
        self.canary = canary
        # Firehose writes within its buffering interval, up to 1.5 times it with dynamic partitioning.
        self.canary_wait_seconds = (
            1.5 * env.buffer_interval_seconds + 120 if canary_wait_seconds is None else canary_wait_seconds
        )
        self.sleep = sleep
        self.progress = progress

    def run(self) -> list[Check]:
        checks = [
            ("credentials are for the environment's account", self.check_account),
            ("partner event source", self.check_event_source),
            (f"rule {self.names.event_rule}", self.check_rule),
            ("EventBridge TestEventPattern with the sample Auth0 events", self.check_pattern),
            (f"Firehose stream {self.names.delivery_stream}", self.check_stream),
            *([("a canary record through Firehose into the bucket", self.check_canary)] if self.canary else []),
            (f"objects in the last {self.within_hours} h", self.check_objects),
            (f"dead-letter queue {self.names.dead_letter_queue}", self.check_dead_letters),
            ("alarms", self.check_alarms),
            ("keys", self.check_keys),
            ("Auth0 log stream", self.check_auth0_stream),
        ]
        results = []
        for title, check in checks:
            try:
                detail, warning = check()
                results.append(Check(title, True, detail, warning))
            except CheckFailed as failure:
                results.append(Check(title, False, str(failure)))
            except (ClientError, BotoCoreError) as error:
                results.append(Check(title, False, _aws_error(error)))
            if title.startswith("credentials") and not results[-1].passed:
                break  # every other answer would be about another account
        return results

    def check_account(self) -> tuple[str, bool]:
        account = self.client("sts").get_caller_identity()["Account"]
        if account != self.env.aws_account_id:
            raise CheckFailed(f"they are for account {account}, the environment is {self.env.aws_account_id}")
        return account, False

    def _find_source(self) -> str:
        try:
            return partner_bus(self.env, self.client("events"))
        except OperatorError as error:
            raise CheckFailed(str(error)) from None

    def check_event_source(self) -> tuple[str, bool]:
        if self.source is None:
            self.source = self._find_source()
        events = self.client("events")
        state = events.describe_event_source(Name=self.source)["State"]
        if state != "ACTIVE":
            raise CheckFailed(f"{self.source} is {state} (PENDING: no bus yet; DELETED: the Auth0 stream is gone)")
        events.describe_event_bus(Name=self.source)
        return f"{self.source} is ACTIVE and its partner bus exists", False

    def check_rule(self) -> tuple[str, bool]:
        if self.source is None:
            raise CheckFailed("unknown partner event source (see above)")
        rule = self.client("events").describe_rule(Name=self.names.event_rule, EventBusName=self.source)
        self.pattern = rule.get("EventPattern")
        if rule["State"] != "ENABLED":
            raise CheckFailed(f"it is {rule['State']}: no event reaches Firehose")
        return "ENABLED", False

    def check_pattern(self) -> tuple[str, bool]:
        if self.pattern is None or self.source is None:
            raise CheckFailed("no deployed rule pattern to test (see above)")
        if not self.events:
            raise CheckFailed(f"no sample events in {SAMPLE_EVENTS}")
        events = self.client("events")
        rejected = []
        for event in self.events:
            ours = {**event, "source": self.source, "account": self.env.aws_account_id, "region": self.env.aws_region}
            if not events.test_event_pattern(EventPattern=self.pattern, Event=json.dumps(ours))["Result"]:
                rejected.append(event["detail"]["data"].get("type", "?"))
        if rejected:
            raise CheckFailed(f"the deployed pattern rejects Auth0 events of type {', '.join(rejected)}")
        return f"all {len(self.events)} sample events match", False

    def check_stream(self) -> tuple[str, bool]:
        description = self.client("firehose").describe_delivery_stream(DeliveryStreamName=self.names.delivery_stream)[
            "DeliveryStreamDescription"
        ]
        status = description["DeliveryStreamStatus"]
        if status != "ACTIVE":
            raise CheckFailed(f"it is {status}")
        return "ACTIVE", False

    def check_objects(self) -> tuple[str, bool]:
        bucket = self.names.archive_bucket
        since = self.now - timedelta(hours=self.within_hours)
        days = sorted({(since + timedelta(days=i)).date() for i in range((self.now - since).days + 2)})
        s3 = self.client("s3")
        newest = None
        for day in (d for d in days if d <= self.now.date()):
            prefix = f"{LOG_PREFIX}{day:%Y/%m/%d}/"
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if newest is None or item["LastModified"] > newest["LastModified"]:
                        newest = item
        if newest is None or newest["LastModified"] < since:
            raise CheckFailed(
                f"no object under s3://{bucket}/{LOG_PREFIX} since {since:%Y-%m-%d %H:%M} UTC: is the Auth0 stream "
                "active, and did anyone sign in? (Firehose writes at the end of its buffering interval)"
            )
        self.newest = newest["LastModified"]
        return f"newest s3://{bucket}/{newest['Key']} at {newest['LastModified']:%Y-%m-%d %H:%M} UTC", False

    def check_canary(self) -> tuple[str, bool]:
        bucket, s3 = self.names.archive_bucket, self.client("s3")
        token = uuid.uuid4().hex
        sent = datetime.now(UTC)
        event = canary_event(self.env, sent, token)
        self.client("firehose").put_record(
            DeliveryStreamName=self.names.delivery_stream, Record={"Data": json.dumps(event).encode()}
        )
        hour = f"{LOG_PREFIX}{event_hour(event['time'])}/"
        started, seen = time.monotonic(), set()
        while True:
            for prefix in (hour, ERROR_ROOT):
                if key := self._find_canary(s3, bucket, prefix, token, since=sent - timedelta(minutes=1), seen=seen):
                    waited = time.monotonic() - started
                    if prefix == ERROR_ROOT:
                        raise CheckFailed(f"Firehose filed the canary under s3://{bucket}/{key}, not {hour}: see the "
                                          f"Firehose error log {self.names.firehose_log_group}")  # fmt: skip
                    return f"Firehose wrote it to s3://{bucket}/{key} within {waited:.0f} s{self._lock(s3)}", False
            waited = time.monotonic() - started
            if waited >= self.canary_wait_seconds:
                raise CheckFailed(
                    f"no canary under s3://{bucket}/{hour} after {waited:.0f} s: Firehose is not writing to the "
                    f"bucket. See the Firehose error log {self.names.firehose_log_group}"
                    f"{self._lock(s3)}; events meanwhile are in the replay archive (make replay)"
                )
            self.progress(f"  waiting for the canary: {waited:.0f} s of at most {self.canary_wait_seconds:.0f} s")
            self.sleep(CANARY_POLL_SECONDS)

    @staticmethod
    def _find_canary(s3: Any, bucket: str, prefix: str, token: str, *, since: datetime, seen: set[str]) -> str | None:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if item["Key"] in seen or item["LastModified"] < since:
                    continue
                seen.add(item["Key"])
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                with contextlib.suppress(OSError):  # an uncompressed object stays as it is
                    body = gzip.decompress(body)
                if token.encode() in body:
                    return item["Key"]
        return None

    def _lock(self, s3: Any) -> str:
        """The bucket's default retention, which makes S3 demand an integrity header on each PutObject."""
        try:
            rule = s3.get_object_lock_configuration(Bucket=self.names.archive_bucket)["ObjectLockConfiguration"]
        except ClientError:
            return " (no Object Lock)"
        retention = rule.get("Rule", {}).get("DefaultRetention")
        if not retention:
            return " (no Object Lock default retention)"
        return (f", on a bucket with Object Lock ({retention['Mode']}, {retention.get('Days', retention.get('Years'))} "
                f"{'days' if 'Days' in retention else 'years'}): S3 takes Firehose's writes")  # fmt: skip

    def check_dead_letters(self) -> tuple[str, bool]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=self.names.dead_letter_queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        waiting = sum(int(v) for v in attributes.values())
        if not waiting:
            return "empty", False
        from ops.recovery import classify_dead_letters

        held = classify_dead_letters(self.env, sqs, url)  # by the rule make redrive moves by
        foreign = (f"; {held.foreign} message(s) that are not Auth0 log events of {self.env.name} "
                   f"({held.foreign_kinds()}), which make redrive leaves there") if held.foreign else ""  # fmt: skip
        if held.moved:
            raise CheckFailed(f"{held.moved} undelivered Auth0 event(s) wait: fix the cause, then redrive{foreign}")
        raise CheckFailed(f"no Auth0 event, but {held.foreign or waiting} other message(s){foreign}")

    def check_alarms(self) -> tuple[str, bool]:
        expected = set(self.names.alarms.values())
        alarms = self.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{self.names.prefix}-")["MetricAlarms"]
        states = {a["AlarmName"]: a["StateValue"] for a in alarms if a["AlarmName"] in expected}
        if missing := sorted(expected - states.keys()):
            raise CheckFailed(f"missing: {', '.join(missing)}")
        if firing := sorted(name for name, state in states.items() if state == "ALARM"):
            raise CheckFailed(f"in ALARM: {', '.join(firing)}")
        waiting = sorted(name for name, state in states.items() if state == "INSUFFICIENT_DATA")
        if waiting:
            return f"none firing; INSUFFICIENT_DATA (no data yet): {', '.join(waiting)}", True
        return f"all {len(states)} OK", False

    def check_keys(self) -> tuple[str, bool]:
        """Both keys enabled: a disabled alarm key silences every alarm, so only this check can tell."""
        kms = self.client("kms")
        states = {
            alias: kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyState"]
            for alias in (self.names.key_alias, self.names.alarm_key_alias)
        }
        if broken := {alias: state for alias, state in states.items() if state != "Enabled"}:
            raise CheckFailed(", ".join(f"{alias} is {state}" for alias, state in broken.items()))
        return "archive and alarm keys Enabled", False

    def check_auth0_stream(self) -> tuple[str, bool]:
        """Auth0's side: is the stream that feeds this archive active? (GET /api/v2/log-streams)"""
        if self.auth0 is None:
            return (
                "skipped: no Auth0 credentials (AUTH0_DOMAIN with AUTH0_API_TOKEN, or AUTH0_CLIENT_ID and "
                "AUTH0_CLIENT_SECRET; scope read:log_streams)",
                True,
            )
        try:
            streams = [s for s in self.auth0.log_streams() if s.get("type") == "eventbridge"]
        except OperatorError as error:
            raise CheckFailed(str(error)) from None
        managed = self.env.auth0.stream_name if self.env.auth0 else None
        ours = [s for s in streams
                if (self.source and s.get("sink", {}).get("awsPartnerEventSource") == self.source)
                or (managed and s.get("name") == managed)]  # fmt: skip
        if not ours:
            raise CheckFailed(f"no EventBridge log stream of this tenant feeds {self.source or managed}")
        stream = ours[0]
        if stream.get("status") != "active":
            since = f"{self.newest:%Y-%m-%dT%H:00}" if self.newest else "<when it stopped>"
            raise CheckFailed(
                f"{stream.get('name')} ({stream.get('id')}) is {stream.get('status')}: resume it (Auth0 dashboard, "
                f"Monitoring → Streams, or PATCH /api/v2/log-streams/{stream.get('id')} with "
                f'{{"status": "active"}}), then make backfill ENV={self.env.name} FROM={since}'
            )
        return f"{stream.get('name')} ({stream.get('id')}) is active", False


def _aws_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"AWS refused: {info.get('Code', '?')}: {info.get('Message', '')}".strip()
    return f"could not reach AWS: {error}"


def report(env: Environment, checks: list[Check]) -> tuple[list[str], bool]:
    failed = [c for c in checks if not c.passed]
    lines = [f"Verifying {env.stack_name} (account {env.aws_account_id}, {env.aws_region})"]
    lines += [c.line() for c in checks]
    verdict = (
        "VERIFIED: the archive is receiving Auth0 logs"
        if not failed
        else (f"FAILED: {len(failed)} of {len(checks)} checks failed")
    )
    lines.append(f"Verdict: {verdict}")
    return lines, not failed
