"""The detection settings, attacked: every one refused by main.py with exit status 2, one clean line per
problem naming the file, the environment and the key, nothing synthesized (tests/test_config_hostile.py's
harness). What a value must be comes from what the rules compare it with (Auth0's client ids, host names,
IP networks) and from the catalog itself (its rule ids, its values)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from modules.contract.detections import catalog
from tests.test_config_hostile import Case, F, dev, run_main

DOMAIN = 'detection_values = { auth0_tenant_domain = "acme.eu.auth0.com" }'
ONE = 'detections = ["use_of_auth0_tenant_name_url"]\nsecurity_email = "soc@example.com"\n' + DOMAIN
IDS = "expected rule ids of the catalog (" + ", ".join(catalog().ids()) + "), got "
CLIENT_IDS = "expected a list of 1 to 100 of an Auth0 client id (letters, digits, _ and -, at most 64), got "
WHERE = f"{F}: environments.dev"

CASES: dict[str, Case] = {
    # --- which rules: "all", a list of ids of the catalog, or []
    "all-in-capitals": Case(dev('detections = "ALL"'), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got "ALL"']),
    "a-bare-id": Case(dev('detections = "sms_bombarding"'), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got "sms_bombarding"']),
    "a-number": Case(dev("detections = 5"), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got 5']),
    "true": Case(dev("detections = true"), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got true']),
    "unknown-id": Case(dev('detections = ["sms_bombing"]\nsecurity_email = "soc@example.com"'), [
        f'{WHERE}.detections: {IDS}"sms_bombing" (did you mean sms_bombarding?)']),
    "cyrillic-a-in-an-id": Case(dev('detections = ["sms_bomb\u0430rding"]'), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got an array']),
    "id-with-a-newline": Case(dev('detections = ["sms_bombarding\\n"]'), [
        f'{WHERE}.detections: expected "all", a list of rule ids, or [] for none, got an array']),
    "id-twice": Case(dev('detections = ["sms_bombarding", "sms_bombarding"]'), [
        f"{WHERE}.detections: expected a list of distinct rule ids, got an array"]),
    "excluded-id-unknown": Case(dev('detections = "all"\ndetections_exclude = ["liquid_js"]'), [
        f'{WHERE}.detections_exclude: {IDS}"liquid_js"…']),
    "level-unknown": Case(dev('detections_min_level = "severe"'), [
        f'{WHERE}.detections_min_level: expected a Sigma level, one of informational, low, medium, high, critical, '
        'got "severe"']),
    # --- thresholds: a whole number of matches, for a rule that runs here
    "threshold-zero": Case(dev(ONE, "detection_thresholds = { use_of_auth0_tenant_name_url = 0 }"), [
        f"{WHERE}.detection_thresholds.use_of_auth0_tenant_name_url: expected an integer from 1 to 1000000, got 0"]),
    "threshold-float": Case(dev(ONE, "detection_thresholds = { use_of_auth0_tenant_name_url = 1.0 }"), [
        f"{WHERE}.detection_thresholds.use_of_auth0_tenant_name_url: expected an integer from 1 to 1000000, got 1.0"]),
    "threshold-for-a-rule-not-run": Case(dev(ONE, "detection_thresholds = { sms_bombarding = 5 }"), [
        f"{WHERE}.detection_thresholds.sms_bombarding: expected a threshold only for a rule run here, got one for "
        "sms_bombarding"]),
    # --- values: the names the overlays declare, of their kinds; nothing that Sigma reads as a wildcard
    "value-unknown": Case(dev(ONE.replace(DOMAIN, 'detection_values = { tenant = "acme.eu.auth0.com" }')), [
        f'{WHERE}.detection_values.tenant: expected a value the rules take (…']),
    "domain-with-a-wildcard": Case(dev(ONE.replace("acme.eu.auth0.com", "*.auth0.com")), [
        f'{WHERE}.detection_values.auth0_tenant_domain: expected a host name such as acme.eu.auth0.com, '
        'got "*.auth0.com"']),
    "domain-with-a-template": Case(dev(ONE.replace("acme.eu.auth0.com", "${file(\\\"/etc/passwd\\\")}")), [
        f'{WHERE}.detection_values.auth0_tenant_domain: expected a host name such as acme.eu.auth0.com, got …']),
    "client-id-with-a-star": Case(dev('detection_values = { trusted_client_ids = ["abc*"] }'), [
        f"{WHERE}.detection_values.trusted_client_ids: {CLIENT_IDS}an array"]),
    "client-ids-not-a-list": Case(dev('detection_values = { trusted_client_ids = "abc" }'), [
        f'{WHERE}.detection_values.trusted_client_ids: {CLIENT_IDS}"abc"']),
    "client-ids-empty": Case(dev("detection_values = { trusted_client_ids = [] }"), [
        f"{WHERE}.detection_values.trusted_client_ids: {CLIENT_IDS}an array"]),
    "client-ids-101": Case(dev("detection_values = { trusted_client_ids = [" + ", ".join(
        f'"c{i}"' for i in range(101)) + "] }"), [
        f"{WHERE}.detection_values.trusted_client_ids: {CLIENT_IDS}an array"]),
    "network-with-host-bits": Case(dev('detection_values = { recognized_allowlist_entries = ["192.0.2.1/24"] }'), [
        f"{WHERE}.detection_values.recognized_allowlist_entries: expected a list of 1 to 100 of an IP network "
        "such as 192.0.2.0/24, got an array"]),
    "value-with-a-control-character": Case(dev('detection_values = { api_explorer_client_id = "abc\\u0007" }'), [
        f'{WHERE}.detection_values.api_explorer_client_id: expected a string or a list of strings, without '
        'control characters, got "abc\\u0007"']),
    # --- a chosen rule that cannot run is named, with what it needs
    "all-without-values": Case(dev('detections = "all"\nsecurity_email = "soc@example.com"'), [
        f"{WHERE}.detections: rule {rule.id} cannot run here: it needs detection_values {', '.join(rule.values)}; "
        "leave it out (detections_exclude) or give what it needs"
        for rule in catalog().rules.values() if rule.values and not rule.refused
    ]),
    "a-refused-rule-by-name": Case(dev('detections = ["liquidjs_xss_vulnerability"]\nsecurity_email = "s@example.com"'), [
        f"{WHERE}.detections: rule liquidjs_xss_vulnerability cannot run here: …"]),
    # --- who hears the alerts, and where the hunting queries live
    "no-security-subscriber": Case(dev(ONE.replace('security_email = "soc@example.com"\n', "")), [
        f"{WHERE}.security_email: missing: nobody would receive the detections' alerts. Give an address, or set "
        "security_unsubscribed = true if you subscribe to the security topic another way"]),
    "security-email-and-unsubscribed": Case(dev(ONE, "security_unsubscribed = true"), [
        f"{WHERE}.security_unsubscribed: expected false with a security_email, got true"]),
    "security-email-without-detections": Case(dev('security_email = "soc@example.com"'), [
        f"{WHERE}.security_email: expected only with detections (none run here), got an address"]),
    "detections-without-athena": Case(dev(ONE, "athena = false"), [
        f"{WHERE}.athena: expected true with detections: hunting rules and every alert's query are Athena named "
        "queries"]),
    # --- scheduled hunting: whole hours, at most a week, and only with hunting rules to run
    "hunting-hours-negative": Case(dev(ONE, "hunting_every_hours = -6"), [
        f"{WHERE}.hunting_every_hours: expected an integer from 0 to 168, got -6"]),
    "hunting-hours-a-string": Case(dev(ONE, 'hunting_every_hours = "6h"'), [
        f'{WHERE}.hunting_every_hours: expected an integer from 0 to 168, got "6h"']),
    "hunting-hours-beyond-a-week": Case(dev(ONE, "hunting_every_hours = 169"), [
        f"{WHERE}.hunting_every_hours: expected an integer from 0 to 168, got 169"]),
    "hunting-without-hunting-rules": Case(dev(ONE, "hunting_every_hours = 6"), [
        f"{WHERE}.hunting_every_hours: expected 0 with no hunting rule run here, got 6"]),
    "security-email-not-an-address": Case(dev(ONE.replace("soc@example.com", "soc@")), [
        f'{WHERE}.security_email: expected an e-mail address (ASCII), e.g. security@example.com, got "soc@"']),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_detection_setting_is_refused_cleanly(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    started = time.monotonic()
    status, out, err = run_main(tmp_path, monkeypatch, case)
    assert time.monotonic() - started < 10
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert lines[-1] == f"{len(lines) - 1} configuration problem(s); nothing was synthesized."
    problems = lines[:-1]
    assert len(problems) == len(case.lines), problems
    for line, expected in zip(problems, case.lines, strict=True):
        assert line.startswith(expected[:-1]) if expected.endswith("…") else line == expected, line
    assert not (tmp_path / "cdktf.out").exists()


def test_a_setting_from_defaults_is_named_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = '[defaults]\ndetections_exclude = ["nope"]\n' + dev()
    status, _, err = run_main(tmp_path, monkeypatch, Case(text, []))
    assert status == 2
    assert f'{WHERE}.detections_exclude: {IDS}"nope" (from [defaults])' in err.splitlines()


def test_the_example_in_docs_detections_is_a_valid_configuration() -> None:
    """docs/detections.md's example, with the keys every environment needs, is accepted as written."""
    import re

    from modules.contract.validation import parse_config
    from tests.conftest import ROOT

    (block,) = re.findall(r"```toml\n(.*?)```", (ROOT / "docs" / "detections.md").read_text(), re.DOTALL)
    required = (
        'aws_account_id = "333333333333"\naws_region = "eu-west-1"\nalarm_email = "sec@example.com"\n'
        'auth0_event_source = "aws.partner/auth0.com/acme-4f7d2c1e-8b9a-4c3d-9e2f-1a2b3c4d5e6f/auth0.logs"\n'
    )
    text = block.replace("[environments.prod]\n", "[environments.prod]\n" + required, 1)
    env = parse_config(text, "detections.md").environment("prod")
    assert env.detections == "all" and env.detection_thresholds == {"sms_bombarding": 20, "risk_of_tenant_takeover": 1}
