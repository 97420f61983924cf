#!/usr/bin/env python
"""The cdktf app: synthesize one Terraform stack per environment of the configuration.

The configuration file is $AUTH0_ARCHIVE_CONFIG, or environments.toml. Every
environment is validated before anything is written; problems are printed one
per line and the exit status is 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from modules.contract.detections import CORRELATION, for_environment
from modules.contract.settings import Environment
from modules.contract.validation import OUTDIR_ENV, ConfigError, config_path, load_config, synth_environment_problems

EXIT_BAD_CONFIG = 2


def main() -> int:
    outdir = os.environ.get(OUTDIR_ENV) or None  # cdktf.out by default
    try:
        if problems := synth_environment_problems(os.environ):
            raise ConfigError(problems)
        config = load_config(config_path(os.environ), outdir=Path(outdir) if outdir else None)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} configuration problem(s); nothing was synthesized.", file=sys.stderr)
        return EXIT_BAD_CONFIG

    # Imported after validation: a bad file is reported without starting jsii.
    # jsii calls Node 20 end of life in a banner on every run; it works, and 22 is recommended.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from modules.app import synthesize

    for stack in synthesize(config, outdir):
        location = os.path.relpath(stack.path) if stack.path.is_absolute() else stack.path
        print(f"{stack.name}: {Path(location)} ({stack.resources} resources)")
    for env in config.environments:
        if line := detections_summary(env):
            print(line)
    return 0


def detections_summary(env: Environment) -> str | None:
    """What an environment's detections became; a single-event rule that is not live is named (no event
    pattern says it exactly, so it is a hunting query instead)."""
    run = for_environment(env)
    if not run.detections:
        return None
    hunting = run.hunting
    unlive = [d.id for d in hunting if d.why_hunting != CORRELATION]
    correlations = len(hunting) - len(unlive)
    because = f" ({correlations} correlations; no exact event pattern: {', '.join(unlive)})" if unlive else ""
    return (
        f"{env.stack_name}: detections: {len(run.live)} live, {len(hunting)} hunting{because}; "
        f"python -m ops detections list --env {env.name} says why"
    )


if __name__ == "__main__":
    sys.exit(main())
