"""modules/constructs/archive_bucket.py and modules/private_bucket.py: the buckets' protections and lifecycles."""

from __future__ import annotations

import json

import pytest

from modules.constructs.aws import core
from modules.contract.validation import parse_config
from tests.conftest import VARIANTS_TOML, synth_all
from tests.helpers import named, only, policy, ref, resources, statements_by_sid

BUCKET_SETTINGS = (
    "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block", "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy", "aws_s3_bucket_lifecycle_configuration",
)  # fmt: skip


def archive(doc: dict) -> tuple[str, dict]:
    return named(doc, "aws_s3_bucket", "archive_bucket")


def access_logs(doc: dict) -> tuple[str, dict]:
    return named(doc, "aws_s3_bucket", "access_logs_bucket")


def setting(doc: dict, resource_type: str, bucket: str) -> dict:
    """The one resource of ``resource_type`` that configures ``bucket`` (a logical name)."""
    found = [a for a in resources(doc, resource_type).values() if a["bucket"] == ref("aws_s3_bucket", bucket, "id")]
    assert len(found) == 1, (resource_type, bucket, len(found))
    return found[0]


@pytest.mark.parametrize("which", [archive, access_logs], ids=["archive", "access-logs"])
def test_every_bucket_is_private_versioned_and_tls_only(dev: dict, which) -> None:
    name, bucket = which(dev)
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert setting(dev, "aws_s3_bucket_versioning", name)["versioning_configuration"] == {"status": "Enabled"}
    block = setting(dev, "aws_s3_bucket_public_access_block", name)
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert setting(dev, "aws_s3_bucket_ownership_controls", name)["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    arn = ref("aws_s3_bucket", name, "arn")
    deny = policy(setting(dev, "aws_s3_bucket_policy", name))["Statement"][0]
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:*"],
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_archive_is_encrypted_with_the_environment_key_and_a_bucket_key(dev: dict) -> None:
    key, _ = named(dev, "aws_kms_key", "key")
    name, bucket = archive(dev)
    assert bucket["bucket"] == "auth0-log-archive-dev-111111111111"
    assert setting(dev, "aws_s3_bucket_server_side_encryption_configuration", name)["rule"] == [
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": ref("aws_kms_key", key, "arn"),
            },
            "bucket_key_enabled": True,
        }
    ]


def test_archive_policy_admits_nobody_beyond_the_account(dev: dict) -> None:
    name, _ = archive(dev)
    assert [s["Sid"] for s in policy(setting(dev, "aws_s3_bucket_policy", name))["Statement"]] == [
        "DenyInsecureTransport",
        "OnlyAdministratorsDeleteArchivedObjects",
        "OnlyAdministratorsLoosenTheArchive",
    ]
    assert core.Testing.to_have_resource_with_properties(
        json.dumps(dev), "aws_s3_bucket_policy", {"bucket": ref("aws_s3_bucket", name, "id")}
    )


def lifecycle_rules(doc: dict, bucket: str) -> dict[str, dict]:
    config = setting(doc, "aws_s3_bucket_lifecycle_configuration", bucket)
    # Objects under 128 KiB stay in Standard: each archived object pays 40 KiB of overhead and a transition
    # request, more than a small object saves (docs/cost.md; S3 User Guide, lifecycle transitions).
    assert config["transition_default_minimum_object_size"] == "all_storage_classes_128K"
    return {rule["id"]: rule for rule in config["rule"]}


