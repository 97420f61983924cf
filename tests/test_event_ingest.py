"""modules/constructs/event_ingest.py: partner bus, rule, target, and the rule's pattern
checked with a real EventBridge pattern engine (moto's) against sample events."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from tests.conftest import SHARED
from tests.helpers import named, only, policy, ref, resources
from tests.sample_events import envelope, schema_shaped_records

DEV_SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
SAMPLE_EVENTS = sorted((SHARED / "auth0-events").glob("*.json"))


def test_partner_bus_is_named_after_the_event_source(example_stacks: dict[str, dict], example_config) -> None:
    for env in example_config.environments:
        _, bus = only(example_stacks[env.name], "aws_cloudwatch_event_bus")
        assert bus["name"] == bus["event_source_name"] == env.auth0_event_source


def test_rule_listens_on_the_partner_bus(dev: dict) -> None:
    bus, _ = only(dev, "aws_cloudwatch_event_bus")
    _, rule = named(dev, "aws_cloudwatch_event_rule", "ingest_rule")
    assert rule["event_bus_name"] == ref("aws_cloudwatch_event_bus", bus, "name")
    assert rule["state"] == "ENABLED"
    assert json.loads(rule["event_pattern"]) == {"source": [DEV_SOURCE], "detail-type": ["Auth0 log"]}


def test_target_delivers_to_the_stream_through_its_role(dev: dict) -> None:
    bus, _ = only(dev, "aws_cloudwatch_event_bus")
    rule, _ = named(dev, "aws_cloudwatch_event_rule", "ingest_rule")
    stream, _ = only(dev, "aws_kinesis_firehose_delivery_stream")
    role, _ = named(dev, "aws_iam_role", "ingest_role")
    _, target = named(dev, "aws_cloudwatch_event_target", "ingest_target")
    assert target["rule"] == ref("aws_cloudwatch_event_rule", rule, "name")
    assert target["event_bus_name"] == ref("aws_cloudwatch_event_bus", bus, "name")
    assert target["arn"] == ref("aws_kinesis_firehose_delivery_stream", stream, "arn")
    assert target["role_arn"] == ref("aws_iam_role", role, "arn")
    assert target["retry_policy"] == {"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185}


def test_events_role_trusts_only_this_rule_and_may_only_put_to_this_stream(dev: dict) -> None:
    rule, _ = named(dev, "aws_cloudwatch_event_rule", "ingest_rule")
    stream, _ = only(dev, "aws_kinesis_firehose_delivery_stream")
    _, role = named(dev, "aws_iam_role", "ingest_role")
    _, role_policy = named(dev, "aws_iam_role_policy", "ingest_role_policy")
    trust = policy(role, "assume_role_policy")["Statement"]
    assert trust == [
        {
            "Sid": "TrustService",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": "111111111111",
                    "aws:SourceArn": ref("aws_cloudwatch_event_rule", rule, "arn"),
                }
            },
        }
    ]
    assert policy(role_policy)["Statement"] == [
        {
            "Sid": "PutIntoArchiveStream",
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": [ref("aws_kinesis_firehose_delivery_stream", stream, "arn")],
        }
    ]


# --- the pattern against events, with moto's EventBridge pattern engine --------


@pytest.fixture(scope="module")
def dev_pattern(dev: dict) -> EventPattern:
    return EventPattern.load(named(dev, "aws_cloudwatch_event_rule", "ingest_rule")[1]["event_pattern"])


def test_there_are_sample_events() -> None:
    assert len(SAMPLE_EVENTS) >= 4, f"no sample events in {SHARED / 'auth0-events'} (set AUTH0_ARCHIVE_SHARED)"


@pytest.mark.parametrize("path", SAMPLE_EVENTS, ids=lambda p: p.stem)
def test_every_sample_event_of_this_tenant_matches(dev_pattern: EventPattern, path: Path) -> None:
    event = json.loads(path.read_text())
    assert event["source"] == DEV_SOURCE
    assert dev_pattern.matches_event(event)


def test_every_auth0_log_type_matches(dev_pattern: EventPattern) -> None:
    records = schema_shaped_records()
    assert len(records) == 166
    unmatched = [r["type"] for r in records if not dev_pattern.matches_event(envelope(DEV_SOURCE, r))]
    assert unmatched == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "aws.partner/auth0.com/acme-prod-4f7d2c1e-8b9a-4c3d-9e2f-1a2b3c4d5e6f/auth0.logs"),
        ("source", "aws.partner/example.com/acme-dev-1cfb5c33/auth0.logs"),
        ("source", "aws.events"),
        ("source", "auth0"),
        ("detail-type", "Auth0 audit"),
    ],
    ids=["other-tenant", "other-partner", "aws-service", "custom-source", "other-detail-type"],
)
def test_other_sources_do_not_match(dev_pattern: EventPattern, field: str, value: str) -> None:
    event = json.loads(SAMPLE_EVENTS[0].read_text())
    assert dev_pattern.matches_event(event)  # the unmodified event does
    changed = copy.deepcopy(event)
    changed[field] = value
    assert not dev_pattern.matches_event(changed)


# --- nothing lost: retries, dead-letter queue, replay archive ------------------


def test_undeliverable_events_go_to_a_dead_letter_queue_that_needs_no_customer_key(prod: dict) -> None:
    queue, dlq = only(prod, "aws_sqs_queue")
    _, target = named(prod, "aws_cloudwatch_event_target", "ingest_target")
    assert target["dead_letter_config"] == {"arn": ref("aws_sqs_queue", queue, "arn")}
    assert dlq["name"] == "auth0-log-archive-prod-undelivered"
    assert dlq["message_retention_seconds"] == 14 * 24 * 3600  # SQS's maximum
    # SSE-SQS: EventBridge can write while the archive key is disabled (eb-rule-dlq.html needs no key grant).
    assert dlq["sqs_managed_sse_enabled"] is True
    assert "kms_master_key_id" not in dlq


def test_only_this_rule_may_send_to_the_dead_letter_queue(prod: dict) -> None:
    queue, _ = only(prod, "aws_sqs_queue")
    rule, _ = named(prod, "aws_cloudwatch_event_rule", "ingest_rule")
    _, queue_policy = only(prod, "aws_sqs_queue_policy")
    assert queue_policy["queue_url"] == ref("aws_sqs_queue", queue, "url")
    send, deny = policy(queue_policy)["Statement"]
    assert send == {
        "Sid": "OnlyThisRuleSendsUndeliveredEvents",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["sqs:SendMessage"],
        "Resource": [ref("aws_sqs_queue", queue, "arn")],
        "Condition": {"ArnEquals": {"aws:SourceArn": ref("aws_cloudwatch_event_rule", rule, "arn")}},
    }
    assert deny["Sid"] == "DenyInsecureTransport"


def test_every_event_is_archived_for_replay(prod: dict, dev: dict, variant_stacks: dict[str, dict]) -> None:
    bus, _ = only(prod, "aws_cloudwatch_event_bus")
    _, archive = only(prod, "aws_cloudwatch_event_archive")
    _, rule = named(prod, "aws_cloudwatch_event_rule", "ingest_rule")
    assert archive["name"] == "auth0-log-archive-prod-replay"
    assert archive["event_source_arn"] == ref("aws_cloudwatch_event_bus", bus, "arn")
    assert archive["event_pattern"] == rule["event_pattern"]
    assert archive["retention_days"] == 14
    # EventBridge's AWS owned key: the replay archive must not fail with the archive key.
    assert "kms_key_identifier" not in archive
    assert len(only(dev, "aws_cloudwatch_event_archive")[1]["name"]) <= 48  # EventBridge's limit


def test_no_archive_when_the_replay_window_is_given_up() -> None:
    from modules.contract.validation import parse_config
    from tests.conftest import VARIANTS_TOML, synth_all

    text = VARIANTS_TOML.replace(
        "[environments.minimal]", "[environments.minimal]\nreplay_window_days = 0\naccept_no_replay_archive = true"
    )
    doc = synth_all(parse_config(text, "no-archive.toml"))["minimal"]
    assert resources(doc, "aws_cloudwatch_event_archive") == {}
    assert "replay_archive_arn" not in doc["output"]
