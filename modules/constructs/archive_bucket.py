"""The S3 bucket that keeps the log archive, and the bucket that logs access to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from modules.constructs import aws
from modules.constructs.encryption_key import ArchiveKey
from modules.constructs.iam import statement
from modules.constructs.private_bucket import AccessLogDestination, PrivateBucket, Retention

lock = aws.s3_bucket_object_lock_configuration


@dataclass(frozen=True)
class ObjectLock:
    """Default S3 Object Lock retention for new objects (WORM)."""

    mode: str  # "GOVERNANCE" (privileged users may lift it) or "COMPLIANCE" (nobody may)
    days: int


class AccessLogBucket(Construct):
    """Receives the S3 server access logs of the stack's other buckets.

    Encrypted with SSE-S3: S3 log delivery cannot write to an SSE-KMS
    bucket. Only the S3 logging service may write, and only for the source
    buckets, in this account.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        account_id: str,
        source_bucket_arns: Sequence[str],
        expire_after_days: int,
    ) -> None:
        super().__init__(scope, id)
        self.bucket = PrivateBucket(
            self,
            "bucket",
            bucket_name=bucket_name,
            retention=Retention(expire_after_days=expire_after_days),
            policy_statements=[
                statement(
                    "S3ServerAccessLogDelivery",
                    ["s3:PutObject"],
                    [f"arn:aws:s3:::{bucket_name}/*"],
                    principal={"Service": "logging.s3.amazonaws.com"},
                    condition={
                        "ArnEquals": {"aws:SourceArn": list(source_bucket_arns)},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                )
            ],
        )

    @property
    def name(self) -> str:
        return self.bucket.name

    @property
    def destination(self) -> AccessLogDestination:
        """For the buckets that log here: S3 accepts this bucket as a target only once its policy exists."""
        return AccessLogDestination(self.name, ready=[self.bucket.policy])


# What only the archive's administrators may do to the bucket: what would let data go, or be read, or
# stop expiring, or stop being watched, without a trace in the lifecycle (S3 lifecycle actions are S3's
# own, not subject to the bucket policy).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
PROTECTED_ACTIONS = [
    "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketNotification",
    "s3:PutReplicationConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketLogging",
    "s3:PutBucketOwnershipControls",
]  # fmt: skip
# Deleting archived data: a plain DeleteObject only adds a delete marker, but the noncurrent version
# then expires with the lifecycle, so it is a deletion all the same.
DELETIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion"]


class ArchiveBucket(Construct):
    """The archive: a private, versioned bucket encrypted with the environment's key.

    Current objects move to Glacier (and optionally Deep Archive) and expire
    after the retention period. With ``object_lock`` every new object is
    also write-once for that many days. Access is logged to
    ``access_logs`` when given.

    With ``admin_role_arns``, the bucket policy denies everyone else the
    ``PROTECTED_ACTIONS`` (changing the policy, lifecycle, versioning,
    encryption, object lock, notification, replication, public access block,
    logging or ownership) and the ``DELETIONS`` of objects under
    ``archived_prefixes``; without any, it denies those deletions to every
    principal (deleting then means changing the policy first, which is
    reported). S3 sends its events to EventBridge, so that a deletion is
    reported (``PipelineAlarms``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        key: ArchiveKey,
        retention: Retention,
        access_logs: AccessLogDestination | None = None,
        object_lock: ObjectLock | None = None,
        archived_prefixes: Sequence[str],
        admin_role_arns: Sequence[str] = (),
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        arn = f"arn:aws:s3:::{bucket_name}"
        but_admins = {"ArnNotLike": {"aws:PrincipalArn": list(admin_role_arns)}} if admin_role_arns else None
        protection = [
            statement(
                "OnlyAdministratorsDeleteArchivedObjects" if admin_role_arns else "NobodyDeletesArchivedObjects",
                DELETIONS,
                [f"{arn}/{prefix}*" for prefix in archived_prefixes],
                effect="Deny",
                principal={"AWS": "*"},
                condition=but_admins,
            )
        ]
        if admin_role_arns:
            protection.append(
                statement(
                    "OnlyAdministratorsLoosenTheArchive",
                    PROTECTED_ACTIONS,
                    [arn],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition=but_admins,
                )
            )
        self.bucket = PrivateBucket(
            self,
            "bucket",
            bucket_name=bucket_name,
            kms_key_arn=key.arn,
            retention=retention,
            access_logs=access_logs,
            policy_statements=protection,
            prevent_destroy=prevent_destroy,
        )
        aws.s3_bucket_notification.S3BucketNotification(
            self, "events_to_eventbridge", bucket=self.bucket.name, eventbridge=True
        )
        if object_lock is not None:
            # Enabling Object Lock through this resource works on an existing,
            # versioned bucket; the bucket is not replaced.
            lock.S3BucketObjectLockConfigurationA(
                self,
                "object_lock",
                bucket=self.bucket.name,
                object_lock_enabled="Enabled",
                rule=lock.S3BucketObjectLockConfigurationRuleA(
                    default_retention=lock.S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                        mode=object_lock.mode, days=object_lock.days
                    )
                ),
                depends_on=[self.bucket.versioning],
            )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.name
