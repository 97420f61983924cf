"""The e2e harness (e2e/): what it changes in a stack copy, and that a real apply catches a misordered stack.

The apply tests need Terraform and a filesystem mirror of hashicorp/aws (make e2e runs the whole thing in
CI); without them they skip with that reason.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from e2e.harness import E2eFailure, foreign_arns, local_copy, standin_partner_source, without_auth0
from ops.terraform_mirror import ProviderMirror, choose_mirror, find_mirrors, platform_dir, relaxed
from tests.terraform_reader import stack_problems

MIRROR = ProviderMirror(Path("/mirror"), "5.100.0")
ENDPOINTS = {"s3": "http://127.0.0.1:1", "sts": "http://127.0.0.1:1"}


def test_the_copy_changes_only_the_version_endpoints_and_backend(example_config: Any, example_stacks: dict) -> None:
    env = example_config.environment("prod")
    original = example_stacks["prod"]
    copy, notes = local_copy(original, env, MIRROR, ENDPOINTS)
    assert notes[0] == "planned with hashicorp/aws 5.100.0 from the local mirror; the stack pins 6.25.0"
    assert copy["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"
    assert copy["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    provider = copy["provider"]["aws"][0]
    assert provider["endpoints"] == [ENDPOINTS]
    # The account guard and the role stay: a role in the wrong account must fail here as in AWS.
    assert provider["allowed_account_ids"] == ["333333333333"]
    assert provider["assume_role"] == original["provider"]["aws"][0]["assume_role"]
    assert copy["resource"] == original["resource"]
    assert original["terraform"]["required_providers"]["aws"]["version"] == "6.25.0"  # never changed in place


def test_the_auth0_stream_is_replaced_by_the_partner_source_it_would_create(
    managed_stacks: dict, managed_config: Any
) -> None:
    env = managed_config.environment("prod")
    source = standin_partner_source(env)
    copy, notes = without_auth0(managed_stacks["prod"], source)
    assert "auth0_log_stream" not in copy["resource"]
    assert "auth0" not in copy["provider"] and "auth0" not in copy["terraform"]["required_providers"]
    assert copy["resource"]["aws_cloudwatch_event_bus"]["ingest_bus_4B2B0E1F"]["name"] == source
    assert "auth0_log_stream.auth0_log_stream" in notes[0] and source in notes[0]
    assert stack_problems(copy, "managed-copy") == []


def test_arns_outside_the_account_are_named() -> None:
    state = {"values": {"root_module": {"resources": [
        {"address": "aws_sqs_queue.q", "values": {"arn": "arn:aws:sqs:eu-west-1:333333333333:q"}},
        {"address": "aws_iam_role.r", "values": {"arn": "arn:aws:iam::123456789012:role/r"}},
        {"address": "aws_s3_bucket.b", "values": {"arn": "arn:aws:s3:::bucket"}},  # no account in S3 ARNs
    ]}}}  # fmt: skip
    assert foreign_arns(state, "333333333333") == ["aws_iam_role.r.arn = arn:aws:iam::123456789012:role/r"]


def test_mirrors_are_found_in_terraforms_layout_and_installed_copies_are_not() -> None:
    # Not pytest's tmp_path: it outlives the test, and the e2e harness searches the whole filesystem.
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for root, version in (("a", "5.100.0"), ("b", "6.25.0"), ("stack/.terraform/providers", "9.0.0")):
            binary = tmp / root / "registry.terraform.io/hashicorp/aws" / version / platform_dir()
            binary.mkdir(parents=True)
            (binary / f"terraform-provider-aws_v{version}_x5").write_bytes(b"#!/bin/sh\n")
            (binary / f"terraform-provider-aws_v{version}_x5").chmod(0o755)
        not_runnable = tmp / "c/registry.terraform.io/hashicorp/aws/7.0.0" / platform_dir()
        not_runnable.mkdir(parents=True)
        (not_runnable / "terraform-provider-aws_v7.0.0_x5").write_bytes(b"")
        (tmp / "d/registry.terraform.io/hashicorp/aws/8.0.0/other_arch").mkdir(parents=True)
        found = find_mirrors({}, search=[tmp])
        assert [(m.root.name, m.version) for m in found] == [("b", "6.25.0"), ("a", "5.100.0")]
        assert choose_mirror(found, "5.100.0") == found[1]
        assert choose_mirror(found, "6.69.1") == found[0]
        assert find_mirrors({"TERRAFORM_PROVIDER_MIRROR": "off"}, search=[tmp]) == []
        config = found[1].cli_config()
        assert f'path    = "{tmp / "a"}"' in config and 'include = ["registry.terraform.io/hashicorp/aws"]' in config


# --- real Terraform against the local AWS ------------------------------------------------------------

TERRAFORM = shutil.which("terraform")


@pytest.fixture(scope="module")
def mirror() -> ProviderMirror:
    """The provider mirror on this machine, looked for only when a test applies (the search may walk the disk)."""
    found = choose_mirror(find_mirrors(), "") if TERRAFORM else None
    if found is None:
        pytest.skip("needs terraform on PATH and a filesystem mirror of hashicorp/aws (make e2e)")
    return found


def _closure(document: dict, start: str) -> dict:
    """The resources ``start`` (type.name) needs, by reference or depends_on: a small stack of its own."""
    resources = document["resource"]
    wanted, todo = set(), [start]
    while todo:
        address = todo.pop()
        if address in wanted:
            continue
        wanted.add(address)
        kind, name = address.split(".")
        text = json.dumps(resources[kind][name])
        for other_kind, items in resources.items():
            for other in items:
                if f"{other_kind}.{other}" in text:
                    todo.append(f"{other_kind}.{other}")
    small: dict[str, dict] = {}
    for address in wanted:
        kind, name = address.split(".")
        small.setdefault(kind, {})[name] = resources[kind][name]
    return {**{k: v for k, v in document.items() if k not in ("resource", "output")}, "resource": small}


def test_an_apply_fails_when_bucket_logging_comes_before_the_target_policy(
    example_config: Any, example_stacks: dict, tmp_path: Path, mirror: ProviderMirror
) -> None:
    from e2e.harness import StackResult, Terraform, apply_stack, terraform_environment
    from e2e.local_aws import LocalAws

    env = example_config.environment("dev")
    good = _closure(example_stacks["dev"], "aws_s3_bucket_logging.archive_bucket_access_logging_148C12A4")
    logging = good["resource"]["aws_s3_bucket_logging"]["archive_bucket_access_logging_148C12A4"]
    assert logging["depends_on"] == ["aws_s3_bucket_policy.access_logs_bucket_policy_0CB51341"]
    reversed_order = json.loads(json.dumps(good))
    del reversed_order["resource"]["aws_s3_bucket_logging"]["archive_bucket_access_logging_148C12A4"]["depends_on"]
    reversed_order["resource"]["aws_s3_bucket_policy"]["access_logs_bucket_policy_0CB51341"]["depends_on"].append(
        "aws_s3_bucket_logging.archive_bucket_access_logging_148C12A4"
    )
    cli_config = mirror.write_cli_config(tmp_path / "terraform.rc")
    outcomes = {}
    with LocalAws() as local_aws:
        for name, document in (("reversed", reversed_order), ("ours", good)):
            local_aws.reset()
            copy, _ = local_copy(document, env, mirror, local_aws.provider_endpoints())
            directory = tmp_path / name
            directory.mkdir()
            (directory / "cdk.tf.json").write_text(json.dumps(copy))
            credentials = local_aws.credentials_in(env.aws_account_id, env.aws_region)
            environ = terraform_environment(cli_config, credentials, env.aws_region, local_aws.endpoint)
            try:
                apply_stack(
                    env, StackResult("test", name), Terraform(TERRAFORM or "", directory, environ), lambda _: None
                )
                outcomes[name] = "applied"
            except E2eFailure as failure:
                outcomes[name] = str(failure)
    assert "InvalidTargetBucketForLogging" in outcomes["reversed"]
    assert outcomes["ours"] == "applied"


def test_relaxed_changes_nothing_but_the_aws_constraint(example_stacks: dict) -> None:
    original = example_stacks["dev"]
    copy = relaxed(original, "5.100.0")
    copy["terraform"]["required_providers"]["aws"]["version"] = original["terraform"]["required_providers"]["aws"][
        "version"
    ]
    assert copy == original
