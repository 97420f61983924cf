"""The operator commands, run as users run them (``python -m ops …``), against what Terraform created.

Everything the harness itself touches (the archive bucket, the dead-letter
queue, the replay archive) is named by the stack's outputs, never by our own
naming code: a command that looks for a resource under another name than
the stack gave it fails here.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from e2e.harness import partner_source
from e2e.local_aws import LocalAws
from modules.contract.settings import Environment
from ops.auth0_events import sample_events

ROOT = Path(__file__).resolve().parent.parent


class CommandFailed(Exception):
    pass


@dataclass
class OperatorChecks:
    config_file: Path
    local_aws: LocalAws
    auth0_url: str  # the local Auth0 API fake, for backfill and verify
    auth0_token: str
    auth0_streams: list[dict[str, Any]]  # the fake's log streams: the harness adds each environment's
    log: Callable[[str], None] = print

    def run_all(self, env: Environment, outputs: dict[str, Any], credentials: dict[str, str]) -> None:
        """Each command once. Raises CommandFailed on the first failure."""
        s3 = self.local_aws.client("s3", env.aws_region, credentials)
        bucket = outputs["archive_bucket_name"]
        now = datetime.now(UTC)
        source = partner_source(env)
        self.auth0_streams.append({
            "id": f"lst_e2e{len(self.auth0_streams)}", "type": "eventbridge", "status": "active",
            "name": env.auth0.stream_name if env.auth0 else "Amazon EventBridge",
            "sink": {"awsAccountId": env.aws_account_id, "awsRegion": env.aws_region, "awsPartnerEventSource": source},
        })  # fmt: skip
        # What Firehose would have written this hour: verify then finds fresh objects. The canary goes through
        # the stream itself, filed by the stream's own JQ query (on a locked bucket where the stack has one).
        self._put_events(s3, bucket, now, "verify")
        out = self.command(env, credentials, "verify", "--env", env.name, "--canary")
        if f"s3://{bucket}/logs/" not in out:
            raise CommandFailed(f"{env.name}: verify --canary did not find the canary under logs/:\n{out}")

        sqs = self.local_aws.client("sqs", env.aws_region, credentials)
        # What EventBridge puts in the dead-letter queue: the event, with its source.
        event = {**sample_events()[0], "source": source, "time": f"{now:%Y-%m-%dT%H:%M:%SZ}"}
        sqs.send_message(QueueUrl=outputs["dead_letter_queue_url"], MessageBody=json.dumps(event))
        out = self.command(env, credentials, "redrive", "--env", env.name, "--dry-run")
        if "1 Auth0 log event(s)" not in out:
            raise CommandFailed(f"{env.name}: redrive --dry-run did not count the one event in the queue:\n{out}")

        # An object of last month, in Glacier as the lifecycle leaves it.
        old = now - timedelta(days=40)
        self._put_events(s3, bucket, old, "restore", storage_class="GLACIER")
        window = ["--from", f"{old:%Y-%m-%d}", "--to", f"{old + timedelta(days=1):%Y-%m-%d}"]
        self.command(env, credentials, "restore", "--env", env.name, *window, "--yes")
        key = f"logs/{old:%Y/%m/%d/%H}/restore.gz"
        if "ongoing-request" not in s3.head_object(Bucket=bucket, Key=key).get("Restore", ""):
            raise CommandFailed(f"{env.name}: restore did not request {key}")

        self.command(env, credentials, "backfill", "--env", env.name, "--from", f"{now - timedelta(days=1):%Y-%m-%d}")
        if "security_topic_arn" in outputs:
            self.check_detections(env, outputs, credentials, source)
        if "replay_archive_arn" in outputs:
            start, end = now - timedelta(hours=2), now - timedelta(hours=1)
            window = ["--from", f"{start:%Y-%m-%dT%H:%M}", "--to", f"{end:%Y-%m-%dT%H:%M}"]
            self.command(env, credentials, "replay", "--env", env.name, *window)

    def check_detections(
        self, env: Environment, outputs: dict[str, Any], credentials: dict[str, str], source: str
    ) -> None:
        """Each live detection's rule is on the partner bus, an event made to its deployed pattern matches it
        and is accepted on the bus, and its alarm reads the rule's matches and notifies the security topic."""
        from ops.detections import matching_event

        events = self.local_aws.client("events", env.aws_region, credentials)
        cloudwatch = self.local_aws.client("cloudwatch", env.aws_region, credentials)
        bus = outputs["event_bus_arn"].split("/", 1)[1]
        rules = [r for r in events.list_rules(EventBusName=bus)["Rules"] if "-detect-" in r["Name"]]
        alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix=f"{env.name_prefix}-detect-")[
            "MetricAlarms"]}  # fmt: skip
        hunting_alarm = f"{env.name_prefix}-detect-hunting-failed"
        if not rules or len(rules) != len(set(alarms) - {hunting_alarm}):
            raise CommandFailed(f"{env.name}: {len(rules)} detection rule(s) on {bus}, {len(alarms)} alarm(s)")
        if env.hunting_every_hours:
            self.check_scheduled_hunting(env, outputs, credentials, alarms.get(hunting_alarm))
        for rule in rules:
            pattern = json.loads(rule["EventPattern"])
            event = {"version": "0", "id": "e2e", "detail-type": "Auth0 log", "account": env.aws_account_id,
                     "time": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}", "region": env.aws_region, "resources": [],
                     **matching_event(pattern), "source": source}  # fmt: skip
            if not events.test_event_pattern(EventPattern=rule["EventPattern"], Event=json.dumps(event))["Result"]:
                raise CommandFailed(f"{env.name}: {rule['Name']} does not match an event made to its pattern")
            put = events.put_events(Entries=[{"Source": source, "DetailType": "Auth0 log", "EventBusName": bus,
                                              "Detail": json.dumps(event["detail"])}])  # fmt: skip
            if put["FailedEntryCount"]:
                raise CommandFailed(f"{env.name}: the partner bus refused the event for {rule['Name']}: {put}")
            alarm = alarms.get(rule["Name"])
            dimensions = {d["Name"]: d["Value"] for d in (alarm or {}).get("Dimensions", [])}
            if alarm is None or dimensions != {"EventBusName": bus, "RuleName": rule["Name"]} or alarm[
                "AlarmActions"] != [outputs["security_topic_arn"]]:  # fmt: skip
                raise CommandFailed(f"{env.name}: {rule['Name']}'s alarm does not read its matches into the topic")
        self.log(f"  {env.name}: {len(rules)} live detection(s): each matches its event and alarms the security topic")

    def check_scheduled_hunting(
        self, env: Environment, outputs: dict[str, Any], credentials: dict[str, str], alarm: dict[str, Any] | None
    ) -> None:
        """The schedule starts the hunting state machine every hunting_every_hours, and its failures alarm the
        security topic."""
        scheduler = self.local_aws.client("scheduler", env.aws_region, credentials)
        stepfunctions = self.local_aws.client("stepfunctions", env.aws_region, credentials)
        schedule = scheduler.get_schedule(Name=f"{env.name_prefix}-hunting")
        machine = stepfunctions.describe_state_machine(stateMachineArn=schedule["Target"]["Arn"])
        expected = f"rate({env.hunting_every_hours} hour{'s' if env.hunting_every_hours > 1 else ''})"
        if schedule["ScheduleExpression"] != expected or machine["name"] != f"{env.name_prefix}-hunting":
            found = f"{schedule['ScheduleExpression']} of {machine['name']}"
            raise CommandFailed(f"{env.name}: the hunting schedule is {found}")
        dimensions = {d["Name"]: d["Value"] for d in (alarm or {}).get("Dimensions", [])}
        if alarm is None or dimensions != {"StateMachineArn": machine["stateMachineArn"]} or alarm[
            "AlarmActions"] != [outputs["security_topic_arn"]]:  # fmt: skip
            raise CommandFailed(f"{env.name}: the hunting machine's failures do not alarm the security topic")
        self.log(f"  {env.name}: scheduled hunting: {expected} starts {machine['name']}; its failures alarm")

    def _put_events(self, s3: Any, bucket: str, when: datetime, name: str, storage_class: str = "STANDARD") -> None:
        body = "".join(json.dumps(event) + "\n" for event in sample_events())
        s3.put_object(Bucket=bucket, Key=f"logs/{when:%Y/%m/%d/%H}/{name}.gz", Body=gzip.compress(body.encode()),
                      StorageClass=storage_class)  # fmt: skip

    def command(self, env: Environment, credentials: dict[str, str], *arguments: str) -> str:
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH0_"))},
            **credentials,
            "AWS_ENDPOINT_URL": self.local_aws.endpoint,
            "AWS_REGION": env.aws_region,
            "AUTH0_ARCHIVE_CONFIG": str(self.config_file),
            "AUTH0_DOMAIN": env.auth0.domain if env.auth0 else "tenant.example.auth0.com",
            "AUTH0_BASE_URL": self.auth0_url,
            "AUTH0_API_TOKEN": self.auth0_token,
        }
        result = subprocess.run([sys.executable, "-m", "ops", *arguments], cwd=ROOT, env=environ,
                                capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
        said = (result.stdout + result.stderr).strip()
        if result.returncode != 0:
            raise CommandFailed(f"{env.name}: python -m ops {' '.join(arguments)} exited {result.returncode}:\n{said}")
        self.log(f"{env.stack_name}: python -m ops {' '.join(arguments)}: ok")
        return said
