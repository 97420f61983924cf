"""CDK Terrain (cdktn, `make cdktn`) gives the same stacks as CDKTF: every configuration we test, both
engines, compared section by section; and the real cdktn CLI synthesizes them.

Allowed to differ: the AWS provider's version (the engines' bindings are of hashicorp/aws 6.25.0 and
6.69.1) and its source's spelling ("aws" is Terraform's shorthand for "hashicorp/aws"), and cdktf's
metadata under "//", which Terraform ignores. Everything Terraform plans from must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, ROOT, VARIANTS_TOML

CDKTN_PYTHON = ROOT / "tools" / "cdktn" / ".venv" / "bin" / "python"
CDKTN_CLI = ROOT / "tools" / "cdktn-cli" / "node_modules" / ".bin" / "cdktn"
PINNED_NODE_BIN = ROOT / "tools" / "node" / "node_modules" / ".bin"

pytestmark = pytest.mark.skipif(
    not CDKTN_PYTHON.exists(), reason="run `make cdktn` first: it installs CDK Terrain from PyPI and npm (CI does)"
)

CONFIGURATIONS = {
    "example": EXAMPLE_CONFIG.read_text(),
    "variants": VARIANTS_TOML,
    "auth0-managed": (ROOT / "examples" / "auth0-managed.toml").read_text(),
    "object-lock": VARIANTS_TOML.replace(
        "[environments.minimal]", '[environments.minimal]\nobject_lock_mode = "compliance"\nobject_lock_days = 365'
    ),
    "athena-off": VARIANTS_TOML.replace("[environments.minimal]", "[environments.minimal]\nathena = false"),
}
SYNTH_ALL = """
import sys
from pathlib import Path
from modules.app import synthesize
from modules.contract.validation import load_config
for config in sys.argv[2:]:
    out = Path(sys.argv[1]) / Path(config).stem
    out.mkdir(parents=True)
    synthesize(load_config(config), str(out))
"""


def synthesize_with(engine: str, python: Path, configs: list[Path], out: Path) -> None:
    env = {**os.environ, "ARCHIVE_ENGINE": engine, "PYTHONPATH": str(ROOT)}
    env.pop("CDKTF_OUTDIR", None)
    result = subprocess.run([str(python), "-c", SYNTH_ALL, str(out), *map(str, configs)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def plannable(document: dict) -> dict:
    """What Terraform plans from: every section but the metadata, with the AWS provider's version apart."""
    document = {k: v for k, v in document.items() if k != "//"}
    aws = document["terraform"]["required_providers"]["aws"]
    assert aws["source"] in ("aws", "hashicorp/aws")  # the same provider: "aws" is the short form
    document["terraform"]["required_providers"]["aws"] = {"source": "hashicorp/aws", "version": "<engine's>"}
    return document


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engines")
    configs = []
    for name, text in CONFIGURATIONS.items():
        (root / f"{name}.toml").write_text(text)
        configs.append(root / f"{name}.toml")
    synthesize_with("cdktf", Path(sys.executable), configs, root / "cdktf")
    synthesize_with("cdktn", CDKTN_PYTHON, configs, root / "cdktn")
    return root


@pytest.mark.parametrize("config", sorted(CONFIGURATIONS))
def test_both_engines_synthesize_the_same_stacks(both: Path, config: str) -> None:
    cdktf_stacks = sorted((both / "cdktf" / config / "stacks").iterdir())
    cdktn_stacks = sorted((both / "cdktn" / config / "stacks").iterdir())
    assert [p.name for p in cdktf_stacks] == [p.name for p in cdktn_stacks] and cdktf_stacks
    for ours, theirs in zip(cdktf_stacks, cdktn_stacks, strict=True):
        a = json.loads((ours / "cdk.tf.json").read_text())
        b = json.loads((theirs / "cdk.tf.json").read_text())
        assert a["terraform"]["required_providers"]["aws"]["version"] == "6.25.0"
        assert b["terraform"]["required_providers"]["aws"]["version"].startswith("6.")
        for section in ("resource", "data", "output", "provider", "terraform"):
            assert plannable(a).get(section) == plannable(b).get(section), f"{ours.name}: {section}"
        assert b["//"]["metadata"]["version"].startswith("0.24.")


@pytest.mark.skipif(not CDKTN_CLI.exists(), reason="run `make cdktn` first: it installs cdktn-cli@0.24.0 from npm")
def test_the_cdktn_cli_synthesizes_the_main_job_stacks(tmp_path: Path) -> None:
    # cdktn-cli needs Node 22.19 or newer: the pinned Node of tools/node runs it.
    env = {**os.environ, "PATH": f"{PINNED_NODE_BIN}{os.pathsep}{os.environ['PATH']}", "CHECKPOINT_DISABLE": "1",
           "ARCHIVE_ENGINE": "cdktn"}  # fmt: skip
    env.pop("CDKTF_OUTDIR", None)
    cli_out, job_out = tmp_path / "cli", tmp_path / "job"
    result = subprocess.run(
        [str(CDKTN_CLI), "synth", "--app", f"{CDKTN_PYTHON} main.py", "--check-code-maker-output=false",
         "--output", str(cli_out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    job = subprocess.run([str(CDKTN_PYTHON), str(ROOT / "main.py")], cwd=ROOT, env={**env, "CDKTF_OUTDIR": str(job_out)},
                         capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert job.returncode == 0, job.stderr
    stacks = sorted(p.name for p in (cli_out / "stacks").iterdir())
    assert stacks == ["auth0-log-archive-dev", "auth0-log-archive-prod", "auth0-log-archive-staging"]
    for stack in stacks:
        assert (cli_out / "stacks" / stack / "cdk.tf.json").read_text() == (
            job_out / "stacks" / stack / "cdk.tf.json"
        ).read_text(), stack
