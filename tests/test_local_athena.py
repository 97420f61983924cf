"""ops/local_athena.py: make query runs a named query locally, on the window's objects only, with clear errors."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from ops.common import OperatorError
from ops.local_athena import connect, file_samples, hour_argument, main


def event(log_id: str, date: str, ip: str = "192.0.2.1", code: str = "fp") -> dict:
    return {"version": "0", "id": f"e-{log_id}", "detail-type": "Auth0 log", "source": "aws.partner/auth0.com/x",
            "time": date[:19] + "Z", "detail": {"log_id": log_id,
            "data": {"date": date, "type": code, "log_id": log_id, "ip": ip, "user_name": "a@example.com"}}}  # fmt: skip


def test_the_samples_are_found_without_a_folder() -> None:
    said: list[str] = []
    assert main(["--name", "failed-logins-by-ip", "--from", "2026-11-01", "--to", "2026-12-01"], out=said.append) == 0
    assert said[0].startswith("no --dir: the 4 sample events")
    assert said[1] == "failed-logins-by-ip, 2026/11/01/00 to 2026/12/01/00 (UTC, end excluded): 1 row(s)"
    assert said[3].startswith("198.51.100.7\t1\t1\t")  # the sample failed login (../shared/auth0-events)


def test_only_the_objects_of_the_window_are_read(tmp_path: Path) -> None:
    file_samples(tmp_path, [event("1", "2026-11-20T08:30:00.000Z"), event("2", "2026-11-20T10:30:00.000Z")])
    # A file outside the window that no JSON reader can read: reading it would show as a row of NULLs.
    broken = tmp_path / "logs" / "2026" / "11" / "20" / "12" / "broken.gz"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(gzip.compress(b'{"id": '))
    db = connect(tmp_path, ("2026/11/20/08", "2026/11/20/11"))
    assert db.execute("SELECT count(*) FROM auth0_logs").fetchone()[0] == 2
    assert sorted(r[0] for r in db.execute("SELECT log_id FROM auth0_events").fetchall()) == ["1", "2"]
    assert connect(tmp_path, ("2026/11/20/09", "2026/11/20/10")).execute(
        "SELECT count(*) FROM auth0_events").fetchone()[0] == 0  # fmt: skip


def test_a_window_with_no_object_gives_no_rows(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    said: list[str] = []
    main(["--name", "events-of-one-ip", "--from", "2026-11-20", "--dir", str(tmp_path), "192.0.2.1"], out=said.append)
    assert ": 0 row(s)" in said[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--name", "events-of-one-ip", "--from", "2026-11-20"], "takes 1 value(s) after the options: IP address"),
        (["--name", "failed-logins-by-ip", "--from", "2026-11-20", "x"], "takes 0 value(s)"),
        (["--name", "failed-logins-by-ip", "--from", "20 Nov"], "--from: expected YYYY-MM-DD[THH[:MM]]"),
        (["--name", "failed-logins-by-ip", "--from", "2026-11-21", "--to", "2026-11-20"], "must be before --to"),
        (["--name", "failed-logins-by-ip", "--from", "2026-11-20", "--dir", "/nonexistent"], "no logs/ folder"),
    ],
)
def test_bad_arguments_are_one_clear_line(argv: list[str], message: str) -> None:
    with pytest.raises(OperatorError, match=re.escape(message)) as raised:
        main(argv, out=lambda _: None)
    assert raised.value.status == 2


def test_hours_are_read_as_utc() -> None:
    assert hour_argument("2026-11-20", "--from") == "2026/11/20/00"
    assert hour_argument("2026-11-20T08:59", "--from") == "2026/11/20/08"
    assert hour_argument("2026-11-20T08:00+02:00", "--from") == "2026/11/20/06"
    assert hour_argument("2026/11/20/08", "--from") == "2026/11/20/08"


def test_make_query_runs_from_the_command_line() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "-m", "ops", "query", "--name", "unknown", "--from", "2026-11-20"],
                            cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr
