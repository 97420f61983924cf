"""The vendored catalog is upstream's, byte for byte; our overlays are checked against it; and a rule we
have never seen goes through the same path (live, hunting or refused) with no code change."""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

import pytest

from modules.contract.detections import (
    BASE_PATTERN,
    ROOT,
    RULES_DIR,
    CatalogError,
    Refused,
    catalog,
    load_catalog,
    resolve,
)
from tests.conftest import SHARED

UPSTREAM = tomllib.loads((ROOT / "UPSTREAM.toml").read_text())


def test_the_vendored_rules_are_the_recorded_upstream_files() -> None:
    files = sorted((ROOT / RULES_DIR).glob("*.yml"))
    assert len(files) == 33  # upstream's CATALOG.md: 33 files at commit 15f263f
    assert UPSTREAM["commit"] == "15f263fbaf11b47a3363739cb89e3ea71a3b9c57"
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == UPSTREAM["sha256"]


@pytest.mark.skipif(not (SHARED / "auth0-detections").is_dir(), reason="../shared is not beside the project")
def test_the_vendored_catalog_is_the_shared_copy_byte_for_byte() -> None:
    shared = SHARED / "auth0-detections"
    for path in sorted(shared.rglob("*")):
        if path.is_file():
            assert (ROOT / "sigma" / path.relative_to(shared)).read_bytes() == path.read_bytes(), path


def test_each_rule_is_live_hunting_or_refused_as_upstream_s_catalog_reads_it() -> None:
    """CATALOG.md (upstream's vendoring notes): 17 single-event rules, 8 with a Sigma correlation; pySigma
    refuses two files (an unquoted placeholder, a lookahead)."""
    rules = catalog().rules
    assert sum(r.kind == "correlation" for r in rules.values()) == 8 + 6  # and 6 correlations our overlays add
    assert sorted(r.id for r in rules.values() if r.refused) == [
        "liquidjs_xss_vulnerability",
        "logins_from_suspicious_tls_fingerprints",
    ]
    assert rules["client_with_overpermissive_granted_scopes"].values == ("auth0_dashboard_client_id",)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "detections"
    shutil.copytree(ROOT, root)
    return root


def test_an_overlay_that_no_longer_finds_its_text_stops_the_catalog(copy: Path) -> None:
    rule = copy / RULES_DIR / "use_of_auth0_tenant_name_url.yml"
    rule.write_text(rule.read_text().replace('data.hostname: "{your-tenant-url}"', 'data.hostname: "{tenant}"'))
    with pytest.raises(CatalogError, match=r"overlays/use_of_auth0_tenant_name_url.toml: patch .* found 0"):
        load_catalog(copy)


def test_without_its_overlay_a_rule_is_refused_for_what_pysigma_or_its_placeholder_says(copy: Path) -> None:
    for name in ("client_with_overpermissive_granted_scopes", "use_of_auth0_tenant_name_url"):
        (copy / "overlays" / f"{name}.toml").unlink()
    rules = load_catalog(copy).rules
    assert rules["client_with_overpermissive_granted_scopes"].refused.startswith(
        "pySigma cannot parse it: Unsupported type"
    )
    assert rules["use_of_auth0_tenant_name_url"].refused == (
        "data.hostname holds upstream's placeholder {your-tenant-url}, which no overlay maps to a detection value"
    )


@pytest.mark.parametrize(
    ("overlay", "error"),
    [
        ('level = "high"\n', 'why = "..." is required'),
        ('why = "x"\nfrobnicate = 1\n', "unknown keys ['frobnicate']"),
        ('why = "x"\n[values.tenant]\nkind = "regex"\ndoc = "d"\n', "values.tenant: kind (one of"),
        ('why = "x"\n[[patch]]\nfind = "a"\n', "patch 1 needs find, replace and why"),
        ("why = \n", "not a readable TOML overlay"),
    ],
)
def test_a_broken_overlay_is_named(copy: Path, overlay: str, error: str) -> None:
    (copy / "overlays" / "sms_bombarding.toml").write_text(overlay)
    with pytest.raises(CatalogError, match=r"overlays/sms_bombarding.toml: " + pytest.importorskip("re").escape(error)):
        load_catalog(copy)


