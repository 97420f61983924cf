"""modules/stack.py: provider, backend and outputs of each environment's stack."""

from __future__ import annotations

import json

from modules.constructs.aws import core
from tests.helpers import named, only, ref


def test_each_environment_gets_its_own_provider(example_stacks: dict[str, dict]) -> None:
    providers = {name: doc["provider"]["aws"] for name, doc in example_stacks.items()}
    assert providers["dev"] == [
        {
            "region": "us-east-1",
            "allowed_account_ids": ["111111111111"],
            "assume_role": [
                {
                    "role_arn": "arn:aws:iam::111111111111:role/auth0-log-archive-deploy",
                    "session_name": "cdktf-auth0-log-archive-dev",
                }
            ],
            "default_tags": [
                {
                    "tags": {
                        "Owner": "security",
                        "DataClassification": "confidential",
                        "Project": "auth0-log-archive",
                        "Environment": "dev",
                        "ManagedBy": "cdktf",
                    }
                }
            ],
        }
    ]
    prod = providers["prod"][0]
    assert prod["region"] == "eu-west-1"
    assert prod["allowed_account_ids"] == ["333333333333"]
    assert prod["assume_role"] == [
        {
            "role_arn": "arn:aws:iam::333333333333:role/auth0-log-archive-deploy",
            "session_name": "cdktf-auth0-log-archive-prod",
        }
    ]
    assert prod["default_tags"][0]["tags"]["Environment"] == "prod"


def test_local_backend_by_default(dev: dict, variant_stacks: dict[str, dict]) -> None:
    assert dev["terraform"]["backend"] == {"local": {"path": "terraform.auth0-log-archive-dev.tfstate"}}
    assert variant_stacks["custom"]["terraform"]["backend"] == {"local": {"path": "/var/state/audit-custom.tfstate"}}


def test_s3_backend_is_encrypted_and_locks_natively(example_stacks: dict[str, dict]) -> None:
    assert example_stacks["staging"]["terraform"]["backend"] == {
        "s3": {
            "bucket": "acme-tfstate-222222222222",
            "key": "auth0-log-archive/staging.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }
    assert example_stacks["prod"]["terraform"]["backend"]["s3"]["key"] == "auth0-log-archive/prod.tfstate"


def test_provider_is_pinned_to_the_bound_version(dev: dict) -> None:
    assert dev["terraform"]["required_providers"]["aws"] == {"source": "aws", "version": "6.25.0"}


def test_outputs_reference_the_resources(dev: dict) -> None:
    bucket, _ = named(dev, "aws_s3_bucket", "archive_bucket")
    logs, _ = named(dev, "aws_s3_bucket", "access_logs_bucket")
    stream, _ = only(dev, "aws_kinesis_firehose_delivery_stream")
    bus, _ = only(dev, "aws_cloudwatch_event_bus")
    rule, _ = named(dev, "aws_cloudwatch_event_rule", "ingest_rule")
    queue, _ = only(dev, "aws_sqs_queue")
    archive, _ = only(dev, "aws_cloudwatch_event_archive")
    topic, _ = only(dev, "aws_sns_topic")
    database, _ = only(dev, "aws_glue_catalog_database")
    table, _ = named(dev, "aws_glue_catalog_table", "queries_table")
    workgroup, _ = only(dev, "aws_athena_workgroup")
    assert {name: out["value"] for name, out in dev["output"].items()} == {
        "athena_workgroup": ref("aws_athena_workgroup", workgroup, "name"),
        "athena_table": f"{ref('aws_glue_catalog_database', database, 'name')}.{ref('aws_glue_catalog_table', table, 'name')}",
        "athena_view": f"{ref('aws_glue_catalog_database', database, 'name')}."
        f"{ref('aws_glue_catalog_table', named(dev, 'aws_glue_catalog_table', 'queries_view')[0], 'name')}",
        "archive_bucket_name": ref("aws_s3_bucket", bucket, "id"),
        "access_log_bucket_name": ref("aws_s3_bucket", logs, "id"),
        "delivery_stream_arn": ref("aws_kinesis_firehose_delivery_stream", stream, "arn"),
        "event_bus_arn": ref("aws_cloudwatch_event_bus", bus, "arn"),
        "event_rule_arn": ref("aws_cloudwatch_event_rule", rule, "arn"),
        "dead_letter_queue_url": ref("aws_sqs_queue", queue, "url"),
        "replay_archive_arn": ref("aws_cloudwatch_event_archive", archive, "arn"),
        "alarm_topic_arn": ref("aws_sns_topic", topic, "arn"),
    }


def test_names_differ_per_environment(example_stacks: dict[str, dict], variant_stacks: dict[str, dict]) -> None:
    buckets = {
        name: named(doc, "aws_s3_bucket", "archive_bucket")[1]["bucket"]
        for name, doc in {**example_stacks, **variant_stacks}.items()
    }
    assert buckets == {
        "dev": "auth0-log-archive-dev-111111111111",
        "staging": "auth0-log-archive-staging-222222222222",
        "prod": "auth0-log-archive-prod-333333333333",
        "minimal": "auth0-log-archive-minimal-444444444444",
        "custom": "audit-custom-555555555555",
    }


def test_every_pipeline_resource_is_present(example_stacks: dict[str, dict]) -> None:
    for doc in example_stacks.values():
        synthesized = core.Testing.to_have_resource  # cdktf's own matcher, on the JSON string
        text = json.dumps(doc)
        for resource_type in (
            "aws_kms_key",
            "aws_kms_alias",
            "aws_s3_bucket",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_cloudwatch_log_group",
            "aws_cloudwatch_log_stream",
            "aws_kinesis_firehose_delivery_stream",
            "aws_cloudwatch_event_bus",
            "aws_cloudwatch_event_rule",
            "aws_cloudwatch_event_target",
            "aws_iam_role",
            "aws_iam_role_policy",
        ):
            assert synthesized(text, resource_type), resource_type
