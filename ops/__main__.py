"""python -m ops {validate,plan,deploy,review,verify} --env <name>: the operator's commands (see the Makefile)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ops.common import ROOT, SYNTH_OUTPUT, OperatorError, fail, load_environment

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def synthesize() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise OperatorError(f"synthesis failed:\n{result.stderr.strip()}", result.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    parser.add_argument("command", choices=["validate", "plan", "deploy", "review", "verify"])
    parser.add_argument("--env", help="the environment, as named in the configuration")
    parser.add_argument("--within-hours", type=int, default=24, help="verify: newest log object at most this old")
    parser.add_argument("--auto-approve", action="store_true", help="deploy: do not ask before applying (CI)")
    args = parser.parse_args(argv)
    try:
        _, env = load_environment(args.env)
        if args.command == "validate":
            from ops.rollout import validate

            synthesize()
            print(validate(env))
        elif args.command == "plan":
            from ops.rollout import plan

            synthesize()
            path = plan(env)
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
        else:
            from botocore.exceptions import BotoCoreError, ClientError

            from ops.verify import Verifier, report, session_client

            try:
                checks = Verifier(env, session_client(env), within_hours=args.within_hours).run()
            except (BotoCoreError, ClientError) as error:
                raise OperatorError(f"cannot reach AWS as configured ({error}); set AWS credentials") from None
            lines, passed = report(env, checks)
            print("\n".join(lines))
            return 0 if passed else 1
    except OperatorError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
