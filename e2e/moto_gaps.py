"""Where moto (5.2) differs from AWS in ways our stacks hit, and the smallest patch that restores AWS.

Each gap has a probe that asks an in-memory moto the question AWS answers
differently. A patch is applied only while its probe still sees the gap, so
each one disappears by itself when moto fixes it. docs/testing.md lists them.
The product is never changed to suit moto; the harness is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

PARTNER_SOURCE = "aws.partner/auth0.com/probe-00000000-0000-4000-8000-000000000000/auth0.logs"
PROBE_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class MotoGap:
    name: str
    aws_behaviour: str  # what AWS does, which the patch restores
    probe: Callable[[], bool]  # True while moto still shows the gap
    patch: Callable[[], None]


def _probe_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name="us-east-1", aws_access_key_id="probe", aws_secret_access_key="probe")


# --- EventBridge: a partner bus's name contains "/" ------------------------------------------------


def _probe_partner_bus_names() -> bool:
    from moto import mock_aws

    with mock_aws():
        events = _probe_client("events")
        events.create_partner_event_source(Name=PARTNER_SOURCE, Account=PROBE_ACCOUNT)
        bus = events.create_event_bus(Name=PARTNER_SOURCE, EventSourceName=PARTNER_SOURCE)["EventBusArn"]
        try:
            events.put_rule(Name="probe", EventBusName=PARTNER_SOURCE, EventPattern='{"source":["x"]}')
            events.tag_resource(ResourceARN=bus, Tags=[{"Key": "k", "Value": "v"}])
            archive = events.create_archive(ArchiveName="probe", EventSourceArn=bus)["ArchiveArn"]
        except events.exceptions.ClientError:
            return True
        described = events.describe_archive(ArchiveName="probe")
        return not archive or described["EventSourceArn"] != bus or _archive_bus("probe") != PARTNER_SOURCE


def _archive_bus(name: str) -> str | None:
    from moto.events.models import events_backends

    archive = events_backends[PROBE_ACCOUNT]["us-east-1"].archives.get(name)
    return archive.event_bus_name if archive else None


def _bus_name(arn_or_name: str) -> str:
    """A bus is named by its name or by its ARN, "arn:…:event-bus/<name>", and the name may hold "/"."""
    return arn_or_name.split(":event-bus/", 1)[1] if arn_or_name.startswith("arn:") else arn_or_name


def _patch_partner_bus_names() -> None:
    from moto.events import models

    backend = models.EventsBackend

    def normalize(self: Any, event_bus_arn: str | None) -> str:
        return "default" if event_bus_arn is None else _bus_name(event_bus_arn)

    backend._normalize_event_bus_arn = normalize

    def resource(self: Any, arn: str) -> Any:
        # AWS identifies a tagged resource by its whole ARN.
        for bus in self.event_buses.values():
            if bus.arn == arn:
                return bus
            for rule in bus.rules.values():
                if rule.arn == arn:
                    return rule
        raise models.ResourceNotFoundException(f"Resource {arn} does not exist.")

    def tag_resource(self: Any, arn: str, tags: Any) -> None:
        self.tagger.tag_resource(resource(self, arn).arn, self.tagger.convert_dict_to_tags_input(tags))

    def untag_resource(self: Any, arn: str, tag_keys: list[str]) -> None:
        self.tagger.untag_resource_using_names(resource(self, arn).arn, tag_keys)

    def list_tags_for_resource(self: Any, arn: str) -> dict[str, Any]:
        return self.tagger.list_tags_for_resource(resource(self, arn).arn)

    backend.tag_resource = tag_resource
    backend.untag_resource = untag_resource
    backend.list_tags_for_resource = list_tags_for_resource

    original_init = models.Archive.__init__

    def archive_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.event_bus_name = _bus_name(self.source_arn)

    models.Archive.__init__ = archive_init

    def replay_events(self: Any, archive: Any) -> None:
        # A replay's destination is the bus's ARN; moto reads the name after its last "/", which a partner
        # bus's name holds.
        backend = models.events_backends[self.account_id][self.region]
        bus = backend.describe_event_bus(_bus_name(self.destination["Arn"]))
        for event in archive.events:
            for rule in bus.rules.values():
                replayed = dict(event, **{"id": str(models.random.uuid4()), "replay-name": self.name})
                rule.send_to_targets(replayed, transform_input=False)
        self.state = models.ReplayState.COMPLETED
        self.end_time = models.unix_time()

    models.Replay.replay_events = replay_events


# --- S3: the log-delivery statement's Resource as a list --------------------------------------------


# The grant our access-log bucket gives, its Resource a list as IAM allows.
_LOG_DELIVERY_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::probe-logs/*"],
    }],
})  # fmt: skip


def _probe_logging_resource_list() -> bool:
    from moto import mock_aws

    with mock_aws():
        s3 = _probe_client("s3")
        for bucket in ("probe-source", "probe-logs"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket="probe-logs", Policy=_LOG_DELIVERY_POLICY)
        try:
            s3.put_bucket_logging(
                Bucket="probe-source",
                BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "probe-logs", "TargetPrefix": "x/"}},
            )
        except s3.exceptions.ClientError:
            return True
        return False


def _patch_logging_resource_list() -> None:
    from moto.s3 import models

    original = models.FakeBucket._log_permissions_enabled_policy

    def enabled(target_bucket: Any, target_prefix: str | None) -> bool:
        # IAM reads "Resource" as a string or a list of strings: one statement per resource is the same policy.
        policy = target_bucket.policy
        if not policy:
            return False
        document = json.loads(policy.decode())
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        expanded = [
            {**stmt, "Resource": resource}
            for stmt in statements
            for resource in (stmt.get("Resource") if isinstance(stmt.get("Resource"), list) else [stmt.get("Resource")])
        ]
        saved = target_bucket.policy
        target_bucket.policy = json.dumps({**document, "Statement": expanded}).encode()
        try:
            return original(target_bucket, target_prefix)
        finally:
            target_bucket.policy = saved

    models.FakeBucket._log_permissions_enabled_policy = staticmethod(enabled)


# --- S3: GetBucketNotificationConfiguration leaves out EventBridgeConfiguration ------------------


def _probe_notification_eventbridge() -> bool:
    from moto import mock_aws

    with mock_aws():
        s3 = _probe_client("s3")
        s3.create_bucket(Bucket="probe-notify")
        s3.put_bucket_notification_configuration(
            Bucket="probe-notify", NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        return "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="probe-notify")


def _patch_notification_eventbridge() -> None:
    from moto.s3 import responses

    original = responses.S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if not configuration or configuration.event_bridge is None:
            return original(self)
        status, headers, body = original(self)
        text = body.decode() if isinstance(body, bytes) else body
        # AWS answers <EventBridgeConfiguration/> when S3 sends the bucket's events to EventBridge.
        if "<EventBridgeConfiguration" not in text:
            if "</NotificationConfiguration>" in text:
                text = text.replace(
                    "</NotificationConfiguration>", "<EventBridgeConfiguration/></NotificationConfiguration>"
                )
            else:  # an empty answer: no other notification configured
                text = (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                    "<EventBridgeConfiguration/></NotificationConfiguration>"
                )
        return status, headers, text.encode() if isinstance(body, bytes) else text

    responses.S3Response.get_bucket_notification = get_bucket_notification


# --- IAM policy evaluation: a statement whose condition does not match does not apply --------------


def _probe_conditioned_deny() -> bool:
    from moto import mock_aws

    with mock_aws():
        s3 = _probe_client("s3")
        s3.create_bucket(Bucket="probe-tls")
        s3.put_bucket_policy(Bucket="probe-tls", Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::probe-tls/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        }))  # fmt: skip
        try:
            s3.put_object(Bucket="probe-tls", Key="k", Body=b"x")
        except s3.exceptions.ClientError:
            return True
        return False


def _condition_can_match(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            if key in context or operator.endswith("IfExists"):
                continue
            if operator == "Null" and str(expected).lower() == "true":
                continue
            return False
    return True


def _patch_conditioned_deny() -> None:
    from moto.iam import access_control

    statement = access_control.IAMPolicyStatement
    original = statement.is_action_permitted

    def is_action_permitted(self: Any, action: str, resource: str = "*", principal: str | None = None,
                            incoming_condition_values: dict[str, str] | None = None) -> Any:  # fmt: skip
        # IAM: a statement applies only when its Condition matches, and a condition on a key missing from the
        # request context does not match (but for ...IfExists, and Null: "true"). moto passes no context for
        # bucket policies, and treats such a condition as matching.
        if not _condition_can_match(self._statement.get("Condition") or {}, incoming_condition_values or {}):
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    statement.is_action_permitted = is_action_permitted


# --- EventBridge: TestEventPattern --------------------------------------------------------------------


def _probe_test_event_pattern() -> bool:
    from moto import mock_aws

    with mock_aws():
        event = {"id": "1", "source": "a", "detail-type": "x", "account": PROBE_ACCOUNT, "time": "2026-01-01T00:00:00Z",
                 "region": "us-east-1", "resources": [], "detail": {}}  # fmt: skip
        answer = _probe_client("events").test_event_pattern(EventPattern='{"source": ["a"]}', Event=json.dumps(event))
        return answer.get("Result") is not True


def _patch_test_event_pattern() -> None:
    from moto.events import models, responses

    def test_event_pattern(self: Any) -> str:
        # EventBridge answers {"Result": true|false}: whether the event matches; moto's own pattern engine decides.
        pattern = models.EventPattern.load(self._get_param("EventPattern"))
        return json.dumps({"Result": bool(pattern.matches_event(json.loads(self._get_param("Event"))))})

    responses.EventsHandler.test_event_pattern = test_event_pattern


# --- Firehose: dynamic partitioning, the delimiter and compression of an extended S3 destination -----


def _probe_firehose_partitioning() -> bool:
    import gzip

    from moto import mock_aws

    with mock_aws():
        _probe_client("s3").create_bucket(Bucket="probe-firehose")
        firehose = _probe_client("firehose")
        firehose.create_delivery_stream(
            DeliveryStreamName="probe",
            ExtendedS3DestinationConfiguration=_probe_destination("arn:aws:s3:::probe-firehose"),
        )
        firehose.put_record(DeliveryStreamName="probe", Record={"Data": b'{"k": "v"}'})
        (key,) = [o["Key"] for o in _probe_client("s3").list_objects_v2(Bucket="probe-firehose")["Contents"]]
        body = _probe_client("s3").get_object(Bucket="probe-firehose", Key=key)["Body"].read()
        try:
            return not (key.startswith("p/v/") and gzip.decompress(body) == b'{"k": "v"}\n')
        except OSError:
            return True


def _probe_destination(bucket_arn: str) -> dict[str, Any]:
    return {
        "RoleARN": f"arn:aws:iam::{PROBE_ACCOUNT}:role/probe", "BucketARN": bucket_arn,
        "Prefix": "p/!{partitionKeyFromQuery:k}/", "ErrorOutputPrefix": "e/", "CompressionFormat": "GZIP",
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [
            {"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{k: .k}"},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
            {"Type": "AppendDelimiterToRecord"}]},
    }  # fmt: skip


def _patch_firehose_partitioning() -> None:
    import gzip
    import re
    from collections import defaultdict
    from datetime import UTC, datetime

    import jq
    from moto.firehose import models
    from moto.s3.models import s3_backends

    original = models.FirehoseBackend.put_s3_records

    def put_s3_records(self: Any, delivery_stream_name: str, version_id: str, s3_destination: dict[str, Any],
                       records: list[dict[str, bytes]]) -> list[dict[str, str]]:  # fmt: skip
        # Firehose with dynamic partitioning files each record under the prefix its JQ query's keys fill in,
        # after the processors (AppendDelimiterToRecord), compressed as configured; a record the query cannot
        # partition goes to the error prefix as partitioning-failed.
        # https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html
        processing = s3_destination.get("ProcessingConfiguration") or {}
        processors = {p["Type"]: {q["ParameterName"]: q["ParameterValue"] for q in p.get("Parameters", [])}
                      for p in processing.get("Processors", [])}  # fmt: skip
        if not (s3_destination.get("DynamicPartitioningConfiguration") or {}).get("Enabled") or (
            "MetadataExtraction" not in processors
        ):
            return original(self, delivery_stream_name, version_id, s3_destination, records)
        query = jq.compile(processors["MetadataExtraction"]["MetadataExtractionQuery"])
        now = datetime.now(UTC)
        objects: dict[str, list[bytes]] = defaultdict(list)
        for record in records:
            try:
                keys = query.input_text(record["Data"].decode()).first()
                prefix = re.sub(
                    r"!\{partitionKeyFromQuery:(\w+)\}", lambda m, keys=keys: str(keys[m[1]]), s3_destination["Prefix"]
                )
            except Exception:  # what Firehose does with any record its query fails on
                prefix = s3_destination.get("ErrorOutputPrefix", "").replace(
                    "!{firehose:error-output-type}", "partitioning-failed"
                )
                prefix = re.sub(r"!\{timestamp:(\w+)\}", lambda m: now.strftime(
                    {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}[m[1]]), prefix)  # fmt: skip
            data = record["Data"] + (b"\n" if "AppendDelimiterToRecord" in processors else b"")
            objects[prefix].append(data)
        for prefix, parts in objects.items():
            body = b"".join(parts)
            name = f"{delivery_stream_name}-{version_id}-{now:%Y-%m-%d-%H-%M-%S}-{models.mock_random.uuid4()}"
            if s3_destination.get("CompressionFormat") == "GZIP":
                body, name = gzip.compress(body), f"{name}.gz"
            bucket = s3_destination["BucketARN"].split(":")[-1]
            s3_backends[self.account_id][self.partition].put_object(bucket, f"{prefix}{name}", body)
        return [{"RecordId": str(models.mock_random.uuid4())} for _ in records]

    models.FirehoseBackend.put_s3_records = put_s3_records


# --- EventBridge: a Firehose target ------------------------------------------------------------------------


def _probe_firehose_target() -> bool:
    from moto import mock_aws

    with mock_aws():
        _probe_client("s3").create_bucket(Bucket="probe-target")
        firehose = _probe_client("firehose")
        stream = firehose.create_delivery_stream(
            DeliveryStreamName="probe-target",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{PROBE_ACCOUNT}:role/probe",
                "BucketARN": "arn:aws:s3:::probe-target",
            },
        )["DeliveryStreamARN"]
        events = _probe_client("events")
        events.put_rule(Name="probe", EventPattern='{"source": ["probe"]}')
        events.put_targets(Rule="probe", Targets=[{"Id": "1", "Arn": stream}])
        try:
            events.put_events(Entries=[{"Source": "probe", "DetailType": "x", "Detail": "{}"}])
        except Exception:  # moto answers 500: it has no Firehose target
            return True
        return "Contents" not in _probe_client("s3").list_objects_v2(Bucket="probe-target")


def _patch_firehose_target() -> None:
    from moto.events import models
    from moto.firehose.models import firehose_backends

    original = models.Rule.send_to_targets

    def send_to_targets(self: Any, event: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        # EventBridge puts the event, as JSON, into a Firehose target with PutRecord (no input path or
        # transformer here). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html
        firehose = [t for t in self.targets if ":firehose:" in t["Arn"]]
        others = [t for t in self.targets if t not in firehose]
        delivered = {key: value for key, value in event.items() if key != "ingestion-time"}
        for target in firehose:
            _, _, _, region, account, resource = target["Arn"].split(":", 5)
            backend = firehose_backends[account][region]
            backend.put_record(resource.split("/", 1)[1], {"Data": json.dumps(delivered).encode()})
        if others:
            self.targets, kept = others, self.targets
            try:
                original(self, event, *args, **kwargs)
            finally:
                self.targets = kept

    models.Rule.send_to_targets = send_to_targets


# --- Step Functions: ValidateStateMachineDefinition -------------------------------------------------------


def _probe_validate_definition() -> bool:
    from moto import mock_aws

    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    with mock_aws():
        try:
            answer = _probe_client("stepfunctions").validate_state_machine_definition(definition=definition)
        except Exception:  # moto: "The validate_state_machine_definition action has not been implemented"
            return True
        return answer.get("result") != "OK"


def _patch_validate_definition() -> None:
    import logging

    from moto.stepfunctions import responses
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_unsupported
    from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser

    # Its parser warns, at every analysis, that it would forward Athena calls to the service; we only validate.
    logging.getLogger(state_task_service_unsupported.__name__).setLevel(logging.ERROR)

    def validate_state_machine_definition(self: Any) -> str:
        # Step Functions checks a definition against the States Language and answers OK, or FAIL with its
        # diagnostics (the aws provider asks before it creates a state machine). moto's own ASL parser and
        # static analyser (the ones it runs executions with) answer here.
        try:
            StaticAnalyser().analyse(self._get_param("definition"))
        except Exception as error:  # the parser's and the analyser's refusals
            diagnostic = {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(error)[:1000]}
            return json.dumps({"result": "FAIL", "diagnostics": [diagnostic], "truncated": False})
        return json.dumps({"result": "OK", "diagnostics": [], "truncated": False})

    responses.StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition

    def list_state_machine_versions(self: Any) -> str:
        # The versions moto keeps of a state machine (none unless it is published), newest first.
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = [
            {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date.timestamp()}
            for _, version in sorted(machine.versions.items(), reverse=True)
        ]
        return json.dumps({"stateMachineVersions": versions})

    responses.StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


GAPS: tuple[MotoGap, ...] = (
    MotoGap(
        "partner bus names",
        "A partner event bus is named after its event source, which contains '/'; EventBridge takes the whole "
        "name (or the ARN after 'event-bus/') in PutRule, PutTargets, CreateArchive and a replay's destination, "
        "and identifies a tagged resource by its whole ARN. moto keeps only the text after the last '/'.",
        _probe_partner_bus_names,
        _patch_partner_bus_names,
    ),
    MotoGap(
        "log delivery policy resource list",
        "IAM policy 'Resource' is a string or a list; S3 accepts a logging.s3.amazonaws.com grant written as a "
        "list. moto accepts only a single string.",
        _probe_logging_resource_list,
        _patch_logging_resource_list,
    ),
    MotoGap(
        "EventBridge bucket notification",
        "GetBucketNotificationConfiguration returns <EventBridgeConfiguration/> when it is enabled. moto drops "
        "it, so every second plan would show eventbridge false -> true.",
        _probe_notification_eventbridge,
        _patch_notification_eventbridge,
    ),
    MotoGap(
        "TestEventPattern",
        'EventBridge\'s TestEventPattern answers whether an event matches a pattern ({"Result": true}). moto '
        "does not implement it and answers nothing; make verify calls it.",
        _probe_test_event_pattern,
        _patch_test_event_pattern,
    ),
    MotoGap(
        "Firehose dynamic partitioning",
        "Firehose with dynamic partitioning files each record under the prefix its JQ query fills in "
        "(!{partitionKeyFromQuery:...}), appends the delimiter and compresses the object as configured. moto "
        "writes every record, as sent, under the prefix's literal text and the hour it received them.",
        _probe_firehose_partitioning,
        _patch_firehose_partitioning,
    ),
    MotoGap(
        "Firehose target",
        "EventBridge delivers a matched event to a Firehose target (PutRecord of the event's JSON). moto has no "
        "Firehose target: PutEvents on a bus whose rule targets Firehose fails with an internal error.",
        _probe_firehose_target,
        _patch_firehose_target,
    ),
    MotoGap(
        "ValidateStateMachineDefinition",
        "Step Functions checks a definition against the States Language and answers OK, or FAIL with its "
        "diagnostics, and lists a state machine's versions; the aws provider calls both. moto implements neither.",
        _probe_validate_definition,
        _patch_validate_definition,
    ),
    MotoGap(
        "conditioned bucket policy statements",
        "In IAM's policy evaluation a statement applies only when its Condition matches. moto passes no request "
        "context (aws:SecureTransport, aws:PrincipalArn) and treats a conditioned Deny as matching: every "
        "PutObject on a bucket that denies plain-HTTP requests is refused, as if no request could use TLS. The "
        "local endpoint stands in for AWS's TLS endpoints.",
        _probe_conditioned_deny,
        _patch_conditioned_deny,
    ),
)


def patch_moto(gaps: tuple[MotoGap, ...] = GAPS) -> Iterator[MotoGap]:
    """Patch each gap that moto still shows; yield the ones patched."""
    for gap in gaps:
        if gap.probe():
            gap.patch()
            if gap.probe():
                raise RuntimeError(f"the patch for moto's gap {gap.name!r} did not close it")
            yield gap
