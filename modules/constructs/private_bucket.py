"""What every bucket of ours is: private, versioned, encrypted, TLS-only, ageing out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from modules.constructs import aws
from modules.constructs.aws import core
from modules.constructs.iam import Statement, deny_insecure_transport, policy_document

lifecycle = aws.s3_bucket_lifecycle_configuration
sse = aws.s3_bucket_server_side_encryption_configuration


@dataclass(frozen=True)
class AccessLogDestination:
    """Where a bucket's S3 server access logs go.

    ``ready``: what must exist before S3 accepts the bucket as a target. S3
    checks, in PutBucketLogging, that the target's policy lets
    logging.s3.amazonaws.com write (InvalidTargetBucketForLogging otherwise),
    and nothing in the references orders the two.
    """

    bucket_name: str
    ready: Sequence[Any] = ()


@dataclass(frozen=True)
class Retention:
    """How long objects stay in each storage class, in days from creation."""

    expire_after_days: int
    glacier_after_days: int | None = None
    deep_archive_after_days: int | None = None
    # Older versions exist only after an overwrite or delete; keep them briefly
    # so a mistaken delete can be undone, without paying for them for long.
    noncurrent_expire_after_days: int = 30
    abort_incomplete_uploads_after_days: int = 7


class PrivateBucket(Construct):
    """An S3 bucket nobody outside the account can read, and nobody without TLS.

    All public access blocked, ACLs disabled (bucket owner enforced),
    versioned, default encryption (SSE-KMS with ``kms_key_arn``, else
    SSE-S3), a bucket policy that denies requests without TLS plus
    ``policy_statements``, a lifecycle from ``retention``, ``force_destroy``
    off and, by default, ``prevent_destroy``. With ``access_logs``, S3
    server access logs go there, under "<bucket name>/", once it is ready.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        retention: Retention,
        kms_key_arn: str | None = None,
        policy_statements: Sequence[Statement] = (),
        access_logs: AccessLogDestination | None = None,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.bucket = aws.s3_bucket.S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
            force_destroy=False,
            lifecycle=core.TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        bucket = self.bucket.id
        self.versioning = aws.s3_bucket_versioning.S3BucketVersioningA(
            self, "versioning", bucket=bucket, versioning_configuration={"status": "Enabled"}
        )
        default_encryption = sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms" if kms_key_arn else "AES256", kms_master_key_id=kms_key_arn
        )
        sse.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket,
            rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default_encryption,
                    # One data key per bucket instead of per object: far fewer KMS calls.
                    bucket_key_enabled=True if kms_key_arn else None,
                )
            ],
        )
        public_access_block = aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self, "ownership", bucket=bucket, rule={"object_ownership": "BucketOwnerEnforced"}
        )
        self.policy = aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket,
            policy=policy_document(
                deny_insecure_transport(["s3:*"], [self.bucket.arn, f"{self.bucket.arn}/*"]),
                *policy_statements,
            ),
            # S3 rejects policy writes while the public access block is being applied.
            depends_on=[public_access_block],
        )
        if access_logs is not None:
            aws.s3_bucket_logging.S3BucketLoggingA(
                self,
                "access_logging",
                bucket=bucket,
                target_bucket=access_logs.bucket_name,
                target_prefix=f"{bucket_name}/",
                depends_on=list(access_logs.ready) or None,
            )
        lifecycle.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket,
            # The default since 2024 skips objects under 128 KiB, which a quiet
            # tenant's hourly log objects often are; they must age out too.
            transition_default_minimum_object_size="all_storage_classes_128K",
            rule=lifecycle_rules(retention),
            # Lifecycle rules on noncurrent versions need versioning first.
            depends_on=[self.versioning],
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.id


def lifecycle_rules(retention: Retention) -> list[lifecycle.S3BucketLifecycleConfigurationRule]:
    transitions = [
        lifecycle.S3BucketLifecycleConfigurationRuleTransition(storage_class=storage_class, days=days)
        for storage_class, days in (
            ("GLACIER", retention.glacier_after_days),
            ("DEEP_ARCHIVE", retention.deep_archive_after_days),
        )
        if days is not None
    ]
    whole_bucket = [lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")]
    return [
        lifecycle.S3BucketLifecycleConfigurationRule(
            id="age-out",
            status="Enabled",
            filter=whole_bucket,
            transition=transitions or None,
            expiration=[lifecycle.S3BucketLifecycleConfigurationRuleExpiration(days=retention.expire_after_days)],
            noncurrent_version_expiration=[
                lifecycle.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=retention.noncurrent_expire_after_days
                )
            ],
            abort_incomplete_multipart_upload=[
                lifecycle.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                    days_after_initiation=retention.abort_incomplete_uploads_after_days
                )
            ],
        ),
        # S3 allows expired_object_delete_marker only in a rule without days.
        lifecycle.S3BucketLifecycleConfigurationRule(
            id="remove-expired-delete-markers",
            status="Enabled",
            filter=whole_bucket,
            expiration=[lifecycle.S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)],
        ),
    ]
