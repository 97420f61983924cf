"""What every operator command shares: the configuration, one environment, clear failures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from modules.contract.naming import SynthOutput
from modules.contract.settings import Configuration, Environment
from modules.contract.validation import ConfigError, config_path, load_config

ROOT = Path(__file__).resolve().parent.parent
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class OperatorError(Exception):
    """A failure the operator can act on: printed as its message, no traceback."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


def load_environment(name: str | None, environ: dict[str, str] | None = None) -> tuple[Configuration, Environment]:
    environ = dict(os.environ) if environ is None else environ
    try:
        config = load_config(config_path(environ))
    except ConfigError as error:
        raise OperatorError("\n".join(error.problems), EXIT_BAD_INPUT) from None
    names = [env.name for env in config.environments]
    if not name:
        raise OperatorError(f"name an environment with ENV=<name> (one of {', '.join(names)})", EXIT_BAD_INPUT)
    if name not in names:
        raise OperatorError(
            f"{config.source}: no environment {name!r}; the environments are {', '.join(names)}", EXIT_BAD_INPUT
        )
    return config, config.environment(name)


SYNTH_OUTPUT = SynthOutput(ROOT / "cdktf.out")


def stack_dir(env: Environment, outdir: Path | None = None) -> Path:
    return (SynthOutput(outdir) if outdir else SYNTH_OUTPUT).stack_dir(env.stack_name)


def fail(error: OperatorError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return error.status
