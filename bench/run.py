#!/usr/bin/env python
"""Benchmark: wall time and peak memory of whole processes, as users run them.

Cases:
  synth        main.py over the example configuration (the fast provider import)
  synth-eager  the same with ARCHIVE_EAGER_PROVIDER_IMPORT=1 (the package __init__ imports every module)
  synth-cdktn  the same with CDK Terrain (ARCHIVE_ENGINE=cdktn, tools/cdktn/, `make cdktn`)
  ops-start    what make review and make verify load before they act: the operator commands and the
               configuration, and no jsii (the process fails if cdktf, constructs or jsii were imported)
  detections   make detections FILE=... ENV=prod: 10,000 Auth0 events (the sample events, repeated with new
               log ids over one day) through prod's live patterns and hunting queries, locally
  tests        the full offline test suite
  e2e          make e2e once (it takes minutes): init, apply, replan and operator-command time per stack,
               and the whole run against its 10-minute budget
  backfill     make backfill against the local Auth0 fake at a rate limit of 50 requests/s and 0, 100 and
               300 ms a request: the requests it makes per second, as a share of the limit (target 80%)

Each case runs once to warm up (disk cache, jsii package cache), then --runs
times; the median is reported. Peak memory is the largest sum of the resident
set sizes of the process and all its descendants (python and the jsii node
process), sampled from /proc every 20 ms. Writes bench/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
PAGE = os.sysconf("SC_PAGE_SIZE")

# Budgets from issue #3, checked on the medians.
SYNTH_SECONDS, SYNTH_MIB, SYNTH_RATIO, TESTS_SECONDS = 8.0, 800.0, 0.35, 90.0
E2E_SECONDS = 600.0  # issue #21: every shipped stack applied in under 10 minutes on 2 cores
BACKFILL_SHARE = 0.8  # issue #24: at least 80% of Auth0's rate limit at 100 ms a request
BACKFILL_RATE, BACKFILL_LATENCIES = 50, (0.0, 0.1, 0.3)


# The operator commands' start-up: everything make review and make verify import before they act.
OPS_START = (
    "import sys, ops.__main__, ops.review, ops.verify, ops.rollout\n"
    "from modules.contract.validation import config_path, load_config\n"
    "import os; load_config(config_path(os.environ))\n"
    "jsii = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'constructs', 'jsii'))\n"
    "sys.exit(f'jsii was loaded: {jsii}' if jsii else 0)\n"
)


def burst_file() -> Path:
    """10,000 partner events over one day: the sample events again and again, each with its own log id."""
    import json

    samples = [json.loads(p.read_text()) for p in sorted((ROOT / "ops" / "sample-events").glob("*.json"))]
    path = Path(tempfile.mkdtemp(prefix="bench-events-")) / "events.jsonl"
    with path.open("w") as out:
        for n in range(10_000):
            event = json.loads(json.dumps(samples[n % len(samples)]))
            event["detail"]["log_id"] = event["detail"]["data"]["log_id"] = f"bench{n:06d}"
            event["detail"]["data"]["date"] = f"2026-11-20T{n * 24 // 10_000:02d}:{n % 60:02d}:00.000Z"
            out.write(json.dumps(event) + "\n")
    return path


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    in_scratch_dir: bool = False  # main.py writes cdktf.out/ into its working directory


@dataclass
class Measurement:
    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_mib(self) -> float:
        return statistics.median(self.peak_mib)


def descendants_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            statm = Path(entry.path, "statm").read_text().split()
        except OSError:
            continue  # the process ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(statm[1]) * PAGE
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run_once(case: Case) -> tuple[float, float]:
    scratch = None
    cwd = ROOT
    if case.in_scratch_dir:
        scratch = Path(tempfile.mkdtemp(prefix="bench-"))
        shutil.copy(ROOT / "environments.toml", scratch / "environments.toml")
        cwd = scratch
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **case.env}
    start = time.perf_counter()
    process = subprocess.Popen(case.command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, descendants_rss(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    if process.returncode != 0:
        sys.exit(f"{case.name} failed with status {process.returncode}:\n{stderr[-2000:]}")
    return seconds, peak / 2**20


def measure(case: Case, runs: int) -> Measurement:
    print(f"{case.name}: warm-up", end="", flush=True)
    run_once(case)
    result = Measurement()
    for i in range(runs):
        seconds, mib = run_once(case)
        result.seconds.append(seconds)
        result.peak_mib.append(mib)
        print(f", run {i + 1}: {seconds:.1f} s {mib:.0f} MiB", end="", flush=True)
    print()
    return result


def measure_e2e() -> tuple[list[str], str]:
    """make e2e once, with its per-stack timings (python -m e2e --report)."""
    import json

    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "e2e.json"
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "e2e", "--report", str(report)], cwd=ROOT,
                                capture_output=True, text=True, check=False)  # fmt: skip
        seconds = time.monotonic() - started
        if result.returncode != 0:
            return [f"e2e failed (exit {result.returncode}): {result.stderr.strip().splitlines()[-1:]}"], "e2e: FAILED"
        stacks = json.loads(report.read_text())
    lines = [
        f"make e2e, once: {seconds:.0f} s for {len(stacks)} stacks (stacks of one configuration apply at once)",
        "",
        "| configuration | stack | resources | init (s) | apply (s) | replan (s) | operator commands (s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for stack in stacks:
        t = stack["seconds"]
        lines.append(
            f"| {stack['configuration']} | {stack['stack']} | {stack['resources']} | {t.get('init', 0):.1f} | "
            f"{t.get('apply', 0):.1f} | {t.get('replan', 0):.1f} | {t.get('operator commands', 0):.1f} |"
        )
    verdict = f"e2e {seconds:.0f} s (budget {E2E_SECONDS:.0f} s): " + ("ok" if seconds <= E2E_SECONDS else "OVER")
    return lines, verdict


def measure_backfill() -> tuple[list[str], list[str]]:
    """Backfill 20,000 logs (200 checkpoint pages) from the Auth0 fake at each latency; moto's S3 holds the
    archive in process. The share is requests per second over the stated limit."""
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime, timedelta

    import boto3
    from moto import mock_aws

    from modules.contract.validation import parse_config
    from ops.auth0_api import Auth0Api
    from ops.backfill import backfill, window_of
    from tests.fake_auth0 import CLIENT_SECRET, FakeAuth0
    from tests.helpers import OPERATOR_CONFIG

    env = parse_config(OPERATOR_CONFIG, "bench.toml").environment("dev")
    start = datetime(2026, 11, 20, tzinfo=UTC)
    logs = [{"log_id": f"900{n:053d}", "date": (start + timedelta(seconds=30 * n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
             "type": "s", "description": "event"} for n in range(20_000)]  # fmt: skip
    end = start + timedelta(seconds=30 * len(logs))
    lines = [
        f"make backfill against the local Auth0 fake, {len(logs)} logs, rate limit {BACKFILL_RATE} requests/s:",
        "",
        "| latency (ms) | shards | requests | seconds | requests/s | share of the limit | 429s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": env.aws_region}
    )
    for latency in BACKFILL_LATENCIES:
        with mock_aws(), FakeAuth0(logs) as fake:
            fake.rate_limit, fake.latency = BACKFILL_RATE, latency
            clients = {s: boto3.client(s, region_name=env.aws_region) for s in ("s3", "sts", "events")}
            clients["s3"].create_bucket(Bucket=env.names.archive_bucket)
            auth0 = Auth0Api(fake.url, "acme.auth0.com", {"client_id": "bench", "client_secret": CLIENT_SECRET},
                             out=lambda _: None)  # fmt: skip
            auth0.first_log()  # learns the limit, as the command's first call does
            fake.requests.clear()
            began = time.monotonic()
            tally = backfill(env, clients.__getitem__, auth0, window_of(start.isoformat(), end.isoformat(), end),
                             out=lambda _: None)  # fmt: skip
            seconds = time.monotonic() - began
        requests = len(fake.requests)
        share = requests / seconds / BACKFILL_RATE
        from ops.backfill import shard_count

        lines.append(f"| {latency * 1000:.0f} | {shard_count(BACKFILL_RATE)} | {requests} | {seconds:.1f} | "
                     f"{requests / seconds:.1f} | {share:.0%} | {fake.limited} |")  # fmt: skip
        assert sum(tally.written.values()) == len(logs), "the bench's backfill lost logs"
        if latency == 0.1:
            verdicts.append(f"backfill at 100 ms: {share:.0%} of the rate limit (target {BACKFILL_SHARE:.0%}): "
                            + ("ok" if share >= BACKFILL_SHARE else "UNDER"))  # fmt: skip
    return lines, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="measured runs per case after the warm-up (default 3)")
    parser.add_argument(
        "--only",
        choices=["synth", "synth-eager", "synth-cdktn", "ops-start", "detections", "tests", "e2e", "backfill"],
        action="append",
        help="measure only these cases (repeatable)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python = sys.executable
    cases = [
        Case(
            "synth",
            "synthesize 3 environments (fast provider import)",
            [python, str(ROOT / "main.py")],
            in_scratch_dir=True,
        ),
        Case(
            "synth-eager",
            "the same, ARCHIVE_EAGER_PROVIDER_IMPORT=1",
            [python, str(ROOT / "main.py")],
            env={"ARCHIVE_EAGER_PROVIDER_IMPORT": "1"},
            in_scratch_dir=True,
        ),
        Case(
            "synth-cdktn",
            "the same with CDK Terrain (ARCHIVE_ENGINE=cdktn)",
            [str(ROOT / "tools" / "cdktn" / ".venv" / "bin" / "python"), str(ROOT / "main.py")],
            env={"ARCHIVE_ENGINE": "cdktn", "PYTHONPATH": str(ROOT)},
            in_scratch_dir=True,
        ),
        Case(
            "ops-start",
            "make review / make verify start-up: ops and the configuration, no jsii",
            [python, "-c", OPS_START],
        ),
        Case(
            "detections",
            "make detections FILE=<10,000 events> ENV=prod: prod's 31 rules, locally",
            [python, "-m", "ops", "detections", "test", str(burst_file()), "--env", "prod"],
        ),
        Case(
            "tests",
            "full offline test suite",
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            env={"ARCHIVE_ENGINE": "cdktf"},
        ),
    ]
    cases = [c for c in cases if not args.only or c.name in args.only]
    results = {case.name: measure(case, args.runs) for case in cases}

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"Node {subprocess.run(['node', '--version'], capture_output=True, text=True, check=False).stdout.strip()}. "
        f"Median of {args.runs} runs after one warm-up; peak RSS summed over the process tree.",
        "",
        "| case | what | median wall (s) | median peak RSS (MiB) | runs (s) |",
        "|---|---|---:|---:|---|",
    ]
    for case in cases:
        m = results[case.name]
        runs = ", ".join(f"{s:.1f}" for s in m.seconds)
        lines.append(f"| {case.name} | {case.what} | {m.median_seconds:.1f} | {m.median_mib:.0f} | {runs} |")
    verdicts = []
    if "synth" in results:
        synth = results["synth"]
        verdicts.append(
            f"synth {synth.median_seconds:.1f} s (budget {SYNTH_SECONDS:.0f} s): "
            + ("ok" if synth.median_seconds <= SYNTH_SECONDS else "OVER")
        )
        verdicts.append(
            f"synth peak {synth.median_mib:.0f} MiB (budget {SYNTH_MIB:.0f} MB): "
            + ("ok" if synth.median_mib * 1.048576 <= SYNTH_MIB else "OVER")
        )
        if "synth-eager" in results:
            ratio = synth.median_seconds / results["synth-eager"].median_seconds
            verdicts.append(
                f"ratio synth / synth-eager = {ratio:.2f} (budget {SYNTH_RATIO}): "
                + ("ok" if ratio <= SYNTH_RATIO else "OVER")
            )
    if "tests" in results:
        tests = results["tests"].median_seconds
        verdicts.append(
            f"tests {tests:.1f} s (budget {TESTS_SECONDS:.0f} s): " + ("ok" if tests <= TESTS_SECONDS else "OVER")
        )
    if not args.only or "backfill" in args.only:
        backfill_lines, backfill_verdicts = measure_backfill()
        lines += ["", *backfill_lines]
        verdicts += backfill_verdicts
    if not args.only or "e2e" in args.only:
        e2e_lines, e2e_verdict = measure_e2e()
        lines += ["", *e2e_lines]
        verdicts.append(e2e_verdict)
    lines += ["", *[f"- {v}" for v in verdicts], ""]
    text = "\n".join(lines)
    print(text)
    RESULTS.write_text(text)
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
