"""modules/archive_bucket.py: the bucket's protections and lifecycle."""

from __future__ import annotations

import json

import cdktf

from tests.helpers import only, policy, ref


def test_bucket_cannot_be_destroyed_with_its_objects(dev: dict) -> None:
    _, bucket = only(dev, "aws_s3_bucket")
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"] == {"prevent_destroy": True}


def test_every_bucket_setting_applies_to_the_archive_bucket(dev: dict) -> None:
    name, _ = only(dev, "aws_s3_bucket")
    bucket_id = ref("aws_s3_bucket", name, "id")
    for resource_type in (
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_lifecycle_configuration",
    ):
        assert only(dev, resource_type)[1]["bucket"] == bucket_id, resource_type


def test_versioned_private_and_owner_enforced(dev: dict) -> None:
    text = json.dumps(dev)
    assert cdktf.Testing.to_have_resource_with_properties(
        text, "aws_s3_bucket_versioning", {"versioning_configuration": {"status": "Enabled"}}
    )
    assert only(dev, "aws_s3_bucket_public_access_block")[1] | {"bucket": None, "//": None} == {
        "bucket": None,
        "//": None,
        "block_public_acls": True,
        "block_public_policy": True,
        "ignore_public_acls": True,
        "restrict_public_buckets": True,
    }
    assert only(dev, "aws_s3_bucket_ownership_controls")[1]["rule"] == {"object_ownership": "BucketOwnerEnforced"}


def test_encrypted_with_the_environment_key_and_a_bucket_key(dev: dict) -> None:
    key, _ = only(dev, "aws_kms_key")
    _, sse = only(dev, "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["rule"] == [
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": ref("aws_kms_key", key, "arn"),
            },
            "bucket_key_enabled": True,
        }
    ]


def test_policy_denies_every_request_without_tls(dev: dict) -> None:
    bucket, _ = only(dev, "aws_s3_bucket")
    arn = ref("aws_s3_bucket", bucket, "arn")
    _, bucket_policy = only(dev, "aws_s3_bucket_policy")
    assert policy(bucket_policy)["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:*"],
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_lifecycle_moves_to_glacier_then_deep_archive_then_expires(prod: dict) -> None:
    _, config = only(prod, "aws_s3_bucket_lifecycle_configuration")
    assert config["transition_default_minimum_object_size"] == "varies_by_storage_class"
    rules = {rule["id"]: rule for rule in config["rule"]}
    main = rules["archive-then-expire"]
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
    def main_rule(doc: dict) -> dict:
        return next(
            r for r in only(doc, "aws_s3_bucket_lifecycle_configuration")[1]["rule"] if r["id"] == "archive-then-expire"
        )

    assert main_rule(dev)["transition"] == [
        {"days": 30, "storage_class": "GLACIER"},
        {"days": 60, "storage_class": "DEEP_ARCHIVE"},
    ]
    assert main_rule(dev)["expiration"] == [{"days": 90}]
    custom = main_rule(variant_stacks["custom"])
    assert custom["transition"] == [{"days": 10, "storage_class": "GLACIER"}]  # no deep archive configured
    assert custom["expiration"] == [{"days": 20}]