def test_archive_moves_to_glacier_then_deep_archive_then_expires(prod: dict) -> None:
    name, _ = archive(prod)
    rules = lifecycle_rules(prod, name)
    main = rules["age-out"]
    assert main["status"] == "Enabled"
    assert main["filter"] == [{"prefix": ""}]
    assert main["transition"] == [
        {"days": 90, "storage_class": "GLACIER"},
        {"days": 180, "storage_class": "DEEP_ARCHIVE"},
    ]
    assert main["expiration"] == [{"days": 400}]
    assert main["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert main["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rules["remove-expired-delete-markers"]["expiration"] == [{"expired_object_delete_marker": True}]


def test_lifecycle_follows_each_environment(dev: dict, variant_stacks: dict[str, dict]) -> None:
    dev_rule = lifecycle_rules(dev, archive(dev)[0])["age-out"]
    # dev never reaches Deep Archive: S3 wants 90 days in Glacier first, and dev keeps 90 days in all.
    assert dev_rule["transition"] == [{"days": 30, "storage_class": "GLACIER"}]
    assert dev_rule["expiration"] == [{"days": 90}]
    custom = variant_stacks["custom"]
    custom_rule = lifecycle_rules(custom, archive(custom)[0])["age-out"]
    assert custom_rule["transition"] == [{"days": 10, "storage_class": "GLACIER"}]  # no deep archive configured
    assert custom_rule["expiration"] == [{"days": 20}]


def test_access_to_the_archive_is_logged_to_its_own_bucket(prod: dict) -> None:
    archive_name, _ = archive(prod)
    logs_name, logs_bucket = access_logs(prod)
    assert logs_bucket["bucket"] == "auth0-log-archive-prod-333333333333-access-logs"
    _, logging = named(prod, "aws_s3_bucket_logging", "archive_bucket_access_logging")
    assert logging == logging | {
        "bucket": ref("aws_s3_bucket", archive_name, "id"),
        "target_bucket": ref("aws_s3_bucket", logs_name, "id"),
        "target_prefix": "auth0-log-archive-prod-333333333333/",
    }


def test_access_log_bucket_takes_only_s3_log_delivery_for_our_buckets(prod: dict) -> None:
    name, _ = access_logs(prod)
    # S3 cannot deliver server access logs to an SSE-KMS bucket.
    assert setting(prod, "aws_s3_bucket_server_side_encryption_configuration", name)["rule"] == [
        {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    ]
    delivery = policy(setting(prod, "aws_s3_bucket_policy", name))["Statement"][1]
    assert delivery == {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::auth0-log-archive-prod-333333333333-access-logs/*"],
        "Condition": {
            "ArnEquals": {
                "aws:SourceArn": [
                    "arn:aws:s3:::auth0-log-archive-prod-333333333333",
                    "arn:aws:s3:::auth0-log-archive-prod-333333333333-athena-results",
                ]
            },
            "StringEquals": {"aws:SourceAccount": "333333333333"},
        },
    }
    rules = lifecycle_rules(prod, name)
    assert "transition" not in rules["age-out"]
    assert rules["age-out"]["expiration"] == [{"days": 400}]


def test_no_object_lock_unless_configured(prod: dict) -> None:
    assert resources(prod, "aws_s3_bucket_object_lock_configuration") == {}


@pytest.mark.parametrize("mode", ["governance", "COMPLIANCE"])
def test_object_lock_is_opt_in(mode: str) -> None:
    text = VARIANTS_TOML.split("[environments.custom]")[0].replace(
        "[environments.minimal]", f'[environments.minimal]\nobject_lock_mode = "{mode}"\nobject_lock_days = 365'
    )
    doc = synth_all(parse_config(text, "locked.toml"))["minimal"]
    name, _ = archive(doc)
    _, lock = only(doc, "aws_s3_bucket_object_lock_configuration")
    assert lock["bucket"] == ref("aws_s3_bucket", name, "id")
    assert lock["object_lock_enabled"] == "Enabled"
    assert lock["rule"] == {"default_retention": {"mode": mode.upper(), "days": 365}}
    versioning, _ = named(doc, "aws_s3_bucket_versioning", "archive_bucket_versioning")
    assert f"aws_s3_bucket_versioning.{versioning}" in lock["depends_on"]


def test_only_the_administrators_may_loosen_the_archive(prod: dict, variant_stacks: dict[str, dict]) -> None:
    name, _ = archive(prod)
    deny = statements_by_sid(policy(setting(prod, "aws_s3_bucket_policy", name)))["OnlyAdministratorsLoosenTheArchive"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    # What would let data go, or stop expiring, or stop being watched (S3's own lifecycle actions are not
    # subject to the bucket policy, so expiry still works). IAM action names, from the Service
    # Authorization Reference for S3: PutBucketNotificationConfiguration needs s3:PutBucketNotification,
    # PutBucketReplication s3:PutReplicationConfiguration, PutObjectLockConfiguration
    # s3:PutBucketObjectLockConfiguration, PutBucketEncryption s3:PutEncryptionConfiguration.
    assert set(deny["Action"]) == {
        "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketNotification",
        "s3:PutReplicationConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketLogging",
        "s3:PutBucketOwnershipControls",
    }  # fmt: skip
    bucket = "arn:aws:s3:::auth0-log-archive-prod-333333333333"
    assert deny["Resource"] == [bucket]  # bucket-level actions
    assert deny["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::333333333333:role/auth0-log-archive-deploy"]}
    }
    # Without any administrator role the account's IAM governs those actions: no deny that would lock it out.
    minimal, _ = archive(variant_stacks["minimal"])
    sids = [s["Sid"] for s in policy(setting(variant_stacks["minimal"], "aws_s3_bucket_policy", minimal))["Statement"]]
    assert sids == ["DenyInsecureTransport", "NobodyDeletesArchivedObjects"]


def test_archived_objects_are_deleted_only_by_the_lifecycle_and_the_administrators(
    prod: dict, variant_stacks: dict[str, dict]
) -> None:
    """A DeleteObject without a version id only adds a delete marker, but the hidden version then expires
    after 30 days: both deletions are denied under what the stream writes, to all but the administrators
    (to everybody when there are none: deleting then means changing the policy first, which is reported)."""
    name, _ = archive(prod)
    deny = statements_by_sid(policy(setting(prod, "aws_s3_bucket_policy", name)))[
        "OnlyAdministratorsDeleteArchivedObjects"
    ]
    bucket = "arn:aws:s3:::auth0-log-archive-prod-333333333333"
    assert (deny["Effect"], deny["Principal"]) == ("Deny", {"AWS": "*"})
    assert set(deny["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert deny["Resource"] == [f"{bucket}/logs/*", f"{bucket}/errors/*"]  # not backfill's checkpoints
    assert deny["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::333333333333:role/auth0-log-archive-deploy"]}
    }
    minimal, _ = archive(variant_stacks["minimal"])
    everybody = statements_by_sid(policy(setting(variant_stacks["minimal"], "aws_s3_bucket_policy", minimal)))[
        "NobodyDeletesArchivedObjects"
    ]
    assert "Condition" not in everybody and everybody["Effect"] == "Deny"
    assert set(everybody["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}


def test_the_archive_bucket_tells_eventbridge_what_happens_to_it(prod: dict) -> None:
    name, _ = archive(prod)
    (notification,) = resources(prod, "aws_s3_bucket_notification").values()
    assert notification == {"bucket": ref("aws_s3_bucket", name, "id"), "eventbridge": True}
