"""Alarms on every way the pipeline can lose or stop receiving events, and on changes to what holds
the archive, all published to one SNS topic encrypted with a key of its own."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from modules.constructs import aws
from modules.constructs.encryption_key import AlarmKey
from modules.constructs.iam import deny_insecure_transport, policy_document, statement

FIVE_MINUTES = 300
ONE_HOUR = 3600
# Retries that go on this long are an outage in the making, not a blip (EventBridge retries for 24 hours).
RETRYING_PERIODS = 3

# AWS documents these key-policy statements for services that publish to an encrypted topic, without
# conditions: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
SNS_ENCRYPTED_TOPIC_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
PUBLISH_TO_ENCRYPTED_TOPIC = ["kms:Decrypt", "kms:GenerateDataKey*"]
CLOUDTRAIL_CALL = "AWS API Call via CloudTrail"


@dataclass(frozen=True)
class WatchedPipeline:
    """The names the alarms' metric dimensions need."""

    event_bus_name: str
    rule_name: str
    dead_letter_queue_name: str
    delivery_stream_name: str


@dataclass(frozen=True)
class WatchedChanges:
    """What holds the archive, whose changes are reported as they happen (through CloudTrail's events
    and S3's EventBridge notifications on the default bus)."""

    keys: Sequence[tuple[str, str]]  # (ARN, key id): DisableKey, ScheduleKeyDeletion, PutKeyPolicy, ...
    bucket_name: str  # its configuration (BUCKET_CONFIGURATION); objects deleted or errors written
    archived_prefixes: Sequence[str]  # where deletions matter (not backfill's bookkeeping)
    error_prefix: str  # where Firehose files what it could not process
    ingest_rule_name: str  # disabled, deleted or changed, its targets removed or changed
    ingest_bus_name: str  # deleted
    replay_archive_name: str | None  # deleted or changed
    delivery_stream_name: str  # redirected or deleted
    # Detections (when an environment runs them): their rules on the partner bus and their alarms, all
    # named with this prefix, and the security topic they alert.
    detection_prefix: str | None = None
    security_topic_arn: str | None = None


# Event names are CloudTrail's, which name the API operation; S3 records some operations under the name
# of their older API (a lifecycle change is PutBucketLifecycle), and where CloudTrail's documentation does
# not settle which, both spellings are matched. tests/test_alarms.py checks every name against the
# services' API references.
BUCKET_CONFIGURATION = [
    "PutBucketPolicy", "DeleteBucketPolicy",
    "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
    "PutBucketVersioning",
    "PutBucketEncryption", "DeleteBucketEncryption",
    "PutObjectLockConfiguration",
    "PutBucketNotification", "PutBucketNotificationConfiguration",
    "PutBucketReplication", "DeleteBucketReplication",
    "PutPublicAccessBlock", "DeletePublicAccessBlock", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
    "PutBucketLogging",
    "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
]  # fmt: skip
KEY_CHANGES = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"]
INGEST_CHANGES = ["DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets", "DeleteEventBus"]
ARCHIVE_CHANGES = ["DeleteArchive", "UpdateArchive"]
DELIVERY_CHANGES = ["UpdateDestination", "DeleteDeliveryStream", "StopDeliveryStreamEncryption"]
ALARM_CHANGES = ["DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"]
# DeleteTopic cannot be reported through the topic it deletes: the topic policy denies it to everyone but
# the administrators instead.
TOPIC_CHANGES = ["SetTopicAttributes", "RemovePermission", "Unsubscribe", "DeleteTopic"]
# https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
TOPIC_PROTECTED_ACTIONS = ["sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission", "sns:AddPermission"]


@dataclass(frozen=True)
class AlarmSpec:
    suffix: str  # the alarm is named <name>-<suffix>
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    comparison: str
    threshold: float
    period: int = FIVE_MINUTES
    evaluation_periods: int = 1
    # For failure metrics no data means no failures; for IncomingRecords it means silence.
    missing_data: str = "notBreaching"


