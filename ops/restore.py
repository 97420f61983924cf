"""``make restore``: bring a window of the archive back from Glacier, so that Athena reads it again.

Athena skips objects in S3 Glacier Flexible Retrieval and Deep Archive; it reads restored ones because
the table sets ``read_restored_glacier_objects``. For a window of event time (the archive files each
event under the hour it happened) this lists the archived objects, prints their count, size, and the
price and time of each retrieval tier, asks before acting (``YES=1`` for scripts), then restores each
object for ``DAYS``. ``STATUS=1`` reports where the restores stand. Safe to re-run: an object already
restored, or being restored, is left alone.

Prices and times: Amazon S3 pricing ("Requests & data retrievals") and the S3 User Guide
("Archive retrieval options"), in ops/prices.toml.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from modules.contract.naming import LOG_PREFIX
from modules.contract.settings import Environment
from ops.common import OperatorError, require_account
from ops.cost_model import Prices, restore_cost

ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")
TIERS = ("Bulk", "Standard", "Expedited")
# How long each tier takes, by class (S3 User Guide, "Understanding archive retrieval options").
HOURS = {
    ("GLACIER", "Expedited"): "1-5 minutes", ("GLACIER", "Standard"): "3-5 hours", ("GLACIER", "Bulk"): "5-12 hours",
    ("DEEP_ARCHIVE", "Standard"): "within 12 hours", ("DEEP_ARCHIVE", "Bulk"): "within 48 hours",
}  # fmt: skip
GIB = 2**30


@dataclass(frozen=True)
class Archived:
    key: str
    size: int
    storage_class: str


def hours_of(start: datetime, end: datetime) -> Iterator[str]:
    """The archive's hour prefixes (logs/YYYY/MM/DD/HH/) of the window [start, end)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield f"{LOG_PREFIX}{hour:%Y/%m/%d/%H}/"
        hour += timedelta(hours=1)


def archived_objects(
    s3: Any, bucket: str, start: datetime, end: datetime, out: Callable[[str], None] = lambda _: None
) -> list[Archived]:
    found = []
    hours = list(hours_of(start, end))
    for n, prefix in enumerate(hours, 1):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [
                Archived(o["Key"], o["Size"], o.get("StorageClass", "STANDARD")) for o in page.get("Contents", [])
            ]
        if n % 24 == 0 and n < len(hours):  # a day of hours at a time: a long window says where it is
            out(f"  listing: {n}/{len(hours)} hours, {len(found)} objects so far")
    return found


def estimate(objects: list[Archived], prices: Prices, days: int) -> list[str]:
    """What a restore costs and takes, per tier; objects not archived need none."""
    by_class = Counter()
    size = Counter()
    for item in objects:
        by_class[item.storage_class] += 1
        size[item.storage_class] += item.size
    lines = [f"{len(objects)} objects, {sum(size.values()) / GIB:.3f} GiB: "
             + ", ".join(f"{by_class[c]} in {c} ({size[c] / GIB:.3f} GiB)" for c in sorted(by_class))]  # fmt: skip
    archived = [c for c in ARCHIVED if by_class[c]]
    if not archived:
        return [*lines, "nothing to restore: every object of the window is readable as it is"]
    for tier in TIERS:
        if any((c, tier) not in HOURS for c in archived):
            continue  # Deep Archive has no Expedited tier

        def cost(copy_days: int, tier: str = tier) -> float:
            return sum(restore_cost(size[c] / GIB, by_class[c], prices, storage_class=c, tier=tier.lower(),
                                    days=copy_days) for c in archived)  # fmt: skip

        copy = cost(days) - cost(0)
        cost_now = cost(0)
        took = " and ".join(HOURS[(c, tier)] for c in archived)
        lines.append(f"  {tier}: ${cost_now + copy:,.2f} (retrieval ${cost_now:,.2f}, restored copy for {days} days "
                     f"${copy:,.2f}), ready {took}")  # fmt: skip
    return lines


def restore(
    env: Environment,
    client: Callable[[str], Any],
    start: datetime,
    end: datetime,
    *,
    tier: str,
    days: int,
    prices: Prices,
    confirm: Callable[[str], bool],
    out: Callable[[str], None] = print,
    now: datetime | None = None,
) -> Counter:
    if tier not in TIERS:
        raise OperatorError(f"TIER: expected one of {', '.join(TIERS)}, got {tier!r}", 2)
    if not 1 <= days <= 30:
        raise OperatorError(f"DAYS: expected 1 to 30 days of restored copies, got {days}", 2)
    check_window(start, end, now or datetime.now(UTC))
    require_account(env, client)
    s3, bucket = client("s3"), env.names.archive_bucket
    objects = archived_objects(s3, bucket, start, end, out)
    for line in estimate(objects, prices, days):
        out(line)
    todo = [o for o in objects if o.storage_class in ARCHIVED]
    if tier == "Expedited" and any(o.storage_class == "DEEP_ARCHIVE" for o in todo):
        raise OperatorError("Deep Archive has no Expedited tier: use TIER=Standard or TIER=Bulk", 2)
    done: Counter = Counter()
    if not todo:
        return done
    if not confirm(f"Restore {len(todo)} objects with the {tier} tier for {days} days?"):
        out("nothing restored")
        return done
    for n, item in enumerate(todo, 1):
        state = restore_state(s3.head_object(Bucket=bucket, Key=item.key))
        if state == "not requested":
            s3.restore_object(Bucket=bucket, Key=item.key,
                              RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": tier}})  # fmt: skip
            state = "requested"
        done[state] += 1
        if n % 100 == 0 or n == len(todo):
            out(f"  {n}/{len(todo)}: " + ", ".join(f"{count} {what}" for what, count in sorted(done.items())))
    return done


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    from ops.recovery import require_order

    require_order(start, end)
    if start > now:
        raise OperatorError(f"FROM ({start:%Y-%m-%d %H:%M}) is in the future: nothing there to restore", 2)


def status(
    env: Environment, client: Callable[[str], Any], start: datetime, end: datetime, *,
    now: datetime | None = None, out: Callable[[str], None] = lambda _: None,
) -> Counter:  # fmt: skip
    check_window(start, end, now or datetime.now(UTC))
    s3, bucket = client("s3"), env.names.archive_bucket
    states: Counter = Counter()
    for item in archived_objects(s3, bucket, start, end, out):
        if item.storage_class not in ARCHIVED:
            states["readable (not archived)"] += 1
        else:
            states[restore_state(s3.head_object(Bucket=bucket, Key=item.key))] += 1
    return states


def restore_state(head: dict[str, Any]) -> str:
    """From S3's x-amz-restore header: ongoing-request="true" while it runs, then an expiry date."""
    header = head.get("Restore")
    if header is None:
        return "not requested"
    if 'ongoing-request="true"' in header:
        return "in progress"
    if 'ongoing-request="false"' in header:
        return "restored (readable)"
    return f"unknown (x-amz-restore: {header})"  # said as it is, never guessed
