"""From validated configuration to synthesized Terraform: one stack per environment."""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modules.constructs.aws import core
from modules.contract.naming import SynthOutput
from modules.contract.settings import Configuration
from modules.stack import ArchiveStack


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    path: Path  # the stack's cdk.tf.json
    resources: int


def build_app(config: Configuration, outdir: str | None = None) -> Any:
    # Stack traces in the construct metadata cost time and bloat cdk.tf.json.
    app = core.App(outdir=outdir, stack_traces=False) if outdir else core.App(stack_traces=False)
    for env in config.environments:
        ArchiveStack(app, env)
    return app


def synthesize(config: Configuration, outdir: str | None = None) -> list[SynthesizedStack]:
    """Synthesize every environment and report where each stack was written.

    When a stack changes, its former JSON is kept (``SynthOutput.previous``):
    ``make review`` shows the difference. Afterwards ``stacks/`` holds exactly
    the configured stacks: the folder of a stack no longer configured is moved
    whole to ``SynthOutput.retired`` (it may hold a local state file), so that
    scans and plans do not see it.
    """
    root = Path(outdir) if outdir else SynthOutput().root
    root.mkdir(parents=True, exist_ok=True)  # cdktf creates only the last level
    with exclusive(root / ".synth.lock"):
        return _synthesize(config, str(root))


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold the output folder alone: two synths at once would retire each other's stacks. A second one
    waits, and says so."""
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another synth is writing {lock_file.parent}: waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _synthesize(config: Configuration, outdir: str) -> list[SynthesizedStack]:
    app = build_app(config, outdir)
    layout = SynthOutput(Path(app.outdir))
    paths = {env.stack_name: layout.stack_file(env.stack_name) for env in config.environments}
    before = {name: path.read_bytes() for name, path in paths.items() if path.exists()}
    app.synth()
    for name, old in before.items():
        if paths[name].read_bytes() != old:
            previous = layout.previous(name)
            previous.parent.mkdir(parents=True, exist_ok=True)
            previous.write_bytes(old)
    for folder in sorted(layout.stacks.iterdir()):
        if folder.name not in paths:
            _retire(layout, folder)
    return [_report(name, path) for name, path in paths.items()]


def _retire(layout: SynthOutput, folder: Path) -> None:
    target = layout.retired(folder.name)
    if target.exists():  # retired before: keep both, never overwrite
        target = target.with_name(f"{folder.name}.{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
    target.parent.mkdir(parents=True, exist_ok=True)
    folder.rename(target)
    print(f"{folder.name}: no longer configured; its folder moved to {target}", file=sys.stderr)


def _report(name: str, path: Path) -> SynthesizedStack:
    document = json.loads(path.read_text(encoding="utf-8"))
    count = sum(len(instances) for instances in document.get("resource", {}).values())
    return SynthesizedStack(name=name, path=path, resources=count)
