"""modules/constructs/auth0.py: the typed auth0 binding, and a managed environment beside an unmanaged one."""

from __future__ import annotations

import json

import pytest

from modules.constructs.auth0 import Auth0EventBridgeLogStream, Auth0Provider, PiiConfig
from modules.constructs.aws import core
from modules.contract.validation import load_config, parse_config
from tests.conftest import ROOT, synth_all
from tests.helpers import named, only, ref, resources

EXAMPLE = ROOT / "examples" / "auth0-managed.toml"
STREAM = "auth0_log_stream.auth0_log_stream"
SOURCE = f"${{{STREAM}.sink.0.aws_partner_event_source}}"


@pytest.fixture(scope="module")
def stacks() -> dict[str, dict]:
    return synth_all(load_config(EXAMPLE))


def test_managed_environment_declares_the_pinned_auth0_provider(stacks: dict[str, dict]) -> None:
    prod = stacks["prod"]
    # terraform-provider-auth0: pii_config and start_from since v1.29.0; eu-central-2 in the
    # sink.aws_region allow-list since v1.38.0. "~> 1.38" admits 1.38 up to, not including, 2.0.
    assert prod["terraform"]["required_providers"]["auth0"] == {"source": "auth0/auth0", "version": "~> 1.38"}
    assert prod["provider"]["auth0"] == [{"domain": "acme.eu.auth0.com"}]  # credentials come from the environment
    cdktf_json = json.loads((ROOT / "cdktf.json").read_text())
    assert cdktf_json["terraformProviders"] == ["auth0/auth0@~> 1.38"]


def test_unmanaged_environment_has_no_auth0_side(stacks: dict[str, dict]) -> None:
    dev = stacks["dev"]
    assert "auth0" not in dev.get("provider", {})
    assert "auth0" not in dev["terraform"]["required_providers"]
    assert resources(dev, "auth0_log_stream") == {}
    _, bus = only(dev, "aws_cloudwatch_event_bus")
    assert bus["name"] == "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
    assert "lifecycle" not in bus


def test_stream_sinks_into_this_environments_account_and_region(stacks: dict[str, dict]) -> None:
    _, stream = only(stacks["prod"], "auth0_log_stream")
    assert stream == {
        "name": "Amazon EventBridge (audit archive)",
        "type": "eventbridge",
        "status": "active",
        "provider": "auth0",
        "sink": {"aws_account_id": "333333333333", "aws_region": "eu-west-1"},
        "pii_config": {"log_fields": ["email", "phone"], "method": "hash", "algorithm": "xxhash"},
        "is_priority": True,
        "start_from": "2026-11-01T00:00:00Z",
    }


def test_bus_rule_and_archive_follow_the_stream_by_reference(stacks: dict[str, dict]) -> None:
    prod = stacks["prod"]
    bus_name, bus = only(prod, "aws_cloudwatch_event_bus")
    assert bus["name"] == bus["event_source_name"] == SOURCE
    # A replaced stream has a new partner event source, and a new name forces a new bus
    # (name is ForceNew in aws_cloudwatch_event_bus); an in-place change to the stream
    # (filters, PII) must leave the bus, its rule and archive alone: no replace_triggered_by.
    assert "lifecycle" not in bus
    _, rule = named(prod, "aws_cloudwatch_event_rule", "ingest_rule")
    assert rule["event_bus_name"] == ref("aws_cloudwatch_event_bus", bus_name, "name")
    assert json.loads(rule["event_pattern"]) == {"source": [SOURCE], "detail-type": ["Auth0 log"]}
    _, archive = only(prod, "aws_cloudwatch_event_archive")
    assert archive["event_source_arn"] == ref("aws_cloudwatch_event_bus", bus_name, "arn")
    assert prod["output"]["partner_event_source"]["value"] == SOURCE
    assert prod["output"]["auth0_log_stream_id"]["value"] == f"${{{STREAM}.id}}"


def test_filters_become_categories() -> None:
    text = EXAMPLE.read_text().replace("filters = []", 'filters = ["auth.login.fail", "management.success"]')
    _, stream = only(synth_all(parse_config(text, "filters.toml"))["prod"], "auth0_log_stream")
    assert stream["filters"] == [
        {"type": "category", "name": "auth.login.fail"},
        {"type": "category", "name": "management.success"},
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"aws_region": "us-gov-west-1"}, "aws_region: expected a region the auth0 provider can stream to"),
        ({"aws_region": "xx-nowhere-1"}, "aws_region: expected a region the auth0 provider can stream to"),
        ({"aws_region": "af-south-1"}, "aws_region: expected a region the auth0 provider can stream to"),
        ({"start_from": "2026-01-01"}, "start_from: expected an RFC 3339 time in UTC"),
        ({"start_from": "2026-01-01T01:00:00+01:00"}, "start_from: expected an RFC 3339 time in UTC"),
        ({"aws_account_id": "123"}, "aws_account_id: expected 12 digits"),
        ({"filters": ["auth.login.failed"]}, "filters: expected categories among"),
        ({"pii": PiiConfig(("ssn",))}, "pii fields: expected some of"),
        ({"pii": PiiConfig(("email",), method="encrypt")}, "pii method: expected one of hash, mask"),
    ],
)
def test_binding_refuses_what_auth0_refuses(arguments: dict, message: str) -> None:
    stack = core.TerraformStack(core.Testing.app(), "binding")
    provider = Auth0Provider(stack, "auth0", domain="acme.auth0.com")
    valid = {"name": "s", "aws_account_id": "111111111111", "aws_region": "eu-west-1", "provider": provider}
    with pytest.raises(ValueError, match=message):
        Auth0EventBridgeLogStream(stack, "stream", **{**valid, **arguments})
