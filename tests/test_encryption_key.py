"""modules/constructs/encryption_key.py: the archive key and the alarm key, and their policies.

Expected statements follow AWS's documents: the default key policy's administrator statement
(key-policy-default.html), kms:ViaService (conditions-kms.html), grants for AWS resources, and the SNS
statements for services that publish to encrypted topics (sns-key-management.html)."""

from __future__ import annotations

import pytest

from modules.constructs.aws import core
from modules.constructs.encryption_key import ArchiveKey
from tests.helpers import named, policy, statements_by_sid

PROD_DEPLOY_ROLE = "arn:aws:iam::333333333333:role/auth0-log-archive-deploy"
ACCOUNT = {"AWS": "arn:aws:iam::333333333333:root"}


@pytest.mark.parametrize("stem", ["key", "alarm_key"])
def test_keys_rotate_and_are_protected(dev: dict, stem: str) -> None:
    _, key = named(dev, "aws_kms_key", stem)
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert key["lifecycle"] == {"prevent_destroy": True}


def test_administration_is_apart_from_use(prod: dict) -> None:
    _, key = named(prod, "aws_kms_key", "key")
    statements = statements_by_sid(policy(key))
    admin = statements["KeyAdministration"]
    # The deploy role, and the account as in AWS's default key policy (IAM decides who, for break glass): a
    # deleted role never orphans the key, and KMS's lockout check passes for whoever IAM lets create it.
    assert admin["Principal"] == {"AWS": [ACCOUNT["AWS"], PROD_DEPLOY_ROLE]}
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"} <= set(admin["Action"])
    assert not {a for a in admin["Action"] if a.startswith(("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"))}
    assert statements["KeyAdministratorsManageAliases"]["Principal"] == {"AWS": [ACCOUNT["AWS"], PROD_DEPLOY_ROLE]}
    for sid, stmt in statements.items():
        if "kms:Decrypt" in stmt["Action"] and stmt["Principal"] == ACCOUNT:
            assert sid == "AccountUsesKeyOnlyThroughS3"
            assert stmt["Condition"] == {
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "333333333333"}
            }
    grants = statements["GrantsOnlyForAwsServices"]
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_the_archive_key_serves_no_safety_net(prod: dict) -> None:
    _, key = named(prod, "aws_kms_key", "key")
    services = {s["Principal"]["Service"] for s in policy(key)["Statement"] if "Service" in s["Principal"]}
    assert services == {"logs.eu-west-1.amazonaws.com"}  # the Firehose error log; not SQS, SNS or EventBridge


def test_the_alarm_key_admits_the_publishers_as_sns_documents(prod: dict) -> None:
    _, key = named(prod, "aws_kms_key", "alarm_key")
    statements = statements_by_sid(policy(key))
    for sid, service in (("CloudWatchAlarmsPublish", "cloudwatch"), ("EventBridgeRulesPublish", "events")):
        assert statements[sid]["Principal"] == {"Service": f"{service}.amazonaws.com"}
        assert statements[sid]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert "Condition" not in statements[sid]


def test_without_admin_roles_the_account_administers(variant_stacks: dict[str, dict]) -> None:
    _, key = named(variant_stacks["minimal"], "aws_kms_key", "key")
    admin = statements_by_sid(policy(key))["KeyAdministration"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}


def test_a_service_grant_without_condition_needs_its_document() -> None:
    stack = core.TerraformStack(core.Testing.app(), "unit")
    key = ArchiveKey(stack, "key", alias="unit", account_id="111111111111", region="us-east-1")
    with pytest.raises(ValueError, match="needs a condition, or the AWS document"):
        key.allow_service("Open", "events.amazonaws.com", ["kms:Decrypt"], None)
    key.allow_service("Describe", "events.amazonaws.com", ["kms:DescribeKey"], None)
    key.allow_service("Doc", "sns.amazonaws.com", ["kms:Decrypt"], None, documented_by="https://docs.aws.amazon.com/x")


def test_aliases_name_the_environment(prod: dict) -> None:
    key, _ = named(prod, "aws_kms_key", "key")
    alarm_key, _ = named(prod, "aws_kms_key", "alarm_key")
    _, alias = named(prod, "aws_kms_alias", "key_alias")
    _, alarm_alias = named(prod, "aws_kms_alias", "alarm_key_alias")
    assert alias == alias | {"name": "alias/auth0-log-archive-prod", "target_key_id": f"${{aws_kms_key.{key}.key_id}}"}
    assert alarm_alias["name"] == "alias/auth0-log-archive-prod-alarms"
    assert alarm_alias["target_key_id"] == f"${{aws_kms_key.{alarm_key}.key_id}}"
