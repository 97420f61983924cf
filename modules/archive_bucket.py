"""The S3 bucket that keeps the log archive."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from modules import aws
from modules.iam import deny_insecure_transport, policy_document

lifecycle = aws.s3_bucket_lifecycle_configuration


@dataclass(frozen=True)
class Retention:
    """How long log objects stay in each storage class, in days from creation."""

    glacier_after_days: int
    expire_after_days: int
    deep_archive_after_days: int | None = None
    # Older versions exist only after an overwrite or delete; keep them briefly
    # so a mistaken delete can be undone, without doubling the storage bill.
    noncurrent_expire_after_days: int = 30
    abort_incomplete_uploads_after_days: int = 7


class ArchiveBucket(Construct):
    """A private, versioned, KMS-encrypted bucket with a Glacier lifecycle.

    Secure by default: all public access blocked, ACLs disabled (bucket owner
    enforced), TLS required, ``force_destroy`` off and ``prevent_destroy`` on.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        kms_key_arn: str,
        retention: Retention,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.bucket = aws.s3_bucket.S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
            force_destroy=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        bucket = self.bucket.id
        aws.s3_bucket_versioning.S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket,
            versioning_configuration={"status": "Enabled"},
        )
        sse = aws.s3_bucket_server_side_encryption_configuration
        sse.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket,
            rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                        )
                    ),
                    # One data key per bucket instead of per object: far fewer KMS calls.
                    bucket_key_enabled=True,
                )
            ],
        )
        self.public_access_block = aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
        )
        aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket,
            policy=policy_document(
                deny_insecure_transport(["s3:*"], [self.bucket.arn, f"{self.bucket.arn}/*"]),
            ),
            # S3 rejects policy writes while the public access block is being applied.
            depends_on=[self.public_access_block],
        )
        self.lifecycle = lifecycle.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket,
            # The default since 2024 skips objects under 128 KiB, which a quiet
            # tenant's hourly log objects often are; they must age out too.
            transition_default_minimum_object_size="varies_by_storage_class",
            rule=_lifecycle_rules(retention),
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.id


def _lifecycle_rules(retention: Retention) -> list[lifecycle.S3BucketLifecycleConfigurationRule]:
    transitions = [
        lifecycle.S3BucketLifecycleConfigurationRuleTransition(
            storage_class="GLACIER", days=retention.glacier_after_days
        )
    ]
    if retention.deep_archive_after_days is not None:
        transitions.append(
            lifecycle.S3BucketLifecycleConfigurationRuleTransition(
                storage_class="DEEP_ARCHIVE", days=retention.deep_archive_after_days
            )
        )
    whole_bucket = [lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")]
    return [
        lifecycle.S3BucketLifecycleConfigurationRule(
            id="archive-then-expire",
            status="Enabled",
            filter=whole_bucket,
            transition=transitions,
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
