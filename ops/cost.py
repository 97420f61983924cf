"""``make cost``: what the archive costs per month, part by part, before deploying.

For each environment of the configuration and a number of Auth0 events per
day, a day-by-day simulation of 24 months (what is stored in each class, the
transitions, the minimum storage durations of the archive classes) gives the
monthly cost of every part, and the same for a baseline that copies the
original console setup: uncompressed, 5 MiB / 300 s buffering, Glacier after
90 days, never expiring.

Prices come from ops/prices.toml (with their region and the day they were
read); bytes per event and the compression ratio from ops/event-profile.json,
measured on the sample events and on events shaped by Auth0's schemas.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from modules.contract import naming

PRICES = Path(__file__).resolve().parent / "prices.toml"
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
SECONDS_PER_DAY = 86400
GB = 1e9  # AWS bills storage and data per GB of 10^9 bytes
KB = 1024
MONTHS = 24
ALARMS = len(naming.ALARM_SUFFIXES)


@dataclass(frozen=True)
class Pipeline:
    """What the cost depends on: the settings of one environment, and the traffic."""

    region: str
    events_per_day: float
    bytes_per_event: float
    compressed_ratio: float  # compressed / raw; 1.0 when objects are not compressed
    buffer_seconds: int
    buffer_mib: int
    glacier_after_days: int | None
    deep_archive_after_days: int | None
    expire_after_days: int | None  # None: kept for ever
    replay_window_days: int = 0  # EventBridge archive; 0: none
    alarms: int = ALARMS
    kms_keys: int = 1

    @property
    def raw_bytes_per_day(self) -> float:
        return self.events_per_day * self.bytes_per_event

    def objects_per_day(self) -> float:
        """Firehose writes an object when its buffer is full or its interval is over (and it holds data)."""
        if self.events_per_day == 0:
            return 0.0
        by_size = self.raw_bytes_per_day / (self.buffer_mib * 2**20)
        by_time = SECONDS_PER_DAY / self.buffer_seconds if self.buffer_seconds else self.events_per_day
        return min(self.events_per_day, max(by_size, by_time))


def load_prices(region: str, path: Path = PRICES) -> tuple[dict[str, float], dict[str, Any]]:
    document = tomllib.loads(path.read_text())
    if region not in document["regions"]:
        known = ", ".join(sorted(document["regions"]))
        raise KeyError(
            f"{path.name} has no prices for {region} (it has {known}): add them, with the day they were read"
        )
    return document["regions"][region], document["s3_archive_rules"]


# --- the parts, each a function of one month's traffic ----------------------------


def eventbridge(p: Pipeline, prices: dict[str, float]) -> float:
    return p.events_per_day * DAYS_PER_MONTH / 1e6 * prices["eventbridge_partner_events_per_million"]


def replay_archive(p: Pipeline, prices: dict[str, float]) -> float:
    if not p.replay_window_days:
        return 0.0
    month_gb = p.raw_bytes_per_day * DAYS_PER_MONTH / GB
    stored_gb = p.raw_bytes_per_day * p.replay_window_days / GB
    return (
        month_gb * prices["eventbridge_archive_processing_per_gb"]
        + stored_gb * prices["eventbridge_archive_storage_per_gb_month"]
    )


def firehose(p: Pipeline, prices: dict[str, float], rules: dict[str, Any]) -> float:
    """Ingestion is billed per record, each rounded up to the next 5 KB."""
    unit = rules["firehose_record_rounding_kb"] * KB
    billed = math.ceil(p.bytes_per_event / unit) * unit
    return p.events_per_day * DAYS_PER_MONTH * billed / GB * prices["firehose_ingestion_per_gb"]


def s3_puts(p: Pipeline, prices: dict[str, float]) -> float:
    return p.objects_per_day() * DAYS_PER_MONTH / 1000 * prices["s3_put_per_1000"]


def kms(p: Pipeline, prices: dict[str, float]) -> float:
    """The key, and about two requests per object (S3 with a bucket key, Firehose's data keys)."""
    if not p.kms_keys:
        return 0.0  # the console setup encrypts with S3-managed keys
    requests = p.objects_per_day() * DAYS_PER_MONTH * 2
    return p.kms_keys * prices["kms_key_per_month"] + requests / 10000 * prices["kms_requests_per_10000"]


def alarms(p: Pipeline, prices: dict[str, float]) -> float:
    return p.alarms * prices["cloudwatch_alarm_per_month"]


# --- storage, day by day ----------------------------------------------------------------


def storage_by_month(
    p: Pipeline, prices: dict[str, float], rules: dict[str, Any], months: int = MONTHS
) -> dict[str, list[float]]:
    """Cost per month of storage and transitions, and GB stored at each month's end, per class.

    Each day's objects are a cohort that ages: Standard until ``glacier_after_days``, then Glacier
    until ``deep_archive_after_days``, then Deep Archive until ``expire_after_days``. An archived
    object is billed at least its class's minimum duration, and carries 8 KB at the Standard price
    plus 32 KB at its class's price.
    """
    day_gb = p.raw_bytes_per_day * p.compressed_ratio / GB
    day_objects = p.objects_per_day()
    overhead_standard_gb = day_objects * rules["overhead_standard_kb"] * KB / GB
    overhead_archive_gb = day_objects * rules["overhead_archive_kb"] * KB / GB
    classes = ("standard", "glacier", "deep_archive")
    price = {
        "standard": prices["s3_standard_per_gb_month"],
        "glacier": prices["s3_glacier_per_gb_month"],
        "deep_archive": prices["s3_deep_archive_per_gb_month"],
    }
    minimum = {
        "standard": 0,
        "glacier": rules["glacier_minimum_days"],
        "deep_archive": rules["deep_archive_minimum_days"],
    }
    transition = {
        "glacier": prices["s3_glacier_transition_per_1000"],
        "deep_archive": prices["s3_deep_archive_transition_per_1000"],
    }

    def stage(age: int) -> str | None:
        if p.expire_after_days is not None and age >= p.expire_after_days:
            return None
        if p.deep_archive_after_days is not None and age >= p.deep_archive_after_days:
            return "deep_archive"
        if p.glacier_after_days is not None and age >= p.glacier_after_days:
            return "glacier"
        return "standard"

    def days_in(cls: str) -> int:
        """How long a cohort stays in a class, or -1 if it never leaves it."""
        start = {"standard": 0, "glacier": p.glacier_after_days, "deep_archive": p.deep_archive_after_days}[cls]
        ends = [d for d in (p.glacier_after_days, p.deep_archive_after_days, p.expire_after_days)
                if d is not None and start is not None and d > start]  # fmt: skip
        return min(ends) - start if ends and start is not None else -1

    total_days = math.ceil(months * DAYS_PER_MONTH)
    days_in_month = [0] * months
    cost: dict[str, list[float]] = defaultdict(lambda: [0.0] * months)
    stored: dict[str, list[float]] = defaultdict(lambda: [0.0] * months)
    for today in range(total_days):
        month = min(int(today / DAYS_PER_MONTH), months - 1)
        days_in_month[month] += 1
        for age in range(today + 1):  # the cohort written `age` days ago
            cls = stage(age)
            if cls is None:
                continue
            archived = cls != "standard"
            gb = day_gb + (overhead_archive_gb if archived else 0.0)
            cost[cls][month] += gb * price[cls] / DAYS_PER_MONTH
            if archived:
                cost["standard"][month] += overhead_standard_gb * price["standard"] / DAYS_PER_MONTH
            if age > 0 and stage(age - 1) != cls and archived:
                cost[f"{cls} transitions"][month] += day_objects / 1000 * transition[cls]
            leaving = stage(age + 1) != cls
            stay = days_in(cls)
            if leaving and archived and 0 <= stay < minimum[cls]:  # early deletion or transition
                cost[f"{cls} minimum duration"][month] += gb * price[cls] * (minimum[cls] - stay) / DAYS_PER_MONTH
            if today == min(math.ceil((month + 1) * DAYS_PER_MONTH), total_days) - 1:
                stored[cls][month] += day_gb
    # Every month at the length of an average one: no 30/31-day jitter between months.
    for costs in cost.values():
        for month in range(months):
            costs[month] *= DAYS_PER_MONTH / days_in_month[month]
    return {"cost": {k: list(v) for k, v in cost.items() if k in classes or any(v)},
            "stored_gb": {k: list(stored[k]) for k in classes}}  # fmt: skip


@dataclass(frozen=True)
class Estimate:
    parts: dict[str, list[float]]  # part -> cost of each month
    stored_gb: dict[str, list[float]]  # storage class -> GB at each month's end

    def total(self, month: int) -> float:
        return sum(costs[month] for costs in self.parts.values())


def estimate(p: Pipeline, prices: dict[str, float], rules: dict[str, Any], months: int = MONTHS) -> Estimate:
    flat = {
        "EventBridge partner events": eventbridge(p, prices),
        "EventBridge replay archive": replay_archive(p, prices),
        "Firehose ingestion (5 KB records)": firehose(p, prices, rules),
        "S3 PUT requests": s3_puts(p, prices),
        "KMS key and requests": kms(p, prices),
        "CloudWatch alarms": alarms(p, prices),
    }
    parts = {name: [value] * months for name, value in flat.items() if value}
    storage = storage_by_month(p, prices, rules, months)
    labels = {"standard": "S3 Standard storage", "glacier": "S3 Glacier storage",
              "deep_archive": "S3 Deep Archive storage"}  # fmt: skip
    for key, costs in storage["cost"].items():
        name = labels.get(key, "S3 " + key.replace("deep_archive", "Deep Archive").replace("glacier", "Glacier"))
        parts[name] = costs
    return Estimate(parts, storage["stored_gb"])


def baseline_of(p: Pipeline, raw_bytes_per_event: float) -> Pipeline:
    """The original console setup: no compression, 5 MiB / 300 s, Glacier after 90 days, kept for ever."""
    return replace(p, compressed_ratio=1.0, bytes_per_event=raw_bytes_per_event, buffer_seconds=300, buffer_mib=5,
                   glacier_after_days=90, deep_archive_after_days=None, expire_after_days=None,
                   replay_window_days=0, alarms=0, kms_keys=0)  # fmt: skip


# --- the command -------------------------------------------------------------------


def money(value: float) -> str:
    return f"${value:,.2f}"


def table(title: str, result: Estimate, columns: Sequence[int]) -> list[str]:
    header = f"  {'part':38}" + "".join(f"{f'month {m + 1}':>13}" for m in columns)
    lines = [title, header]
    for name, costs in result.parts.items():
        lines.append(f"  {name:38}" + "".join(f"{money(costs[m]):>13}" for m in columns))
    lines.append(f"  {'total per month':38}" + "".join(f"{money(result.total(m)):>13}" for m in columns))
    stored = {cls: gb[columns[-1]] for cls, gb in result.stored_gb.items()}
    lines.append("  stored at month " + str(columns[-1] + 1) + ": "
                 + ", ".join(f"{cls.replace('_', ' ')} {gb:,.1f} GB" for cls, gb in stored.items()))  # fmt: skip
    return lines


def report(
    env: Any, events_per_day: float, profile: dict[str, Any], prices_path: Path = PRICES
) -> tuple[list[str], Estimate, Estimate]:
    prices, rules = load_prices(env.aws_region, prices_path)
    ours = Pipeline(
        region=env.aws_region, events_per_day=events_per_day, bytes_per_event=profile["mean_bytes"],
        compressed_ratio=profile["gzip_ratio"], buffer_seconds=env.buffer_interval_seconds,
        buffer_mib=env.buffer_size_mib, glacier_after_days=env.glacier_after_days,
        deep_archive_after_days=env.deep_archive_after_days, expire_after_days=env.expire_after_days,
        replay_window_days=env.replay_window_days,
    )  # fmt: skip
    mine, baseline = estimate(ours, prices, rules), estimate(baseline_of(ours, profile["mean_bytes"]), prices, rules)
    columns = (0, 11, MONTHS - 1)
    saving = baseline.total(MONTHS - 1) - mine.total(MONTHS - 1)
    growth = (baseline.total(MONTHS - 1) - baseline.total(11)) / 12  # never expiring: linear after a year
    crossing = (
        f" At that pace the baseline costs more from month {MONTHS + math.ceil(-saving / growth)} on."
        if saving < 0 and growth > 0
        else ""
    )
    first_year = sum(mine.total(m) for m in range(12))
    lines = [
        f"{env.stack_name} ({env.aws_region}, prices read {prices['read_on']}): {events_per_day:,.0f} events/day, "
        f"{profile['mean_bytes']:.0f} bytes/event, gzip to {profile['gzip_ratio']:.0%}",
        *table("This configuration:", mine, columns),
        *table(
            "Baseline, the console setup (uncompressed, 5 MiB/300 s, Glacier after 90 days, never expires):",
            baseline,
            columns,
        ),
        f"  A year of logs costs {money(first_year)} in the first 12 months. At month {MONTHS} this configuration "
        f"costs {money(mine.total(MONTHS - 1))}/month, the baseline {money(baseline.total(MONTHS - 1))}/month: "
        f"{'saving' if saving >= 0 else 'costing'} {money(abs(saving))}/month. The baseline grows by "
        f"{money(growth)}/month every month, and keeps every event for ever.{crossing}",
        f"  Athena: {money(prices['athena_per_tb_scanned'])} per TB scanned (not included); a 24-hour query "
        f"scans about {events_per_day * profile['mean_bytes'] * profile['gzip_ratio'] / 1e6:,.1f} MB.",
        "",
    ]
    return lines, mine, baseline


def plot(path: Path, results: dict[str, tuple[Estimate, Estimate]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(results), 2, figsize=(13, 4 * len(results)), squeeze=False)
    months = list(range(1, MONTHS + 1))
    for row, (name, (mine, baseline)) in enumerate(results.items()):
        stored, cost = axes[row]
        stored.stackplot(months, *mine.stored_gb.values(), labels=[c.replace("_", " ") for c in mine.stored_gb])
        stored.plot(months, [sum(v[m] for v in baseline.stored_gb.values()) for m in range(MONTHS)], "k--",
                    label="baseline, all classes")  # fmt: skip
        stored.set(title=f"{name}: stored GB per class", xlabel="month", ylabel="GB")
        stored.legend(loc="upper left", fontsize="small")
        storage_parts = {k: v for k, v in mine.parts.items() if k.startswith("S3 ") and "PUT" not in k}
        cost.stackplot(months, *storage_parts.values(), labels=list(storage_parts))
        baseline_storage = [sum(v[m] for k, v in baseline.parts.items() if k.startswith("S3 ") and "PUT" not in k)
                            for m in range(MONTHS)]  # fmt: skip
        cost.plot(months, baseline_storage, "k--", label="baseline, storage and transitions")
        cost.set(title=f"{name}: S3 cost per month by class", xlabel="month", ylabel="USD")
        cost.legend(loc="upper left", fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    from modules.contract.validation import ConfigError, config_path, load_config
    from ops.auth0_events import load_profile

    parser = argparse.ArgumentParser(prog="make cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--events-per-day", type=float, required=True, help="Auth0 log events per day")
    parser.add_argument("--env", help="only this environment (default: every one)")
    parser.add_argument("--plot", type=Path, help="also draw stored GB and monthly cost per class to this PNG")
    args = parser.parse_args(argv)
    if not math.isfinite(args.events_per_day) or args.events_per_day <= 0:
        parser.error(f"--events-per-day: expected a positive number, got {args.events_per_day:g}")
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"--plot: expected a .png file name, got {args.plot}")
    try:
        config = load_config(config_path(os.environ))
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    envs = [e for e in config.environments if args.env in (None, e.name)]
    if not envs:
        parser.error(f"--env: no environment {args.env!r} in {config.source}")
    profile = load_profile()
    results = {}
    for env in envs:
        try:
            lines, mine, baseline = report(env, args.events_per_day, profile)
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 2
        print("\n".join(lines))
        results[env.stack_name] = (mine, baseline)
    if args.plot is not None:
        plot(args.plot, results)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
