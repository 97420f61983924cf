"""One Terraform stack per environment: the whole Auth0 log archive pipeline."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from modules import aws
from modules.archive_bucket import ArchiveBucket, Retention
from modules.config import Environment
from modules.delivery_stream import Buffering, DeliveryStream
from modules.encryption_key import ArchiveKey, logs_service_grant
from modules.event_ingest import PartnerEventIngest


class ArchiveStack(TerraformStack):
    """Auth0 partner events → EventBridge rule → Firehose → S3 (→ Glacier → expiry)."""

    def __init__(self, scope: Construct, env: Environment) -> None:
        super().__init__(scope, env.stack_name)
        self.environment = env
        self._provider(env)
        self._backend(env)

        prefix = env.name_prefix
        log_group_prefix = f"/{prefix}/"
        key = ArchiveKey(
            self,
            "key",
            alias=prefix,
            account_id=env.aws_account_id,
            service_grants=[logs_service_grant(env.aws_region, env.aws_account_id, log_group_prefix)],
        )
        bucket = ArchiveBucket(
            self,
            "archive",
            bucket_name=f"{prefix}-{env.aws_account_id}",
            kms_key_arn=key.arn,
            retention=Retention(
                glacier_after_days=env.glacier_after_days,
                deep_archive_after_days=env.deep_archive_after_days,
                expire_after_days=env.expire_after_days,
            ),
        )
        stream = DeliveryStream(
            self,
            "delivery",
            name=prefix,
            account_id=env.aws_account_id,
            region=env.aws_region,
            bucket_arn=bucket.arn,
            kms_key_arn=key.arn,
            buffering=Buffering(env.buffer_interval_seconds, env.buffer_size_mib),
            log_group_name=f"{log_group_prefix}firehose",
            log_retention_days=env.log_retention_days,
        )
        ingest = PartnerEventIngest(
            self,
            "ingest",
            name=prefix,
            account_id=env.aws_account_id,
            partner_event_source=env.auth0_event_source,
            delivery_stream_arn=stream.arn,
        )

        TerraformOutput(
            self, "archive_bucket_name", value=bucket.name, description="S3 bucket that keeps the Auth0 logs"
        )
        TerraformOutput(
            self, "delivery_stream_arn", value=stream.arn, description="Firehose stream that writes to the bucket"
        )
        TerraformOutput(
            self, "event_bus_arn", value=ingest.bus.arn, description="Partner event bus of the Auth0 event source"
        )
        TerraformOutput(
            self, "event_rule_arn", value=ingest.rule.arn, description="EventBridge rule that forwards Auth0 log events"
        )

    def _provider(self, env: Environment) -> None:
        assume_role = (
            [
                aws.provider.AwsProviderAssumeRole(
                    role_arn=env.deploy_role_arn,
                    session_name=f"cdktf-{env.stack_name}",
                )
            ]
            if env.deploy_role_arn
            else None
        )
        aws.provider.AwsProvider(
            self,
            "aws",
            region=env.aws_region,
            # A plan run with another account's credentials fails instead of
            # creating a second archive in the wrong place.
            allowed_account_ids=[env.aws_account_id],
            assume_role=assume_role,
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=env.default_tags)],
        )

    def _backend(self, env: Environment) -> None:
        backend = env.backend
        if backend.type == "s3":
            s3 = S3Backend(
                self,
                bucket=backend.bucket,  # type: ignore[arg-type]
                key=backend.key,  # type: ignore[arg-type]
                region=backend.region,
                encrypt=True,
            )
            # S3-native state locking (Terraform 1.10+); cdktf 0.21 has no argument for it.
            s3.add_override("use_lockfile", True)
        else:
            LocalBackend(self, path=backend.path or f"terraform.{env.stack_name}.tfstate")
