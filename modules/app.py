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
    """Synthesize every environment and report where each stack was written.

    When a stack changes, its former JSON is kept as
    ``<outdir>/previous/<stack>.cdk.tf.json``: ``make review`` shows the difference.
    """
    app = build_app(config, outdir)
    paths = {
        env.stack_name: Path(app.outdir) / "stacks" / env.stack_name / "cdk.tf.json" for env in config.environments
    }
    before = {name: path.read_bytes() for name, path in paths.items() if path.exists()}
    app.synth()
    for name, old in before.items():
        if paths[name].read_bytes() != old:
            previous = previous_synth(Path(app.outdir), name)
            previous.parent.mkdir(exist_ok=True)
            previous.write_bytes(old)
    return [_report(name, path) for name, path in paths.items()]


def previous_synth(outdir: Path, stack_name: str) -> Path:
    return outdir / "previous" / f"{stack_name}.cdk.tf.json"


def _report(name: str, path: Path) -> SynthesizedStack:
    document = json.loads(path.read_text(encoding="utf-8"))
    count = sum(len(instances) for instances in document.get("resource", {}).values())
    return SynthesizedStack(name=name, path=path, resources=count)