def cloudtrail(event_source: str, names: Sequence[str], *parameters: dict[str, Any]) -> dict[str, Any]:
    """CloudTrail's event of one of ``names`` by ``event_source``, whose requestParameters match any of
    ``parameters``. No "source" filter: it is the event source either way, and EventBridge's name for some
    services (CloudWatch's) is not the event source's."""
    detail: dict[str, Any] = {"eventSource": [event_source], "eventName": list(names)}
    options = [{"requestParameters": p} for p in parameters]
    if len(options) == 1:
        detail.update(options[0])
    else:
        detail["$or"] = options
    return {"detail-type": [CLOUDTRAIL_CALL], "detail": detail}


def change_patterns(
    watched: WatchedChanges, *, alarm_names: Sequence[str], topic_arn: str
) -> dict[str, dict[str, Any]]:
    """The EventBridge event pattern of each watch (modules/contract/naming.py WATCHES)."""
    bucket = {"bucket": {"name": [watched.bucket_name]}}
    archived = [{"prefix": prefix} for prefix in watched.archived_prefixes]
    ingest = [
        # DisableRule, DeleteRule, PutRule and DeleteEventBus name what they change "name"; the targets' calls, "rule".
        {"name": [watched.ingest_rule_name, watched.ingest_bus_name]},
        {"rule": [watched.ingest_rule_name]},
    ]
    if watched.replay_archive_name:
        ingest.append({"archiveName": [watched.replay_archive_name]})
    detection_alarms: list[dict[str, Any]] = []
    topics = [topic_arn]
    if watched.detection_prefix:
        detections = [{"prefix": watched.detection_prefix}]
        ingest += [{"name": detections}, {"rule": detections}]
        detection_alarms = [
            cloudtrail("monitoring.amazonaws.com", ALARM_CHANGES, {key: detections})["detail"]
            for key in ("alarmNames", "alarmName")
        ]
    if watched.security_topic_arn:
        topics.append(watched.security_topic_arn)
    return {
        "key-changes": {
            "source": ["aws.kms"],
            "detail-type": [CLOUDTRAIL_CALL],
            "detail": {
                "eventSource": ["kms.amazonaws.com"],
                "eventName": KEY_CHANGES,
                # CloudTrail names the key in resources[].ARN, and as the caller gave it (id or ARN) in keyId.
                "$or": [
                    {"resources": {"ARN": [arn for arn, _ in watched.keys]}},
                    {"requestParameters": {"keyId": [value for key in watched.keys for value in key]}},
                ],
            },
        },
        "bucket-changes": {
            "source": ["aws.s3"],
            **cloudtrail("s3.amazonaws.com", BUCKET_CONFIGURATION, {"bucketName": [watched.bucket_name]}),
        },
        # S3's own EventBridge notifications: a deletion by request, whether it removed a version for good
        # or added a delete marker (whose hidden version the lifecycle then expires). The lifecycle's own
        # expirations ("Lifecycle Expiration") and backfill's bookkeeping are not reported.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
        "objects-deleted": {
            "source": ["aws.s3"],
            "detail-type": ["Object Deleted"],
            "detail": {
                **bucket,
                "object": {"key": archived},
                "reason": ["DeleteObject"],
                "deletion-type": ["Permanently Deleted", "Delete Marker Created"],
            },
        },
        # Records Firehose could not file: processing failed, or past the active partition limit.
        "errors-written": {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {**bucket, "object": {"key": [{"prefix": watched.error_prefix}]}},
        },
        "ingest-changes": {
            "source": ["aws.events"],
            **cloudtrail("events.amazonaws.com", INGEST_CHANGES + ARCHIVE_CHANGES, *ingest),
        },
        "delivery-changes": {
            "source": ["aws.firehose"],
            **cloudtrail(
                "firehose.amazonaws.com", DELIVERY_CHANGES, {"deliveryStreamName": [watched.delivery_stream_name]}
            ),
        },
        "alarm-changes": {
            "detail-type": [CLOUDTRAIL_CALL],
            "detail": {
                "$or": [
                    cloudtrail("monitoring.amazonaws.com", ALARM_CHANGES, {"alarmNames": list(alarm_names)})["detail"],
                    cloudtrail("monitoring.amazonaws.com", ALARM_CHANGES, {"alarmName": list(alarm_names)})["detail"],
                    *detection_alarms,
                    cloudtrail("sns.amazonaws.com", TOPIC_CHANGES, {"topicArn": topics})["detail"],
                    *(
                        cloudtrail("sns.amazonaws.com", TOPIC_CHANGES, {"subscriptionArn": [{"prefix": f"{arn}:"}]})[
                            "detail"
                        ]
                        for arn in topics
                    ),
                ]
            },
        },
    }


