"""modules/alarms.py: the alarm topic and every alarm, wired to the real resources."""

from __future__ import annotations

import pytest

from modules.contract.naming import ALARM_SUFFIXES
from tests.helpers import only, policy, ref, resources, statements_by_sid


def alarms(doc: dict) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in resources(doc, "aws_cloudwatch_metric_alarm").values()}


def test_topic_is_encrypted_and_only_our_alarms_publish(prod: dict) -> None:
    key, key_attrs = only(prod, "aws_kms_key")
    topic, attrs = only(prod, "aws_sns_topic")
    assert attrs == attrs | {
        "name": "auth0-log-archive-prod-alarms",
        "kms_master_key_id": ref("aws_kms_key", key, "arn"),
    }
    _, topic_policy = only(prod, "aws_sns_topic_policy")
    assert topic_policy["arn"] == ref("aws_sns_topic", topic, "arn")
    publish, deny = policy(topic_policy)["Statement"]
    # Exactly the alarms the stack creates, by their ARN (CloudWatch: arn:aws:cloudwatch:<region>:<account>:alarm:<name>).
    alarm_arns = [
        f"arn:aws:cloudwatch:eu-west-1:333333333333:alarm:{a['alarm_name']}"
        for a in resources(prod, "aws_cloudwatch_metric_alarm").values()
    ]
    assert len(alarm_arns) == len(ALARM_SUFFIXES)
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "333333333333"}
    assert sorted(publish["Condition"]["ArnLike"]["aws:SourceArn"]) == sorted(alarm_arns)
    assert deny["Sid"] == "DenyInsecureTransport"
    grant = statements_by_sid(policy(key_attrs))["CloudWatchAlarmsPublishToEncryptedTopic"]
    assert grant["Condition"] == publish["Condition"]


def test_every_alarm_notifies_the_topic(prod: dict) -> None:
    topic, _ = only(prod, "aws_sns_topic")
    found = alarms(prod)
    assert sorted(found) == [
        f"auth0-log-archive-prod-{s}"
        for s in sorted(
            [
                "dead-letter-queue-not-empty",
                "delivery-delayed",
                "delivery-failing",
                "events-dead-lettered",
                "no-events",
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
        ("events-dead-lettered", "AWS/Events", "InvocationsSentToDlq", "Sum", "GreaterThanOrEqualToThreshold", 1),
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
    rule, _ = only(prod, "aws_cloudwatch_event_rule")
    queue, _ = only(prod, "aws_sqs_queue")
    stream, _ = only(prod, "aws_kinesis_firehose_delivery_stream")
    found = alarms(prod)
    rule_dimensions = {
        "EventBusName": ref("aws_cloudwatch_event_bus", bus, "name"),
        "RuleName": ref("aws_cloudwatch_event_rule", rule, "name"),
    }
    assert found["auth0-log-archive-prod-target-failing"]["dimensions"] == rule_dimensions
    assert found["auth0-log-archive-prod-events-dead-lettered"]["dimensions"] == rule_dimensions
    assert found["auth0-log-archive-prod-dead-letter-queue-not-empty"]["dimensions"] == {
        "QueueName": ref("aws_sqs_queue", queue, "name")
    }
    for suffix in ("delivery-delayed", "delivery-failing", "no-events"):
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
    assert resources(prod, "aws_sns_topic_subscription") == {}
    topic, _ = only(variant_stacks["custom"], "aws_sns_topic")
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
