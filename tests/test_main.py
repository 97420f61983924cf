"""main.py: the main job as users run it, and what it does with bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, ROOT


def run_main(workdir: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CDKTF_OUTDIR", None)
    if config is not None:
        env["AUTH0_ARCHIVE_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def main_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    workdir = tmp_path_factory.mktemp("main")
    shutil.copy(EXAMPLE_CONFIG, workdir / "environments.toml")
    return workdir, run_main(workdir)


def test_main_job_reports_each_stack_file_and_resource_count(main_run) -> None:
    workdir, result = main_run
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4
    for line, env in zip(lines[:3], ("dev", "staging", "prod"), strict=True):
        path = f"cdktf.out/stacks/auth0-log-archive-{env}/cdk.tf.json"
        document = json.loads((workdir / path).read_text())
        count = sum(len(v) for v in document["resource"].values())
        assert line == f"auth0-log-archive-{env}: {path} ({count} resources)"
    # prod runs detections: what they became, the single-event rules no event pattern says named.
    prod = json.loads((workdir / "cdktf.out/stacks/auth0-log-archive-prod/cdk.tf.json").read_text())["resource"]
    live = sum(1 for r in prod["aws_cloudwatch_event_rule"].values() if "-detect-" in r["name"])
    assert lines[3].startswith(f"auth0-log-archive-prod: detections: {live} live, 17 hunting (14 correlations; ")
    assert "no exact event pattern: breached_password_detection_settings_manipulated, " in lines[3]
    manifest = json.loads((workdir / "cdktf.out" / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == [f"auth0-log-archive-{e}" for e in ("dev", "prod", "staging")]


BAD_CONFIGS = {
    "typo": ("environments.dev.aws_regoin", "[environments.dev]\naws_regoin = 'us-east-1'\n"),
    "syntax": ("invalid TOML", "[environments.dev\n"),
    "empty": ("expected at least one", "[defaults]\n"),
    # The auth0 provider's sink.aws_region allow-list has no af-south-1: refused here, not at plan.
    "auth0-region": (
        "environments.dev.aws_region: expected a region the auth0 provider can stream to (ap-east-1, "
        "ap-northeast-1, ap-northeast-2, ap-northeast-3, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, "
        "eu-central-1, eu-central-2, eu-north-1, eu-west-1, eu-west-2, eu-west-3, me-south-1, sa-east-1, "
        'us-east-1, us-east-2, us-west-1, us-west-2), got "af-south-1"',
        '[environments.dev]\naws_account_id = "111111111111"\naws_region = "af-south-1"\n'
        '[environments.dev.auth0]\ndomain = "acme.auth0.com"\n',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_configuration_exits_2_without_traceback_or_output(main_run, tmp_path: Path, case: str) -> None:
    workdir, _ = main_run
    before = {p: p.read_bytes() for p in (workdir / "cdktf.out").rglob("*") if p.is_file()}
    expected, text = BAD_CONFIGS[case]
    config = tmp_path / "broken.toml"
    config.write_text(text)
    result = run_main(workdir, config)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert all(line.startswith(f"{config}: ") for line in result.stderr.splitlines()[:-1])
    assert expected in result.stderr
    assert result.stderr.splitlines()[-1].endswith("nothing was synthesized.")
    after = {p: p.read_bytes() for p in (workdir / "cdktf.out").rglob("*") if p.is_file()}
    assert after == before


def test_bad_configuration_in_a_fresh_directory_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "environments.toml").write_text("[environments.dev]\naws_account_id = '1'\n")
    result = run_main(tmp_path)
    assert result.returncode == 2
    assert "environments.toml: environments.dev.aws_account_id: expected 12 digits" in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


def test_the_readme_shows_what_the_main_job_prints(main_run) -> None:
    _, result = main_run
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("<!-- synth output -->") :].split("```")[1].strip()
    assert block == result.stdout.strip()
