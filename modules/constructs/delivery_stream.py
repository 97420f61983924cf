"""The Kinesis Data Firehose stream that writes events into the archive bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from modules.constructs import aws
from modules.constructs.encryption_key import KEY_USE, ArchiveKey
from modules.constructs.iam import ServiceRole, statement
from modules.contract import naming

firehose = aws.kinesis_firehose_delivery_stream

# logs/YYYY/MM/DD/HH/, the hour each event happened (modules/contract/naming.py).
RECORD_PREFIX = naming.LOG_PREFIX + naming.EVENT_HOUR_LAYOUT
ERROR_OUTPUT_PREFIX = naming.ERROR_PREFIX + naming.TIME_LAYOUT
# Where the stream writes, and nowhere else.
WRITTEN_PREFIXES = naming.ARCHIVED_PREFIXES


def processor(kind: str, **parameters: str) -> Any:
    """A Firehose record processor with its parameters."""
    return firehose.KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessors(
        type=kind,
        parameters=[
            firehose.KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorsParameters(
                parameter_name=name, parameter_value=value
            )
            for name, value in parameters.items()
        ]
        or None,
    )


@dataclass(frozen=True)
class Buffering:
    """Firehose writes an object when either limit is reached."""

    interval_seconds: int  # 0-900
    size_mib: int  # 64-128: dynamic partitioning needs at least 64 MiB


class DeliveryStream(Construct):
    """DirectPut Firehose stream → newline-delimited, GZIP-compressed JSON in S3, each event filed
    under the hour it happened (dynamic partitioning with a JQ query on the event).

    Records are encrypted at rest in the stream with the environment's key
    (Firehose creates its own grant on it), objects with the same key
    through S3. Its role may write to this bucket (with this key, through S3
    only) and to this stream's error log stream, nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        role_name: str,
        account_id: str,
        region: str,
        bucket_arn: str,
        key: ArchiveKey,
        buffering: Buffering,
        log_group_name: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id)
        kms_key_arn = key.arn
        log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
        key.allow_service(
            "CloudWatchLogsEncryptsFirehoseErrorLog",
            f"logs.{region}.amazonaws.com",
            KEY_USE,
            {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
        )
        # CloudWatch Logs also describes the key when a log group is associated with it (AWS's statement
        # has kms:Describe*); DescribeKey carries no encryption context, so it gets a statement of its own.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        key.allow_service("CloudWatchLogsDescribesKey", f"logs.{region}.amazonaws.com", ["kms:DescribeKey"], None)
        self.log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log_group",
            name=log_group_name,
            retention_in_days=log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.log_stream = aws.cloudwatch_log_stream.CloudwatchLogStream(
            self, "log_stream", name="DestinationDelivery", log_group_name=self.log_group.name
        )
        self.role = ServiceRole(
            self,
            "role",
            name=role_name,
            description=f"Firehose stream {name} writes Auth0 log objects to the archive bucket",
            service="firehose.amazonaws.com",
            # Firehose passes the stream owner's account as the external id.
            trust_condition={"StringEquals": {"sts:ExternalId": account_id}},
            statements=[
                # The S3 permissions Firehose documents for an S3 destination, objects only under
                # the prefixes it writes. https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
                statement(
                    "FindArchiveBucket",
                    ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                    [bucket_arn],
                ),
                statement(
                    "WriteArchiveObjectsUnderItsPrefixes",
                    ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                    [f"{bucket_arn}/{prefix}*" for prefix in WRITTEN_PREFIXES],
                ),
                statement(
                    "EncryptArchiveObjectsThroughS3",
                    ["kms:GenerateDataKey", "kms:Decrypt"],
                    [kms_key_arn],
                    condition={
                        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                        # With an S3 Bucket Key the context is the bucket's ARN.
                        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
                    },
                ),
                statement("LogDeliveryErrors", ["logs:PutLogEvents"], [self.log_stream.arn]),
            ],
        )
        self.stream = firehose.KinesisFirehoseDeliveryStream(
            self,
            "stream",
            name=name,
            destination="extended_s3",
            server_side_encryption=firehose.KinesisFirehoseDeliveryStreamServerSideEncryption(
                enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=kms_key_arn
            ),
            extended_s3_configuration=firehose.KinesisFirehoseDeliveryStreamExtendedS3Configuration(
                bucket_arn=bucket_arn,
                role_arn=self.role.arn,
                prefix=RECORD_PREFIX,
                error_output_prefix=ERROR_OUTPUT_PREFIX,
                buffering_interval=buffering.interval_seconds,
                buffering_size=buffering.size_mib,
                compression_format="GZIP",
                kms_key_arn=kms_key_arn,
                # Filed by event time: a retried or replayed event joins the hour it happened in.
                # https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html
                dynamic_partitioning_configuration=firehose.KinesisFirehoseDeliveryStreamExtendedS3ConfigurationDynamicPartitioningConfiguration(
                    enabled=True, retry_duration=300
                ),
                processing_configuration=firehose.KinesisFirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfiguration(
                    enabled=True,
                    processors=[
                        processor(
                            "MetadataExtraction",
                            JsonParsingEngine="JQ-1.6",
                            MetadataExtractionQuery=naming.EVENT_HOUR_QUERY,
                        ),
                        # One event per line: Athena, jq and grep read the objects as they are.
                        processor("AppendDelimiterToRecord"),
                    ],
                ),
                cloudwatch_logging_options=firehose.KinesisFirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptions(
                    enabled=True,
                    log_group_name=self.log_group.name,
                    log_stream_name=self.log_stream.name,
                ),
            ),
            # Firehose checks its role on creation; the policy must exist first.
            depends_on=[self.role.policy],
        )

    @property
    def arn(self) -> str:
        return self.stream.arn
