"""modules/constructs/alarms.py: the alarm topic and every alarm, wired to the real resources."""

from __future__ import annotations

import pytest

from modules.contract.naming import ALARM_SUFFIXES
from tests.helpers import named, only, policy, ref, resources


def alarms(doc: dict) -> dict[str, dict]:
    return {
        a["alarm_name"]: a
        for a in resources(doc, "aws_cloudwatch_metric_alarm").values()
        if not a["alarm_name"].startswith("auth0-log-archive-prod-detect-")
    }


def test_topic_is_encrypted_with_its_own_key_and_only_our_alarms_and_watches_publish(prod: dict) -> None:
    alarm_key, _ = named(prod, "aws_kms_key", "alarm_key")
    topic, attrs = named(prod, "aws_sns_topic", "alarms_topic")
    assert attrs == attrs | {
        "name": "auth0-log-archive-prod-alarms",
        "kms_master_key_id": ref("aws_kms_key", alarm_key, "arn"),
    }
    _, topic_policy = named(prod, "aws_sns_topic_policy", "alarms_topic_policy")
    assert topic_policy["arn"] == ref("aws_sns_topic", topic, "arn")
    alarms_publish, watches_publish, deny, admins_only = policy(topic_policy)["Statement"]
    # Exactly the alarms the stack creates, by their ARN (CloudWatch: arn:aws:cloudwatch:<region>:<account>:alarm:<name>).
    alarm_arns = [
        f"arn:aws:cloudwatch:eu-west-1:333333333333:alarm:{a['alarm_name']}"
        for a in resources(prod, "aws_cloudwatch_metric_alarm").values()
        if not a["alarm_name"].startswith("auth0-log-archive-prod-detect-")  # the security topic's (test_detections.py)
    ]
    assert len(alarm_arns) == len(ALARM_SUFFIXES)
    assert alarms_publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms_publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "333333333333"}
    assert sorted(alarms_publish["Condition"]["ArnLike"]["aws:SourceArn"]) == sorted(alarm_arns)
    # EventBridge's documented SNS target permission: the rule's ARN as aws:SourceArn.
    assert watches_publish["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(watches_publish["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        ref("aws_cloudwatch_event_rule", name, "arn") for name in watch_rules(prod)
    )
    assert deny["Sid"] == "DenyInsecureTransport"
    # A deleted topic cannot report its own deletion: only the administrators may delete it or change it.
    assert (admins_only["Effect"], admins_only["Principal"]) == ("Deny", {"AWS": "*"})
    assert set(admins_only["Action"]) >= {"sns:DeleteTopic", "sns:SetTopicAttributes"}
    assert admins_only["Resource"] == [ref("aws_sns_topic", topic, "arn")]
    assert admins_only["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::333333333333:role/auth0-log-archive-deploy"]}
    }


def watch_rules(doc: dict) -> dict[str, dict]:
    return {n: r for n, r in resources(doc, "aws_cloudwatch_event_rule").items() if n.startswith("alarms_watch_")}


def test_every_alarm_notifies_the_topic(prod: dict) -> None:
    topic, _ = named(prod, "aws_sns_topic", "alarms_topic")
    found = alarms(prod)
    assert sorted(found) == [
        f"auth0-log-archive-prod-{s}"
        for s in sorted(
            [
                "dead-letter-queue-not-empty",
                "delivery-delayed",
                "delivery-failing",
                "events-dead-lettered",
                "dead-letter-failing",
                "target-retrying",
                "no-events",
                "partitions-exceeded",
                "target-failing",
            ]
        )
    ]
    # make verify and make cost count on the same list.
    assert sorted(found) == sorted(f"auth0-log-archive-prod-{s}" for s in ALARM_SUFFIXES)
    for alarm in found.values():
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [ref("aws_sns_topic", topic, "arn")]


