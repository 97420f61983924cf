"""ops (plan, deploy, review): the commands users run, and their clear failures."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_ops(*arguments: str, path_prefix: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    if path_prefix is not None:
        environ["PATH"] = f"{path_prefix}{os.pathsep}{environ['PATH']}"
    return subprocess.run([sys.executable, "-m", "ops", *arguments], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def fake_terraform(directory: Path, version: str, init_exit: int = 0, validate_exit: int = 0) -> Path:
    """A terraform on PATH that reports ``version``, logs its calls to ``calls``, and fails ``init``
    the way an offline one does (or ``validate`` the way an invalid stack does)."""
    script = directory / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{directory / "calls"}"\n'
        f'if [ "$1" = version ]; then echo "Terraform v{version}"; exit 0; fi\n'
        f'if [ "$1" = init ]; then echo "Error: Failed to query available provider packages" >&2; exit {init_exit}; fi\n'
        f'if [ "$1" = validate ]; then echo "Error: Invalid reference" >&2; exit {validate_exit}; fi\n'
        'echo "unexpected $1" >&2; exit 3\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


# The registry path: no provider mirror, whatever lies on this machine's disk.
NO_MIRROR = {"TERRAFORM_PROVIDER_MIRROR": "off"}


def test_without_the_registry_a_mirror_of_another_version_validates_a_copy(tmp_path: Path) -> None:
    from ops.terraform_mirror import platform_dir, registry_reachable

    if registry_reachable():
        pytest.skip("the Terraform registry is reachable: validate uses the pinned provider from it")
    mirror = tmp_path / "mirror"
    binary = (
        mirror / "registry.terraform.io/hashicorp/aws/5.100.0" / platform_dir() / "terraform-provider-aws_v5.100.0_x5"
    )
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"#!/bin/sh\n")
    binary.chmod(0o755)
    try:
        result = run_ops("validate", "--env", "dev", path_prefix=fake_terraform(tmp_path, "1.11.4", validate_exit=1),
                         TERRAFORM_PROVIDER_MIRROR=str(mirror))  # fmt: skip
    finally:  # pytest keeps tmp_path, and make e2e searches the whole disk for mirrors: no fake left behind
        shutil.rmtree(mirror)
    assert result.stdout.splitlines()[0] == (
        "planned with hashicorp/aws 5.100.0 from the local mirror; the stack pins 6.25.0 "
        "(in cdktf.out/offline/auth0-log-archive-dev; the registry is out of reach)"
    )
    assert result.stderr.startswith("error: terraform validate failed in cdktf.out/offline/auth0-log-archive-dev.\n")
    copy = json.loads((ROOT / "cdktf.out/offline/auth0-log-archive-dev/cdk.tf.json").read_text())
    original = json.loads((ROOT / "cdktf.out/stacks/auth0-log-archive-dev/cdk.tf.json").read_text())
    assert copy["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"
    assert original["terraform"]["required_providers"]["aws"]["version"] == "6.25.0"
    # The local state stays the stack's own, not the copy's.
    assert copy["terraform"]["backend"]["local"]["path"] == str(
        (ROOT / "cdktf.out/stacks/auth0-log-archive-dev/terraform.auth0-log-archive-dev.tfstate").resolve()
    )
    config = (ROOT / "cdktf.out/offline/terraform.rc").read_text()
    assert f'path    = "{mirror}"' in config


def test_an_unknown_environment_lists_the_known_ones() -> None:
    result = run_ops("plan", "--env", "qa")
    assert result.returncode == 2
    assert result.stderr == "error: environments.toml: no environment 'qa'; the environments are dev, staging, prod\n"


def test_an_environment_must_be_named() -> None:
    result = run_ops("review")
    assert result.returncode == 2
    assert "name an environment with ENV=<name> (one of dev, staging, prod)" in result.stderr


def test_a_bad_configuration_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[environments.dev]\naws_region = 'nowhere'\n")
    result = run_ops("verify", "--env", "dev", AUTH0_ARCHIVE_CONFIG=str(tmp_path / "bad.toml"))
    assert result.returncode == 2
    assert "bad.toml: environments.dev.aws_region: expected an AWS commercial region" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_without_the_registry_says_what_is_missing(tmp_path: Path) -> None:
    result = run_ops("plan", "--env", "prod", path_prefix=fake_terraform(tmp_path, "1.11.4", init_exit=1), **NO_MIRROR)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: terraform init failed in cdktf.out/stacks/auth0-log-archive-prod.\n")
    assert (
        "It takes the providers from the Terraform registry (or a local mirror of hashicorp/aws) and read access "
        "to the state bucket acme-tfstate-333333333333." in result.stderr
    )
    assert "Failed to query available provider packages" in result.stderr


def test_validate_needs_no_backend_and_no_credentials(tmp_path: Path) -> None:
    result = run_ops("validate", "--env", "prod", path_prefix=fake_terraform(tmp_path, "1.11.4", validate_exit=1),
                     **NO_MIRROR)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: terraform validate failed in cdktf.out/stacks/auth0-log-archive-prod.\n")
    assert "Error: Invalid reference" in result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[1:] == ["init -backend=false -input=false -no-color", "validate -no-color"]


def test_plan_validates_before_planning(tmp_path: Path) -> None:
    result = run_ops("plan", "--env", "dev", path_prefix=fake_terraform(tmp_path, "1.11.4", validate_exit=1),
                     **NO_MIRROR)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: terraform validate failed in cdktf.out/stacks/auth0-log-archive-dev.\n")
    assert [c.split()[0] for c in (tmp_path / "calls").read_text().splitlines()] == ["version", "init", "validate"]


def test_plan_refuses_a_terraform_without_native_state_locking(tmp_path: Path) -> None:
    result = run_ops("plan", "--env", "dev", path_prefix=fake_terraform(tmp_path, "1.9.8"))
    assert result.returncode == 1
    assert result.stderr == ("error: Terraform 1.9 is too old: 1.10 or newer is needed for S3-native state locking\n")
    # Refused at the version check: Terraform was asked nothing else.
    assert (tmp_path / "calls").read_text().splitlines() == ["version"]


def test_deploy_without_the_cli_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modules.contract.validation import load_config
    from ops import rollout
    from ops.common import OperatorError

    monkeypatch.setenv("PATH", f"{fake_terraform(tmp_path, '1.11.4')}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(rollout, "CDKTF_CLI", tmp_path / "no-cli" / "cdktf")
    with pytest.raises(OperatorError, match="the cdktf CLI is not installed: run make cli"):
        rollout.deploy(load_config(ROOT / "environments.toml").environment("dev"))


def test_review_prints_the_summary() -> None:
    result = run_ops("review", "--env", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Stack auth0-log-archive-dev (cdktf.out/stacks/auth0-log-archive-dev/cdk.tf.json)")
    assert "account 111111111111, region us-east-1, as arn:aws:iam::111111111111:role/auth0-log-archive-deploy" in (
        result.stdout
    )
