"""modules/contract/faults.py: every row of the fault table holds in the synthesized stacks.

Facts about dependencies, as AWS behaves: a detector exists, watches the resource that fails, and
publishes to a topic the archive key does not protect; the net that holds the events exists and does
not depend on what fails."""

from __future__ import annotations

import json

import pytest

from modules.contract.faults import DETECTORS, FAULTS, VERIFY
from modules.contract.naming import WATCHES
from tests.helpers import named, only, policy, ref, resources, statements_by_sid

PROD_BUCKET = "auth0-log-archive-prod-333333333333"


def keys(doc: dict) -> tuple[str, str]:
    return ref("aws_kms_key", named(doc, "aws_kms_key", "key")[0], "arn"), ref(
        "aws_kms_key", named(doc, "aws_kms_key", "alarm_key")[0], "arn"
    )


def alarms(doc: dict) -> dict[str, dict]:
    prefix = "auth0-log-archive-prod-"
    return {
        a["alarm_name"].removeprefix(prefix): a
        for a in resources(doc, "aws_cloudwatch_metric_alarm").values()
        if not a["alarm_name"].startswith("auth0-log-archive-prod-detect-")
    }


def watches(doc: dict) -> dict[str, dict]:
    return {
        r["name"].removeprefix("auth0-log-archive-prod-watch-"): json.loads(r["event_pattern"])
        for n, r in resources(doc, "aws_cloudwatch_event_rule").items()
        if n.startswith("alarms_watch_")
    }


def topic_of_alarms(doc: dict) -> str:
    return ref("aws_sns_topic", named(doc, "aws_sns_topic", "alarms_topic")[0], "arn")


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.fault)
def test_every_detector_exists_and_reaches_a_topic_the_archive_key_does_not_protect(prod: dict, fault) -> None:
    archive_key, alarm_key = keys(prod)
    topic = named(prod, "aws_sns_topic", "alarms_topic")[1]
    assert topic["kms_master_key_id"] == alarm_key != archive_key
    targets = {t["rule"]: t["arn"] for t in resources(prod, "aws_cloudwatch_event_target").values()}
    assert fault.detected_by and set(fault.detected_by) <= DETECTORS
    for detector in fault.detected_by:
        if detector == VERIFY:
            continue
        if detector in WATCHES:
            rule_name = next(n for n, r in resources(prod, "aws_cloudwatch_event_rule").items()
                             if r["name"] == f"auth0-log-archive-prod-watch-{detector}")  # fmt: skip
            assert targets[ref("aws_cloudwatch_event_rule", rule_name, "name")] == topic_of_alarms(prod)
        else:
            assert alarms(prod)[detector]["alarm_actions"] == [topic_of_alarms(prod)]
    assert fault.within and fault.held_by and fault.recovery and fault.lost


def test_archive_key_failures_are_watched_and_its_nets_do_not_use_it(prod: dict) -> None:
    archive_key, _ = keys(prod)
    key_id = ref("aws_kms_key", named(prod, "aws_kms_key", "key")[0], "key_id")
    pattern = watches(prod)["key-changes"]
    assert {"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"} <= set(pattern["detail"]["eventName"])
    ids = pattern["detail"]["$or"][1]["requestParameters"]["keyId"]
    assert archive_key in pattern["detail"]["$or"][0]["resources"]["ARN"] and {archive_key, key_id} <= set(ids)
    (queue,) = resources(prod, "aws_sqs_queue").values()
    (replay,) = resources(prod, "aws_cloudwatch_event_archive").values()
    assert archive_key not in json.dumps(queue) and archive_key not in json.dumps(replay)
    _, target = named(prod, "aws_cloudwatch_event_target", "ingest_target")
    assert target["retry_policy"]["maximum_event_age_in_seconds"] == 86400  # EventBridge holds 24 h, then the DLQ


def test_bucket_changes_are_watched_and_only_administrators_may_make_them(prod: dict) -> None:
    assert watches(prod)["bucket-changes"]["detail"]["requestParameters"]["bucketName"] == [PROD_BUCKET]
    assert "PutBucketPolicy" in watches(prod)["bucket-changes"]["detail"]["eventName"]
    bucket_policy = next(p for p in resources(prod, "aws_s3_bucket_policy").values()
                         if "OnlyAdministratorsLoosenTheArchive" in p["policy"])  # fmt: skip
    deny = statements_by_sid(policy(bucket_policy))["OnlyAdministratorsLoosenTheArchive"]
    assert "s3:PutBucketPolicy" in deny["Action"]


