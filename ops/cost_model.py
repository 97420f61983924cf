"""What the archive costs, month by month: the model behind ``make cost`` (ops/cost.py presents it).

For a pipeline (one environment's settings and a traffic) it simulates every day of ``months``: what each
storage class holds (each day's objects age through Standard, Glacier, Deep Archive, expiry, and, with
versioning, ``noncurrent_days`` more as a noncurrent version), transitions, minimum storage durations, and
every per-event, per-object and per-month charge. Each charge is a ``Line``: part, item, storage class,
unit. Prices come from ops/prices.toml (``Prices``), which names the source of each.
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parent / "prices.toml"
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
SECONDS_PER_DAY = 86400
GIB = 2**30  # AWS's billing "GB"
KIB = 1024
MONTHS = 24
CLASSES = ("STANDARD", "GLACIER", "DEEP_ARCHIVE")


class MissingPrice(Exception):
    """A price the model needs is not in the price file: an error, never a guess."""


class Prices:
    """The prices of one region, and the rules that hold everywhere, from ops/prices.toml."""

    def __init__(self, region: str, path: Path = PRICES) -> None:
        document = tomllib.loads(path.read_text())
        self.path, self.region = path, region
        self.sources: dict[str, dict[str, str]] = document["sources"]
        if region not in document["regions"]:
            known = ", ".join(sorted(document["regions"]))
            raise MissingPrice(f"{path.name} has no prices for {region} (it has {known}): add them, with their source")
        self.values: dict[str, float] = document["regions"][region]
        self.rules: dict[str, float] = document["rules"]

    def __getitem__(self, name: str) -> float:
        if name not in self.values:
            raise MissingPrice(f"{self.path.name}: [regions.{self.region}] has no {name}: add it from its source page")
        return self.values[name]

    def source(self, name: str) -> dict[str, str]:
        return self.sources[name.split("_", 1)[0]]


@dataclass(frozen=True)
class Pipeline:
    """What the cost depends on: one environment's settings, and the traffic."""

    events_per_day: float
    bytes_per_event: float
    compressed_ratio: float  # compressed / raw; 1.0 when objects are not compressed
    buffer_seconds: int
    buffer_mib: int
    glacier_after_days: int | None
    deep_archive_after_days: int | None
    expire_after_days: int | None  # None: kept for ever
    noncurrent_days: int = 30  # versioning keeps an expired object this long as a noncurrent version
    replay_window_days: int = 0  # EventBridge archive; 0: none
    alarms: int = 0
    kms_keys: int = 0
    event_time_partitions: bool = False  # Firehose dynamic partitioning (one object per hour at least)
    transition_minimum_kib: float = 0  # objects under this stay in Standard (S3's all_storage_classes_128K)

    @property
    def raw_bytes_per_day(self) -> float:
        return self.events_per_day * self.bytes_per_event

    def objects_per_day(self) -> float:
        """Firehose writes an object when its buffer is full or its interval is over (and it holds data);
        with hourly partitions, at least one object an hour that has events."""
        if self.events_per_day == 0:
            return 0.0
        by_size = self.raw_bytes_per_day / (self.buffer_mib * 2**20)
        by_time = SECONDS_PER_DAY / self.buffer_seconds if self.buffer_seconds else self.events_per_day
        objects = min(self.events_per_day, max(by_size, by_time))
        return max(objects, min(24.0, self.events_per_day)) if self.event_time_partitions else objects

    def object_kib(self) -> float:
        objects = self.objects_per_day()
        return self.raw_bytes_per_day * self.compressed_ratio / objects / KIB if objects else 0.0


@dataclass(frozen=True)
class Line:
    part: str  # "EventBridge", "Firehose", "S3", "KMS", "CloudWatch"
    item: str  # what is billed: "partner events", "storage", "transitions", ...
    storage_class: str | None  # for S3 storage-related lines
    unit: str  # what the price is per
    monthly: tuple[float, ...]

    @property
    def name(self) -> str:
        return f"{self.part} {self.item}" + (f" ({self.storage_class})" if self.storage_class else "")


@dataclass(frozen=True)
class Estimate:
    lines: tuple[Line, ...]
    stored_gib: dict[str, list[float]] = field(default_factory=dict)  # class → GiB at each month's end

    def total(self, month: int) -> float:
        return sum(line.monthly[month] for line in self.lines)

    def of(self, part: str, item: str | None = None) -> list[float]:
        months = len(self.lines[0].monthly) if self.lines else 0
        chosen = [line for line in self.lines if line.part == part and (item is None or line.item == item)]
        return [sum(line.monthly[m] for line in chosen) for m in range(months)]


def flat(value: float, months: int) -> tuple[float, ...]:
    return (value,) * months


