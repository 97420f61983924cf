"""ops/cost_model.py and ops/cost.py: each part's arithmetic on hand-checked cases, the prices file, the
baseline, the figures in docs/cost.md, bad arguments."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from ops.auth0_events import load_profile, measure, sample_events
from ops.cost import with_figures
from ops.cost_model import (
    DAYS_PER_MONTH,
    GIB,
    PRICES,
    MissingPrice,
    Pipeline,
    Prices,
    athena_query_at_the_limit,
    baseline_of,
    crossing_month,
    estimate,
    restore_cost,
    storage_by_month,
)
from tests.conftest import EXAMPLE_CONFIG, ROOT

US = Prices("us-east-1")


def pipeline(**changes: float | int | bool | None) -> Pipeline:
    base = {"events_per_day": 1_000_000, "bytes_per_event": 1000, "compressed_ratio": 0.1, "buffer_seconds": 900,
            "buffer_mib": 64, "glacier_after_days": 90, "deep_archive_after_days": None, "expire_after_days": 400,
            "noncurrent_days": 0}  # fmt: skip
    return Pipeline(**{**base, **changes})


def line(result, part: str, item: str, storage_class: str | None = None) -> list[float]:
    (found,) = [x for x in result.lines if (x.part, x.item, x.storage_class) == (part, item, storage_class)]
    return list(found.monthly)


def test_eventbridge_bills_a_dollar_per_million_partner_events() -> None:
    assert line(estimate(pipeline(), US), "EventBridge", "partner events")[0] == pytest.approx(DAYS_PER_MONTH * 1.00)


def test_firehose_rounds_every_record_up_to_5_kib_and_bills_gib() -> None:
    small, exact, large = (line(estimate(pipeline(bytes_per_event=b), US), "Firehose", "ingestion")[0]
                           for b in (1000, 5120, 5121))  # fmt: skip
    gib_of_5kib = 1_000_000 * DAYS_PER_MONTH * 5120 / 2**30
    assert small == exact == pytest.approx(gib_of_5kib * 0.029)
    assert large == pytest.approx(2 * gib_of_5kib * 0.029)


def test_objects_follow_the_buffer_that_fills_first_and_one_an_hour_with_event_time() -> None:
    assert pipeline().objects_per_day() == pytest.approx(96)  # 1 GB/day never fills 64 MiB in 15 minutes
    assert pipeline(events_per_day=100_000_000).objects_per_day() == pytest.approx(1e11 / 2**26)  # size wins
    assert pipeline(events_per_day=10).objects_per_day() == 10  # never more objects than events
    assert pipeline(events_per_day=10, event_time_partitions=True).objects_per_day() == 10
    assert pipeline(buffer_seconds=0, events_per_day=5, event_time_partitions=True).objects_per_day() == 5


def test_storage_moves_through_the_classes_and_expires_after_its_noncurrent_days() -> None:
    # 0.1 GiB a day in one object: easy to check by hand.
    p = pipeline(events_per_day=10_000, bytes_per_event=GIB / 100_000, compressed_ratio=1, buffer_seconds=86400,
                 buffer_mib=128, glacier_after_days=30, deep_archive_after_days=210, expire_after_days=370,
                 noncurrent_days=30)  # fmt: skip
    assert p.objects_per_day() == 1
    lines, stored = storage_by_month(p, US, 24)
    assert stored["STANDARD"][-1] == pytest.approx(3.0)  # the last 30 days
    assert stored["GLACIER"][-1] == pytest.approx(18.0)  # days 30 to 209
    assert stored["DEEP_ARCHIVE"][-1] == pytest.approx(19.0)  # days 210 to 399: expired at 370, kept 30 more
    by = {(x.item, x.storage_class): x.monthly for x in lines}
    overhead = 8 * 1024 / GIB, 32 * 1024 / GIB  # per archived object: at Standard and at the class's price
    assert by[("storage", "STANDARD")][-1] == pytest.approx((3.0 + 370 * overhead[0]) * 0.023)
    assert by[("storage", "GLACIER")][-1] == pytest.approx((18.0 + 180 * overhead[1]) * 0.0036)
    assert by[("storage", "DEEP_ARCHIVE")][-1] == pytest.approx((19.0 + 190 * overhead[1]) * 0.00099)
    assert by[("transitions", "GLACIER")][-1] == pytest.approx(DAYS_PER_MONTH * 0.03 / 1000)
    assert ("minimum duration", "GLACIER") not in by  # 180 days in Glacier: more than its 90


def test_leaving_an_archive_class_early_pays_its_minimum_duration() -> None:
    p = pipeline(events_per_day=100_000, bytes_per_event=GIB / 100_000, compressed_ratio=1, buffer_seconds=86400,
                 buffer_mib=128, glacier_after_days=30, expire_after_days=60)  # fmt: skip
    lines, _ = storage_by_month(p, US, 24)
    by = {(x.item, x.storage_class): x.monthly for x in lines}
    # Every day a 1 GiB cohort leaves Glacier after 30 of its 90 days: 60 days more at the Glacier price.
    cohort_gib = 1.0 + p.objects_per_day() * 32 * 1024 / GIB  # with each object's 32 KiB archive overhead
    assert by[("minimum duration", "GLACIER")][-1] == pytest.approx(cohort_gib * 0.0036 * 60)


def test_objects_under_the_transition_minimum_stay_in_standard() -> None:
    # S3's all_storage_classes_128K: objects under 128 KiB are not transitioned (S3 User Guide, lifecycle).
    p = pipeline(events_per_day=10_000, bytes_per_event=1000, compressed_ratio=0.1, transition_minimum_kib=128)
    assert p.object_kib() < 128
    _, stored = storage_by_month(p, US, 24)
    assert stored["GLACIER"][-1] == stored["DEEP_ARCHIVE"][-1] == 0
    assert stored["STANDARD"][-1] == pytest.approx(10_000 * 1000 * 0.1 * 400 / GIB)


def test_key_rotation_adds_a_dollar_a_version_for_the_first_two_rotations() -> None:
    rotated = line(estimate(pipeline(kms_keys=2), US, 36), "KMS", "rotated key versions")
    assert rotated[0] == rotated[11] == 0  # no rotation in the first year
    assert rotated[12] == pytest.approx(2.00)  # each key rotated once: +$1 each
    assert rotated[35] == pytest.approx(4.00)  # twice each; later rotations are not billed


def test_event_time_partitions_cost_per_gib_and_object() -> None:
    p = pipeline(event_time_partitions=True)
    result = estimate(p, US)
    month_gib = 1_000_000 * 1000 * DAYS_PER_MONTH / GIB
    assert line(result, "Firehose", "dynamic partitioning (event time)")[0] == pytest.approx(month_gib * 0.020)
    assert line(result, "Firehose", "dynamic partitioning objects")[0] == pytest.approx(
        96 * DAYS_PER_MONTH / 1000 * 0.005
    )


def test_restore_and_athena_prices() -> None:
    # S3 pricing: Glacier Flexible Retrieval Standard $0.01/GiB + $0.05 per 1,000 requests; the copy at Standard.
    assert restore_cost(100, 2000, US, storage_class="GLACIER", tier="standard", days=7) == pytest.approx(
        100 * 0.01 + 2 * 0.05 + 100 * 0.023 * 7 / DAYS_PER_MONTH
    )
    assert restore_cost(100, 2000, US, storage_class="GLACIER", tier="bulk", days=0) == 0  # Bulk is free
    assert athena_query_at_the_limit(1024 * 1024, US) == pytest.approx(5.00)  # a TiB at $5 per TiB


def test_the_baseline_copies_the_console_setup() -> None:
    baseline = baseline_of(pipeline(replay_window_days=14, kms_keys=2, alarms=8, event_time_partitions=True))
    assert (baseline.compressed_ratio, baseline.buffer_mib, baseline.buffer_seconds) == (1.0, 5, 300)
    assert (baseline.glacier_after_days, baseline.deep_archive_after_days, baseline.expire_after_days) == (
        90,
        None,
        None,
    )
    assert (baseline.replay_window_days, baseline.kms_keys, baseline.alarms, baseline.event_time_partitions) == (
        0, 0, 0, False)  # fmt: skip


def test_the_crossing_is_where_the_baseline_stays_dearer() -> None:
    p = pipeline(kms_keys=2, alarms=8, replay_window_days=14)
    month = crossing_month(p, US)
    assert month is not None
    ours, base = estimate(p, US, 120), estimate(baseline_of(p), US, 120)
    assert all(base.total(m) > ours.total(m) for m in range(month - 1, 120))
    assert base.total(month - 2) <= ours.total(month - 2)


def test_every_region_has_every_price_with_its_source() -> None:
    document = tomllib.loads(PRICES.read_text())
    regions = document["regions"]
    keys = {k for prices in regions.values() for k in prices}
    for region, prices in regions.items():
        assert set(prices) == keys, (region, keys - set(prices))
    for key in keys:
        assert key.split("_", 1)[0] in document["sources"], key
    for source in document["sources"].values():
        assert source["page"].startswith("https://aws.amazon.com/") and source["read_on"] >= "2026-11-26"


def test_a_missing_price_is_an_error_naming_it(tmp_path: Path) -> None:
    text = PRICES.read_text().replace("kms_key_per_month = 1.00\n", "", 1)
    (tmp_path / "prices.toml").write_text(text)
    prices = Prices("us-east-1", tmp_path / "prices.toml")
    with pytest.raises(MissingPrice, match=r"\[regions.us-east-1\] has no kms_key_per_month"):
        estimate(pipeline(kms_keys=1), prices)
    with pytest.raises(MissingPrice, match="has no prices for ap-south-2"):
        Prices("ap-south-2")


def test_the_event_profile_is_measured_on_real_events() -> None:
    profile = load_profile()
    assert {k: profile[k] for k in ("events", "mean_bytes", "gzip_ratio", "batch")} == measure(sample_events())
    assert profile["mean_bytes"] > 1000  # real Auth0 events, not the minimal schema-shaped ones


def test_the_figures_in_docs_cost_come_from_the_model() -> None:
    text = (ROOT / "docs" / "cost.md").read_text()
    assert "<!-- cost figures: generated by make docs from ops/cost.py -->" in text
    assert with_figures(text) == text, "run make docs"


def test_half_and_double_the_bytes_bracket_the_estimate() -> None:
    p = pipeline(kms_keys=2, alarms=8, replay_window_days=14, event_time_partitions=True)
    totals = [estimate(replace(p, bytes_per_event=p.bytes_per_event * f), US).total(23) for f in (0.5, 1, 2)]
    assert totals[0] < totals[1] < totals[2]


def run_cost(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops", "cost", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, **env})  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--events-per-day", "-5"], "--events-per-day: expected a positive number, got -5"),
        (["--events-per-day", "many"], "argument --events-per-day: invalid float value: 'many'"),
        (["--events-per-day", "10", "--env", "qa"], "--env: no environment 'qa' in environments.toml"),
        (["--events-per-day", "10", "--plot", "cost.svg"], "--plot: expected a .png file name, got cost.svg"),
        (["--plot", "/no/such/folder/cost.png"], "--plot: the folder /no/such/folder does not exist"),
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
    result = run_cost("--events-per-day", "10", "--env", "dev", AUTH0_ARCHIVE_CONFIG=str(tmp_path / "c.toml"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: prices.toml has no prices for ap-south-2 (it has eu-west-1, us-east-1)")


def test_the_plot_is_written(tmp_path: Path) -> None:
    result = run_cost("--events-per-day", "1000000", "--env", "dev", "--plot", str(tmp_path / "cost.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.stdout.startswith("auth0-log-archive-dev (us-east-1, prices read ")
    assert result.stdout.rstrip().endswith(f"plot written to {tmp_path / 'cost.png'}")


def test_events_per_day_is_optional_as_its_usage_says() -> None:
    result = run_cost("--env", "dev")
    assert result.returncode == 0, result.stderr
    assert "--events-per-day" in run_cost("--help").stdout and "default: 100,000" in run_cost("--help").stdout


def test_the_command_list_names_cost_and_query() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    usage = subprocess.run([sys.executable, "-m", "ops", "--help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    assert "{cost,query,detections,validate," in usage.replace(" ", "").replace("\n", "")
