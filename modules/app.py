"""From validated configuration to synthesized Terraform: one stack per environment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cdktf import App

from modules.config import Configuration
from modules.stack import ArchiveStack


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    path: Path  # the stack's cdk.tf.json
    resources: int


def build_app(config: Configuration, outdir: str | None = None) -> App:
    # Stack traces in the construct metadata cost time and bloat cdk.tf.json.
    app = App(outdir=outdir, stack_traces=False) if outdir else App(stack_traces=False)
    for env in config.environments:
        ArchiveStack(app, env)
    return app


def synthesize(config: Configuration, outdir: str | None = None) -> list[SynthesizedStack]:
    """Synthesize every environment and report where each stack was written."""
    app = build_app(config, outdir)
    app.synth()
    stacks_dir = Path(app.outdir) / "stacks"
    return [_report(env.stack_name, stacks_dir / env.stack_name / "cdk.tf.json") for env in config.environments]


def _report(name: str, path: Path) -> SynthesizedStack:
    document = json.loads(path.read_text(encoding="utf-8"))
    count = sum(len(instances) for instances in document.get("resource", {}).values())
    return SynthesizedStack(name=name, path=path, resources=count)