def test_delivery_failures_are_measured_on_the_stream_the_rule_targets(prod: dict) -> None:
    stream, _ = only(prod, "aws_kinesis_firehose_delivery_stream")
    dimension = {"DeliveryStreamName": ref("aws_kinesis_firehose_delivery_stream", stream, "name")}
    for suffix in ("delivery-failing", "delivery-delayed", "no-events"):
        assert alarms(prod)[suffix]["dimensions"] == dimension
    assert alarms(prod)["no-events"]["treat_missing_data"] == "breaching"  # a deleted stream has no data at all


def test_undeliverable_events_land_in_the_queue_the_alarms_watch(prod: dict) -> None:
    queue, _ = only(prod, "aws_sqs_queue")
    _, target = named(prod, "aws_cloudwatch_event_target", "ingest_target")
    assert target["dead_letter_config"]["arn"] == ref("aws_sqs_queue", queue, "arn")
    assert alarms(prod)["dead-letter-queue-not-empty"]["dimensions"] == {
        "QueueName": ref("aws_sqs_queue", queue, "name")
    }
    rule, _ = named(prod, "aws_cloudwatch_event_rule", "ingest_rule")
    for suffix in ("target-retrying", "target-failing", "events-dead-lettered", "dead-letter-failing"):
        assert alarms(prod)[suffix]["dimensions"]["RuleName"] == ref("aws_cloudwatch_event_rule", rule, "name")


def test_the_replay_archive_records_the_bus_not_the_rule(prod: dict) -> None:
    bus, _ = only(prod, "aws_cloudwatch_event_bus")
    (replay,) = resources(prod, "aws_cloudwatch_event_archive").values()
    assert replay["event_source_arn"] == ref("aws_cloudwatch_event_bus", bus, "arn")  # a disabled rule loses nothing
    ingest = watches(prod)["ingest-changes"]
    assert {"DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets", "DeleteEventBus",
            "DeleteArchive", "UpdateArchive"} == set(ingest["detail"]["eventName"])  # fmt: skip
    names = ingest["detail"]["$or"][0]["requestParameters"]["name"]
    assert names == ["auth0-log-archive-prod-auth0-logs", ref("aws_cloudwatch_event_bus", bus, "name")]


def test_deletions_by_request_are_reported_and_overwrites_kept(prod: dict) -> None:
    """S3 reports a deletion by request with reason DeleteObject, whether it adds a delete marker or removes
    a version; the lifecycle's own expirations say "Lifecycle Expiration" and are not reported, nor is
    backfill's bookkeeping (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html)."""
    assert watches(prod)["objects-deleted"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Deleted"],
        "detail": {
            "bucket": {"name": [PROD_BUCKET]},
            "object": {"key": [{"prefix": "logs/"}, {"prefix": "errors/"}]},
            "reason": ["DeleteObject"],
            "deletion-type": ["Permanently Deleted", "Delete Marker Created"],
        },
    }
    notifications = resources(prod, "aws_s3_bucket_notification").values()
    assert [n["eventbridge"] for n in notifications] == [True]
    archive, _ = named(prod, "aws_s3_bucket", "archive_bucket")
    versioning = next(v for v in resources(prod, "aws_s3_bucket_versioning").values()
                      if v["bucket"] == ref("aws_s3_bucket", archive, "id"))  # fmt: skip
    assert versioning["versioning_configuration"] == {"status": "Enabled"}


def test_records_filed_under_errors_are_reported(prod: dict) -> None:
    assert watches(prod)["errors-written"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [PROD_BUCKET]}, "object": {"key": [{"prefix": "errors/"}]}},
    }
    (stream,) = resources(prod, "aws_kinesis_firehose_delivery_stream").values()
    assert stream["extended_s3_configuration"]["error_output_prefix"].startswith("errors/")


def test_the_fault_table_in_the_docs_is_the_declared_one() -> None:
    from modules.contract.docs import with_generated_tables
    from modules.contract.faults import fault_table
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "security.md").read_text()
    assert fault_table() in text
    assert with_generated_tables(text) == text, "run make docs"
