"""Scheduled hunting, as the managed example's prod synthesizes it (hunting_every_hours = 6): EventBridge
Scheduler starts a Step Functions state machine that runs each hunting query over the last hours and tells
the security topic what one finds; its failures have an alarm on the same topic. Expected values come from
AWS's documentation: Scheduler's rate expressions, Step Functions' Athena and SNS integrations, the
AWS/States metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modules.constructs.terraform_text import literal
from modules.contract.detections import for_environment
from modules.contract.sigma_athena import scheduled, scheduled_window
from tests.helpers import named, policy, ref, resources


@pytest.fixture(scope="module")
def prod(managed_stacks: dict[str, dict]) -> dict:
    return managed_stacks["prod"]


@pytest.fixture(scope="module")
def hunting(managed_config: Any) -> list[Any]:
    return [d for d in for_environment(managed_config.environment("prod")).detections if d.mode == "hunting"]


def _definition(prod: dict) -> dict:
    _, machine = named(prod, "aws_sfn_state_machine", "hunting_machine")
    assert machine["type"] == "STANDARD"
    return json.loads(machine["definition"].replace("$${", "${").replace("%%{", "%{"))


def test_the_schedule_starts_the_machine_every_n_hours(prod: dict) -> None:
    machine, _ = named(prod, "aws_sfn_state_machine", "hunting_machine")
    _, schedule = named(prod, "aws_scheduler_schedule", "hunting_schedule")
    role, _ = named(prod, "aws_iam_role", "hunting_schedule_role")
    # Scheduler's rate expression: rate(value unit), unit "hours" (or "hour" for 1).
    assert schedule["schedule_expression"] == "rate(6 hours)"
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    assert schedule["target"]["arn"] == ref("aws_sfn_state_machine", machine, "arn")
    assert schedule["target"]["role_arn"] == ref("aws_iam_role", role, "arn")
    _, role_policy = named(prod, "aws_iam_role_policy", "hunting_schedule_role_policy")
    (start,) = policy(role_policy)["Statement"]
    assert start["Action"] == ["states:StartExecution"]
    assert start["Resource"] == ["arn:aws:states:eu-west-1:333333333333:stateMachine:auth0-log-archive-prod-hunting"]


def test_the_machine_runs_each_hunting_query_over_the_last_hours(prod: dict, hunting: list[Any]) -> None:
    definition = _definition(prod)
    items = definition["States"]["Queries"]["Result"]
    assert [i["rule"] for i in items] == [d.id for d in hunting]
    assert [i["sql"] for i in items] == [scheduled(d.query_sql, 6) for d in hunting]
    run = definition["States"]["EachQuery"]["ItemProcessor"]["States"]["Run"]
    assert run["Resource"] == "arn:aws:states:::athena:startQueryExecution.sync"
    assert run["Parameters"]["WorkGroup"] == "auth0-log-archive-prod"
    assert run["Parameters"]["QueryExecutionContext"] == {"Database": "auth0_log_archive_prod"}
    states = definition["States"]["EachQuery"]["ItemProcessor"]["States"]
    assert states["Found"]["Choices"] == [{"Variable": "$.results.rows[1]", "IsPresent": True, "Next": "Tell"}]
    topic, _ = named(prod, "aws_sns_topic", "detections_topic")
    assert states["Tell"]["Resource"] == "arn:aws:states:::sns:publish"
    assert states["Tell"]["Parameters"]["TopicArn"] == ref("aws_sns_topic", topic, "arn")


def test_the_scheduled_window_is_the_hours_that_ended_an_hour_before(tmp_path: Any) -> None:
    """On DuckDB (Athena's SQL through sqlglot), the window read at a run is the 6 whole hours that ended an
    hour before it: late events are filed by then."""
    import duckdb

    from ops.local_athena import to_duckdb

    bounds = scheduled_window(6).replace("dt >= ", "").replace("dt < ", "").split(" AND ")
    before = datetime.now(UTC)
    (row,) = (
        duckdb.connect().execute("SET TimeZone = 'UTC'").execute(to_duckdb(f"SELECT {', '.join(bounds)}")).fetchall()
    )
    after = datetime.now(UTC)
    expected = {
        tuple(f"{moment.replace(minute=0, second=0, microsecond=0) - timedelta(hours=h):%Y/%m/%d/%H}" for h in (7, 1))
        for moment in (before, after)
    }
    assert tuple(row) in expected


def test_the_machine_s_role_reads_only_what_the_queries_need(prod: dict) -> None:
    _, role = named(prod, "aws_iam_role", "hunting_role")
    trust = policy(role, "assume_role_policy")["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "333333333333"}
    _, role_policy = named(prod, "aws_iam_role_policy", "hunting_role_policy")
    statements = {s["Sid"]: s for s in policy(role_policy)["Statement"]}
    assert statements["RunQueries"]["Resource"] == [
        "arn:aws:athena:eu-west-1:333333333333:workgroup/auth0-log-archive-prod"
    ]
    assert statements["ReadTheArchive"]["Resource"] == ["arn:aws:s3:::auth0-log-archive-prod-333333333333/logs/*"]
    assert all(r != "*" for s in statements.values() for r in s["Resource"])
    # The alarm key lets this role use it, through SNS only (the topic is encrypted with it).
    _, key = named(prod, "aws_kms_key", "alarm_key")
    grant = next(s for s in policy(key)["Statement"] if s["Sid"] == "HuntingPublishesToTheSecurityTopic")
    assert grant["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::333333333333:role/auth0-log-archive-prod-hunting"},
        "StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"},
    }


def test_a_failed_run_alarms_the_security_topic(prod: dict) -> None:
    machine, _ = named(prod, "aws_sfn_state_machine", "hunting_machine")
    topic, _ = named(prod, "aws_sns_topic", "detections_topic")
    _, alarm = named(prod, "aws_cloudwatch_metric_alarm", "hunting_alarm")
    assert (
        alarm
        | {
            "namespace": "AWS/States",
            "metric_name": "ExecutionsFailed",
            "dimensions": {"StateMachineArn": ref("aws_sfn_state_machine", machine, "arn")},
            "statistic": "Sum",
            "threshold": 1,
            "alarm_actions": [ref("aws_sns_topic", topic, "arn")],
        }
        == alarm
    )
    _, topic_policy = named(prod, "aws_sns_topic_policy", "detections_topic_policy")
    publish = policy(topic_policy)["Statement"][0]
    assert (
        f"arn:aws:cloudwatch:eu-west-1:333333333333:alarm:{alarm['alarm_name']}"
        in publish["Condition"]["ArnLike"]["aws:SourceArn"]
    )


def test_the_definition_reaches_step_functions_as_written(prod: dict) -> None:
    _, machine = named(prod, "aws_sfn_state_machine", "hunting_machine")
    assert machine["definition"] == literal(json.dumps(_definition(prod), indent=1))


def test_without_a_schedule_there_is_none(example_stacks: dict[str, dict]) -> None:
    for doc in example_stacks.values():
        assert resources(doc, "aws_scheduler_schedule") == {} and resources(doc, "aws_sfn_state_machine") == {}


def test_the_hunting_roles_are_clean_for_parliament(prod: dict) -> None:
    """The independent IAM linter over both roles' permissions and the alarm key's grant to the machine."""
    import parliament

    from tests.test_security import ACCEPTED_FINDINGS, concrete

    documents = [policy(named(prod, "aws_iam_role_policy", name)[1]) for name in ("hunting_role_policy",
                 "hunting_schedule_role_policy")]  # fmt: skip
    _, key = named(prod, "aws_kms_key", "alarm_key")
    grant = next(s for s in policy(key)["Statement"] if s["Sid"] == "HuntingPublishesToTheSecurityTopic")
    documents.append({"Statement": [{**grant, "Resource": ["arn:aws:kms:eu-west-1:333333333333:key/example"]}]})
    findings = {}
    for document in documents:
        for stmt in document["Statement"]:
            text = concrete({"Version": "2012-10-17", "Statement": [stmt]})
            result = parliament.analyze_policy_string(text, include_community_auditors=True)
            issues = [f.issue for f in result.findings if (stmt["Sid"], f.issue) not in ACCEPTED_FINDINGS]
            if issues:
                findings[stmt["Sid"]] = issues
    assert findings == {}
