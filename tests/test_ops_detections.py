"""python -m ops detections: list, test FILE and update FROM, as an operator runs them."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from modules.contract.detections import ROOT, RULES_DIR, catalog, load_catalog
from ops.__main__ import main as ops_main
from ops.detections import main, matching_event, read_events
from tests.conftest import EXAMPLE_CONFIG, SHARED
from tests.detection_corpus import SOURCE


def run(argv: list[str]) -> tuple[int, list[str]]:
    lines: list[str] = []
    return main(argv, out=lines.append), lines


def test_list_shows_each_rule_of_an_environment_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH0_ARCHIVE_CONFIG", str(EXAMPLE_CONFIG))
    status, lines = run(["list", "--env", "prod"])
    assert status == 0
    assert lines[0] == f"prod: 31 of {len(catalog().rules)} rules run (14 live, 17 hunting)"
    assert "  live     risk_of_tenant_takeover [medium]" in lines
    assert any(line.startswith("  refused  liquidjs_xss_vulnerability  (its |re pattern") for line in lines)
    assert any(line.startswith("  hunting  sms_bombarding [medium]  (a correlation") for line in lines)
    status, lines = run(["list", "--env", "dev"])
    assert lines[0].startswith("dev: 0 of 33 rules run") and "  off      sms_bombarding" in lines


def test_test_says_which_rules_a_file_of_events_fires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH0_ARCHIVE_CONFIG", str(EXAMPLE_CONFIG))
    from modules.contract.detections import for_environment

    prod = for_environment(__import__("ops.common", fromlist=["x"]).load_environment("prod")[1])
    takeover = next(d for d in prod.live if d.id == "risk_of_tenant_takeover")
    event = {"version": "0", "id": "1", "detail-type": "Auth0 log", "account": "1", "region": "eu-west-1",
             "time": "2026-11-20T08:00:00Z", "resources": [], **matching_event(takeover.pattern), "source": SOURCE}  # fmt: skip
    event["detail"]["data"]["date"] = "2026-11-20T08:00:01.000Z"
    # Eleven SMS to one user within the hour: sms_bombarding (more than 10 in an hour) fires.
    sms = [{"type": "gd_send_sms", "description": "Guardian - Second factor sms sent", "user_id": "auth0|u1",
            "date": f"2026-11-20T08:{m:02d}:00.000Z", "log_id": f"sms{m}"} for m in range(11)]  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in [event, *sms]))
    status, lines = run(["test", str(events), "--env", "prod"])
    assert status == 0
    assert lines[0] == "12 event(s), 2026/11/20/08 to 2026/11/20/09 (UTC); 31 rule(s)"
    fired = {line.split()[2].rstrip(":") for line in lines if line.startswith("  FIRES")}
    # The owner invite is also a Management API call by another client than the Dashboard: upstream's
    # client_with_overpermissive_granted_scopes reports every such call.
    assert fired == {"risk_of_tenant_takeover", "client_with_overpermissive_granted_scopes", "sms_bombarding"}
    assert lines[-1] == "3 rule(s) would fire"
    # Ten SMS are not more than ten.
    events.write_text("\n".join(json.dumps(e) for e in sms[:10]))
    assert run(["test", str(events), "--env", "prod"])[1][-1] == "0 rule(s) would fire"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{not json", "not a JSON array nor JSON lines"),
        ("[1, 2]", "event 1 is not a JSON object"),
        ('{"detail": {"data": {"no_type": 1}}}', "event 1 has no Auth0 record with a type"),
    ],
)
def test_test_refuses_a_file_it_cannot_read(
    tmp_path: Path, content: str, error: str, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "events.json"
    path.write_text(content)
    assert ops_main(["detections", "test", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {error}") and "Traceback" not in err
    with pytest.raises(Exception, match=error):
        read_events(path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "detections"
    shutil.copytree(ROOT, root)
    return root


@pytest.mark.skipif(not (SHARED / "auth0-detections").is_dir(), reason="../shared is not beside the project")
def test_update_from_a_tarball_vendors_the_rules_and_records_them(project: Path, tmp_path: Path) -> None:
    from ops.detections import update

    upstream = tmp_path / "auth0-customer-detections-main"
    (upstream / "detections").mkdir(parents=True)
    for path in (SHARED / "auth0-detections" / "rules" / "detections").glob("*.yml"):
        shutil.copyfile(path, upstream / "detections" / path.name)
    (upstream / "detections" / "sms_bombarding.yml").unlink()  # deleted upstream
    archive = tmp_path / "upstream.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(upstream, arcname=upstream.name)
    lines: list[str] = []
    (project / "overlays" / "sms_bombarding.toml").unlink()  # its overlay goes with it
    assert update(archive, "abc123", "2026-12-01", lines.append, root=project) == 0
    assert "  removed  sms_bombarding" in lines
    assert not (project / RULES_DIR / "sms_bombarding.yml").exists()
    recorded = (project / "UPSTREAM.toml").read_text()
    assert 'commit = "abc123"' in recorded and '"use_of_auth0_tenant_name_url.yml" = "' in recorded
    assert len(load_catalog(project).rules) == 32


def test_update_changes_nothing_when_an_overlay_no_longer_applies(project: Path, tmp_path: Path) -> None:
    from ops.common import OperatorError
    from ops.detections import update

    upstream = tmp_path / "upstream" / "detections"
    shutil.copytree(project / RULES_DIR, upstream)
    rule = upstream / "use_of_auth0_tenant_name_url.yml"
    rule.write_text(rule.read_text().replace("{your-tenant-url}", "{tenant-url}"))
    before = {p.name: p.read_bytes() for p in (project / RULES_DIR).glob("*.yml")}
    with pytest.raises(OperatorError, match=r"not updated: overlays/use_of_auth0_tenant_name_url.toml: patch"):
        update(tmp_path / "upstream", None, None, print, root=project)
    assert {p.name: p.read_bytes() for p in (project / RULES_DIR).glob("*.yml")} == before


def test_update_refuses_an_archive_member_outside_itself(tmp_path: Path) -> None:
    import zipfile

    from ops.common import OperatorError
    from ops.detections import update

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.yml", "x")
    with pytest.raises(OperatorError, match="outside the archive"):
        update(archive, None, None, print, root=tmp_path / "nothing")
    assert not (tmp_path.parent / "escape.yml").exists()
