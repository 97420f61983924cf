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
from modules.constructs.encryption_key import THIS_KEY, AlarmKey
from modules.constructs.iam import ServiceRole, deny_insecure_transport, policy_document, statement
from modules.constructs.terraform_text import literal
from modules.contract.detections import pattern_json

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
        other_alarm_names: Sequence[str] = (),  # alarms of this stack that also tell the topic (hunting's)
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
                event_pattern=literal(pattern_json(detection.pattern)),
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
        alarm_names = [*(d.alarm_name for d in detections), *other_alarm_names]
        alarm_arns = [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}" for name in alarm_names]
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


# --- scheduled hunting -----------------------------------------------------------------------------------

# Step Functions' service integrations: Athena (the .sync pattern waits for the query), SNS.
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html
ATHENA_RUN = "arn:aws:states:::athena:startQueryExecution.sync"
ATHENA_RESULTS = "arn:aws:states:::athena:getQueryResults"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
FIRST_ROWS = 6  # the header and five rows: enough to see what it found; the query lists the rest
SUBJECT_MAX = 100  # SNS: a subject of at most 100 printable ASCII characters


@dataclass(frozen=True)
class HuntingQuery:
    rule_id: str
    query_name: str  # the named query, for the message
    sql: str  # with its window as the last hours (sigma_athena.scheduled)


def hunting_definition(
    queries: Sequence[HuntingQuery], *, workgroup: str, database: str, topic_arn: str, hours: int
) -> dict[str, Any]:
    """The state machine: each query run in turn (Athena's workgroup caps each scan), and what one finds told
    to the security topic with its first rows; a failed query fails the run, which the alarm reports."""
    items = [{"rule": q.rule_id, "query": q.query_name, "sql": q.sql} for q in queries]
    tell = (
        f"Auth0 hunting: {{}} found rows in the last {hours} hour(s). Named query {{}} lists them "
        "(query execution {}). First rows: {}"
    )
    return {
        "Comment": "Runs the Auth0 detections' hunting queries and tells the security topic what they find",
        "StartAt": "Queries",
        "States": {
            "Queries": {"Type": "Pass", "Result": items, "Next": "EachQuery"},
            "EachQuery": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Run",
                    "States": {
                        "Run": {
                            "Type": "Task",
                            "Resource": ATHENA_RUN,
                            "Parameters": {
                                "QueryString.$": "$.sql",
                                "WorkGroup": workgroup,
                                "QueryExecutionContext": {"Database": database},
                            },
                            "ResultSelector": {"id.$": "$.QueryExecution.QueryExecutionId"},
                            "ResultPath": "$.run",
                            "Next": "Results",
                        },
                        "Results": {
                            "Type": "Task",
                            "Resource": ATHENA_RESULTS,
                            "Parameters": {"QueryExecutionId.$": "$.run.id", "MaxResults": FIRST_ROWS},
                            "ResultSelector": {"rows.$": "$.ResultSet.Rows"},
                            "ResultPath": "$.results",
                            "Next": "Found",
                        },
                        "Found": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$.results.rows[1]", "IsPresent": True, "Next": "Tell"}],
                            "Default": "Nothing",
                        },
                        "Tell": {
                            "Type": "Task",
                            "Resource": SNS_PUBLISH,
                            "Parameters": {
                                "TopicArn": topic_arn,
                                "Subject.$": "States.Format('Auth0 hunting: {}', $.rule)",
                                "Message.$": f"States.Format('{tell}', $.rule, $.query, $.run.id, "
                                "States.JsonToString($.results.rows))",
                            },
                            "End": True,
                        },
                        "Nothing": {"Type": "Succeed"},
                    },
                },
                "End": True,
            },
        },
    }