def estimate(p: Pipeline, prices: Prices, months: int = MONTHS) -> Estimate:
    month_events = p.events_per_day * DAYS_PER_MONTH
    month_gib = p.raw_bytes_per_day * DAYS_PER_MONTH / GIB
    objects = p.objects_per_day() * DAYS_PER_MONTH
    rules = prices.rules
    record = (
        math.ceil(p.bytes_per_event / (rules["firehose_record_rounding_kib"] * KIB))
        * rules["firehose_record_rounding_kib"]
        * KIB
    )
    lines = [
        Line("EventBridge", "partner events", None, "million events",
             flat(month_events / 1e6 * prices["eventbridge_partner_events_per_million"], months)),
        Line("Firehose", "ingestion", None, "GiB, each record rounded up to 5 KiB",
             flat(month_events * record / GIB * prices["firehose_ingestion_per_gib"], months)),
        Line("S3", "PUT requests", None, "1,000 requests", flat(objects / 1000 * prices["s3_put_per_1000"], months)),
    ]  # fmt: skip
    if p.replay_window_days:
        stored = p.raw_bytes_per_day * p.replay_window_days / GIB
        lines += [
            Line("EventBridge", "replay archive processing", None, "GiB archived",
                 flat(month_gib * prices["eventbridge_archive_processing_per_gib"], months)),
            Line("EventBridge", "replay archive storage", None, "GiB-month",
                 flat(stored * prices["eventbridge_archive_storage_per_gib_month"], months)),
        ]  # fmt: skip
    if p.event_time_partitions:
        lines += [
            Line("Firehose", "dynamic partitioning (event time)", None, "GiB processed",
                 flat(month_gib * prices["firehose_dynamic_partitioning_per_gib"], months)),
            Line("Firehose", "dynamic partitioning objects", None, "1,000 objects",
                 flat(objects / 1000 * prices["firehose_dynamic_partitioning_per_1000_objects"], months)),
        ]  # fmt: skip
    if p.kms_keys:
        versions = [p.kms_keys * min(2, int(m * DAYS_PER_MONTH // rules["kms_rotation_days"])) for m in range(months)]
        lines += [
            Line("KMS", "keys", None, "key-month", flat(p.kms_keys * prices["kms_key_per_month"], months)),
            Line("KMS", "rotated key versions", None, "version-month (the first two rotations of a key)",
                 tuple(v * prices["kms_rotated_version_per_month"] for v in versions)),
            # S3 with a bucket key and Firehose's data keys: about two requests per object.
            Line("KMS", "requests", None, "10,000 requests",
                 flat(objects * 2 / 10000 * prices["kms_requests_per_10000"], months)),
        ]  # fmt: skip
    if p.alarms:
        lines.append(Line("CloudWatch", "alarms", None, "alarm-month",
                          flat(p.alarms * prices["cloudwatch_alarm_per_month"], months)))  # fmt: skip
    storage, stored = storage_by_month(p, prices, months)
    lines += storage
    return Estimate(tuple(line for line in lines if any(line.monthly)), stored)


def storage_by_month(p: Pipeline, prices: Prices, months: int) -> tuple[list[Line], dict[str, list[float]]]:
    """S3 storage, transitions and minimum durations per month, and GiB stored at each month's end.

    Each day's objects are a cohort: Standard until ``glacier_after_days``, then Glacier until
    ``deep_archive_after_days``, then Deep Archive until ``expire_after_days`` and ``noncurrent_days``
    more (a noncurrent version). An archived object is billed at least its class's minimum duration, and
    carries 8 KiB at the Standard price plus 32 KiB at its class's price. Objects under
    ``transition_minimum_kib`` are not transitioned.
    """
    rules = prices.rules
    day_gib = p.raw_bytes_per_day * p.compressed_ratio / GIB
    day_objects = p.objects_per_day()
    small = p.object_kib() < p.transition_minimum_kib
    glacier = None if small else p.glacier_after_days
    deep = None if small else p.deep_archive_after_days
    gone = None if p.expire_after_days is None else p.expire_after_days + p.noncurrent_days
    overhead = {"STANDARD": 0.0, "GLACIER": day_objects * rules["overhead_archive_kib"] * KIB / GIB}
    overhead["DEEP_ARCHIVE"] = overhead["GLACIER"]
    standard_overhead = day_objects * rules["overhead_standard_kib"] * KIB / GIB
    price = {c: prices[f"s3_{c.lower()}_per_gib_month"] for c in CLASSES}
    minimum = {
        "STANDARD": 0, "GLACIER": rules["glacier_minimum_days"], "DEEP_ARCHIVE": rules["deep_archive_minimum_days"]
    }  # fmt: skip
    transition = {c: prices[f"s3_{c.lower()}_transition_per_1000"] for c in CLASSES[1:]}
    starts = {"STANDARD": 0, "GLACIER": glacier, "DEEP_ARCHIVE": deep}

    # Each class holds the cohorts whose age is in [start, end): a closed form per day, no loop over cohorts.
    bounds = {}
    for cls in CLASSES:
        start = starts[cls]
        if start is None:
            continue
        ends = [d for d in (glacier, deep, gone) if d is not None and d > start]
        bounds[cls] = (start, min(ends) if ends else None)

    total_days = math.ceil(months * DAYS_PER_MONTH)
    days_in_month = [0] * months
    cost: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * months)
    stored: dict[str, list[float]] = {c: [0.0] * months for c in CLASSES}
    for today in range(total_days):
        month = min(int(today / DAYS_PER_MONTH), months - 1)
        days_in_month[month] += 1
        month_end = today == min(math.ceil((month + 1) * DAYS_PER_MONTH), total_days) - 1
        for cls, (start, end) in bounds.items():
            last_age = today if end is None else min(today, end - 1)
            cohorts = max(0, last_age - start + 1)  # ages start..last_age
            gib = day_gib + overhead[cls]
            cost[("storage", cls)][month] += cohorts * gib * price[cls] / DAYS_PER_MONTH
            if cls == "STANDARD":
                if month_end:
                    stored[cls][month] += cohorts * day_gib
                continue
            cost[("storage", "STANDARD")][month] += cohorts * standard_overhead * price["STANDARD"] / DAYS_PER_MONTH
            if today >= start:  # today's cohort of age ``start`` moved in
                cost[("transitions", cls)][month] += day_objects / 1000 * transition[cls]
            stay = -1 if end is None else end - start
            if end is not None and today >= end - 1 and 0 <= stay < minimum[cls]:  # leaves early, pays the rest
                cost[("minimum duration", cls)][month] += gib * price[cls] * (minimum[cls] - stay) / DAYS_PER_MONTH
            if month_end:
                stored[cls][month] += cohorts * day_gib
    for costs in cost.values():  # every month at the length of an average one
        for month in range(months):
            costs[month] *= DAYS_PER_MONTH / days_in_month[month]
    units = {"storage": "GiB-month", "transitions": "1,000 objects", "minimum duration": "GiB-month billed early"}
    lines = [Line("S3", item, cls, units[item], tuple(values)) for (item, cls), values in sorted(cost.items())]
    return lines, stored


def baseline_of(p: Pipeline) -> Pipeline:
    """The original console setup: no compression, 5 MiB / 300 s, Glacier after 90 days, kept for ever,
    no replay archive, no customer key, no alarms, no event-time partitions."""
    return replace(p, compressed_ratio=1.0, buffer_seconds=300, buffer_mib=5, glacier_after_days=90,
                   deep_archive_after_days=None, expire_after_days=None, noncurrent_days=0, replay_window_days=0,
                   alarms=0, kms_keys=0, event_time_partitions=False, transition_minimum_kib=0)  # fmt: skip


def crossing_month(p: Pipeline, prices: Prices, horizon: int = 120) -> int | None:
    """The first month (1-based) from which the console baseline costs more every month, within ``horizon``."""
    ours, base = estimate(p, prices, horizon), estimate(baseline_of(p), prices, horizon)
    for month in range(horizon):
        if all(base.total(m) > ours.total(m) for m in range(month, horizon)):
            return month + 1
    return None


def restore_cost(gib: float, objects: float, prices: Prices, *, storage_class: str, tier: str, days: int) -> float:
    """Retrieval, requests and the restored copy (billed at Standard for ``days``)."""
    cls = storage_class.lower()
    return (gib * prices[f"restore_{cls}_{tier}_per_gib"] + objects / 1000 * prices[f"restore_{cls}_{tier}_per_1000"]
            + gib * prices["s3_standard_per_gib_month"] * days / DAYS_PER_MONTH)  # fmt: skip


def athena_query_at_the_limit(scan_limit_mib: int, prices: Prices) -> float:
    return scan_limit_mib * 2**20 / 2**40 * prices["athena_per_tib_scanned"]


def pipeline_of(
    env: Any, events_per_day: float, profile: dict[str, Any], *, alarms: int, keys: int, transition_minimum_kib: float
) -> Pipeline:
    """The model's view of an environment (modules/contract/settings.Environment)."""
    return Pipeline(
        events_per_day=events_per_day, bytes_per_event=profile["mean_bytes"], compressed_ratio=profile["gzip_ratio"],
        buffer_seconds=env.buffer_interval_seconds, buffer_mib=env.buffer_size_mib,
        glacier_after_days=env.glacier_after_days, deep_archive_after_days=env.deep_archive_after_days,
        expire_after_days=env.expire_after_days, replay_window_days=env.replay_window_days, alarms=alarms,
        kms_keys=keys, event_time_partitions=True, transition_minimum_kib=transition_minimum_kib,
    )  # fmt: skip
