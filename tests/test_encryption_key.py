"""modules/encryption_key.py: the customer managed key and its policy."""

from __future__ import annotations

import cdktf
import pytest

from modules.constructs.encryption_key import ArchiveKey
from tests.helpers import only, policy, statements_by_sid


def test_key_rotates_and_is_protected(dev: dict) -> None:
    _, key = only(dev, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["lifecycle"] == {"prevent_destroy": True}


def test_key_policy_leaves_use_to_the_account_and_conditions_every_service(prod: dict) -> None:
    _, key = only(prod, "aws_kms_key")
    statements = statements_by_sid(policy(key))
    account = statements["AccountIamPoliciesGovernUse"]
    assert account["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    assert "kms:*" not in account["Action"]
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Decrypt", "kms:GenerateDataKey"} <= set(
        account["Action"]
    )
    assert statements["AccountIamPoliciesGovernAliases"]["Action"] == [
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:UpdateAlias",
    ]
    services = {sid: s for sid, s in statements.items() if "Service" in s["Principal"]}
    assert set(services) == {
        "CloudWatchLogsEncryptsFirehoseErrorLog",
        "EventBridgeWritesDeadLetterQueue",
        "EventBridgeDescribesKey",
        "EventBridgeEncryptsReplayArchive",
        "CloudWatchAlarmsPublishToEncryptedTopic",
    }
    for sid, grant in services.items():
        assert grant.get("Condition") or grant["Action"] == ["kms:DescribeKey"], sid


def test_a_service_grant_without_condition_is_refused() -> None:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "unit")
    key = ArchiveKey(stack, "key", alias="unit", account_id="111111111111")
    with pytest.raises(ValueError, match="needs a condition"):
        key.allow_service("Open", "events.amazonaws.com", ["kms:Decrypt"], None)
    key.allow_service("Describe", "events.amazonaws.com", ["kms:DescribeKey"], None)


def test_alias_names_the_environment(prod: dict) -> None:
    key, _ = only(prod, "aws_kms_key")
    _, alias = only(prod, "aws_kms_alias")
    assert alias == alias | {"name": "alias/auth0-log-archive-prod", "target_key_id": f"${{aws_kms_key.{key}.key_id}}"}