NEW_RULES = {
    # A rule of the same form, never shown to this code: an IP range and a user agent.
    "blocked_account_from_a_network": """title: Blocked account logins from an internal network
id: 11111111-2222-4333-8444-555555555555
status: experimental
logsource:
    product: auth0
detection:
    selection:
        data.type: limit_wc
        data.ip|cidr: 10.0.0.0/8
        data.user_agent|startswith: 'curl/'
    condition: selection
level: high
""",
    "many_password_changes": """title: Many password changes
name: password_changes
id: 21111111-2222-4333-8444-555555555555
status: experimental
logsource:
    product: auth0
detection:
    selection:
        data.type: scp
    condition: selection
level: low
---
title: Many password changes per user
id: 31111111-2222-4333-8444-555555555555
status: experimental
correlation:
    type: event_count
    rules:
        - password_changes
    group-by:
        - data.user_id
    timespan: 1h
    condition:
        gte: 3
level: low
""",
    "upstream_style_placeholder": """title: A placeholder nobody mapped
id: 41111111-2222-4333-8444-555555555555
status: experimental
logsource:
    product: auth0
detection:
    selection:
        data.client_id: '{my-client}'
    condition: selection
level: medium
""",
}


def test_a_rule_never_seen_goes_through_the_same_path(copy: Path) -> None:
    from moto.events.models import EventPattern

    for name, text in NEW_RULES.items():
        (copy / RULES_DIR / f"{name}.yml").write_text(text)
    rules = load_catalog(copy).rules
    live = resolve(rules["blocked_account_from_a_network"], {}, None, BASE_PATTERN)
    assert (live.mode, live.level) == ("live", "high")
    # EventBridge's own forms: cidr, prefix ignoring case (Sigma's startswith ignores case).
    assert live.pattern["detail"]["data"]["ip"] == [{"cidr": "10.0.0.0/8"}]
    assert live.pattern["detail"]["data"]["user_agent"] == [{"prefix": {"equals-ignore-case": "curl/"}}]
    pattern = EventPattern.load(__import__("json").dumps(live.pattern))
    event = {"source": "aws.partner/auth0.com/x/auth0.logs",
             "detail": {"data": {"type": "limit_wc", "ip": "10.1.2.3", "user_agent": "CURL/8.1"}}}  # fmt: skip
    assert pattern.matches_event(event)
    assert not pattern.matches_event({**event, "detail": {"data": {**event["detail"]["data"], "ip": "11.1.2.3"}}})
    # Its query finds the same event in the archive (Athena's SQL on DuckDB, the archive's view).
    from ops.auth0_events import envelope
    from ops.local_athena import connect, file_samples, to_duckdb

    records = [
        {"type": "limit_wc", "ip": ip, "user_agent": agent, "log_id": f"id{n}", "date": "2026-11-20T08:00:00.000Z"}
        for n, (ip, agent) in enumerate([("10.1.2.3", "CURL/8"), ("11.1.2.3", "curl/8"), ("10.0.0.1", "wget")])
    ]
    file_samples(copy, [envelope(event["source"], r, time="2026-11-20T08:00:00Z") for r in records])
    rows = (
        connect(copy, ("2026/11/20/08", "2026/11/20/09"))
        .execute(to_duckdb(live.query_sql), ["2026/11/20/08", "2026/11/20/09"])
        .fetchall()
    )
    assert [row[1] for row in rows] == ["id0"]
    hunting = resolve(rules["many_password_changes"], {}, None, BASE_PATTERN)
    assert hunting.mode == "hunting" and "HAVING count(DISTINCT b.log_id) >= 3" in hunting.query_sql
    assert rules["upstream_style_placeholder"].refused.startswith("data.client_id holds upstream's placeholder")
    with pytest.raises(Refused):
        resolve(rules["upstream_style_placeholder"], {}, None, BASE_PATTERN)
