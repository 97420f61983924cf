"""python -m ops <command> --env <name>: the operator's commands (the Makefile runs them).

  validate  terraform init -backend=false + validate of the environment's stack
  plan      terraform init, validate and plan
  deploy    cdktf deploy with the pinned CLI
  review    what the stack creates, and what changed since the previous synth
  verify    checks the live pipeline end to end
  replay    replays a window of events from the replay archive into the ingest rule
  redrive   moves the dead-letter queue's events back into the Firehose stream
  backfill  copies into the archive the Auth0 logs it is missing (Auth0 still holds 1 to 30 days)
  restore   restores a window of the archive from Glacier so that Athena reads it (or reports where it stands)
  cost      what each environment costs per month (python -m ops cost --help)
  query     runs a named Athena query locally on archive objects (python -m ops query --help)
  detections  the Sigma detections per environment: list, test FILE, update FROM (--help)

Only the contract is imported here: a command that needs a synth runs main.py.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ops.common import ROOT, SYNTH_OUTPUT, OperatorError, aws_failure, fail, load_environment

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def synthesize() -> None:
    """main.py, with the chosen engine's Python (ARCHIVE_ENGINE=cdktn: tools/cdktn/, from make cdktn)."""
    python = sys.executable
    if os.environ.get("ARCHIVE_ENGINE") == "cdktn":
        python = str(ROOT / "tools" / "cdktn" / ".venv" / "bin" / "python")
        if not Path(python).exists():
            raise OperatorError("ARCHIVE_ENGINE=cdktn: CDK Terrain is not installed: run make cdktn", 2)
    result = subprocess.run([python, str(ROOT / "main.py")], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise OperatorError(f"synthesis failed:\n{result.stderr.strip()}", result.returncode)


def aws_errors(action: Callable[[], Any]) -> Any:
    """Run ``action``; AWS's refusals and unreachable endpoints become one clear line."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return action()
    except ClientError as error:
        info = error.response.get("Error", {})
        raise OperatorError(f"AWS refused: {info.get('Code', '?')}: {info.get('Message', '')}") from None
    except BotoCoreError as error:
        raise OperatorError(f"cannot reach AWS as configured ({error}); set AWS credentials") from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = root.add_subparsers(dest="command", required=True)
    # Listed for --help; main() hands them their own arguments before this parser runs.
    commands.add_parser("cost", help="what each environment costs per month", add_help=False)
    commands.add_parser("query", help="a named Athena query, locally", add_help=False)
    commands.add_parser("detections", help="the Sigma detections: list, test, update", add_help=False)
    for name in ("validate", "plan", "deploy", "review", "verify", "replay", "redrive", "backfill", "restore"):
        command = commands.add_parser(name)
        command.add_argument("--env", help="the environment, as named in the configuration")
        if name == "verify":
            command.add_argument("--within-hours", type=int, default=24, help="newest log object at most this old")
            command.add_argument(
                "--canary", action="store_true", help="put a canary record into Firehose; wait until it is in S3"
            )
        if name == "deploy":
            command.add_argument("--auto-approve", action="store_true", help="do not ask before applying (CI)")
        if name == "redrive":
            command.add_argument("--dry-run", action="store_true", help="count what would move; move nothing")
        if name == "replay":
            command.add_argument("--from", dest="start", required=True, help="UTC, YYYY-MM-DD[THH:MM]")
            command.add_argument("--to", dest="end", required=True, help="UTC, YYYY-MM-DD[THH:MM] (excluded)")
            command.add_argument("--no-wait", action="store_true", help="start it and return")
        if name == "restore":
            command.add_argument("--from", dest="start", required=True, help="UTC, YYYY-MM-DD[THH:MM]")
            command.add_argument("--to", dest="end", required=True, help="UTC, YYYY-MM-DD[THH:MM] (excluded)")
            command.add_argument("--tier", default="Bulk", help="Bulk (default), Standard or Expedited")
            command.add_argument("--days", type=int, default=7, help="how long restored copies stay (default 7)")
            command.add_argument("--yes", action="store_true", help="do not ask before restoring (scripts)")
            command.add_argument("--status", action="store_true", help="only report where the restores stand")
        if name == "backfill":
            command.add_argument("--from", dest="start", help="a date, a UTC time or a log id (default: the oldest)")
            command.add_argument("--to", dest="end", help="a UTC time, excluded (default: now)")
            command.add_argument("--dry-run", action="store_true", help="compare only: Auth0 N, archived M, missing K")
    return root


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Commands with their own parser, that need no environment: (module, what an interruption leaves).
    own = {"query": ("ops.local_athena", "it wrote nothing"), "detections": ("ops.detections", "nothing was changed"),
           "cost": ("ops.cost", "it wrote nothing")}  # fmt: skip
    if argv[:1] and argv[0] in own:
        module, left = own[argv[0]]
        try:
            return importlib.import_module(module).main(argv[1:])
        except OperatorError as error:
            return fail(error)
        except KeyboardInterrupt:
            print(f"interrupted: {argv[0]} stopped; {left}", file=sys.stderr)
            return 130
    args = parser().parse_args(argv)
    try:
        _, env = load_environment(args.env)
        return run(args, env)
    except OperatorError as error:
        return fail(error)
    except KeyboardInterrupt:
        print(f"interrupted: {args.command} stopped; it is safe to run it again", file=sys.stderr)
        return 130
    except Exception as error:  # botocore's own, from any command: one line, not a traceback
        if (converted := aws_failure(error)) is None:
            raise
        return fail(converted)


def run(args: argparse.Namespace, env: Any) -> int:
    from ops.common import session_client

    if args.command == "validate":
        from ops.rollout import require_terraform, validate

        terraform = require_terraform()  # before a synth: an old or missing Terraform stops at once
        synthesize()
        print(validate(env, terraform=terraform))
    elif args.command == "plan":
        from ops.rollout import plan, require_terraform

        terraform = require_terraform()
        synthesize()
        path = plan(env, terraform=terraform)
        print(f"plan written to {path.relative_to(ROOT)} (readable: {path.relative_to(ROOT)}.txt)")
    elif args.command == "deploy":
        from ops.rollout import deploy

        deploy(env, auto_approve=args.auto_approve)
    elif args.command == "review":
        from ops.review import review

        synthesize()
        current = SYNTH_OUTPUT.stack_file(env.stack_name)
        previous = SYNTH_OUTPUT.previous(env.stack_name)
        print("\n".join(review(env.stack_name, current, previous)))
    elif args.command == "verify":
        from ops.auth0_api import Auth0Api
        from ops.verify import Verifier, report

        auth0 = Auth0Api.from_environment(os.environ, env.auth0.domain if env.auth0 else None)
        verifier = Verifier(env, session_client(env), within_hours=args.within_hours, auth0=auth0,
                            canary=args.canary, progress=lambda line: print(line, flush=True))  # fmt: skip
        checks = aws_errors(verifier.run)
        lines, passed = report(env, checks)
        print("\n".join(lines))
        return 0 if passed else 1
    elif args.command == "replay":
        from ops.recovery import parse_moment, replay

        start, end = parse_moment(args.start, "FROM"), parse_moment(args.end, "TO")
        aws_errors(lambda: replay(env, session_client(env), start, end, wait=not args.no_wait))
    elif args.command == "backfill":
        backfill_command(args, env)
    elif args.command == "restore":
        return restore_command(args, env)
    elif args.command == "redrive":
        from ops.recovery import redrive

        result = aws_errors(lambda: redrive(env, session_client(env), dry_run=args.dry_run))
        return 0 if not result.refused else 1
    return 0


def backfill_command(args: argparse.Namespace, env: Any) -> None:
    from datetime import UTC, datetime

    from ops.auth0_api import Auth0Api
    from ops.backfill import backfill, window_of
    from ops.common import session_client

    auth0 = Auth0Api.from_environment(os.environ, env.auth0.domain if env.auth0 else None)
    if auth0 is None:
        raise OperatorError(
            "backfill reads Auth0's Management API: set AUTH0_DOMAIN (or manage the stream here) and "
            "AUTH0_API_TOKEN, or AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (scope read:logs)",
            2,
        )
    window = window_of(args.start, args.end, datetime.now(UTC))
    aws_errors(lambda: backfill(env, session_client(env), auth0, window, dry_run=args.dry_run))


def restore_command(args: argparse.Namespace, env: Any) -> int:
    from ops.common import session_client
    from ops.cost_model import Prices
    from ops.recovery import parse_moment
    from ops.restore import restore, status

    start, end = parse_moment(args.start, "FROM"), parse_moment(args.end, "TO")
    if args.status:
        states = aws_errors(lambda: status(env, session_client(env), start, end, out=print))
        print(", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "no objects in the window")
        return 0
    prices = Prices(env.aws_region)

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise OperatorError(f"{question} Run again with YES=1 to confirm (no terminal to ask on)", 2)
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    aws_errors(lambda: restore(env, session_client(env), start, end, tier=args.tier, days=args.days,
                               prices=prices, confirm=confirm))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
