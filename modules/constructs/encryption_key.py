"""The environment's customer managed KMS key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsii
from constructs import Construct

from modules.constructs import aws
from modules.constructs.aws import core
from modules.constructs.iam import Statement, policy_document, statement

# In a key policy "*" means "this key": the policy is attached to one key only.
THIS_KEY = ["*"]

# AWS's documented "Allow access for key administrators" statement, spelled out (no "kms:*",
# and no use of the key: administrators cannot decrypt by virtue of administering).
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
KEY_ADMINISTRATION = [
    "kms:CancelKeyDeletion", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey",
    "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant",
    "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateKeyDescription",
]  # fmt: skip
# Alias operations need permission on the key as well as on the alias.
KEY_ALIASES = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
# What anyone in the account may read about the key (terraform plan with a read-only role).
KEY_METADATA = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
# Symmetric encryption, as S3 and CloudWatch Logs use it.
KEY_USE = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
]  # fmt: skip
# AWS's documented "Allow attachment of persistent resources" statement: grants only for AWS services
# (Firehose creates one for its server-side encryption), never for a principal of the caller's choosing.
KEY_GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


@jsii.implements(core.IStringProducer)
class _Rendered:
    """Renders a value when the stack is synthesized, after every grant was added."""

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render

    def produce(self, context: Any) -> str:
        return self._render()


class ServiceKey(Construct):
    """A rotating customer managed KMS key whose policy separates administration from use.

    ``admin_role_arns`` administer it (AWS's documented administrator
    statement), and so does the account principal, as in AWS's default key
    policy: whoever the account's IAM policies allow may administer it, so
    the key is never orphaned when a role is deleted, and KMS's lockout check
    passes for whoever creates it with IAM permission to. Nobody may use it
    by default: subclasses and the constructs that need it add the use they
    document, with ``allow_service`` for AWS services that act on their own
    behalf.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str,
        account_id: str,
        description: str,
        admin_role_arns: Sequence[str] = (),
        deletion_window_days: int = 30,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.account = {"AWS": f"arn:aws:iam::{account_id}:root"}
        # Break glass through IAM: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
        admins = {"AWS": [self.account["AWS"], *admin_role_arns]} if admin_role_arns else self.account
        self._statements: list[Statement] = [
            statement("KeyAdministration", KEY_ADMINISTRATION, THIS_KEY, principal=admins),
            statement("KeyAdministratorsManageAliases", KEY_ALIASES, THIS_KEY, principal=admins),
            statement("AccountReadsKeyMetadata", KEY_METADATA, THIS_KEY, principal=self.account),
        ]
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=core.Lazy.string_value(_Rendered(lambda: policy_document(*self._statements))),
            lifecycle=core.TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        aws.kms_alias.KmsAlias(self, "alias", name=alias, target_key_id=self.key.key_id)

    def allow(self, item: Statement) -> None:
        self._statements.append(item)

    def allow_service(
        self,
        sid: str,
        service: str,
        actions: Sequence[str],
        condition: dict[str, dict[str, Any]] | None,
        *,
        documented_by: str | None = None,
    ) -> None:
        """Let an AWS service principal use the key, under ``condition``.

        A grant without a condition that binds the service to our resources is
        taken only as AWS documents it (``documented_by``, a URL), for services
        whose calls carry no such context; ``kms:DescribeKey`` (metadata) alone
        may always go without.
        """
        if not condition and list(actions) != ["kms:DescribeKey"] and not documented_by:
            raise ValueError(f"{sid}: a service grant needs a condition, or the AWS document that shows none")
        self.allow(statement(sid, actions, THIS_KEY, principal={"Service": service}, condition=condition))

    @property
    def arn(self) -> str:
        return self.key.arn


class ArchiveKey(ServiceKey):
    """The key of the archive: its objects, the Athena results, the Firehose stream and its error log.

    Principals of the account use it only through S3 (``kms:ViaService``):
    the archive is read by reading objects, which bucket policy and IAM
    govern, never by calling KMS directly. AWS services get grants from the
    constructs that need them; Firehose creates its own grant, which only an
    AWS service may hold (``kms:GrantIsForAWSResource``). Losing this key
    loses every archived object: ``prevent_destroy`` and a 30-day deletion
    window by default, and an alarm when anyone disables it or schedules its
    deletion (``PipelineAlarms``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str,
        account_id: str,
        region: str,
        admin_role_arns: Sequence[str] = (),
        deletion_window_days: int = 30,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(
            scope, id, alias=alias, account_id=account_id, admin_role_arns=admin_role_arns,
            description=f"Encrypts the Auth0 log archive {alias}: objects, query results, the Firehose stream "
            "and its error log",
            deletion_window_days=deletion_window_days, prevent_destroy=prevent_destroy,
        )  # fmt: skip
        # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
        self.allow(
            statement(
                "AccountUsesKeyOnlyThroughS3",
                [*KEY_USE, "kms:DescribeKey"],
                THIS_KEY,
                principal=self.account,
                condition={
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": account_id}
                },
            )
        )
        # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-service-integration
        self.allow(
            statement(
                "GrantsOnlyForAwsServices",
                KEY_GRANTS,
                THIS_KEY,
                principal=self.account,
                condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )


class AlarmKey(ServiceKey):
    """A small key of the alarm topic's own, so that alarms still reach somebody when the
    archive key is disabled, scheduled for deletion or its policy is broken.

    The services that publish (CloudWatch alarms, EventBridge rules) are added
    by ``PipelineAlarms`` as the SNS documentation shows.
    """

    def __init__(
        self, scope: Construct, id: str, *, alias: str, account_id: str, admin_role_arns: Sequence[str] = ()
    ) -> None:
        super().__init__(
            scope, id, alias=alias, account_id=account_id, admin_role_arns=admin_role_arns,
            description=f"Encrypts the alarm topic {alias} (apart from the archive key, so alarms survive it)",
        )  # fmt: skip
