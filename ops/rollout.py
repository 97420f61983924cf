"""``make plan`` and ``make deploy``: Terraform and the cdktf CLI on one environment's stack.

Both need the network (the Terraform registry, AWS, and for a managed Auth0
stream, Auth0) and credentials. Without them they stop with a message that
says what is missing, not a stack trace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from modules.contract.settings import Environment
from modules.contract.versions import MINIMUM_TERRAFORM, MINIMUM_TERRAFORM_TEXT
from ops import terraform_mirror
from ops.common import ROOT, OperatorError, stack_dir, synth_output

CDKTF_CLI = ROOT / "tools" / "cdktf-cli" / "node_modules" / ".bin" / "cdktf"
PLAN_FILE = "tfplan"  # in the stack's directory, beside cdk.tf.json
PLAN_TEXT = "tfplan.txt"


def terraform_version(terraform: str) -> tuple[int, int]:
    output = subprocess.run([terraform, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Terraform v(\d+)\.(\d+)", output)
    if not match:
        raise OperatorError(f"could not read the version of {terraform}: {output.strip()[:200]!r}")
    return int(match.group(1)), int(match.group(2))


def require_terraform() -> str:
    terraform = shutil.which("terraform")
    if terraform is None:
        raise OperatorError(
            f"terraform is not installed: install Terraform {MINIMUM_TERRAFORM_TEXT} or newer (see README, Deploying)"
        )
    version = terraform_version(terraform)
    if version < MINIMUM_TERRAFORM:
        raise OperatorError(
            f"Terraform {version[0]}.{version[1]} is too old: {MINIMUM_TERRAFORM_TEXT} or newer is needed "
            "for S3-native state locking"
        )
    return terraform


def run_step(what: str, command: Sequence[str], cwd: Path, hint: str, environ: dict[str, str] | None = None) -> str:
    """Run one step; on failure raise with Terraform's own last words and what to do."""
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False, env=environ)
    if result.returncode != 0:
        said = "\n".join(line for line in (result.stderr or result.stdout).strip().splitlines()[-12:])
        raise OperatorError(f"{what} failed in {_shown(cwd)}.\n{hint}\nTerraform said:\n{said}")
    return result.stdout


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _synthesized(env: Environment, outdir: Path | None) -> Path:
    directory = stack_dir(env, outdir)
    if not (directory / "cdk.tf.json").exists():
        raise OperatorError(f"{_shown(directory)} has no cdk.tf.json: synthesize first (make synth)")
    return directory


def providers_from(
    env: Environment,
    outdir: Path | None = None,
    environ: dict[str, str] | None = None,
    out: Callable[[str], None] = print,
) -> tuple[Path, dict[str, str]]:
    """Where Terraform runs for the environment's synthesized stack, and with which environment variables.

    With the registry reachable (or no mirror on disk): in place, with the pinned provider. Without it,
    from a local filesystem mirror of hashicorp/aws: in place when it holds the pinned version, else in a
    copy (``<outdir>/offline/<stack>/``) whose constraint names the mirror's version, said on one line.
    What make synth wrote is never changed; a local state file stays where the stack keeps it."""
    directory = _synthesized(env, outdir)
    environ = dict(os.environ) if environ is None else dict(environ)
    # The registry first: finding a mirror may walk the whole disk.
    if terraform_mirror.registry_reachable() or not (mirrors := terraform_mirror.find_mirrors(environ)):
        return directory, environ
    document = json.loads((directory / "cdk.tf.json").read_text(encoding="utf-8"))
    pinned = terraform_mirror.pinned_aws_version(document)
    mirror = terraform_mirror.choose_mirror(mirrors, pinned)
    assert mirror is not None
    layout = synth_output(outdir)
    environ["TF_CLI_CONFIG_FILE"] = str(mirror.write_cli_config(layout.offline_cli_config()))
    if mirror.version == pinned:
        out(f"hashicorp/aws {pinned} from the local mirror at {mirror.root} (the registry is out of reach)")
        return directory, environ
    copy = terraform_mirror.relaxed(document, mirror.version)
    local = copy["terraform"].get("backend", {}).get("local")
    if local is not None:  # the state stays the stack's own, not the copy's
        local["path"] = str((directory / local.get("path", "terraform.tfstate")).resolve())
    target = terraform_mirror.copy_stack(directory, layout.offline(env.stack_name), copy)
    out(terraform_mirror.relaxation_notice(mirror, pinned) + f" (in {_shown(target)}; the registry is out of reach)")
    return target, environ


def validate(env: Environment, outdir: Path | None = None, terraform: str | None = None) -> str:
    """terraform init -backend=false + validate: the providers' schemas, no credentials, no state.

    `terraform` is a binary require_terraform() already accepted; without it, it is looked up here.
    """
    terraform = terraform or require_terraform()
    directory, environ = providers_from(env, outdir)
    run_step(
        "terraform init -backend=false",
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        directory,
        "It takes the providers from the Terraform registry, or from a local mirror of hashicorp/aws.",
        environ,
    )
    return run_step(
        "terraform validate",
        [terraform, "validate", "-no-color"],
        directory,
        "The stack is not valid Terraform: this is a defect of the synthesized code, please report it.",
        environ,
    ).strip()


def plan(env: Environment, outdir: Path | None = None, terraform: str | None = None) -> Path:
    """terraform init + validate + plan -out for a synthesized stack; returns the plan file."""
    terraform = terraform or require_terraform()
    directory, environ = providers_from(env, outdir)
    backend = (
        f" and read access to the state bucket {env.backend.bucket}"
        if env.backend.type == "s3"
        else " (the state is local)"
    )
    run_step(
        "terraform init",
        [terraform, "init", "-input=false", "-no-color"],
        directory,
        "It takes the providers from the Terraform registry (or a local mirror of hashicorp/aws)" + backend + ".",
        environ,
    )
    run_step(
        "terraform validate",
        [terraform, "validate", "-no-color"],
        directory,
        "The stack is not valid Terraform: this is a defect of the synthesized code, please report it.",
        environ,
    )
    run_step(
        "terraform plan",
        [terraform, "plan", "-input=false", "-no-color", f"-out={PLAN_FILE}"],
        directory,
        f"It needs AWS credentials for account {env.aws_account_id}"
        + (f" that may assume {env.deploy_role_arn}" if env.deploy_role_arn else "")
        + (" and Auth0 credentials (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET or AUTH0_API_TOKEN)" if env.auth0 else "")
        + ".",
        environ,
    )
    text = run_step("terraform show", [terraform, "show", "-no-color", PLAN_FILE], directory, "", environ)
    (directory / PLAN_TEXT).write_text(text)
    return directory / PLAN_FILE


def deploy(env: Environment, *, auto_approve: bool = False) -> None:
    """cdktf deploy <stack>, with the pinned cdktf CLI (make cli installs it)."""
    require_terraform()
    if not CDKTF_CLI.exists():
        raise OperatorError("the cdktf CLI is not installed: run make cli (it needs the npm registry)")
    command = [str(CDKTF_CLI), "deploy", env.stack_name, *(["--auto-approve"] if auto_approve else [])]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise OperatorError(
            f"cdktf deploy {env.stack_name} failed (see its output above). It needs network access and AWS "
            f"credentials for account {env.aws_account_id}" + (" and Auth0 credentials" if env.auth0 else "") + "."
        )
