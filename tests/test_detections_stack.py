"""What the example's prod stack synthesizes for its detections: each live rule on the partner bus with
its pattern, one alarm on its matches that notifies the security topic once per burst, the topic apart
from the alarms' (its own subscriber, the alarm key, a policy that lets only our alarms publish), and a
named query per rule. Expected values come from AWS's documentation of each resource."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modules.constructs.terraform_text import literal
from modules.contract.detections import for_environment
from tests.helpers import named, policy, ref, resources

PREFIX = "auth0-log-archive-prod"


@pytest.fixture(scope="module")
def run(example_config: Any) -> Any:
    return for_environment(example_config.environment("prod"))


def _detection_rules(doc: dict) -> dict[str, dict]:
    return {n: r for n, r in resources(doc, "aws_cloudwatch_event_rule").items() if n.startswith("detections_rule_")}


def test_each_live_rule_is_on_the_partner_bus_with_its_pattern(prod: dict, run: Any) -> None:
    bus, _ = named(prod, "aws_cloudwatch_event_bus", "ingest_bus")
    rules = {n.removeprefix("detections_rule_").rsplit("_", 1)[0]: r for n, r in _detection_rules(prod).items()}
    assert len(rules) == len(run.live) == 14  # docs/detections.md: every value given, 14 rules are live
    for detection in run.live:
        rule = rules[detection.id]
        assert rule["event_bus_name"] == ref("aws_cloudwatch_event_bus", bus, "name")
        assert json.loads(rule["event_pattern"]) == detection.pattern
        assert rule["state"] == "ENABLED"
        assert len(rule["name"]) <= 64  # PutRule: Name, 1 to 64 characters


def test_long_rule_ids_get_distinct_names_within_eventbridge_s_64(prod: dict, run: Any) -> None:
    names = [r["name"] for r in _detection_rules(prod).values()]
    assert len(set(names)) == len(names)
    assert all(len(n) <= 64 and n.startswith(f"{PREFIX}-detect-") for n in names)


def test_a_rule_has_no_target_and_its_alarm_counts_its_matches(prod: dict, run: Any) -> None:
    bus, _ = named(prod, "aws_cloudwatch_event_bus", "ingest_bus")
    targets = {t["rule"] for t in resources(prod, "aws_cloudwatch_event_target").values()}
    topic, _ = named(prod, "aws_sns_topic", "detections_topic")
    alarms = {a["alarm_name"]: a for a in resources(prod, "aws_cloudwatch_metric_alarm").values()}
    for name, rule in _detection_rules(prod).items():
        assert ref("aws_cloudwatch_event_rule", name, "name") not in targets
        alarm = alarms[rule["name"]]
        # AWS/Events MatchedEvents, by EventBusName and RuleName on a bus other than the default one.
        assert (
            alarm
            | {
                "namespace": "AWS/Events",
                "metric_name": "MatchedEvents",
                "dimensions": {
                    "EventBusName": ref("aws_cloudwatch_event_bus", bus, "name"),
                    "RuleName": ref("aws_cloudwatch_event_rule", name, "name"),
                },
                "statistic": "Sum",
                "period": 60,
                "evaluation_periods": 1,
                "comparison_operator": "GreaterThanOrEqualToThreshold",
                "threshold": 1,
                "treat_missing_data": "notBreaching",
            }
            == alarm
        )
        # Actions run when the state changes: to ALARM, once; nothing while it stays there or when it ends.
        assert alarm["alarm_actions"] == [ref("aws_sns_topic", topic, "arn")]
        assert "ok_actions" not in alarm and "insufficient_data_actions" not in alarm


def _transitions(per_minute: list[int], threshold: int) -> int:
    """CloudWatch's alarm states for a one-minute, one-period alarm; actions run on a change to ALARM."""
    state, notifications = "OK", 0
    for count in per_minute:
        new = "ALARM" if count >= threshold else "OK"  # treat_missing_data notBreaching: no match is OK
        notifications += new == "ALARM" != state
        state = new
    return notifications


def test_a_burst_of_10000_matches_is_one_notification_and_a_second_attack_another() -> None:
    assert _transitions([0, 10_000, 0, 0], 1) == 1
    assert _transitions([0, 4_000, 6_000, 3_000, 0], 1) == 1  # a burst across minutes
    assert _transitions([10_000, 0, 5, 0], 1) == 2  # a quiet minute, then another attack