class PipelineAlarms(Construct):
    """An SNS topic, encrypted with its own key, and everything that publishes to it.

    Metric alarms:
    - the rule's target fails for good, or EventBridge keeps retrying it (an early warning);
    - EventBridge sends events to the dead-letter queue, or fails to;
    - the dead-letter queue holds anything at all;
    - Firehose falls behind (oldest record older than ``delivery_delay_seconds``), fails to write to S3,
      or has more event hours open than its active partition limit;
    - no event arrives for ``no_events_hours``: a silent Auth0 stream is an outage (Auth0 pauses a
      stream after failing for 7 days and keeps its own logs only 1 to 30 days).

    Watch rules (EventBridge, default bus) report changes to what holds the archive the moment they
    happen (naming.WATCHES): the keys, the bucket's configuration, archived objects deleted by a request,
    records filed under errors/, the ingest rule, bus and replay archive, the stream, the alarms and the
    topic. With ``admin_role_arns``, only they may delete the topic or change its policy.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topic_name: str,
        alarm_names: Mapping[str, str],
        watch_rule_names: Mapping[str, str],
        account_id: str,
        region: str,
        key: AlarmKey,
        watched: WatchedPipeline,
        watched_changes: WatchedChanges,
        delivery_delay_seconds: int,
        no_events_hours: int,
        admin_role_arns: Sequence[str] = (),
        email: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        for sid, service in (("CloudWatchAlarmsPublish", "cloudwatch"), ("EventBridgeRulesPublish", "events")):
            key.allow_service(
                sid, f"{service}.amazonaws.com", PUBLISH_TO_ENCRYPTED_TOPIC, None, documented_by=SNS_ENCRYPTED_TOPIC_DOC
            )
        self.topic = aws.sns_topic.SnsTopic(self, "topic", name=topic_name, kms_master_key_id=key.arn)
        if email:
            aws.sns_topic_subscription.SnsTopicSubscription(
                self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=email
            )

        self.alarms = {
            spec.suffix: aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
                self,
                spec.suffix.replace("-", "_"),
                alarm_name=alarm_names[spec.suffix],
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                period=spec.period,
                evaluation_periods=spec.evaluation_periods,
                treat_missing_data=spec.missing_data,
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
            )
            for spec in alarm_specs(watched, delivery_delay_seconds, no_events_hours)
        }
        self.watch_rules = {}
        patterns = change_patterns(watched_changes, alarm_names=list(alarm_names.values()), topic_arn=self.topic.arn)
        for watch, pattern in patterns.items():
            rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
                self,
                f"watch_{watch.replace('-', '_')}",
                name=watch_rule_names[watch],
                description=f"Reports {watch.replace('-', ' ')} of the Auth0 log archive to its alarm topic",
                event_pattern=json.dumps(pattern),
                state="ENABLED",
            )
            aws.cloudwatch_event_target.CloudwatchEventTarget(
                self, f"watch_{watch.replace('-', '_')}_target", rule=rule.name, arn=self.topic.arn
            )
            self.watch_rules[watch] = rule

        alarm_arns = [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}" for name in alarm_names.values()]
        aws.sns_topic_policy.SnsTopicPolicy(
            self,
            "topic_policy",
            arn=self.topic.arn,
            policy=policy_document(
                alarms_publish("OnlyOurAlarmsPublish", self.topic.arn, account_id, alarm_arns),
                # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
                statement(
                    "OnlyOurWatchRulesPublish",
                    ["sns:Publish"],
                    [self.topic.arn],
                    principal={"Service": "events.amazonaws.com"},
                    condition={"ArnEquals": {"aws:SourceArn": [rule.arn for rule in self.watch_rules.values()]}},
                ),
                deny_insecure_transport(["sns:Publish"], [self.topic.arn]),
                # The one change the alarm-changes watch cannot report through the topic itself.
                *only_administrators_remove("OnlyAdministratorsRemoveTheAlarmTopic", self.topic.arn, admin_role_arns),
            ),
        )


def alarms_publish(sid: str, topic_arn: str, account_id: str, alarm_arns: Sequence[str]) -> dict[str, Any]:
    """CloudWatch may publish to the topic for these alarms only (SNS_ENCRYPTED_TOPIC_DOC's principal)."""
    return statement(
        sid,
        ["sns:Publish"],
        [topic_arn],
        principal={"Service": "cloudwatch.amazonaws.com"},
        condition={"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": list(alarm_arns)}},
    )


