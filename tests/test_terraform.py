"""Opt-in: Terraform itself validates every stack of the example and the managed-stream example.

`terraform init` needs the registry, so this runs only with ARCHIVE_NETWORK_TESTS=1.
Offline, tests/test_terraform_reader.py reads the same stacks as Terraform does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, ROOT

NETWORK = os.environ.get("ARCHIVE_NETWORK_TESTS") == "1"

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(
        not NETWORK, reason="needs the Terraform registry for terraform init; set ARCHIVE_NETWORK_TESTS=1 to run"
    ),
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
]


@pytest.mark.parametrize("config", [EXAMPLE_CONFIG, ROOT / "examples" / "auth0-managed.toml"], ids=lambda p: p.name)
def test_terraform_validates_every_stack(config: Path, tmp_path: Path) -> None:
    env = {**os.environ, "AUTH0_ARCHIVE_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=tmp_path, env=env, check=True, capture_output=True)
    manifest = json.loads((tmp_path / "cdktf.out" / "manifest.json").read_text())
    for stack in manifest["stacks"]:
        directory = tmp_path / "cdktf.out" / "stacks" / stack
        for command in (["terraform", "init", "-backend=false", "-input=false"], ["terraform", "validate"]):
            result = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
            assert result.returncode == 0, f"{stack}: {' '.join(command)}\n{result.stdout}{result.stderr}"
