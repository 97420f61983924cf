"""python -m e2e [--config FILE ...] [--report FILE] [--no-operator-checks]: make e2e.

Applies every stack of every shipped configuration (environments.toml and
examples/*.toml, or the files named) with real Terraform to a local AWS,
replans each (nothing may change), checks the state's ARNs, and runs the
operator commands against the result. Exit status 0 when all of it held,
1 when something failed, 2 when Terraform or the provider mirror is missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from e2e.harness import E2eFailure, StackResult, apply_configuration, new_work_folder, shipped_configurations
from ops.common import OperatorError
from ops.rollout import require_terraform
from ops.terraform_mirror import choose_mirror, find_mirrors

EXIT_FAILED, EXIT_MISSING = 1, 2


def _fake_auth0_logs(now: datetime) -> list[dict[str, object]]:
    """A day of Auth0 logs as the Management API returns them, for backfill."""
    return [
        {"log_id": f"9001{index:020d}", "date": f"{now - timedelta(hours=20 - index):%Y-%m-%dT%H:%M:%S.000Z}",
         "type": "s", "description": "Success Login", "user_id": f"auth0|{index}"}
        for index in range(6)
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--config", action="append", type=Path, help="a configuration (default: every shipped one)")
    parser.add_argument("--report", type=Path, help="write the timings per stack as JSON here (make bench)")
    parser.add_argument("--no-operator-checks", action="store_true", help="apply and replan only")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (stack copies, logs, state)")
    args = parser.parse_args(argv)

    try:
        terraform = require_terraform()
    except OperatorError as missing:
        print(f"make e2e: {missing}", file=sys.stderr)
        return EXIT_MISSING
    mirror = choose_mirror(find_mirrors(), "")
    if mirror is None:
        print(
            "make e2e: no filesystem mirror of hashicorp/aws for this platform was found "
            "(registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/; TERRAFORM_PROVIDER_MIRROR names one)",
            file=sys.stderr,
        )
        return EXIT_MISSING

    from e2e.local_aws import LocalAws
    from e2e.operator_checks import CommandFailed, OperatorChecks
    from tests.fake_auth0 import TOKEN, FakeAuth0

    configurations = args.config or shipped_configurations()
    work = new_work_folder()
    cli_config = mirror.write_cli_config(work / "terraform.rc")
    print(f"hashicorp/aws {mirror.version} from the mirror at {mirror.root}; work folder {work}")
    results: list[StackResult] = []
    started = time.monotonic()
    try:
        with LocalAws() as local_aws, FakeAuth0(_fake_auth0_logs(datetime.now(UTC))) as auth0:
            print(f"local AWS at {local_aws.endpoint}; moto gaps patched: "
                  + (", ".join(gap.name for gap in local_aws.patched) or "none"))  # fmt: skip
            checks = OperatorChecks(Path(), local_aws, auth0.url, TOKEN, auth0.streams)
            for number, config_file in enumerate(configurations):
                local_aws.reset()
                auth0.streams.clear()
                checks.config_file = config_file.resolve()
                results += apply_configuration(
                    config_file.resolve(), local_aws, mirror, cli_config, terraform, work / f"config-{number}",
                    after_apply=None if args.no_operator_checks else checks.run_all,
                )  # fmt: skip
    except (E2eFailure, CommandFailed) as failure:
        print(f"e2e FAILED:\n{failure}", file=sys.stderr)
        print(f"(work folder kept: {work})", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"e2e interrupted; work folder {work}", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - started
    if args.report:
        args.report.write_text(json.dumps([vars(r) for r in results], indent=2))
    print(f"e2e passed: {len(results)} stacks of {len(configurations)} configurations applied, replanned with "
          f"no changes, their ARNs in their accounts, in {elapsed:.0f} s")  # fmt: skip
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