def test_the_alarm_says_which_rule_its_level_and_the_query_that_lists_the_events(prod: dict, run: Any) -> None:
    alarms = {a["alarm_name"]: a for a in resources(prod, "aws_cloudwatch_metric_alarm").values()}
    queries = {q["name"] for q in resources(prod, "aws_athena_named_query").values()}
    for detection in run.live:
        (alarm,) = [a for name, a in alarms.items() if name.startswith(f"{PREFIX}-detect-{detection.id[:20]}")]
        text = alarm["alarm_description"]
        assert detection.id in text and f"level {detection.level}" in text
        assert f"detect-{detection.id}" in text and f"detect-{detection.id}" in queries
        assert len(text) <= 1024  # PutMetricAlarm: AlarmDescription, 0 to 1024 characters


def test_the_security_topic_is_apart_from_the_alarms_and_the_archive_key(prod: dict) -> None:
    alarm_key, _ = named(prod, "aws_kms_key", "alarm_key")
    archive_key, _ = named(prod, "aws_kms_key", "key")
    topic, attrs = named(prod, "aws_sns_topic", "detections_topic")
    alarm_topic, _ = named(prod, "aws_sns_topic", "alarms_topic")
    assert attrs["name"] == f"{PREFIX}-security" and topic != alarm_topic
    assert attrs["kms_master_key_id"] == ref("aws_kms_key", alarm_key, "arn") != ref("aws_kms_key", archive_key, "arn")
    _, subscription = named(prod, "aws_sns_topic_subscription", "detections_email")
    assert subscription == subscription | {
        "topic_arn": ref("aws_sns_topic", topic, "arn"),
        "protocol": "email",
        "endpoint": "soc@example.com",
    }
    _, topic_policy = named(prod, "aws_sns_topic_policy", "detections_topic_policy")
    publish, deny, admins = policy(topic_policy)["Statement"]
    alarm_arns = sorted(
        f"arn:aws:cloudwatch:eu-west-1:333333333333:alarm:{r['name']}" for r in _detection_rules(prod).values()
    )
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(publish["Condition"]["ArnLike"]["aws:SourceArn"]) == alarm_arns
    assert deny["Sid"] == "DenyInsecureTransport"
    assert admins["Effect"] == "Deny" and "sns:DeleteTopic" in admins["Action"]


def test_changes_to_detections_are_watched(prod: dict) -> None:
    watches = {r["name"].rsplit("-watch-", 1)[1]: json.loads(r["event_pattern"])
               for n, r in resources(prod, "aws_cloudwatch_event_rule").items() if n.startswith("alarms_watch_")}  # fmt: skip
    from moto.events.models import EventPattern

    def cloudtrail(source: str, name: str, parameters: dict) -> dict:
        return {"source": source, "detail-type": "AWS API Call via CloudTrail",
                "detail": {"eventSource": f"{source.split('.')[1]}.amazonaws.com", "eventName": name,
                           "requestParameters": parameters}}  # fmt: skip

    rule = f"{PREFIX}-detect-sms_bombarding"
    assert EventPattern.load(json.dumps(watches["ingest-changes"])).matches_event(
        cloudtrail("aws.events", "DisableRule", {"name": rule, "eventBusName": "x"})
    )
    event = cloudtrail("aws.monitoring", "DeleteAlarms", {"alarmNames": [rule]})
    event["detail"]["eventSource"] = "monitoring.amazonaws.com"
    assert EventPattern.load(json.dumps(watches["alarm-changes"])).matches_event(event)
    topic = f"arn:aws:sns:eu-west-1:333333333333:{PREFIX}-security"
    event = cloudtrail("aws.sns", "SetTopicAttributes", {"topicArn": topic})
    assert EventPattern.load(json.dumps(watches["alarm-changes"])).matches_event(event)


def test_each_rule_has_its_named_query_with_the_sql_athena_receives(prod: dict, run: Any) -> None:
    queries = {q["name"]: q for q in resources(prod, "aws_athena_named_query").values()}
    workgroup, _ = named(prod, "aws_athena_workgroup", "queries_workgroup")
    for detection in run.detections:
        query = queries[f"detect-{detection.id}"]
        assert query["query"] == literal(detection.query_sql)
        assert query["workgroup"] == ref("aws_athena_workgroup", workgroup, "id")
        assert len(query["description"]) <= 1024  # CreateNamedQuery: Description, 1 to 1024


def test_environments_without_detections_have_none(dev: dict) -> None:
    assert _detection_rules(dev) == {}
    assert [n for n in resources(dev, "aws_sns_topic")] == [named(dev, "aws_sns_topic", "alarms_topic")[0]]