@pytest.mark.parametrize(
    ("suffix", "namespace", "metric", "statistic", "comparison", "threshold"),
    [
        ("target-failing", "AWS/Events", "FailedInvocations", "Sum", "GreaterThanOrEqualToThreshold", 1),
        # Firehose emits 1 while records go past the active partition limit (to errors/activePartitionExceeded).
        (
            "partitions-exceeded",
            "AWS/Firehose",
            "PartitionCountExceeded",
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        ("events-dead-lettered", "AWS/Events", "InvocationsSentToDlq", "Sum", "GreaterThanOrEqualToThreshold", 1),
        (
            "dead-letter-failing",
            "AWS/Events",
            "InvocationsFailedToBeSentToDlq",
            "Sum",
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        ("target-retrying", "AWS/Events", "RetryInvocationAttempts", "Sum", "GreaterThanOrEqualToThreshold", 1),
        (
            "dead-letter-queue-not-empty",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        ("delivery-delayed", "AWS/Firehose", "DeliveryToS3.DataFreshness", "Maximum", "GreaterThanThreshold", 1800),
        ("delivery-failing", "AWS/Firehose", "DeliveryToS3.Success", "Average", "LessThanThreshold", 1),
        ("no-events", "AWS/Firehose", "IncomingRecords", "Sum", "LessThanThreshold", 1),
    ],
)
def test_alarm_watches_the_right_metric(
    prod: dict, suffix, namespace, metric, statistic, comparison, threshold
) -> None:
    alarm = alarms(prod)[f"auth0-log-archive-prod-{suffix}"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (namespace, metric, statistic)
    assert (alarm["comparison_operator"], alarm["threshold"]) == (comparison, threshold)


def test_alarm_dimensions_reference_the_pipeline(prod: dict) -> None:
    bus, _ = only(prod, "aws_cloudwatch_event_bus")
    rule, _ = named(prod, "aws_cloudwatch_event_rule", "ingest_rule")
    queue, _ = only(prod, "aws_sqs_queue")
    stream, _ = only(prod, "aws_kinesis_firehose_delivery_stream")
    found = alarms(prod)
    rule_dimensions = {
        "EventBusName": ref("aws_cloudwatch_event_bus", bus, "name"),
        "RuleName": ref("aws_cloudwatch_event_rule", rule, "name"),
    }
    assert found["auth0-log-archive-prod-target-failing"]["dimensions"] == rule_dimensions
    for suffix in ("events-dead-lettered", "dead-letter-failing", "target-retrying"):
        assert found[f"auth0-log-archive-prod-{suffix}"]["dimensions"] == rule_dimensions
    assert found["auth0-log-archive-prod-dead-letter-queue-not-empty"]["dimensions"] == {
        "QueueName": ref("aws_sqs_queue", queue, "name")
    }
    for suffix in ("delivery-delayed", "delivery-failing", "partitions-exceeded", "no-events"):
        assert found[f"auth0-log-archive-prod-{suffix}"]["dimensions"] == {
            "DeliveryStreamName": ref("aws_kinesis_firehose_delivery_stream", stream, "name")
        }


def test_silence_is_an_alarm(prod: dict) -> None:
    silence = alarms(prod)["auth0-log-archive-prod-no-events"]
    assert (silence["period"], silence["evaluation_periods"]) == (3600, 24)
    assert silence["treat_missing_data"] == "breaching"  # no data at all is the silence we look for
    failing = alarms(prod)["auth0-log-archive-prod-target-failing"]
    assert failing["treat_missing_data"] == "notBreaching"


def test_email_subscription_only_when_configured(prod: dict, variant_stacks: dict[str, dict]) -> None:
    assert resources(variant_stacks["minimal"], "aws_sns_topic_subscription") == {}  # alarms_unsubscribed = true
    topic, _ = named(variant_stacks["custom"], "aws_sns_topic", "alarms_topic")
    _, subscription = only(variant_stacks["custom"], "aws_sns_topic_subscription")
    assert subscription == subscription | {
        "protocol": "email",
        "endpoint": "security@example.com",
        "topic_arn": ref("aws_sns_topic", topic, "arn"),
    }


def test_thresholds_come_from_the_configuration(variant_stacks: dict[str, dict]) -> None:
    found = alarms(variant_stacks["custom"])
    assert found["audit-custom-delivery-delayed"]["threshold"] == 600
    assert found["audit-custom-no-events"]["evaluation_periods"] == 6
    assert only(variant_stacks["custom"], "aws_cloudwatch_event_archive")[1]["retention_days"] == 7


def test_retries_are_an_early_warning_and_failures_are_not_called_retries(prod: dict) -> None:
    found = alarms(prod)
    retrying = found["auth0-log-archive-prod-target-retrying"]
    assert (retrying["period"], retrying["evaluation_periods"]) == (300, 3)  # 15 minutes of retries
    # EventBridge: FailedInvocations does not include retried invocations.
    assert "retrying" not in found["auth0-log-archive-prod-target-failing"]["alarm_description"]


# Events as AWS delivers them: CloudTrail's "AWS API Call via CloudTrail" on the default bus, and S3's
# own EventBridge notifications ("Object Created", "Object Deleted" with its reason and deletion-type:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html).
def cloudtrail(source: str, event_name: str, detail: dict) -> dict:
    event_source = {"aws.cloudwatch": "monitoring"}.get(source, source.removeprefix("aws.")) + ".amazonaws.com"
    return {"source": source, "detail-type": "AWS API Call via CloudTrail", "account": "333333333333",
            "detail": {"eventSource": event_source, "eventName": event_name, **detail}}  # fmt: skip


def s3_event(kind: str, bucket: str, key: str, **detail: str) -> dict:
    return {"source": "aws.s3", "detail-type": kind,
            "detail": {"bucket": {"name": bucket}, "object": {"key": key}, **detail}}  # fmt: skip


def watched_events(doc: dict) -> dict[str, tuple[list[dict], list[dict]]]:
    """For each watch: (events it must report, events it must not)."""
    key, _ = named(doc, "aws_kms_key", "key")
    key_arn, key_id = ref("aws_kms_key", key, "arn"), ref("aws_kms_key", key, "key_id")
    bucket = "auth0-log-archive-prod-333333333333"
    rule, bus = (
        "auth0-log-archive-prod-auth0-logs",
        ref("aws_cloudwatch_event_bus", only(doc, "aws_cloudwatch_event_bus")[0], "name"),
    )
    topic = ref("aws_sns_topic", named(doc, "aws_sns_topic", "alarms_topic")[0], "arn")
    # moto's engine does not look into arrays of objects (resources[].ARN); keyId it does.
    kms = lambda name, key: cloudtrail("aws.kms", name, {"requestParameters": {"keyId": key}})  # noqa: E731
    s3 = lambda name, b: cloudtrail("aws.s3", name, {"requestParameters": {"bucketName": b}})  # noqa: E731
    events = lambda name, params: cloudtrail("aws.events", name, {"requestParameters": params})  # noqa: E731
    firehose = lambda name, stream: cloudtrail(  # noqa: E731
        "aws.firehose", name, {"requestParameters": {"deliveryStreamName": stream}}
    )
    watch = lambda name, params: cloudtrail("aws.cloudwatch", name, {"requestParameters": params})  # noqa: E731
    sns = lambda name, params: cloudtrail("aws.sns", name, {"requestParameters": params})  # noqa: E731

    def deleted(deletion: str, key: str, reason: str = "DeleteObject", b: str = bucket) -> dict:
        return s3_event("Object Deleted", b, key, **{"deletion-type": deletion, "reason": reason})

    hour = "logs/2026/11/12/15/auth0-log-archive-prod-1-2026-11-12-15-58-23-abc.gz"
    alarm = "auth0-log-archive-prod-no-events"
    # fmt: off
    return {
        "key_changes": (
            [kms(n, key_arn) for n in ("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation")]
            + [kms("DisableKey", key_id)],
            [kms("Decrypt", key_arn), kms("DisableKey", "arn:aws:kms:eu-west-1:333333333333:key/other")],
        ),
        "bucket_changes": (
            [
                s3(n, bucket)
                for n in (
                    "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle", "DeleteBucketLifecycle",
                    "PutBucketVersioning", "PutBucketEncryption", "DeleteBucketEncryption",
                    "PutObjectLockConfiguration", "PutBucketNotification", "PutBucketReplication",
                    "DeleteBucketReplication", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
                    "PutBucketLogging", "PutBucketOwnershipControls",
                )
            ],
            [s3("PutBucketPolicy", "another-bucket"), s3("GetBucketPolicy", bucket), s3("PutObject", bucket)],
        ),
        "objects_deleted": (
            [deleted("Permanently Deleted", hour), deleted("Delete Marker Created", hour),
             deleted("Delete Marker Created", "errors/processing-failed/2026/11/12/15/x.gz")],
            [deleted("Permanently Deleted", hour, "Lifecycle Expiration"),
             deleted("Delete Marker Created", hour, "Lifecycle Expiration"),
             deleted("Delete Marker Created", "backfill/checkpoints/2026-11-01.json"),
             deleted("Permanently Deleted", hour, b="another-bucket")],
        ),
        "errors_written": (
            [s3_event("Object Created", bucket, "errors/activePartitionExceeded/2026/11/12/15/x.gz",
                      reason="PutObject")],
            [s3_event("Object Created", bucket, hour, reason="PutObject"),
             s3_event("Object Created", "another-bucket", "errors/x.gz", reason="PutObject")],
        ),
        "ingest_changes": (
            [
                events("DisableRule", {"name": rule}),
                events("DeleteRule", {"name": rule}),
                events("PutRule", {"name": rule, "eventPattern": "{}"}),
                events("RemoveTargets", {"rule": rule, "ids": ["archive-firehose"]}),
                events("PutTargets", {"rule": rule, "targets": []}),
                events("DeleteEventBus", {"name": bus}),
                events("DeleteArchive", {"archiveName": "auth0-log-archive-prod-replay"}),
                events("UpdateArchive", {"archiveName": "auth0-log-archive-prod-replay", "retentionDays": 1}),
            ],
            [events("DisableRule", {"name": "another-rule"}), events("EnableRule", {"name": rule}),
             events("DeleteArchive", {"archiveName": "another-archive"})],
        ),
        "delivery_changes": (
            [firehose(n, "auth0-log-archive-prod") for n in ("UpdateDestination", "DeleteDeliveryStream",
                                                             "StopDeliveryStreamEncryption")],
            [firehose("UpdateDestination", "another-stream"), firehose("PutRecord", "auth0-log-archive-prod")],
        ),
        "alarm_changes": (
            [watch("DeleteAlarms", {"alarmNames": ["x", alarm]}), watch("DisableAlarmActions", {"alarmNames": [alarm]}),
             watch("PutMetricAlarm", {"alarmName": alarm, "threshold": 1000}),
             sns("SetTopicAttributes", {"topicArn": topic, "attributeName": "Policy"}),
             sns("Unsubscribe", {"subscriptionArn": f"{topic}:0f3c1b9a-1111-2222-3333-444455556666"}),
             sns("RemovePermission", {"topicArn": topic, "label": "x"})],
            [watch("DeleteAlarms", {"alarmNames": ["another-alarm"]}), watch("SetAlarmState", {"alarmName": alarm}),
             sns("Unsubscribe", {"subscriptionArn": "arn:aws:sns:eu-west-1:333333333333:other:0f3c"}),
             sns("Publish", {"topicArn": topic})],
        ),
    }
    # fmt: on


# CloudTrail's eventName is "the requested action, which is one of the actions in the API for that service"
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
# The operations each watch names, from each service's API reference ("Actions"), and for S3 also the older
# API names its records still carry (a lifecycle change is recorded as PutBucketLifecycle, a public access
# block as PutBucketPublicAccessBlock, a notification as PutBucketNotification).
API_OPERATIONS = {
    "s3.amazonaws.com": {
        "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
        "PutBucketVersioning", "PutBucketEncryption", "DeleteBucketEncryption", "PutObjectLockConfiguration",
        "PutBucketNotificationConfiguration", "PutBucketReplication", "DeleteBucketReplication",
        "PutPublicAccessBlock", "DeletePublicAccessBlock", "PutBucketLogging", "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        # Deprecated operations of the S3 API reference, and the names CloudTrail records for the newer ones.
        "PutBucketLifecycle", "PutBucketNotification", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
    },
    "kms.amazonaws.com": {"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"},
    "events.amazonaws.com": {"DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets",
                             "DeleteEventBus", "DeleteArchive", "UpdateArchive"},
    "firehose.amazonaws.com": {"UpdateDestination", "DeleteDeliveryStream", "StopDeliveryStreamEncryption"},
    "monitoring.amazonaws.com": {"DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"},
    "sns.amazonaws.com": {"SetTopicAttributes", "RemovePermission", "Unsubscribe", "DeleteTopic"},
}  # fmt: skip
# What the bucket policy keeps for the administrators (IAM actions) must be watched under CloudTrail's names.
WATCHED_AS = {
    "s3:PutBucketPolicy": {"PutBucketPolicy"}, "s3:DeleteBucketPolicy": {"DeleteBucketPolicy"},
    "s3:PutLifecycleConfiguration": {"PutBucketLifecycle", "DeleteBucketLifecycle"},
    "s3:PutBucketVersioning": {"PutBucketVersioning"},
    "s3:PutEncryptionConfiguration": {"PutBucketEncryption", "DeleteBucketEncryption"},
    "s3:PutBucketObjectLockConfiguration": {"PutObjectLockConfiguration"},
    "s3:PutBucketNotification": {"PutBucketNotification"},
    "s3:PutReplicationConfiguration": {"PutBucketReplication", "DeleteBucketReplication"},
    "s3:PutBucketPublicAccessBlock": {"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"},
    "s3:PutBucketLogging": {"PutBucketLogging"},
    "s3:PutBucketOwnershipControls": {"PutBucketOwnershipControls", "DeleteBucketOwnershipControls"},
}  # fmt: skip


def named_calls(pattern: dict) -> set[tuple[str, str]]:
    """(eventSource, eventName) of every CloudTrail call a pattern names, through $or."""
    found: set[tuple[str, str]] = set()
    if isinstance(pattern, dict):
        if "eventSource" in pattern and "eventName" in pattern:
            found |= {(source, name) for source in pattern["eventSource"] for name in pattern["eventName"]}
        for value in pattern.values():
            found |= named_calls(value)
    elif isinstance(pattern, list):
        for value in pattern:
            found |= named_calls(value)
    return found


def test_every_watched_call_is_one_cloudtrail_records(prod: dict) -> None:
    import json

    from modules.constructs.archive_bucket import PROTECTED_ACTIONS

    calls = set().union(*(named_calls(json.loads(r["event_pattern"])) for r in watch_rules(prod).values()))
    unknown = {(source, name) for source, name in calls if name not in API_OPERATIONS.get(source, set())}
    assert unknown == set()  # e.g. PutBucketObjectLockConfiguration is an IAM action, never an event name
    assert set(PROTECTED_ACTIONS) == set(WATCHED_AS)
    s3_calls = {name for source, name in calls if source == "s3.amazonaws.com"}
    for action, names in WATCHED_AS.items():
        assert names <= s3_calls, action


def test_watch_rules_report_changes_to_what_holds_the_archive(prod: dict) -> None:
    from moto.events.models import EventPattern

    topic, _ = named(prod, "aws_sns_topic", "alarms_topic")
    targets = {t["rule"]: t for t in resources(prod, "aws_cloudwatch_event_target").values()}
    rules = watch_rules(prod)
    expected = watched_events(prod)
    assert {name.rsplit("_", 1)[0].removeprefix("alarms_watch_") for name in rules} == set(expected)
    for name, rule in rules.items():
        watch = name.rsplit("_", 1)[0].removeprefix("alarms_watch_")
        assert "event_bus_name" not in rule  # the default bus: where CloudTrail and S3 deliver
        assert targets[ref("aws_cloudwatch_event_rule", name, "name")]["arn"] == ref("aws_sns_topic", topic, "arn")
        pattern = EventPattern.load(rule["event_pattern"])
        reported, ignored = expected[watch]
        for event in reported:
            assert pattern.matches_event(event), (watch, event)
        for event in ignored:
            assert not pattern.matches_event(event), (watch, event)
