"""``make backfill``: copy into the archive the Auth0 logs it is missing, from what Auth0 still holds.

For a window (FROM: a date, a time or a log id; TO: a time, by default now) it reads Auth0's logs by
checkpoint (ops/auth0_api.py), compares their log ids with those already archived in each event hour,
and writes exactly the missing ones as the stream would have: the EventBridge envelope ("Auth0 log",
``detail.log_id``, ``detail.data`` the log, the environment's partner source), gzip NDJSON under
``logs/YYYY/MM/DD/HH/`` of the hour the event happened, in objects named ``backfill-<first>-<last>.gz``.

- ``DRY_RUN=1`` writes nothing and prints, per day, "Auth0 N, archived M, missing K".
- Safe to re-run and to interrupt: an event already archived is never written again, object names come
  from their content, and a checkpoint in the bucket (``backfill/checkpoints/``) resumes a broken run
  (a run that reaches the end of its window removes it).
- It checks that the AWS credentials are for the environment's account before writing anything.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from modules.contract.naming import BACKFILL_MARK, LOG_PREFIX, event_hour
from modules.contract.settings import Environment
from ops import auth0_events
from ops.auth0_api import Auth0Api
from ops.common import OperatorError, partner_bus

LOG_ID = re.compile(r"[0-9a-f]{20,64}", re.ASCII)
CHECKPOINTS = "backfill/checkpoints/"
# Auth0 orders checkpoint pages by log_id, not by date: keep reading this far past TO before stopping.
PAST_THE_END = timedelta(minutes=10)


@dataclass(frozen=True)
class Window:
    start: datetime | None  # None: from the first log given by ``after``
    after: str | None  # a log id to start after (exclusive, as Auth0's checkpoint is)
    end: datetime

    @property
    def key(self) -> str:
        text = f"{self.start.isoformat() if self.start else ''}|{self.after or ''}|{self.end.isoformat()}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Tally:
    """Per day: logs Auth0 holds in the window, of those already archived, written now."""

    auth0: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    archived: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def lines(self, dry_run: bool) -> list[str]:
        lines = []
        for day in sorted(self.auth0):
            missing = self.auth0[day] - self.archived[day]
            done = "" if dry_run else f", written {self.written[day]}"
            lines.append(f"{day}: Auth0 {self.auth0[day]}, archived {self.archived[day]}, missing {missing}{done}")
        return lines


def window_of(start: str | None, end: str | None, now: datetime) -> Window:
    """FROM (a date, a time or a log id) and TO (a time; default now) as a window."""
    from ops.recovery import parse_moment

    stop = parse_moment(end, "TO") if end else now
    if start and LOG_ID.fullmatch(start):
        return Window(None, start, stop)
    begin = parse_moment(start, "FROM") if start else None
    if begin is not None and begin >= stop:
        raise OperatorError(f"FROM ({begin:%Y-%m-%d %H:%M}) must be before TO ({stop:%Y-%m-%d %H:%M})", 2)
    return Window(begin, None, stop)


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
        ids = set()
        for line in gzip.decompress(body).decode().splitlines():
            if line.strip():
                ids.add(json.loads(line).get("detail", {}).get("log_id"))
        return ids

    def write(self, hour: str, events: list[dict[str, Any]]) -> str:
        first, last = events[0]["detail"]["log_id"], events[-1]["detail"]["log_id"]
        key = f"{LOG_PREFIX}{hour}/{BACKFILL_MARK}-{first}-{last}.gz"
        body = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(body.encode(), mtime=0))
        self._ids.setdefault(hour, set()).update(e["detail"]["log_id"] for e in events)
        return key

    def checkpoint(self, window: Window) -> str | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=f"{CHECKPOINTS}{window.key}.json")["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return json.loads(body)["after"]

    def drop_checkpoint(self, window: Window) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=f"{CHECKPOINTS}{window.key}.json")

    def save_checkpoint(self, window: Window, after: str) -> None:
        body = json.dumps({"after": after, "window": [str(window.start), window.after, str(window.end)]})
        self.s3.put_object(Bucket=self.bucket, Key=f"{CHECKPOINTS}{window.key}.json", Body=body.encode())


def backfill(
    env: Environment,
    client: Callable[[str], Any],
    auth0: Auth0Api,
    window: Window,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    out: Callable[[str], None] = print,
) -> Tally:
    now = now or datetime.now(UTC)
    account = client("sts").get_caller_identity()["Account"]
    if account != env.aws_account_id:
        raise OperatorError(f"the AWS credentials are for account {account}; {env.name} is {env.aws_account_id}")
    source = partner_bus(env, client("events"))
    archive = Archive(client("s3"), env.names.archive_bucket, out)
    oldest = auth0.first_log()
    if oldest is None:
        out("Auth0 holds no logs: nothing to backfill")
        return Tally()
    if window.start is not None and _moment(oldest["date"]) > window.start:
        out(f"warning: Auth0 holds logs from {oldest['date']} on; those between {window.start:%Y-%m-%d %H:%M} and "
            "then are gone from Auth0 (its retention is 1 to 30 days, by plan)")  # fmt: skip
    resume = None if dry_run else archive.checkpoint(window)
    if resume:
        out(f"resuming after log {resume} (a checkpoint of an earlier run of this window)")
    tally = Tally()
    for page in _pages(auth0, window, oldest, resume):
        in_window = [log for log in page if _in(log, window)]
        _file(in_window, env, source, archive, tally, dry_run=dry_run)
        if not dry_run:
            archive.save_checkpoint(window, page[-1]["log_id"])
        out(f"  read {sum(tally.auth0.values())} logs of the window; missing {_missing(tally)}")
        if all(_moment(log["date"]) >= window.end + PAST_THE_END for log in page):
            break
    if not dry_run:
        archive.drop_checkpoint(window)  # done: a later run of this window checks it all again
    for line in tally.lines(dry_run):
        out(line)
    return tally


def _pages(auth0: Auth0Api, window: Window, oldest: dict[str, Any], resume: str | None) -> Iterator[list[dict]]:
    if resume:
        yield from auth0.logs_after(resume)
        return
    if window.after:
        yield from auth0.logs_after(window.after)
        return
    first = auth0.first_log(window.start.isoformat().replace("+00:00", "Z")) if window.start else oldest
    if first is None:
        return
    yield [first]  # checkpoint pages start after a log: the first one comes from a search
    yield from auth0.logs_after(first["log_id"])


def _file(
    logs: Iterable[dict], env: Environment, source: str, archive: Archive, tally: Tally, *, dry_run: bool
) -> None:
    new: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for log in logs:
        hour, day = event_hour(log["date"]), log["date"][:10]
        tally.auth0[day] += 1
        if log["log_id"] in archive.ids(hour):
            tally.archived[day] += 1
        elif not any(e["detail"]["log_id"] == log["log_id"] for e in new[hour]):
            new[hour].append(envelope(log, env, source))
    for hour, events in sorted(new.items()):
        if not dry_run:
            archive.write(hour, events)
        for event in events:
            tally.written[event["time"][:10]] += 0 if dry_run else 1


def _missing(tally: Tally) -> int:
    return sum(tally.auth0.values()) - sum(tally.archived.values())


def _in(log: dict[str, Any], window: Window) -> bool:
    moment = _moment(log["date"])
    return (window.start is None or moment >= window.start) and moment < window.end


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
