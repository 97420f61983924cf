"""ops/cost.py: each part's arithmetic on hand-checked cases, the baseline, bad arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modules.contract.validation import load_config
from ops.auth0_events import corpus, load_profile, measure
from ops.cost import (
    DAYS_PER_MONTH,
    Pipeline,
    baseline_of,
    eventbridge,
    firehose,
    load_prices,
    report,
    s3_puts,
    storage_by_month,
)
from tests.conftest import EXAMPLE_CONFIG, ROOT
from tests.sample_events import SCHEMAS

PRICES, RULES = load_prices("us-east-1")


def pipeline(**changes: float | int | None) -> Pipeline:
    base = {
        "region": "us-east-1", "events_per_day": 1_000_000, "bytes_per_event": 1000, "compressed_ratio": 0.1,
        "buffer_seconds": 900, "buffer_mib": 64, "glacier_after_days": 90, "deep_archive_after_days": None,
        "expire_after_days": 400,
    }  # fmt: skip
    return Pipeline(**{**base, **changes})


def test_eventbridge_bills_a_dollar_per_million_partner_events() -> None:
    assert eventbridge(pipeline(), PRICES) == pytest.approx(DAYS_PER_MONTH * 1.00)


def test_firehose_rounds_every_record_up_to_5_kb() -> None:
    small, exact, large = (firehose(pipeline(bytes_per_event=b), PRICES, RULES) for b in (1000, 5120, 5121))
    gb_of_5kb = 1_000_000 * DAYS_PER_MONTH * 5120 / 1e9
    assert small == exact == pytest.approx(gb_of_5kb * 0.029)
    assert large == pytest.approx(2 * gb_of_5kb * 0.029)


def test_objects_follow_the_buffer_that_fills_first() -> None:
    assert pipeline().objects_per_day() == pytest.approx(96)  # 1 GB/day never fills 64 MiB in 15 minutes
    assert pipeline(events_per_day=100_000_000).objects_per_day() == pytest.approx(1e11 / 2**26)  # size wins
    assert pipeline(events_per_day=10).objects_per_day() == 10  # never more objects than events
    assert s3_puts(pipeline(), PRICES) == pytest.approx(96 * DAYS_PER_MONTH / 1000 * 0.005)


def test_storage_moves_through_the_classes_and_expires() -> None:
    # 0.1 GB a day in one object (100 MB fills no 128 MiB buffer): easy to check by hand.
    p = pipeline(events_per_day=10_000, bytes_per_event=10_000, compressed_ratio=1, buffer_seconds=86400,
                 buffer_mib=128, glacier_after_days=30, deep_archive_after_days=210, expire_after_days=400)  # fmt: skip
    assert p.objects_per_day() == 1
    result = storage_by_month(p, PRICES, RULES)
    stored = result["stored_gb"]
    assert stored["standard"][-1] == pytest.approx(3.0)  # the last 30 days
    assert stored["glacier"][-1] == pytest.approx(18.0)  # days 30 to 209
    assert stored["deep_archive"][-1] == pytest.approx(19.0)  # days 210 to 399, then gone
    month = result["cost"]
    overhead = 8 * 1024 / 1e9, 32 * 1024 / 1e9  # per archived object: at Standard and at the class's price
    assert month["standard"][-1] == pytest.approx((3.0 + 370 * overhead[0]) * 0.023)
    assert month["glacier"][-1] == pytest.approx((18.0 + 180 * overhead[1]) * 0.0036)
    assert month["deep_archive"][-1] == pytest.approx((19.0 + 190 * overhead[1]) * 0.00099)
    assert month["glacier transitions"][-1] == pytest.approx(DAYS_PER_MONTH * 0.03 / 1000)
    assert "glacier minimum duration" not in month  # 180 days in Glacier: more than its 90


def test_leaving_an_archive_class_early_pays_its_minimum_duration() -> None:
    p = pipeline(events_per_day=100_000, bytes_per_event=10_000, compressed_ratio=1, buffer_seconds=86400,
                 buffer_mib=128, glacier_after_days=30, expire_after_days=60)  # fmt: skip
    month = storage_by_month(p, PRICES, RULES)["cost"]
    # Every day a 1 GB cohort leaves Glacier after 30 of its 90 days: 60 days more at the Glacier price.
    cohort_gb = 1.0 + p.objects_per_day() * 32 * 1024 / 1e9  # with each object's 32 KB archive overhead
    per_day = cohort_gb * 0.0036 * 60 / DAYS_PER_MONTH
    assert month["glacier minimum duration"][-1] == pytest.approx(per_day * DAYS_PER_MONTH)


def test_the_baseline_copies_the_console_setup() -> None:
    baseline = baseline_of(pipeline(), 1000)
    assert (baseline.compressed_ratio, baseline.buffer_mib, baseline.buffer_seconds) == (1.0, 5, 300)
    assert (baseline.glacier_after_days, baseline.deep_archive_after_days, baseline.expire_after_days) == (
        90,
        None,
        None,
    )


def test_the_default_configuration_stores_less_than_the_baseline() -> None:
    env = load_config(EXAMPLE_CONFIG).environment("prod")
    lines, mine, baseline = report(env, 5_000_000, load_profile())
    assert sum(v[-1] for v in mine.stored_gb.values()) < sum(v[-1] for v in baseline.stored_gb.values()) / 10
    s3 = [k for k in mine.parts if k.startswith("S3 ") and "PUT" not in k]
    assert sum(mine.parts[k][-1] for k in s3) < sum(baseline.parts[k][-1] for k in baseline.parts if k in s3)
    assert baseline.total(23) > baseline.total(11)  # never expiring: it keeps growing
    assert lines[0].startswith("auth0-log-archive-prod (eu-west-1, prices read 2026-11-26): 5,000,000 events/day")
    assert any(line.startswith("  A year of logs costs $") for line in lines)


def test_the_event_profile_is_measured_not_assumed() -> None:
    profile = load_profile()
    remeasured = measure(corpus(SCHEMAS))
    assert {k: profile[k] for k in remeasured} == remeasured
    assert profile["events"] == 4 + 166


def run_cost(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cost", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--events-per-day", "-5"], "--events-per-day: expected a positive number, got -5"),
        (["--events-per-day", "many"], "argument --events-per-day: invalid float value: 'many'"),
        (["--events-per-day", "10", "--env", "qa"], "--env: no environment 'qa' in environments.toml"),
        (["--events-per-day", "10", "--plot", "cost.svg"], "--plot: expected a .png file name, got cost.svg"),
        ([], "the following arguments are required: --events-per-day"),
    ],
)
def test_bad_arguments_get_a_clear_error(arguments: list[str], message: str) -> None:
    result = run_cost(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_region_without_prices_is_an_error_not_a_guess(tmp_path: Path) -> None:
    config = EXAMPLE_CONFIG.read_text().replace('aws_region = "us-east-1"', 'aws_region = "ap-south-2"')
    (tmp_path / "c.toml").write_text(config)
    result = subprocess.run([sys.executable, "-m", "ops.cost", "--events-per-day", "10", "--env", "dev"], cwd=ROOT,
                            env={**__import__("os").environ, "AUTH0_ARCHIVE_CONFIG": str(tmp_path / "c.toml")},
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("error: prices.toml has no prices for ap-south-2 (it has eu-west-1, us-east-1)")


def test_the_plot_is_written(tmp_path: Path) -> None:
    result = run_cost("--events-per-day", "1000000", "--env", "dev", "--plot", str(tmp_path / "cost.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.stdout.startswith("auth0-log-archive-dev (us-east-1, prices read ")
    assert result.stdout.rstrip().endswith(f"plot written to {tmp_path / 'cost.png'}")
