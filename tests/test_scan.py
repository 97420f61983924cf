"""tools/scan/run.py: what the scanner sees is the stack, less the one setting its parser cannot read."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("scan_run", ROOT / "tools" / "scan" / "run.py")
assert spec is not None and spec.loader is not None
scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scan)


def test_the_scanned_copy_differs_only_in_required_version(tmp_path: Path, prod: dict) -> None:
    (tmp_path / "stacks" / "p").mkdir(parents=True)
    (tmp_path / "stacks" / "p" / "cdk.tf.json").write_text(json.dumps(prod))
    assert scan.prepare(tmp_path / "stacks", tmp_path / "out") == 1
    copy = json.loads((tmp_path / "out" / "p" / "cdk.tf.json").read_text())
    assert "required_version" in prod["terraform"]
    assert copy == {**prod, "terraform": {k: v for k, v in prod["terraform"].items() if k != "required_version"}}
