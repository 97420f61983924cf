"""``make e2e``: every stack of every configuration we ship, applied by real Terraform to a local AWS.

For each configuration: synthesize it into a work folder (never into
``cdktf.out``), start a local AWS (``e2e.local_aws``), and for each stack:

1. copy it and change only what a local run needs, each change printed:
   the aws provider version (the local mirror's), the provider's endpoints
   (loopback), the backend (a local state file in the work folder), and for
   a stack that manages the Auth0 log stream, the ``auth0_*`` resources
   (replaced by the partner event source the stream would create);
2. create the partner event source as Auth0 does, in the environment's account;
3. ``terraform init`` from the mirror, ``apply``, then ``plan -detailed-exitcode``,
   which must find nothing to change;
4. check from the state that every ARN is in the environment's account.

All stacks of one configuration share one local AWS, each in its own account
(the provider's ``assume_role`` and ``allowed_account_ids`` are kept), so names
collide where they would in AWS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.local_aws import LocalAws
from modules.contract.naming import SynthOutput
from modules.contract.settings import Configuration, Environment
from modules.contract.validation import ConfigError, load_config
from ops.terraform_mirror import ProviderMirror, copy_stack, pinned_aws_version, relaxation_notice, relaxed

ROOT = Path(__file__).resolve().parent.parent
STANDIN_STREAM_ID = "lst_0000000000000e2e"
_AUTH0_REFERENCE = re.compile(r"\$\{auth0_log_stream\.[A-Za-z0-9_-]+\.(sink\.0\.aws_partner_event_source|id)\}")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d*):")


PLUGIN_DID_NOT_START = "Unrecognized remote plugin message"
_PRINTING = threading.Lock()


def say(line: str) -> None:
    """One whole line on stdout, also from the threads that apply stacks at once."""
    with _PRINTING:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class E2eFailure(Exception):
    """A stack that did not apply, replan empty, or hold its ARNs in its account."""


def shipped_configurations(root: Path = ROOT) -> list[Path]:
    """environments.toml and every file of examples/: what we tell users to deploy."""
    return [root / "environments.toml", *sorted((root / "examples").glob("*.toml"))]


@dataclass
class StackResult:
    configuration: str
    stack: str
    seconds: dict[str, float] = field(default_factory=dict)  # init, apply, replan, operator commands
    resources: int = 0
    notes: list[str] = field(default_factory=list)


def standin_partner_source(env: Environment) -> str:
    """The partner event source Auth0 creates for a stream: aws.partner/auth0.com/<tenant>-<uuid>/auth0.logs."""
    assert env.auth0 is not None
    tenant = env.auth0.domain.split(".")[0]
    return f"aws.partner/auth0.com/{tenant}-00000000-0000-4000-8000-0000000000e2/auth0.logs"


def partner_source(env: Environment) -> str:
    """The environment's partner event source here: the configured one, or the stand-in of a managed stream."""
    return env.auth0_event_source or standin_partner_source(env)


