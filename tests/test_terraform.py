"""Opt-in: Terraform itself validates each synthesized stack (needs the registry)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

NETWORK = os.environ.get("ARCHIVE_NETWORK_TESTS") == "1"

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(
        not NETWORK, reason="needs the Terraform registry for terraform init; set ARCHIVE_NETWORK_TESTS=1 to run"
    ),
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_terraform_validates_the_stack(environment: str, tmp_path: Path) -> None:
    subprocess.run(["python", str(ROOT / "main.py")], cwd=ROOT, check=True, capture_output=True)
    stack = tmp_path / environment
    shutil.copytree(ROOT / "cdktf.out" / "stacks" / f"auth0-log-archive-{environment}", stack)
    for command in (["terraform", "init", "-backend=false", "-input=false"], ["terraform", "validate"]):
        result = subprocess.run(command, cwd=stack, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
