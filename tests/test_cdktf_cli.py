"""The real cdktf CLI (cdktf-cli@0.21.0, `make cli`) synthesizes the same stacks as the main job."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLI = ROOT / "tools" / "cdktf-cli" / "node_modules" / ".bin" / "cdktf"

pytestmark = pytest.mark.skipif(
    not CLI.exists(), reason="run `make cli` first: installing cdktf-cli@0.21.0 needs the npm registry (CI does)"
)


def test_cdktf_synth_matches_the_main_job(tmp_path: Path) -> None:
    pipenv_bin = ROOT / ".tools" / "pipenv" / "bin"
    assert (pipenv_bin / "pipenv").exists() or shutil.which("pipenv"), "cdktf.json runs the app through pipenv"
    env = {**os.environ, "PATH": f"{pipenv_bin}{os.pathsep}{os.environ['PATH']}", "CHECKPOINT_DISABLE": "1",
           "PIPENV_VENV_IN_PROJECT": "1", "PIPENV_VERBOSITY": "-1"}  # fmt: skip
    env.pop("CDKTF_OUTDIR", None)
    cli_out, job_out = tmp_path / "cli", tmp_path / "job"
    result = subprocess.run(
        [str(CLI), "synth", "--check-code-maker-output=false", "--output", str(cli_out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    job = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env={**env, "CDKTF_OUTDIR": str(job_out)},
                         capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert job.returncode == 0, job.stderr
    stacks = sorted(p.name for p in (cli_out / "stacks").iterdir())
    assert stacks == ["auth0-log-archive-dev", "auth0-log-archive-prod", "auth0-log-archive-staging"]
    for stack in stacks:
        cli_json = (cli_out / "stacks" / stack / "cdk.tf.json").read_text()
        assert cli_json == (job_out / "stacks" / stack / "cdk.tf.json").read_text(), stack
