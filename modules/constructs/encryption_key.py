"""The environment's customer managed KMS key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsii
from cdktf import IResolveContext, IStringProducer, Lazy, TerraformResourceLifecycle
from constructs import Construct

from modules.constructs import aws
from modules.constructs.iam import Statement, policy_document, statement

# In a key policy "*" means "this key": the policy is attached to one key only.
THIS_KEY = ["*"]

# What the account's administrators and IAM policies may do with the key:
# every KMS action that applies to a key, spelled out (no "kms:*").
KEY_ADMINISTRATION = [
    "kms:CancelKeyDeletion", "kms:CreateGrant", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListResourceTags",
    "kms:PutKeyPolicy", "kms:RetireGrant", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateKeyDescription",
]  # fmt: skip
# Alias operations need permission on the key as well as on the alias.
KEY_ALIASES = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
# Symmetric encryption, as S3, SQS, SNS, EventBridge and CloudWatch Logs use it.
KEY_USE = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
]  # fmt: skip


@jsii.implements(IStringProducer)
class _Rendered:
    """Renders a value when the stack is synthesized, after every grant was added."""

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render

    def produce(self, context: IResolveContext) -> str:
        return self._render()


class ArchiveKey(Construct):
    """A rotating KMS key for the archive, its queue, topic, archive and logs.

    The account's IAM policies govern its use (the first key policy
    statement). AWS services that act on their own behalf, not through one
    of our roles, are admitted by ``allow_service`` with conditions that bind
    them to this stack's resources, the way aws-cdk's ``addToResourcePolicy``
    does: each construct adds the grant it needs.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str,
        account_id: str,
        deletion_window_days: int = 30,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        account = {"AWS": f"arn:aws:iam::{account_id}:root"}
        self._statements: list[Statement] = [
            statement("AccountIamPoliciesGovernUse", [*KEY_ADMINISTRATION, *KEY_USE], THIS_KEY, principal=account),
            statement("AccountIamPoliciesGovernAliases", KEY_ALIASES, THIS_KEY, principal=account),
        ]
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=f"Encrypts the Auth0 log archive {alias}: objects, queue, topic, event archive and logs",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=Lazy.string_value(_Rendered(lambda: policy_document(*self._statements))),
            # Losing the key loses every archived object it encrypted.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        aws.kms_alias.KmsAlias(self, "alias", name=alias, target_key_id=self.key.key_id)

    def allow_service(
        self,
        sid: str,
        service: str,
        actions: Sequence[str],
        condition: dict[str, dict[str, Any]] | None,
    ) -> None:
        """Let an AWS service principal use the key, under ``condition``.

        Only ``kms:DescribeKey`` (key metadata, no data) may go without a
        condition that binds the service to our resources.
        """
        if not condition and list(actions) != ["kms:DescribeKey"]:
            raise ValueError(f"{sid}: a service grant needs a condition that binds it to our resources")
        self._statements.append(statement(sid, actions, THIS_KEY, principal={"Service": service}, condition=condition))

    @property
    def arn(self) -> str:
        return self.key.arn
