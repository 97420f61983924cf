"""``make cost`` (python -m ops cost): what each environment costs per month, part by part, against the
original console setup, as tables and optionally a plot. The model is ops/cost_model.py.

Bytes per event and the compression ratio come from ops/event-profile.json, measured on real events
(python -m ops.auth0_events); prices from ops/prices.toml, each with its source and the day it was read.
``--docs FILE`` rewrites the generated figures in FILE (docs/cost.md): nothing there is typed by hand.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from modules.contract import naming
from modules.contract.detections import for_environment
from ops.cost_model import (
    GIB,
    MONTHS,
    Estimate,
    MissingPrice,
    Prices,
    athena_query_at_the_limit,
    baseline_of,
    crossing_month,
    estimate,
    pipeline_of,
    restore_cost,
)

ALARMS = len(naming.ALARM_SUFFIXES)
KEYS = 2  # the archive key and the alarm topic's key
COLUMNS = (0, 11, MONTHS - 1)
DOCS_EVENTS_PER_DAY = 1_000_000
HOURS_PER_MONTH = 730
ATHENA_MINIMUM_BYTES = 10 * 10**6  # Athena bills at least 10 MB a query
DOCS_ENVIRONMENT = "prod"


def money(value: float) -> str:
    return f"${value:,.2f}"


def table(title: str, result: Estimate, columns: Sequence[int] = COLUMNS) -> list[str]:
    lines = [title, f"  {'part':46}" + "".join(f"{f'month {m + 1}':>12}" for m in columns)]
    for line in result.lines:
        lines.append(f"  {line.name:46}" + "".join(f"{money(line.monthly[m]):>12}" for m in columns))
    lines.append(f"  {'total per month':46}" + "".join(f"{money(result.total(m)):>12}" for m in columns))
    stored = {cls: gib[columns[-1]] for cls, gib in result.stored_gib.items()}
    lines.append(f"  stored at month {columns[-1] + 1}: "
                 + ", ".join(f"{cls} {gib:,.1f} GiB" for cls, gib in stored.items()))  # fmt: skip
    return lines


def detections_line(env: Any, detections: Any, ours: Any, prices: Prices) -> str:
    """What the detections cost: an alarm per live rule; a hunting query what it scans when it runs, and with
    hunting_every_hours, the runs of a month (Step Functions' transitions, Athena's scans, 10 MB at least)."""
    if not detections.detections:
        return "  Detections: none run here (detections = [])."
    live = len(detections.live)
    hunting = len(detections.hunting)
    day_bytes = ours.raw_bytes_per_day * ours.compressed_ratio
    text = (
        f"  Detections: {live} live (their EventBridge rules cost nothing; an alarm each, "
        f"{money(live * prices['cloudwatch_alarm_per_month'])}/month, in the alarms above) and {hunting} hunting; "
        f"a hunting query over 24 hours reads about {day_bytes / 2**20:,.1f} MiB "
        f"({money(max(day_bytes, ATHENA_MINIMUM_BYTES) / 2**40 * prices['athena_per_tib_scanned'])})."
    )
    if env.hunting_every_hours and hunting:
        runs = HOURS_PER_MONTH / env.hunting_every_hours
        scanned = max(day_bytes * env.hunting_every_hours / 24, ATHENA_MINIMUM_BYTES) * hunting * runs
        transitions = runs * (2 + 4 * hunting)  # Queries, EachQuery; Run, Results, Found, Tell or Nothing each
        athena = scanned / 2**40 * prices["athena_per_tib_scanned"]
        steps = transitions / 1000 * prices["stepfunctions_per_1000_transitions"]
        text += (
            f" Running them every {env.hunting_every_hours} h: {runs:,.0f} runs a month, "
            f"{money(athena)} of Athena scans and {money(steps)} of Step Functions transitions "
            f"(before its free 4,000), {money(athena + steps + prices['cloudwatch_alarm_per_month'])}/month with "
            "its alarm."
        )
    return text


def report(env: Any, events_per_day: float, profile: dict[str, Any]) -> tuple[list[str], Estimate, Estimate]:
    prices = Prices(env.aws_region)
    detections = for_environment(env)
    live = len(detections.live)
    ours = pipeline_of(env, events_per_day, profile, alarms=ALARMS + live, keys=KEYS,
                       transition_minimum_kib=prices.rules["transition_minimum_kib"])  # fmt: skip
    mine, baseline = estimate(ours, prices), estimate(baseline_of(ours), prices)
    last = MONTHS - 1
    crossing = crossing_month(ours, prices)
    half = estimate(replace(ours, bytes_per_event=ours.bytes_per_event / 2), prices).total(last)
    double = estimate(replace(ours, bytes_per_event=ours.bytes_per_event * 2), prices).total(last)
    first_year = sum(mine.total(m) for m in range(12))
    partitioning = sum(mine.of("Firehose", i)[last] for i in ("dynamic partitioning (event time)",
                                                              "dynamic partitioning objects"))  # fmt: skip
    month_gib = ours.raw_bytes_per_day * ours.compressed_ratio * 30 / GIB

    def restore(tier: str) -> float:
        objects = ours.objects_per_day() * 30
        return restore_cost(month_gib, objects, prices, storage_class="GLACIER", tier=tier.lower(), days=7)

    read_on = sorted({s["read_on"] for s in prices.sources.values()})
    lines = [
        f"{env.stack_name} ({env.aws_region}, prices read {read_on[0]} to {read_on[-1]}): {events_per_day:,.0f} "
        f"events/day, {ours.bytes_per_event:,.0f} bytes/event, gzip to {ours.compressed_ratio:.1%}, "
        f"objects of {ours.object_kib():,.0f} KiB",
        *table("This configuration:", mine),
        *table(
            "Baseline, the console setup (uncompressed, 5 MiB/300 s, Glacier after 90 days, never expires):", baseline
        ),
        f"  A year of logs costs {money(first_year)} in the first 12 months. At month {MONTHS}: "
        f"{money(mine.total(last))}/month here, {money(baseline.total(last))}/month for the baseline.",
        "  The baseline costs more every month from month "
        + (f"{crossing} on." if crossing else "… never, within 10 years.")
        + " It keeps every event for ever, which a GDPR retention limit forbids.",
        f"  Filing events by event time (Firehose dynamic partitioning) costs {money(partitioning)}/month of that.",
        f"  At half the bytes per event: {money(half)}/month at month {MONTHS}; at double: {money(double)}/month.",
        f"  Athena: a query stopped at the workgroup's limit ({env.athena_scan_limit_mib:,} MiB) costs "
        f"{money(athena_query_at_the_limit(env.athena_scan_limit_mib, prices))}; a 24-hour query reads about "
        f"{ours.raw_bytes_per_day * ours.compressed_ratio / 2**20:,.1f} MiB.",
        detections_line(env, detections, ours, prices),
        "  Restoring 30 days from Glacier for 7 days (make restore): "
        + ", ".join(f"{tier} {money(restore(tier))}" for tier in ("Bulk", "Standard", "Expedited"))
        + ".",
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
        stored.stackplot(months, *mine.stored_gib.values(), labels=list(mine.stored_gib))
        stored.plot(months, [sum(v[m] for v in baseline.stored_gib.values()) for m in range(MONTHS)], "k--",
                    label="baseline, all classes")  # fmt: skip
        stored.set(title=f"{name}: stored GiB per class", xlabel="month", ylabel="GiB")
        stored.legend(loc="upper left", fontsize="small")
        s3 = [line for line in mine.lines if line.part == "S3" and line.item != "PUT requests"]
        cost.stackplot(months, *[line.monthly for line in s3], labels=[line.name for line in s3])
        base = [line for line in baseline.lines if line.part == "S3" and line.item != "PUT requests"]
        cost.plot(months, [sum(line.monthly[m] for line in base) for m in range(MONTHS)], "k--",
                  label="baseline, storage and transitions")  # fmt: skip
        cost.set(title=f"{name}: S3 cost per month by class", xlabel="month", ylabel="USD")
        cost.legend(loc="upper left", fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def docs_figures() -> str:
    """The figures docs/cost.md shows: prod of the example configuration at a million events a day."""
    from modules.contract.validation import load_config
    from ops.auth0_events import load_profile
    from ops.common import ROOT

    env = load_config(ROOT / "environments.toml").environment(DOCS_ENVIRONMENT)
    lines, _, _ = report(env, DOCS_EVENTS_PER_DAY, load_profile())
    return "```\n" + "\n".join(lines).rstrip() + "\n```"


FIGURES = re.compile(
    r"(<!-- cost figures: generated by make docs from ops/cost.py -->\n).*?(\n<!-- end of cost figures -->)", re.DOTALL
)


def with_figures(text: str) -> str:
    return FIGURES.sub(lambda match: match[1] + docs_figures() + match[2], text)


def main(argv: list[str] | None = None) -> int:
    from modules.contract.validation import ConfigError, config_path, load_config
    from ops.auth0_events import load_profile

    parser = argparse.ArgumentParser(prog="make cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--events-per-day", type=float, default=100_000,
                        help="Auth0 log events per day (default: 100,000)")  # fmt: skip
    parser.add_argument("--env", help="only this environment (default: every one)")
    parser.add_argument("--plot", type=Path, help="also draw stored GiB and monthly cost per class to this PNG")
    parser.add_argument("--docs", type=Path, help="rewrite the generated figures in this Markdown file")
    args = parser.parse_args(argv)
    if args.docs is not None:
        args.docs.write_text(with_figures(args.docs.read_text()))
        return 0
    if not math.isfinite(args.events_per_day) or args.events_per_day <= 0:
        parser.error(f"--events-per-day: expected a positive number, got {args.events_per_day:g}")
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"--plot: expected a .png file name, got {args.plot}")
    if args.plot is not None and not args.plot.resolve().parent.is_dir():
        parser.error(f"--plot: the folder {args.plot.parent} does not exist")
    try:
        config = load_config(config_path(os.environ))
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    envs = [e for e in config.environments if args.env in (None, e.name)]
    if not envs:
        parser.error(f"--env: no environment {args.env!r} in {config.source}")
    results = {}
    for env in envs:
        try:
            lines, mine, baseline = report(env, args.events_per_day, load_profile())
        except MissingPrice as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("\n".join(lines))
        results[env.stack_name] = (mine, baseline)
    if args.plot is not None:
        plot(args.plot, results)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
