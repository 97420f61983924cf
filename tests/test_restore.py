"""ops/restore.py end to end, offline (moto's S3 with Glacier restores): estimate, confirm, restore, status."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modules.contract.validation import parse_config
from ops.common import OperatorError
from ops.cost_model import Prices
from ops.restore import estimate, hours_of, restore, status
from tests.conftest import ROOT, aws_environment
from tests.helpers import OPERATOR_CONFIG

CONFIG = OPERATOR_CONFIG
ENV = parse_config(CONFIG, "restore.toml").environment("dev")
BUCKET = ENV.names.archive_bucket
START, END = datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 2, tzinfo=UTC)
PRICES = Prices("us-east-1")


def archive(s3: Any) -> None:
    """A day of hourly objects: 20 in Glacier, 4 in Deep Archive, and one outside the window."""
    s3.create_bucket(Bucket=BUCKET)
    for hour in range(24):
        storage = "DEEP_ARCHIVE" if hour >= 20 else "GLACIER"
        s3.put_object(Bucket=BUCKET, Key=f"logs/2025/11/01/{hour:02d}/stream-{hour}.gz", Body=b"x" * 1000,
                      StorageClass=storage)  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key="logs/2025/11/02/00/outside.gz", Body=b"x", StorageClass="GLACIER")


def clients(s3: Any) -> Any:
    """The command's clients: S3, and STS (moto's account is the environment's)."""
    sts = boto3.client("sts", region_name="us-east-1")
    return lambda service: sts if service == "sts" else s3


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        archive(client)
        yield client


def test_the_window_is_its_hours() -> None:
    hours = list(hours_of(START, END))
    assert len(hours) == 24 and hours[0] == "logs/2025/11/01/00/" and hours[-1] == "logs/2025/11/01/23/"


def test_estimate_confirm_restore_status(s3: Any) -> None:
    said: list[str] = []
    asked: list[str] = []
    assert status(ENV, clients(s3), START, END) == {"not requested": 24}
    done = restore(ENV, clients(s3), START, END, tier="Bulk", days=7, prices=PRICES,
                   confirm=lambda q: asked.append(q) or True, out=said.append)  # fmt: skip
    assert said[0] == "24 objects, 0.000 GiB: 4 in DEEP_ARCHIVE (0.000 GiB), 20 in GLACIER (0.000 GiB)"
    # Deep Archive has no Expedited tier, so the window's estimate offers Bulk and Standard.
    assert [line.split(":")[0].strip() for line in said[1:3]] == ["Bulk", "Standard"]
    assert "ready 5-12 hours and within 48 hours" in said[1]
    assert asked == ["Restore 24 objects with the Bulk tier for 7 days?"]
    assert done == {"requested": 24}
    assert said[-1] == "  24/24: 24 requested"
    # moto finishes restores at once: every object is readable again, and a second run requests nothing.
    assert status(ENV, clients(s3), START, END) == {"restored (readable)": 24}
    again = restore(ENV, clients(s3), START, END, tier="Bulk", days=7, prices=PRICES, confirm=lambda _: True,
                    out=lambda _: None)  # fmt: skip
    assert again == {"restored (readable)": 24}


def test_nothing_is_restored_without_confirmation(s3: Any) -> None:
    done = restore(ENV, clients(s3), START, END, tier="Standard", days=3, prices=PRICES, confirm=lambda _: False,
                   out=lambda _: None)  # fmt: skip
    assert not done
    assert status(ENV, clients(s3), START, END) == {"not requested": 24}


@pytest.mark.parametrize(
    ("tier", "days", "message"),
    [
        ("Fast", 7, "TIER: expected one of Bulk, Standard, Expedited"),
        ("Bulk", 31, "DAYS: expected 1 to 30"),
        ("Expedited", 7, "Deep Archive has no Expedited tier"),
    ],
)
def test_what_s3_would_refuse_is_refused_first(s3: Any, tier: str, days: int, message: str) -> None:
    with pytest.raises(OperatorError, match=message):
        restore(ENV, clients(s3), START, END, tier=tier, days=days, prices=PRICES, confirm=lambda _: True,
                out=lambda _: None)  # fmt: skip


def test_the_estimate_prices_each_tier_from_the_price_file() -> None:
    from ops.restore import Archived

    gib = 2**30
    objects = [Archived(f"k{n}", gib, "GLACIER") for n in range(10)]
    lines = estimate(objects, PRICES, 30)
    # S3 pricing: Glacier Flexible Retrieval Standard $0.01/GiB and $0.05 per 1,000 requests; the copy at
    # Standard storage for 30 days ($0.023/GiB-month); Bulk retrieval is free.
    standard = next(line for line in lines if line.strip().startswith("Standard"))
    copy = 10 * 0.023 * 30 / 30.4375
    assert standard.strip().startswith(f"Standard: ${10 * 0.01 + 0.0005 + copy:,.2f}")
    assert next(line for line in lines if line.strip().startswith("Bulk")).strip().startswith(f"Bulk: ${copy:,.2f}")


def test_make_restore_asks_for_yes_without_a_terminal_and_restores_with_it(moto_server: str, tmp_path: Any) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    archive(s3)
    (tmp_path / "c.toml").write_text(CONFIG)
    environ = {**os.environ, **aws_environment(moto_server), "AUTH0_ARCHIVE_CONFIG": str(tmp_path / "c.toml")}
    command = [sys.executable, "-m", "ops", "restore", "--env", "dev", "--from", "2025-11-01", "--to", "2025-11-02"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *extra], cwd=ROOT, env=environ, capture_output=True, text=True,
                              timeout=60, check=False, stdin=subprocess.DEVNULL)  # fmt: skip

    refused = run()
    assert refused.returncode == 2 and "Run again with YES=1 to confirm" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run("--yes").returncode == 0
    assert run("--status").stdout.strip() == "24 restored (readable)"


def test_a_window_in_the_future_is_refused_before_any_call() -> None:
    from ops.common import OperatorError

    later = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(OperatorError, match="is in the future: nothing there to restore") as refused:
        restore(ENV, lambda _: None, later, later + timedelta(days=1), tier="Bulk", days=7, prices=PRICES,
                confirm=lambda _: True, out=lambda _: None)  # fmt: skip
    assert refused.value.status == 2
    with pytest.raises(OperatorError, match="is in the future"):
        status(ENV, lambda _: None, later, later + timedelta(days=1))


def test_a_restore_state_s3_does_not_document_is_said_as_it_is() -> None:
    from ops.restore import restore_state

    assert restore_state({"Restore": 'ongoing-request="true"'}) == "in progress"
    assert restore_state({"Restore": 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'}) == (
        "restored (readable)"
    )
    assert restore_state({"Restore": "something new"}) == "unknown (x-amz-restore: something new)"


def test_a_long_listing_says_where_it_is(s3: Any) -> None:
    said: list[str] = []
    status(ENV, clients(s3), START, START + timedelta(days=3), out=said.append)
    assert said == ["  listing: 24/72 hours, 24 objects so far", "  listing: 48/72 hours, 25 objects so far"]


def test_credentials_for_another_account_restore_nothing(s3: Any) -> None:
    from ops.common import OperatorError

    other = parse_config(CONFIG.replace("123456789012", "999999999999"), "other.toml").environment("dev")
    with pytest.raises(OperatorError, match="are for account 123456789012; dev is 999999999999"):
        restore(other, clients(s3), START, END, tier="Bulk", days=7, prices=PRICES, confirm=lambda _: True,
                out=lambda _: None)  # fmt: skip
    assert status(ENV, clients(s3), START, END) == {"not requested": 24}
