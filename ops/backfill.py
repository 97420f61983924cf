"""``make backfill``: copy into the archive the Auth0 logs it is missing, from what Auth0 still holds.

For a window (FROM: a date, a time or a log id; TO: a time, by default now) it reads Auth0's logs by
checkpoint (ops/auth0_api.py), compares their log ids with those already archived in each event hour,
and writes exactly the missing ones as the stream would have: the EventBridge envelope ("Auth0 log",
``detail.log_id``, ``detail.data`` the log, the environment's partner source), gzip NDJSON under
``logs/YYYY/MM/DD/HH/`` of the hour the event happened, in objects named ``backfill-<first>-<last>.gz``.

- ``DRY_RUN=1`` writes nothing and prints, per day, "Auth0 N, archived M, missing K".
- Safe to re-run and to interrupt: an event already archived is never written again (nor twice in a
  run, when Auth0 repeats one), object names come from their content, and a checkpoint in the bucket
  (``backfill/checkpoints/<env>/``) resumes a broken run. The checkpoint belongs to the job (environment,
  tenant, FROM) and keeps the end the first run resolved, so a run without TO resumes too; a run that
  reaches the end of its window removes it, and a run lists the other unfinished jobs it finds.
- It reads from ten minutes before FROM, since Auth0's log ids are not quite in date order.
- A checkpoint read that stops before the end of the window while Auth0 still holds later logs (its log
  store lagging) is asked again, then reported as a gap, with a non-zero exit: never as success.
- An archive object it cannot read (not gzip, a line cut short) is reported and its events count as
  missing; an answer of Auth0's that is not JSON is asked again, then stops the run, resumable.
- It shows progress on every page (logs read, rate, how far through the window, what it waits for) and
  checks that the AWS credentials are for the environment's account before writing anything.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import threading
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from modules.contract.naming import BACKFILL_MARK, LOG_PREFIX, event_hour
from modules.contract.settings import Environment
from ops import auth0_events
from ops.auth0_api import Auth0Api
from ops.common import OperatorError, partner_bus, require_account

LOG_ID = re.compile(r"[0-9a-f]{20,64}", re.ASCII)
CHECKPOINTS = "backfill/checkpoints/"
# Auth0 orders checkpoint pages by log_id, not by date: keep reading this far past TO before stopping.
PAST_THE_END = timedelta(minutes=10)


# Asked again this many times, a while apart, before a read that stopped early is called a gap.
GAP_RETRIES = 3
GAP_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class Window:
    start: datetime | None  # None: from the first log given by ``after``
    after: str | None  # a log id to start after (exclusive, as Auth0's checkpoint is)
    end: datetime
    end_given: bool = True  # False: TO was not given, the end is "now" (or a resumed job's end)

    def job(self, env_name: str, tenant: str) -> str:
        """What identifies the job: the environment, the tenant and FROM (not TO, which defaults to now)."""
        text = f"{env_name}|{tenant}|{self.start.isoformat() if self.start else ''}|{self.after or ''}"
        return f"{CHECKPOINTS}{env_name}/{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"


@dataclass
class Tally:
    """Per day: logs Auth0 holds in the window, of those already archived, written now; and for the run:
    logs Auth0 gave twice, logs outside the window."""

    auth0: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    archived: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: int = 0
    outside: int = 0
    pages: int = 0

    def lines(self, dry_run: bool) -> list[str]:
        lines = []
        for day in sorted(self.auth0):
            missing = self.auth0[day] - self.archived[day]
            done = "" if dry_run else f", written {self.written[day]}"
            lines.append(f"{day}: Auth0 {self.auth0[day]}, archived {self.archived[day]}, missing {missing}{done}")
        return lines

    def summary(self, dry_run: bool) -> str:
        written = "nothing written (dry run)" if dry_run else f"written {sum(self.written.values())}"
        return (f"{written}, already archived {sum(self.archived.values())}, given twice by Auth0 "
                f"{self.duplicates}, outside the window {self.outside}, in {self.pages} pages")  # fmt: skip


def window_of(start: str | None, end: str | None, now: datetime) -> Window:
    """FROM (a date, a time or a log id) and TO (a time; default now) as a window."""
    from ops.recovery import parse_moment, require_order

    stop = parse_moment(end, "TO") if end else now
    if start and LOG_ID.fullmatch(start):
        return Window(None, start, stop, end is not None)
    begin = parse_moment(start, "FROM") if start else None
    if begin is not None:
        require_order(begin, stop)
    return Window(begin, None, stop, end is not None)


def envelope(log: dict[str, Any], env: Environment, source: str) -> dict[str, Any]:
    """The EventBridge event the Auth0 stream would have delivered for ``log``."""
    return auth0_events.envelope(
        source,
        log,
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"auth0-log:{log['log_id']}")),  # the same on every run
        account=env.aws_account_id,
        region=env.aws_region,
        time=log.get("date", ""),
    )


class Archive:
    """The log ids already archived, hour by hour, and the writing of new objects."""

    def __init__(self, s3: Any, bucket: str, out: Callable[[str], None]) -> None:
        self.s3, self.bucket, self.out = s3, bucket, out
        self._ids: dict[str, set[str]] = {}

    def ids(self, hour: str) -> set[str]:
        if hour not in self._ids:
            found: set[str] = set()
            prefix = f"{LOG_PREFIX}{hour}/"
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found |= self._read_ids(item["Key"])
            self._ids[hour] = found
        return self._ids[hour]

    def _read_ids(self, key: str) -> set[str]:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidObjectState":
                self.out(f"  {key} is archived in Glacier: its events count as missing (the view reads each once)")
                return set()
            raise
        try:
            text = gzip.decompress(body).decode()
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            self.out(f"  warning: {key} is not a readable gzip object ({error}): its events count as missing")
            return set()
        ids, cut = set(), 0
        for line in text.splitlines():
            if line.strip():
                try:
                    ids.add(json.loads(line).get("detail", {}).get("log_id"))
                except (ValueError, AttributeError):
                    cut += 1
        if cut:
            self.out(f"  warning: {key} has {cut} line(s) no JSON reader can read: those events count as missing")
        return ids

    def write(self, hour: str, events: list[dict[str, Any]]) -> str:
        first, last = events[0]["detail"]["log_id"], events[-1]["detail"]["log_id"]
        key = f"{LOG_PREFIX}{hour}/{BACKFILL_MARK}-{first}-{last}.gz"
        body = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(body.encode(), mtime=0))
        self._ids.setdefault(hour, set()).update(e["detail"]["log_id"] for e in events)
        return key

    def checkpoint(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        try:
            found = json.loads(body)
        except ValueError:
            self.out(f"  warning: the checkpoint {key} is not readable: starting the window from its beginning")
            return None
        return found if isinstance(found, dict) and isinstance(found.get("shards"), list) else None

    def others(self, env_name: str, key: str) -> list[dict[str, Any]]:
        """The environment's other unfinished jobs (a checkpoint each)."""
        found = []
        prefix = f"{CHECKPOINTS}{env_name}/"
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if item["Key"] != key and (checkpoint := self.checkpoint(item["Key"])):
                    found.append(checkpoint)
        return found

    def drop_checkpoint(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def save_checkpoint(self, key: str, state: dict[str, Any]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(state).encode())


@dataclass
class Shard:
    """A slice of the window's time, read on its own: from its own search, by checkpoint pages, to its end."""

    start: datetime | None  # None: the window is given by a log id (one shard, from ``after``)
    end: datetime
    after: str | None = None  # the last log id read (a resumed shard reads after it)
    last_date: str = ""
    done: bool = False

    def owns(self, log: dict[str, Any]) -> bool:
        return _between(log, self.start, self.end)

    def state(self) -> dict[str, Any]:
        return {"start": _iso(self.start) if self.start else None, "end": _iso(self.end), "after": self.after,
                "last_date": self.last_date, "done": self.done}  # fmt: skip

    @classmethod
    def of(cls, state: dict[str, Any]) -> Shard:
        return cls(_moment(state["start"]) if state.get("start") else None, _moment(state["end"]), state.get("after"),
                   state.get("last_date") or "", bool(state.get("done")))  # fmt: skip


def shards_of(window: Window, start: datetime | None, count: int) -> list[Shard]:
    """``count`` slices of equal time (whole minutes), or one shard from a log id."""
    if window.after or start is None:
        return [Shard(None, window.end, window.after)]
    step = max((window.end - start) / count, timedelta(minutes=1))
    cuts = [start + step * n for n in range(count) if start + step * n < window.end]
    cuts = [c.replace(second=0, microsecond=0) if n else c for n, c in enumerate(cuts)]
    return [Shard(a, b) for a, b in zip(cuts, [*cuts[1:], window.end], strict=True)]


@dataclass
class Job:
    """One run of a backfill: what it files, where, and what it has seen; shared by the shards' threads."""

    env: Environment
    source: str
    archive: Archive
    window: Window
    dry_run: bool
    key: str
    shards: list[Shard] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def take(self, shard: Shard, page: list[dict[str, Any]]) -> None:
        """File the logs of the page that are the shard's own (a neighbour reads the others)."""
        with self.lock:
            self.tally.pages += 1
            fresh = []
            for log in page:
                if not shard.owns(log):
                    if not _in(log, self.window) and log["log_id"] not in self.seen:
                        self.seen.add(log["log_id"])
                        self.tally.outside += 1
                    continue
                if log["log_id"] in self.seen:
                    self.tally.duplicates += 1
                    continue
                self.seen.add(log["log_id"])
                fresh.append(log)
            _file(fresh, self.env, self.source, self.archive, self.tally, dry_run=self.dry_run)

    def save(self) -> None:
        if self.dry_run:
            return
        with self.lock:
            state = {"from": self.window.start.isoformat() if self.window.start else self.window.after,
                     "end": self.window.end.isoformat(), "shards": [s.state() for s in self.shards]}  # fmt: skip
            self.archive.save_checkpoint(self.key, state)


def backfill(
    env: Environment,
    client: Callable[[str], Any],
    auth0: Auth0Api,
    window: Window,
    *,
    dry_run: bool = False,
    out: Callable[[str], None] = print,
    gap_wait_seconds: float = GAP_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    shards: int | None = None,
) -> Tally:
    """Backfill ``window``; ``shards`` slices of its time are read at once, within Auth0's rate limit (by
    default as many as the limit and the latency keep busy, MAX_SHARDS at most)."""
    require_account(env, client)
    archive = Archive(client("s3"), env.names.archive_bucket, out)
    key = window.job(env.name, auth0.domain)
    stored = None if dry_run else archive.checkpoint(key)
    if stored and not window.end_given:
        window = replace(window, end=_moment(stored["end"]))  # the job's own end, not a new "now"
    for other in [] if dry_run else archive.others(env.name, key):
        out(f"note: an unfinished backfill from {other.get('from')} to {other.get('end')} stopped: run it again "
            "with that FROM to finish it")  # fmt: skip
    job = Job(env, partner_bus(env, client("events")), archive, window, dry_run, key)
    oldest = auth0.first_log()  # also tells the tenant's rate limit (x-ratelimit-limit)
    if oldest is None:
        out("Auth0 holds no logs: nothing to backfill")
        return job.tally
    if window.start is not None and _moment(oldest["date"]) > window.start:
        out(f"warning: Auth0 holds logs from {oldest['date']} on; those between {window.start:%Y-%m-%d %H:%M} and "
            "then are gone from Auth0 (its retention is 1 to 30 days, by plan)")  # fmt: skip
    if stored:
        job.shards = [Shard.of(s) for s in stored["shards"]]
        out(f"resuming {sum(not s.done for s in job.shards)} of {len(job.shards)} shards of this job "
            f"(a checkpoint of an earlier run, to {window.end:%Y-%m-%d %H:%M})")  # fmt: skip
    else:
        begin = window.start or (None if window.after else _moment(oldest["date"]))
        job.shards = shards_of(window, begin, shards or shard_count(auth0.rate.per_second))
    progress = Progress(window, out)
    todo = [s for s in job.shards if not s.done]
    with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
        futures = [pool.submit(_read_shard, auth0, job, shard, progress=progress, out=out,
                               wait=lambda: sleep(gap_wait_seconds)) for shard in todo]  # fmt: skip
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            out(f"interrupted: {job.tally.summary(dry_run)}; the checkpoint keeps each shard's place: run the same "
                "command again to resume")  # fmt: skip
            raise
        finally:
            job.stop.set()  # a failed shard stops the others at their next page; each has saved its place
    if not dry_run:
        archive.drop_checkpoint(key)  # done: a later run of this job checks it all again
    for line in job.tally.lines(dry_run):
        out(line)
    out(job.tally.summary(dry_run))
    return job.tally


# Enough shards to keep Auth0's rate limit busy at 300 ms a request, no more than this many threads.
MAX_SHARDS = 16
LATENCY_ALLOWED = 0.3


def shard_count(per_second: float) -> int:
    return max(1, min(MAX_SHARDS, math.ceil(per_second * LATENCY_ALLOWED * 1.25)))


def _read_shard(
    auth0: Auth0Api, job: Job, shard: Shard, *, progress: Progress, out: Callable[[str], None],
    wait: Callable[[], None],
) -> None:  # fmt: skip
    """The shard's checkpoint pages to its end; a read that stops early is asked again, then a gap."""
    if shard.after is None and shard.start is not None:
        # From a little before its start: log ids are not quite in date order around it.
        first = auth0.first_log(_iso(shard.start - PAST_THE_END))
        if first is None:
            shard.done = True
            return
        job.take(shard, [first])  # checkpoint pages start after a log: the first one comes from a search
        shard.after, shard.last_date = first["log_id"], first["date"]
    retries = 0
    while not job.stop.is_set():
        for page in auth0.logs_after(shard.after):
            retries = 0
            job.take(shard, page)
            shard.after, shard.last_date = page[-1]["log_id"], max(shard.last_date, *(log["date"] for log in page))
            job.save()
            progress.page(job)
            if job.stop.is_set():
                return
            if all(_moment(log["date"]) >= shard.end + PAST_THE_END for log in page):
                break
        else:
            # Auth0 had nothing after the shard's last log: caught up, or its log store lags behind?
            if shard.last_date and _moment(shard.last_date) < shard.end:
                later = auth0.first_log_between(shard.last_date, _iso(shard.end))
                if later is not None and later["log_id"] not in job.seen:
                    if retries == GAP_RETRIES:
                        raise OperatorError(
                            f"Auth0 gave no logs after {shard.after} ({shard.last_date}), yet holds logs up to at "
                            f"least {later['date']} in the window: a gap from {shard.last_date} to {_iso(shard.end)} "
                            "is not backfilled. Run again later: it resumes from its checkpoint",
                            1,
                        )
                    retries += 1
                    out(f"  Auth0 gave nothing after {shard.last_date} but holds later logs: asking again shortly "
                        f"({retries} of {GAP_RETRIES})")  # fmt: skip
                    wait()
                    continue
        shard.done = True
        job.save()
        return


class Progress:
    """A line per page: logs read, the rate, how much of the window's time is read, and when it should end."""

    def __init__(self, window: Window, out: Callable[[str], None]) -> None:
        self.window, self.out, self.started = window, out, time.monotonic()
        self.lock = threading.Lock()

    def page(self, job: Job) -> None:
        with self.lock:
            tally = job.tally
            read = sum(tally.auth0.values()) + tally.outside + tally.duplicates
            elapsed = max(time.monotonic() - self.started, 1e-6)
            share = sum(_covered(s) for s in job.shards) / max(sum(_span(s) for s in job.shards), 1e-6)
            eta = f", about {elapsed / share * (1 - share):.0f} s to go" if 0 < share < 1 else ""
            self.out(f"  page {tally.pages}: {read} logs read ({read / elapsed:.0f}/s, {tally.pages / elapsed:.1f} "
                     f"requests/s), {share:.0%} of the window{eta}; missing {_missing(tally)}")  # fmt: skip


def _span(shard: Shard) -> float:
    return (shard.end - shard.start).total_seconds() if shard.start else 1.0


def _covered(shard: Shard) -> float:
    if shard.done:
        return _span(shard)
    if not shard.last_date or shard.start is None:
        return 0.0
    return min(_span(shard), max(0.0, (_moment(shard.last_date) - shard.start).total_seconds()))


def _file(
    logs: Iterable[dict], env: Environment, source: str, archive: Archive, tally: Tally, *, dry_run: bool
) -> None:
    new: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for log in logs:
        hour, day = event_hour(log["date"]), log["date"][:10]
        tally.auth0[day] += 1
        if log["log_id"] in archive.ids(hour):
            tally.archived[day] += 1
        else:
            new[hour].append(envelope(log, env, source))
    for hour, events in sorted(new.items()):
        if not dry_run:
            archive.write(hour, events)
        for event in events:
            tally.written[event["time"][:10]] += 0 if dry_run else 1


def _missing(tally: Tally) -> int:
    return sum(tally.auth0.values()) - sum(tally.archived.values())


def _in(log: dict[str, Any], window: Window) -> bool:
    return _between(log, window.start, window.end)


def _between(log: dict[str, Any], start: datetime | None, end: datetime) -> bool:
    """Dated in [start, end); no start: anything before end."""
    moment = _moment(log["date"])
    return (start is None or moment >= start) and moment < end


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