def only_administrators_remove(sid: str, topic_arn: str, admin_role_arns: Sequence[str]) -> list[dict[str, Any]]:
    """With administrators, nobody else may delete the topic or change its policy (a deleted topic cannot
    report its own deletion); without them, nothing is added."""
    if not admin_role_arns:
        return []
    return [
        statement(
            sid,
            TOPIC_PROTECTED_ACTIONS,
            [topic_arn],
            effect="Deny",
            principal={"AWS": "*"},
            condition={"ArnNotLike": {"aws:PrincipalArn": list(admin_role_arns)}},
        )
    ]


def alarm_specs(watched: WatchedPipeline, delivery_delay_seconds: int, no_events_hours: int) -> list[AlarmSpec]:
    rule = {"EventBusName": watched.event_bus_name, "RuleName": watched.rule_name}
    stream = {"DeliveryStreamName": watched.delivery_stream_name}
    queue = {"QueueName": watched.dead_letter_queue_name}
    at_least_one = ("GreaterThanOrEqualToThreshold", 1)
    # EventBridge's metrics: FailedInvocations counts invocations that failed for good (retries are
    # RetryInvocationAttempts). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
    return [
        AlarmSpec("target-failing", "EventBridge gave up delivering Auth0 events to Firehose (after its retries, "
                  "or on an error it does not retry): they go to the dead-letter queue",
                  "AWS/Events", "FailedInvocations", rule, "Sum", *at_least_one),
        AlarmSpec("target-retrying", f"EventBridge has been retrying Auth0 events for {RETRYING_PERIODS * 5} "
                  "minutes: Firehose is throttling or refusing them",
                  "AWS/Events", "RetryInvocationAttempts", rule, "Sum", *at_least_one,
                  evaluation_periods=RETRYING_PERIODS),
        AlarmSpec("events-dead-lettered", "EventBridge gave up on Auth0 events: they are in the DLQ (make redrive)",
                  "AWS/Events", "InvocationsSentToDlq", rule, "Sum", *at_least_one),
        AlarmSpec("dead-letter-failing", "EventBridge could not put undelivered Auth0 events into the DLQ: they "
                  "are lost unless replayed from the replay archive (make replay)",
                  "AWS/Events", "InvocationsFailedToBeSentToDlq", rule, "Sum", *at_least_one),
        AlarmSpec("dead-letter-queue-not-empty", "Undelivered Auth0 events wait in the DLQ: make redrive",
                  "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum", *at_least_one),
        AlarmSpec("delivery-delayed", f"Firehose holds records older than {delivery_delay_seconds} s",
                  "AWS/Firehose", "DeliveryToS3.DataFreshness", stream, "Maximum", "GreaterThanThreshold",
                  delivery_delay_seconds),
        AlarmSpec("delivery-failing", "Firehose fails to write objects to the archive bucket; it retries for 24 "
                  "hours, then drops the data (make replay brings it back)",
                  "AWS/Firehose", "DeliveryToS3.Success", stream, "Average", "LessThanThreshold", 1),
        # Records past the stream's active partition limit (500 by default) go to errors/ as
        # activePartitionExceeded. https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
        AlarmSpec("partitions-exceeded", "Firehose had more event hours open at once than its active partition "
                  "limit: records went to errors/activePartitionExceeded/ (make replay brings them back, window "
                  "by window)",
                  "AWS/Firehose", "PartitionCountExceeded", stream, "Maximum", *at_least_one),
        AlarmSpec("no-events", f"No Auth0 log event arrived for {no_events_hours} hours: check the Auth0 "
                  "log stream (Auth0 pauses a failing stream)",
                  "AWS/Firehose", "IncomingRecords", stream, "Sum", "LessThanThreshold", 1,
                  period=ONE_HOUR, evaluation_periods=no_events_hours, missing_data="breaching"),
    ]  # fmt: skip