class ScheduledHunting(Construct):
    """EventBridge Scheduler starts a Step Functions state machine every ``hours``; it runs each hunting query
    over the hours that ended an hour before and publishes what one finds to the security topic. An alarm on
    the machine's failed runs tells the same topic."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        schedule_role_name: str,
        alarm_name: str,
        hours: int,
        queries: Sequence[HuntingQuery],
        workgroup_name: str,
        database_name: str,
        archive_bucket_name: str,
        results_bucket_name: str,
        archive_key_arn: str,
        alarm_key: AlarmKey,
        topic_arn: str,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id)
        machine_arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"
        role_arn = f"arn:aws:iam::{account_id}:role/{name}"
        glue = f"arn:aws:glue:{region}:{account_id}"
        self.role = ServiceRole(
            self,
            "role",
            name=name,
            description="Runs the Auth0 detections' hunting queries and publishes what they find",
            service="states.amazonaws.com",
            trust_condition={
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": machine_arn},
            },
            statements=[
                statement(
                    "RunQueries",
                    [
                        "athena:StartQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:StopQueryExecution",
                    ],
                    [f"arn:aws:athena:{region}:{account_id}:workgroup/{workgroup_name}"],
                ),
                statement(
                    "ReadTheTable",
                    ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
                    [f"{glue}:catalog", f"{glue}:database/{database_name}", f"{glue}:table/{database_name}/*"],
                ),
                statement("ReadTheArchive", ["s3:GetObject"], [f"arn:aws:s3:::{archive_bucket_name}/logs/*"]),
                statement(
                    "ListTheBuckets",
                    ["s3:ListBucket", "s3:GetBucketLocation"],
                    [f"arn:aws:s3:::{archive_bucket_name}", f"arn:aws:s3:::{results_bucket_name}"],
                ),
                statement(
                    "WriteResults",
                    ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                    [f"arn:aws:s3:::{results_bucket_name}/*"],
                ),
                # Through S3 only (the archive key's policy allows nothing else to principals).
                statement("UseTheArchiveKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"], [archive_key_arn]),
                statement("Tell", ["sns:Publish"], [topic_arn]),
                statement("UseTheAlarmKeyThroughSns", ["kms:Decrypt", "kms:GenerateDataKey*"], [alarm_key.arn]),
            ],
        )
        # The topic is encrypted with the alarm key: this role may use it, through SNS only. Named by
        # aws:PrincipalArn, so that the key policy does not depend on the role existing first.
        alarm_key.allow(
            statement(
                "HuntingPublishesToTheSecurityTopic",
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                THIS_KEY,
                principal=alarm_key.account,
                condition={
                    "ArnEquals": {"aws:PrincipalArn": role_arn},
                    "StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"},
                },
            )
        )
        definition = hunting_definition(
            queries, workgroup=workgroup_name, database=database_name, topic_arn=topic_arn, hours=hours
        )
        self.machine = aws.sfn_state_machine.SfnStateMachine(
            self,
            "machine",
            name=name,
            role_arn=self.role.arn,
            definition=literal(json.dumps(definition, indent=1)),
            type="STANDARD",
        )
        schedule_role = ServiceRole(
            self,
            "schedule_role",
            name=schedule_role_name,
            description="Lets EventBridge Scheduler start the Auth0 hunting runs",
            service="scheduler.amazonaws.com",
            trust_condition={"StringEquals": {"aws:SourceAccount": account_id}},
            statements=[statement("StartHunting", ["states:StartExecution"], [machine_arn])],
        )
        aws.scheduler_schedule.SchedulerSchedule(
            self,
            "schedule",
            name=name,
            description=f"Runs the Auth0 hunting queries every {hours} hour(s)",
            schedule_expression=f"rate({hours} {'hour' if hours == 1 else 'hours'})",
            flexible_time_window=aws.scheduler_schedule.SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            target=aws.scheduler_schedule.SchedulerScheduleTarget(
                arn=self.machine.arn, role_arn=schedule_role.arn, input="{}"
            ),
        )
        self.alarm = aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
            self,
            "alarm",
            alarm_name=alarm_name,
            alarm_description=(
                "A scheduled Auth0 hunting run failed (a query failed, was stopped at the workgroup's scan limit, "
                "or could not publish): its execution in Step Functions says which"
            ),
            namespace="AWS/States",
            metric_name="ExecutionsFailed",
            dimensions={"StateMachineArn": self.machine.arn},
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            period=300,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
        )
