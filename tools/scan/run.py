#!/usr/bin/env python
"""make scan: checkov over every synthesized stack, failing on any failed check, any file checkov
could not parse, or a scan that checked nothing.

checkov 3.3.30's terraform_json parser raises on a string-valued ``terraform.required_version``
("this method receives only dicts") and then reports the stack as a parsing error with exit status
0, which would scan nothing and pass. So it scans copies of the stacks without that one setting
(it is a version constraint, not a resource) and checks checkov's own summary.

Runs in the scanner's environment (tools/scan/Pipfile); standard library only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def prepare(stacks: Path, into: Path, prefix: str = "") -> int:
    count = 0
    for stack in sorted(stacks.glob("*/cdk.tf.json")):
        document = json.loads(stack.read_text())
        document.get("terraform", {}).pop("required_version", None)
        target = into / f"{prefix}{stack.parent.name}" / "cdk.tf.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(document, indent=2))
        count += 1
    return count


def main() -> int:
    stacks = ROOT / "cdktf.out" / "stacks"
    scratch = Path(tempfile.mkdtemp(prefix="scan-"))
    try:
        count = prepare(stacks, scratch)
        # The shipped examples, synthesized by make scan into cdktf.out/examples/<name>/ (their own resources,
        # such as scheduled hunting, are scanned too).
        for example in sorted((ROOT / "cdktf.out" / "examples").glob("*/stacks")):
            count += prepare(example, scratch, prefix=f"{example.parent.name}-")
        if not count:
            print(f"no stack under {stacks.relative_to(ROOT)}: run make synth first", file=sys.stderr)
            return 1
        command = [
            "checkov", "--directory", str(scratch), "--framework", "terraform_json", "--skip-download",
            "--config-file", str(ROOT / ".checkov.yaml"), "--compact", "--quiet", "--output", "json",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        reports = json.loads(result.stdout or "[]")
        reports = reports if isinstance(reports, list) else [reports]
        summary = {key: sum(r["summary"][key] for r in reports) for key in ("passed", "failed", "parsing_errors")}
        for report in reports:
            for failed in report["results"].get("failed_checks", []):
                print(f"FAILED {failed['check_id']} {failed['resource']}: {failed['check_name']}")
        print(f"checkov over {count} stacks: {summary['passed']} passed, {summary['failed']} failed, "
              f"{summary['parsing_errors']} files not parsed")  # fmt: skip
        return 0 if summary["passed"] and not summary["failed"] and not summary["parsing_errors"] else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
