"""CloudWatch alarms on every way the pipeline can lose or stop receiving events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from constructs import Construct

from modules.constructs import aws
from modules.constructs.encryption_key import ArchiveKey
from modules.constructs.iam import service_only_policy

FIVE_MINUTES = 300
ONE_HOUR = 3600


@dataclass(frozen=True)
class WatchedPipeline:
    """The names the alarms' metric dimensions need."""

    event_bus_name: str
    rule_name: str
    dead_letter_queue_name: str
    delivery_stream_name: str


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


class PipelineAlarms(Construct):
    """An encrypted SNS topic and the alarms that publish to it.

    - the rule's target fails, or EventBridge sends events to the dead-letter queue;
    - the dead-letter queue holds anything at all;
    - Firehose falls behind (oldest record older than ``delivery_delay_seconds``)
      or fails to write to S3;
    - no event arrives for ``no_events_hours``: a silent Auth0 stream is an
      outage (Auth0 pauses a stream after failing for 7 days and keeps its own
      logs only 1 to 30 days).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topic_name: str,
        alarm_names: Mapping[str, str],
        account_id: str,
        region: str,
        key: ArchiveKey,
        watched: WatchedPipeline,
        delivery_delay_seconds: int,
        no_events_hours: int,
        email: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        alarm_arns = [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}" for name in alarm_names.values()]
        only_our_alarms = {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": alarm_arns}}
        key.allow_service(
            "CloudWatchAlarmsPublishToEncryptedTopic",
            "cloudwatch.amazonaws.com",
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            only_our_alarms,
        )
        self.topic = aws.sns_topic.SnsTopic(self, "topic", name=topic_name, kms_master_key_id=key.arn)
        aws.sns_topic_policy.SnsTopicPolicy(
            self,
            "topic_policy",
            arn=self.topic.arn,
            policy=service_only_policy(
                "OnlyOurAlarmsPublish",
                "cloudwatch.amazonaws.com",
                ["sns:Publish"],
                self.topic.arn,
                only_our_alarms,
                tls_actions=["sns:Publish"],
            ),
        )
        if email:
            aws.sns_topic_subscription.SnsTopicSubscription(
                self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=email
            )

        rule = {"EventBusName": watched.event_bus_name, "RuleName": watched.rule_name}
        stream = {"DeliveryStreamName": watched.delivery_stream_name}
        queue = {"QueueName": watched.dead_letter_queue_name}
        at_least_one = ("GreaterThanOrEqualToThreshold", 1)
        specs = [
            AlarmSpec("target-failing", "EventBridge could not deliver Auth0 events to Firehose (retrying)",
                      "AWS/Events", "FailedInvocations", rule, "Sum", *at_least_one),
            AlarmSpec("events-dead-lettered", "EventBridge gave up on Auth0 events: they are in the DLQ",
                      "AWS/Events", "InvocationsSentToDlq", rule, "Sum", *at_least_one),
            AlarmSpec("dead-letter-queue-not-empty", "Undelivered Auth0 events wait in the DLQ: redrive them",
                      "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum", *at_least_one),
            AlarmSpec("delivery-delayed", f"Firehose holds records older than {delivery_delay_seconds} s",
                      "AWS/Firehose", "DeliveryToS3.DataFreshness", stream, "Maximum", "GreaterThanThreshold",
                      delivery_delay_seconds),
            AlarmSpec("delivery-failing", "Firehose fails to write objects to the archive bucket",
                      "AWS/Firehose", "DeliveryToS3.Success", stream, "Average", "LessThanThreshold", 1),
            AlarmSpec("no-events", f"No Auth0 log event arrived for {no_events_hours} hours: check the Auth0 "
                      "log stream (Auth0 pauses a failing stream)",
                      "AWS/Firehose", "IncomingRecords", stream, "Sum", "LessThanThreshold", 1,
                      period=ONE_HOUR, evaluation_periods=no_events_hours, missing_data="breaching"),
        ]  # fmt: skip
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
            for spec in specs
        }
