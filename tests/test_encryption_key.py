"""modules/encryption_key.py: the customer managed key and its policy."""

from __future__ import annotations

from tests.helpers import only, policy, statements_by_sid


def test_key_rotates_and_is_protected(dev: dict) -> None:
    _, key = only(dev, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["lifecycle"] == {"prevent_destroy": True}


def test_key_policy_leaves_use_to_the_account_and_binds_logs_to_our_log_groups(prod: dict) -> None:
    _, key = only(prod, "aws_kms_key")
    statements = statements_by_sid(policy(key))
    assert statements["AccountIamPoliciesGovernUse"]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    logs = statements["CloudWatchLogsEncryptsPipelineLogGroups"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:333333333333:log-group:/auth0-log-archive-prod/*"
        }
    }
    assert not any(a.endswith("*") for a in logs["Action"])


def test_alias_names_the_environment(prod: dict) -> None:
    key, _ = only(prod, "aws_kms_key")
    _, alias = only(prod, "aws_kms_alias")
    assert alias == alias | {"name": "alias/auth0-log-archive-prod", "target_key_id": f"${{aws_kms_key.{key}.key_id}}"}
