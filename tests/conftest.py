"""Shared fixtures: each configuration is synthesized once per test session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from modules.contract.settings import Configuration
from modules.contract.validation import load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent
# The sample events and Auth0's log schemas live beside the project (../shared).
SHARED = Path(os.environ.get("AUTH0_ARCHIVE_SHARED", ROOT.parent / "shared"))
EXAMPLE_CONFIG = ROOT / "environments.toml"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Many tests read Auth0's schemas and samples: without them, one clear line instead of a hundred errors."""
    if not (SHARED / "auth0-log-schemas").is_dir():
        pytest.exit(
            f"{SHARED}: Auth0's log schemas and sample events are not there; the suite reads them from ../shared "
            "beside the project (set AUTH0_ARCHIVE_SHARED to where they are)",
            returncode=2,
        )


# Beside the example: an environment with only the required keys (all
# defaults), and one with every optional key set another way.
VARIANTS_TOML = """
[environments.minimal]
aws_account_id = "444444444444"
aws_region = "ap-southeast-2"
auth0_event_source = "aws.partner/auth0.com/minimal-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/auth0.logs"
alarms_unsubscribed = true  # no deploy role, no admin roles, no e-mail: the least this project accepts

[environments.custom]
project = "audit"
aws_account_id = "555555555555"
aws_region = "us-west-2"
auth0_event_source = "aws.partner/auth0.com/custom-11111111-2222-4333-8444-555555555555/auth0.logs"
glacier_after_days = 10
expire_after_days = 20
buffer_interval_seconds = 60
buffer_size_mib = 100
log_retention_days = 3653
replay_window_days = 7
alarm_email = "security@example.com"
no_events_alarm_hours = 6
delivery_delay_alarm_seconds = 600
tags = { CostCenter = "42" }
backend = { type = "local", path = "/var/state/audit-custom.tfstate" }
"""


def synth_all(config: Configuration) -> dict[str, dict]:
    """Synthesize every environment with the engine's Testing API; JSON documents by environment name."""
    from modules.constructs.aws import core
    from modules.stack import ArchiveStack

    app = core.Testing.app()
    stacks = {env.name: ArchiveStack(app, env) for env in config.environments}
    return {name: json.loads(core.Testing.synth(stack)) for name, stack in stacks.items()}


@pytest.fixture(scope="session")
def example_config() -> Configuration:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def variants_config() -> Configuration:
    return parse_config(VARIANTS_TOML, "variants.toml")


@pytest.fixture(scope="session")
def example_stacks(example_config: Configuration) -> dict[str, dict]:
    return synth_all(example_config)


@pytest.fixture(scope="session")
def variant_stacks(variants_config: Configuration) -> dict[str, dict]:
    return synth_all(variants_config)


@pytest.fixture(scope="session")
def managed_config() -> Configuration:
    return load_config(ROOT / "examples" / "auth0-managed.toml")


@pytest.fixture(scope="session")
def managed_stacks(managed_config: Configuration) -> dict[str, dict]:
    return synth_all(managed_config)


@pytest.fixture(scope="session")
def dev(example_stacks: dict[str, dict]) -> dict:
    return example_stacks["dev"]


@pytest.fixture(scope="session")
def prod(example_stacks: dict[str, dict]) -> dict:
    return example_stacks["prod"]


@pytest.fixture(scope="session")
def moto_server():
    """A local AWS (moto in server mode) on a free loopback port; yields its endpoint URL."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def aws_environment(endpoint: str) -> dict[str, str]:
    """What a command needs to talk to the local AWS: its endpoint and throwaway credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