def _replace_strings(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [_replace_strings(item, replace) for item in value]
    if isinstance(value, dict):
        return {key: _replace_strings(item, replace) for key, item in value.items()}
    return value


def without_auth0(document: dict[str, Any], partner_source: str) -> tuple[dict[str, Any], list[str]]:
    """The stack with its auth0_* resources and provider taken out, and their references replaced by what the
    stream would give: its partner event source (created by the harness) and a stand-in stream id."""
    removed = [f"{kind}.{name}" for kind, items in document.get("resource", {}).items() if kind.startswith("auth0_")
               for name in items]  # fmt: skip
    if not removed:
        return document, []

    def replace(text: str) -> str:
        return _AUTH0_REFERENCE.sub(lambda m: partner_source if m.group(1) != "id" else STANDIN_STREAM_ID, text)

    document = _replace_strings(document, replace)  # a new document: the caller's is left as it was
    document["resource"] = {k: v for k, v in document["resource"].items() if not k.startswith("auth0_")}
    document.get("provider", {}).pop("auth0", None)
    document["terraform"]["required_providers"].pop("auth0", None)
    if left := re.findall(r"auth0_log_stream\.[^\"]*|\$\{auth0_[^\"]*", json.dumps(document)):
        raise E2eFailure(f"references to the Auth0 resources that the stand-in does not replace: {left[:3]}")
    return document, [
        f"replaced {', '.join(removed)} (no auth0/auth0 provider here) by its partner event source "
        f"{partner_source}, created by the harness as Auth0 would"
    ]


def local_copy(
    document: dict[str, Any], env: Environment, mirror: ProviderMirror, endpoints: dict[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """What a local run changes in a copy of the stack, and a line for each change."""
    pinned = pinned_aws_version(document)
    notes = [relaxation_notice(mirror, pinned)]
    copy = relaxed(document, mirror.version)
    if env.auth0 is not None:
        copy, replaced = without_auth0(copy, standin_partner_source(env))
        notes += replaced
    for provider in copy["provider"]["aws"]:
        provider["endpoints"] = [endpoints]
        provider["s3_use_path_style"] = True
    notes.append(f"aws provider endpoints on the local AWS ({next(iter(endpoints.values()))})")
    backend = copy["terraform"].get("backend", {})
    if "local" not in backend or len(backend) != 1:
        notes.append(f"state in the work folder (the stack's backend: {', '.join(backend) or 'none'})")
    copy["terraform"]["backend"] = {"local": {"path": "terraform.tfstate"}}
    return copy, notes


def foreign_arns(state: dict[str, Any], account_id: str) -> list[str]:
    """Every resource ARN in the state (attributes named arn or *_arn) whose account is not ``account_id``."""
    wrong = []
    for resource in state.get("values", {}).get("root_module", {}).get("resources", []):
        for key, value in resource.get("values", {}).items():
            if (key == "arn" or key.endswith("_arn")) and isinstance(value, str):
                match = _ARN.match(value)
                if match and match.group(1) and match.group(1) != account_id:
                    wrong.append(f"{resource['address']}.{key} = {value}")
    return wrong


class Terraform:
    """Terraform in one work folder, with the mirror's CLI configuration and the account's credentials."""

    def __init__(self, binary: str, directory: Path, environ: dict[str, str]) -> None:
        self.binary, self.directory, self.environ = binary, directory, environ

    def run(self, *arguments: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        command = [self.binary, *arguments, "-no-color"]
        for _ in range(3):
            result = subprocess.run(command, cwd=self.directory, env=self.environ, capture_output=True, text=True,
                                    check=False)  # fmt: skip
            # On a loaded machine the 600 MB provider can miss go-plugin's start-up handshake: that is the
            # machine, not the stack, so the step runs again (nothing was changed: the provider never started).
            if result.returncode in ok or PLUGIN_DID_NOT_START not in result.stderr + result.stdout:
                break
        # Terraform's whole output stays beside the stack copy, for whoever reads a failure.
        log = self.directory / f"terraform-{arguments[0]}.log"
        log.write_text(result.stdout + result.stderr)
        if result.returncode not in ok:
            said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-40:]
            raise E2eFailure(
                f"{self.directory.name}: terraform {' '.join(arguments)} failed (whole output: {log}):\n"
                + "\n".join(said)
            )
        return result


def synthesize(config_file: Path, outdir: Path) -> None:
    environ = {**os.environ, "AUTH0_ARCHIVE_CONFIG": str(config_file), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=environ, capture_output=True,
                            text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise E2eFailure(f"{config_file}: synthesis failed:\n{result.stderr.strip()}")


def apply_configuration(  # noqa: PLR0917 - the run's parts, each passed in explicitly
    config_file: Path,
    local_aws: LocalAws,
    mirror: ProviderMirror,
    cli_config: Path,
    terraform: str,
    work: Path,
    log: Callable[[str], None] = say,
    after_apply: Callable[[Environment, dict[str, Any], dict[str, str]], object] | None = None,
) -> list[StackResult]:
    """Apply every stack of one configuration into ``local_aws`` (at once: Terraform mostly waits on the
    provider's consistency polls) and replan each; raise E2eFailure naming every stack that failed."""
    try:
        config: Configuration = load_config(config_file)
    except ConfigError as error:
        raise E2eFailure("\n".join(error.problems)) from None
    outdir = work / "synth"
    synthesize(config_file, outdir)
    layout = SynthOutput(outdir)
    runs = []
    for env in config.environments:
        result = StackResult(config_file.name, env.stack_name)
        document = json.loads(layout.stack_file(env.stack_name).read_text(encoding="utf-8"))
        result.resources = sum(len(items) for items in document.get("resource", {}).values())
        copy, result.notes = local_copy(document, env, mirror, local_aws.provider_endpoints())
        log(f"{config_file.name} / {env.stack_name} (account {env.aws_account_id}, {env.aws_region}):")
        for note in result.notes:
            log(f"  {note}")
        local_aws.create_partner_event_source(partner_source(env), env.aws_account_id, env.aws_region)
        directory = copy_stack(layout.stack_dir(env.stack_name), work / "stacks" / env.stack_name, copy)
        credentials = local_aws.credentials_in(env.aws_account_id, env.aws_region)
        environ = terraform_environment(cli_config, credentials, env.aws_region, local_aws.endpoint)
        runs.append((env, result, Terraform(terraform, directory, environ), credentials))

    def run(item: tuple[Environment, StackResult, Terraform, dict[str, str]]) -> str | None:
        """None when the stack held; else what failed (every stack's failure is reported, not the first only)."""
        env, result, tf, credentials = item
        try:
            outputs = apply_stack(env, result, tf, log)
            if after_apply is not None:
                started = time.monotonic()
                after_apply(env, outputs, credentials)
                result.seconds["operator commands"] = time.monotonic() - started
        except E2eFailure as failure:
            return str(failure)
        except Exception as failure:
            return f"{env.stack_name}: {failure}"
        return None

    with ThreadPoolExecutor(max_workers=len(runs) or 1) as pool:
        failures = [failure for failure in pool.map(run, runs) if failure is not None]
    if failures:
        raise E2eFailure("\n\n".join(failures))
    return [result for _, result, _, _ in runs]


def apply_stack(env: Environment, result: StackResult, tf: Terraform, log: Callable[[str], None]) -> dict[str, Any]:
    """init, apply, an empty second plan, and every ARN in the account; the stack's outputs."""
    name = env.stack_name
    for step, arguments in (("init", ("init", "-input=false")), ("apply", ("apply", "-input=false", "-auto-approve"))):
        started = time.monotonic()
        tf.run(*arguments)
        result.seconds[step] = time.monotonic() - started
        log(f"{name}: {step} {result.seconds[step]:.1f} s")
    started = time.monotonic()
    replan = tf.run("plan", "-input=false", "-detailed-exitcode", ok=(0, 2))
    result.seconds["replan"] = time.monotonic() - started
    if replan.returncode == 2:
        changes = [line for line in replan.stdout.splitlines() if line.strip().startswith(("~", "+", "-", "#"))]
        raise E2eFailure(f"{name}: the second plan is not empty:\n" + "\n".join(changes[:60]))
    log(f"{name}: replan {result.seconds['replan']:.1f} s, no changes")
    state = json.loads(tf.run("show", "-json").stdout)
    if wrong := foreign_arns(state, env.aws_account_id):
        raise E2eFailure(f"{name}: ARNs outside account {env.aws_account_id}:\n" + "\n".join(wrong))
    outputs = json.loads(tf.run("output", "-json").stdout)
    return {key: item["value"] for key, item in outputs.items()}


def terraform_environment(cli_config: Path, credentials: dict[str, str], region: str, endpoint: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "TERM")}
    return {
        **keep,
        **credentials,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


def new_work_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="auth0-archive-e2e-"))
