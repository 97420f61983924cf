"""Auth0's detections, live: an EventBridge rule per live detection on the partner bus, an alarm on its
matches, and the security topic the alarms notify (docs/detections.md).

A rule has no target: EventBridge counts the events each rule matches (MatchedEvents, with the
EventBusName and RuleName dimensions on a bus other than the default one, as the pipeline's own alarms
read them), and the alarm turns that count into one notification: it goes to ALARM on the first minute
with matches and stays there while they go on, so a burst of 10,000 matches is one e-mail, and a new one
follows only after a quiet minute. The notification names the rule, its level and the Athena query
that lists the events; CloudWatch adds the count.

The security topic is apart from the alarm topic (its own subscriber), and like it encrypted with the
alarm key, not the archive key: alerts do not depend on what holds the archive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from modules.constructs import aws
from modules.constructs.alarms import alarms_publish, only_administrators_remove
from modules.constructs.encryption_key import AlarmKey
from modules.constructs.iam import deny_insecure_transport, policy_document
from modules.constructs.terraform_text import literal

ONE_MINUTE = 60  # EventBridge sends its metrics every minute
ALARM_DESCRIPTION_MAX = 1024  # CloudWatch's limit


@dataclass(frozen=True)
class LiveDetection:
    """What a live detection needs here: plain values from modules/contract/detections.py."""

    rule_id: str
    title: str
    level: str | None
    pattern: Mapping[str, Any]
    alert_threshold: int  # matches in a minute
    rule_name: str
    alarm_name: str
    query_name: str  # the named Athena query that lists its events


def alarm_description(detection: LiveDetection, workgroup: str) -> str:
    text = (
        f"Auth0 detection {detection.rule_id} (level {detection.level or 'none'}): {detection.title.rstrip('.')}. "
        f"{detection.alert_threshold} or more matching events in a minute (the count is in the reason). "
        f"The events: Athena named query {detection.query_name} in workgroup {workgroup}, with the hours "
        "as its parameters (docs/detections.md)."
    )
    if len(text) > ALARM_DESCRIPTION_MAX:
        text = text[: ALARM_DESCRIPTION_MAX - 1] + "…"
    return text


class LiveDetections(Construct):
    """The security topic, and per live detection a rule on the partner bus and an alarm."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topic_name: str,
        event_bus_name: str,
        workgroup_name: str,
        account_id: str,
        region: str,
        key: AlarmKey,
        detections: Sequence[LiveDetection],
        admin_role_arns: Sequence[str] = (),
        email: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.topic = aws.sns_topic.SnsTopic(self, "topic", name=topic_name, kms_master_key_id=key.arn)
        if email:
            aws.sns_topic_subscription.SnsTopicSubscription(
                self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=email
            )
        self.rules = {}
        self.alarms = {}
        for detection in detections:
            scope_id = detection.rule_id
            rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
                self,
                f"rule_{scope_id}",
                name=detection.rule_name,
                description=literal(f"Auth0 detection {detection.rule_id}: {detection.title}"[:512]),
                event_bus_name=event_bus_name,
                event_pattern=literal(json.dumps(detection.pattern, separators=(",", ":"), ensure_ascii=False)),
                state="ENABLED",
            )
            self.rules[detection.rule_id] = rule
            self.alarms[detection.rule_id] = aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
                self,
                f"alarm_{scope_id}",
                alarm_name=detection.alarm_name,
                alarm_description=literal(alarm_description(detection, workgroup_name)),
                namespace="AWS/Events",
                metric_name="MatchedEvents",
                dimensions={"EventBusName": event_bus_name, "RuleName": rule.name},
                statistic="Sum",
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=detection.alert_threshold,
                period=ONE_MINUTE,
                evaluation_periods=1,
                treat_missing_data="notBreaching",  # no match is no datapoint
                alarm_actions=[self.topic.arn],  # one notification as it starts; none while it goes on or ends
            )
        alarm_arns = [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{d.alarm_name}" for d in detections]
        publish = [alarms_publish("OnlyOurDetectionAlarmsPublish", self.topic.arn, account_id, alarm_arns)]
        aws.sns_topic_policy.SnsTopicPolicy(
            self,
            "topic_policy",
            arn=self.topic.arn,
            policy=policy_document(
                *(publish if alarm_arns else []),
                deny_insecure_transport(["sns:Publish"], [self.topic.arn]),
                *only_administrators_remove(
                    "OnlyAdministratorsRemoveTheSecurityTopic", self.topic.arn, admin_role_arns
                ),
            ),
        )
