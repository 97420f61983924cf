"""modules/constructs/delivery_stream.py: the Firehose stream, its role and error logging."""

from __future__ import annotations

from modules.contract.naming import EVENT_HOUR_QUERY
from tests.helpers import named, only, policy, ref, statements_by_sid


def test_stream_writes_gzip_ndjson_under_hourly_prefixes(dev: dict) -> None:
    bucket, _ = named(dev, "aws_s3_bucket", "archive_bucket")
    key, _ = named(dev, "aws_kms_key", "key")
    role, _ = named(dev, "aws_iam_role", "delivery_role")
    _, stream = only(dev, "aws_kinesis_firehose_delivery_stream")
    s3 = stream["extended_s3_configuration"]
    assert stream["name"] == "auth0-log-archive-dev"
    assert stream["destination"] == "extended_s3"
    assert "kinesis_source_configuration" not in stream  # DirectPut: EventBridge puts records
    assert s3["bucket_arn"] == ref("aws_s3_bucket", bucket, "arn")
    assert s3["role_arn"] == ref("aws_iam_role", role, "arn")
    assert s3["kms_key_arn"] == ref("aws_kms_key", key, "arn")
    assert s3["compression_format"] == "GZIP"
    # Dynamic partitioning: the hour the event happened, from a JQ query; errors by arrival hour, with
    # Firehose's error type in the prefix, as dynamic partitioning requires.
    # https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html
    assert s3["prefix"] == "logs/!{partitionKeyFromQuery:dt}/"
    assert s3["error_output_prefix"] == (
        "errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
    )
    assert s3["dynamic_partitioning_configuration"] == {"enabled": True, "retry_duration": 300}
    assert s3["buffering_size"] >= 64  # Firehose's minimum with dynamic partitioning
    assert stream["server_side_encryption"] == {
        "enabled": True,
        "key_type": "CUSTOMER_MANAGED_CMK",
        "key_arn": ref("aws_kms_key", key, "arn"),
    }
    assert s3["processing_configuration"] == {
        "enabled": True,
        "processors": [
            {
                "type": "MetadataExtraction",
                "parameters": [
                    {"parameter_name": "JsonParsingEngine", "parameter_value": "JQ-1.6"},
                    {"parameter_name": "MetadataExtractionQuery", "parameter_value": EVENT_HOUR_QUERY},
                ],
            },
            {"type": "AppendDelimiterToRecord"},
        ],
    }


def test_buffering_comes_from_the_configuration(dev: dict, prod: dict, variant_stacks: dict[str, dict]) -> None:
    def hints(doc: dict) -> tuple[int, int]:
        s3 = only(doc, "aws_kinesis_firehose_delivery_stream")[1]["extended_s3_configuration"]
        return s3["buffering_interval"], s3["buffering_size"]

    assert hints(dev) == (300, 64)
    assert hints(prod) == (900, 64)
    assert hints(variant_stacks["custom"]) == (60, 100)


def test_errors_are_logged_to_a_retained_encrypted_log_group(dev: dict, variant_stacks: dict[str, dict]) -> None:
    key, _ = named(dev, "aws_kms_key", "key")
    group, log_group = only(dev, "aws_cloudwatch_log_group")
    stream_name, log_stream = only(dev, "aws_cloudwatch_log_stream")
    assert log_group["name"] == "/auth0-log-archive-dev/firehose"
    assert log_group["retention_in_days"] == 365
    assert log_group["kms_key_id"] == ref("aws_kms_key", key, "arn")
    assert log_stream["log_group_name"] == ref("aws_cloudwatch_log_group", group, "name")
    logging = only(dev, "aws_kinesis_firehose_delivery_stream")[1]["extended_s3_configuration"][
        "cloudwatch_logging_options"
    ]
    assert logging == {
        "enabled": True,
        "log_group_name": ref("aws_cloudwatch_log_group", group, "name"),
        "log_stream_name": ref("aws_cloudwatch_log_stream", stream_name, "name"),
    }
    assert only(variant_stacks["custom"], "aws_cloudwatch_log_group")[1]["retention_in_days"] == 3653


def test_firehose_role_trusts_only_firehose_for_this_account(prod: dict) -> None:
    _, role = named(prod, "aws_iam_role", "delivery_role")
    assert policy(role, "assume_role_policy")["Statement"] == [
        {
            "Sid": "TrustService",
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"sts:ExternalId": "333333333333"}},
        }
    ]


def test_firehose_role_may_write_only_this_bucket_key_and_log_stream(prod: dict) -> None:
    bucket = ref("aws_s3_bucket", named(prod, "aws_s3_bucket", "archive_bucket")[0], "arn")
    key = ref("aws_kms_key", named(prod, "aws_kms_key", "key")[0], "arn")
    log_stream = ref("aws_cloudwatch_log_stream", only(prod, "aws_cloudwatch_log_stream")[0], "arn")
    role, _ = named(prod, "aws_iam_role", "delivery_role")
    _, role_policy = named(prod, "aws_iam_role_policy", "delivery_role_policy")
    assert role_policy["role"] == ref("aws_iam_role", role, "id")
    statements = statements_by_sid(policy(role_policy))
    # The S3 actions Firehose documents for an S3 destination
    # (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3), and no more:
    # bucket-level ones on the bucket, object-level ones only under logs/ and errors/.
    assert statements["FindArchiveBucket"]["Resource"] == [bucket]
    assert statements["FindArchiveBucket"]["Action"] == [
        "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"
    ]  # fmt: skip
    objects = statements["WriteArchiveObjectsUnderItsPrefixes"]
    assert objects["Resource"] == [f"{bucket}/logs/*", f"{bucket}/errors/*"]
    assert objects["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    kms = statements["EncryptArchiveObjectsThroughS3"]
    assert kms["Resource"] == [key]
    assert kms["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert statements["LogDeliveryErrors"] == {
        "Sid": "LogDeliveryErrors",
        "Effect": "Allow",
        "Action": ["logs:PutLogEvents"],
        "Resource": [log_stream],
    }
    assert set(statements) == {
        "FindArchiveBucket", "WriteArchiveObjectsUnderItsPrefixes", "EncryptArchiveObjectsThroughS3",
        "LogDeliveryErrors",
    }  # fmt: skip


def test_cloudwatch_logs_may_use_the_key_only_for_this_log_group(prod: dict) -> None:
    _, key = named(prod, "aws_kms_key", "key")
    grant = statements_by_sid(policy(key))["CloudWatchLogsEncryptsFirehoseErrorLog"]
    assert grant["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert grant["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:333333333333:log-group:/auth0-log-archive-prod/firehose"
        }
    }
    # AWS's key policy statement for CloudWatch Logs includes kms:Describe*: it describes the key when the
    # log group is associated with it. DescribeKey has no encryption context, hence no condition on it.
    describe = statements_by_sid(policy(key))["CloudWatchLogsDescribesKey"]
    assert (describe["Principal"], describe["Action"]) == (
        {"Service": "logs.eu-west-1.amazonaws.com"},
        ["kms:DescribeKey"],
    )
    assert "Condition" not in describe


def test_stream_waits_for_its_role_policy(prod: dict) -> None:
    policy_name, _ = named(prod, "aws_iam_role_policy", "delivery_role_policy")
    _, stream = only(prod, "aws_kinesis_firehose_delivery_stream")
    assert f"aws_iam_role_policy.{policy_name}" in stream["depends_on"]
