"""What every operator command shares: the configuration, one environment, clear failures."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def synth_output(outdir: Path | None = None) -> SynthOutput:
    return SynthOutput(outdir) if outdir else SYNTH_OUTPUT


def stack_dir(env: Environment, outdir: Path | None = None) -> Path:
    return synth_output(outdir).stack_dir(env.stack_name)


AUTH0_PARTNER_PREFIX = "aws.partner/auth0.com/"


def session_client(env: Environment) -> Callable[[str], Any]:
    """boto3 clients in the environment's region, as its deploy role when it has one."""
    import boto3

    session = boto3.Session(region_name=env.aws_region)
    if env.deploy_role_arn:
        credentials = session.client("sts").assume_role(
            RoleArn=env.deploy_role_arn, RoleSessionName=f"verify-{env.stack_name}"[:64]
        )["Credentials"]
        session = boto3.Session(
            region_name=env.aws_region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service)
        return clients[service]

    return client


def require_account(env: Environment, client: Callable[[str], Any]) -> None:
    """Before any write: the credentials must be for the environment's account, or nothing is touched."""
    account = client("sts").get_caller_identity()["Account"]
    if account != env.aws_account_id:
        raise OperatorError(
            f"the AWS credentials are for account {account}; {env.name} is {env.aws_account_id}: nothing was changed"
        )


def aws_failure(error: BaseException) -> OperatorError | None:
    """An error of botocore's (no credentials, an unknown profile, an endpoint out of reach, a refusal) as one
    line; None for any other error."""
    if not type(error).__module__.startswith("botocore"):
        return None
    from botocore.exceptions import ClientError, NoCredentialsError, ProfileNotFound

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return OperatorError(f"AWS refused: {info.get('Code', '?')}: {info.get('Message', '')}".strip())
    if isinstance(error, NoCredentialsError | ProfileNotFound):
        return OperatorError(f"no AWS credentials ({error}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY", 2)  # fmt: skip
    return OperatorError(f"cannot reach AWS as configured: {error}")


def partner_bus(env: Environment, events: Any) -> str:
    """The environment's partner bus: its configured source, or for a managed stream (whose source is
    known after apply only) the Auth0 partner bus that holds the ingest rule."""
    if env.auth0_event_source:
        return env.auth0_event_source
    from botocore.exceptions import ClientError

    rule = env.names.event_rule
    for bus in events.list_event_buses(NamePrefix=AUTH0_PARTNER_PREFIX).get("EventBuses", []):
        try:
            events.describe_rule(Name=rule, EventBusName=bus["Name"])
        except ClientError:
            continue
        return bus["Name"]
    raise OperatorError(f"no Auth0 partner bus has the rule {rule}: is the stack deployed in this account?")


def fail(error: OperatorError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return error.status
