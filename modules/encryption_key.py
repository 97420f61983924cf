"""The environment's customer managed KMS key."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from modules import aws
from modules.iam import Statement, policy_document, statement

# In a key policy "*" means "this key": the policy is attached to one key only.
THIS_KEY = ["*"]


def logs_service_grant(region: str, account_id: str, log_group_prefix: str) -> Statement:
    """Let CloudWatch Logs encrypt the log groups whose names start with the prefix."""
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_prefix}*"
    return statement(
        "CloudWatchLogsEncryptsPipelineLogGroups",
        [
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey",
        ],
        THIS_KEY,
        principal={"Service": f"logs.{region}.amazonaws.com"},
        condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )


class ArchiveKey(Construct):
    """A rotating KMS key for the archive, its queues, topics and logs.

    The account's IAM policies govern its use (the first key policy
    statement); AWS services that act on their own behalf, not through one of
    our roles, are admitted by ``service_grants`` with conditions that bind
    them to this stack's resources.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str,
        account_id: str,
        service_grants: Sequence[Statement] = (),
        deletion_window_days: int = 30,
        prevent_destroy: bool = True,
    ) -> None:
        super().__init__(scope, id)
        account_administers = statement(
            "AccountIamPoliciesGovernUse",
            ["kms:*"],
            THIS_KEY,
            principal={"AWS": f"arn:aws:iam::{account_id}:root"},
        )
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=f"Encrypts the Auth0 log archive {alias}: objects, queues, topics and logs",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policy_document(account_administers, *service_grants),
            # Losing the key loses every archived object it encrypted.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
        )
        aws.kms_alias.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn
