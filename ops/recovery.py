"""``make replay`` and ``make redrive``: bring back the events an outage kept out of the archive.

- **replay** starts an EventBridge replay of a time window from the replay archive into the ingest
  rule only (``Destination.FilterArns``), then follows it to the end. A window longer than
  ``REPLAY_WINDOW_HOURS`` is replayed window by window, each after the previous one completed and
  Firehose had time to close its partitions: Firehose files each event under its hour, and past 500
  hours open at once (its active partition limit) it sends the rest to ``errors/``. Each replay's
  name comes from its window, so running the same command again skips the windows already replayed
  and follows the one already started instead of starting a second one.
- **redrive** moves the messages of the dead-letter queue back into the Firehose stream: each
  message is deleted only after Firehose accepted its record. A message whose body is not an Auth0
  log event of this environment is left where it is, and reported. Running it again moves what is
  left.

Both use the clients of ``client(service)``: boto3 with the operator's credentials (and the
environment's deploy role) in use, which honours ``AWS_ENDPOINT_URL``; stubs or moto in the tests.
Events can arrive twice (a replay of a window that was partly delivered): the archive's
deduplicating view reads each ``detail.log_id`` once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from modules.contract.settings import Environment
from ops.common import OperatorError, partner_bus, require_account

# EventBridge replays: a name of at most 64 characters of [.\-_A-Za-z0-9].
REPLAY_NAME_TIME = "%Y%m%dT%H%M"
DONE_STATES = ("COMPLETED", "FAILED", "CANCELLED")
ENDED_BADLY = ("FAILED", "CANCELLED")  # started anew under the next name by a later run
# A week of event hours per replay: 168 partitions, well under Firehose's 500, with room for live traffic.
# A redrive at the same time opens partitions of its own (up to 14 days of them): not both at once.
REPLAY_WINDOW_HOURS = 168
FIREHOSE_BATCH = 10  # SQS hands out at most 10 messages a call; Firehose takes up to 500 records a batch
VISIBILITY_SECONDS = 300  # a message being redriven stays hidden this long; if the run dies, it comes back


@dataclass
class RedriveResult:
    moved: int = 0
    refused: int = 0  # Firehose did not take them: they stay in the queue
    foreign: int = 0  # not an Auth0 log event of this environment: left in the queue
    kinds: Counter = field(default_factory=Counter)  # what the foreign ones are

    def count_foreign(self, bodies: list[str]) -> None:
        self.foreign += len(bodies)
        self.kinds.update(_kind(body) for body in bodies)

    def foreign_kinds(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.kinds.most_common())


def replay_name(prefix: str, start: datetime, end: datetime) -> str:
    return f"{prefix}-{start:{REPLAY_NAME_TIME}}-{end:{REPLAY_NAME_TIME}}"


def replay_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of at most REPLAY_WINDOW_HOURS."""
    step = timedelta(hours=REPLAY_WINDOW_HOURS)
    cuts = [start]
    while cuts[-1] + step < end:
        cuts.append(cuts[-1] + step)
    return list(zip(cuts, [*cuts[1:], end], strict=True))


def replay(
    env: Environment,
    client: Callable[[str], Any],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    wait: bool = True,
    poll_seconds: float = 30,
    settle_seconds: float | None = None,
    out: Callable[[str], None] = print,
) -> str:
    """Replay [start, end) into the ingest rule, window by window; returns the last window's state.

    Between windows it waits ``settle_seconds`` (by default 1.5 buffer intervals, the longest Firehose
    holds a partition open). Without ``wait`` it starts or follows one window and says what is left.
    """
    now = now or datetime.now(UTC)
    require_order(start, end)
    if end > now:
        raise OperatorError(f"TO ({end:%Y-%m-%d %H:%M}) is in the future: replay only what happened", 2)
    if env.replay_window_days == 0:
        raise OperatorError(f"{env.name} has no replay archive (replay_window_days = 0)", 2)
    oldest = now - timedelta(days=env.replay_window_days)
    if start < oldest:
        out(
            f"warning: the replay archive keeps {env.replay_window_days} days; events before "
            f"{oldest:%Y-%m-%d %H:%M} UTC are gone from it (make backfill reads what Auth0 still holds)"
        )
    windows = replay_windows(start, end)
    if len(windows) > 1:
        out(
            f"{len(windows)} windows of at most {REPLAY_WINDOW_HOURS} hours, one after the other, so that Firehose "
            "never has more event hours open than its active partition limit (500)"
        )
    settle = 1.5 * env.buffer_interval_seconds if settle_seconds is None else settle_seconds
    require_account(env, client)
    events = client("events")
    state = ""
    for number, (window_start, window_end) in enumerate(windows, 1):
        label = f"[{number}/{len(windows)}] " if len(windows) > 1 else ""
        state, followed = _replay_window(
            env, events, window_start, window_end, label=label, wait=wait, poll_seconds=poll_seconds, out=out
        )
        if not wait and state not in DONE_STATES:
            if number < len(windows):
                out(f"{len(windows) - number} more window(s) after this one: run the command again once it is done")
            return state
        if followed and number < len(windows):
            out(f"waiting {settle:.0f} s for Firehose to close this window's partitions before the next")
            time.sleep(settle)
    return state


def _replay_window(
    env: Environment,
    events: Any,
    start: datetime,
    end: datetime,
    *,
    label: str,
    wait: bool,
    poll_seconds: float,
    out: Callable[[str], None],
) -> tuple[str, bool]:
    """Start (or follow) the replay of one window; its final state, and whether it ran in this call."""
    names = env.names
    name, state = _latest_attempt(events, replay_name(names.prefix, start, end))
    if state is not None and state not in ENDED_BADLY:
        out(f"{label}replay {name} was started before ({state}): following it")
        followed = state not in DONE_STATES
    else:
        if state is not None:  # a failed or cancelled replay is started anew, under the next name
            out(f"{label}replay {name} ended {state}: starting it again")
            name = _next_attempt(name)
        bus = partner_bus(env, events)
        archive_arn = events.describe_archive(ArchiveName=names.replay_archive)["ArchiveArn"]
        bus_arn = events.describe_event_bus(Name=bus)["Arn"]
        rule_arn = events.describe_rule(Name=names.event_rule, EventBusName=bus)["Arn"]
        state = events.start_replay(
            ReplayName=name,
            Description=f"Auth0 log events of {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, into the archive",
            EventSourceArn=archive_arn,
            EventStartTime=start,
            EventEndTime=end,
            Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
        )["State"]
        window = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        out(f"{label}replay {name} started ({state}): {window} into {names.event_rule}")
        followed = True
    while wait and state not in DONE_STATES:
        time.sleep(poll_seconds)
        described = events.describe_replay(ReplayName=name)
        state = described["State"]
        last = described.get("EventLastReplayedTime")
        last = last.replace(tzinfo=last.tzinfo or UTC) if last else None
        done = f", replayed up to {last:%Y-%m-%d %H:%M:%S} UTC ({_share(start, end, last):.0%})" if last else ""
        out(f"  {state}{done}")
    if state in ENDED_BADLY:
        raise OperatorError(f"replay {name} ended {state}: see aws events describe-replay --replay-name {name}; "
                            "run the command again to start it anew")  # fmt: skip
    return state, followed


def _latest_attempt(events: Any, base: str) -> tuple[str, str | None]:
    """The window's latest replay (base, base-r2, base-r3, ...) and its state, or (base, None) if none."""
    latest: tuple[str, str | None] = (base, None)
    name = base
    while True:
        try:
            state = events.describe_replay(ReplayName=name)["State"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            return latest
        latest = (name, state)
        if state not in ENDED_BADLY:
            return latest
        name = _next_attempt(name)


def _next_attempt(name: str) -> str:
    base, _, number = name.rpartition("-r")
    return f"{base}-r{int(number) + 1}" if base and number.isdigit() else f"{name}-r2"


def _share(start: datetime, end: datetime, last: datetime) -> float:
    return min(1.0, max(0.0, (last - start) / (end - start)))


def redrive(
    env: Environment, client: Callable[[str], Any], *, out: Callable[[str], None] = print, dry_run: bool = False
) -> RedriveResult:
    """Move the dead-letter queue's messages into the Firehose stream, deleting each only once Firehose took it.

    ``dry_run``: count what would move and what is not ours, move nothing, and make every message
    visible again at once."""
    require_account(env, client)
    sqs, firehose = client("sqs"), client("firehose")
    names = env.names
    url = sqs.get_queue_url(QueueName=names.dead_letter_queue)["QueueUrl"]
    waiting = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])  # fmt: skip
    out(f"{names.dead_letter_queue}: about {waiting} message(s) to redrive into {names.delivery_stream}")
    if dry_run:
        return _redrive_dry_run(env, sqs, url, out)
    result = RedriveResult()
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=FIREHOSE_BATCH, WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_SECONDS
        ).get("Messages", [])
        if not messages:
            break
        ours = [m for m in messages if _is_auth0_event(m["Body"], env)]
        result.count_foreign([m["Body"] for m in messages if m not in ours])
        if not ours:
            continue
        answer = firehose.put_record_batch(
            DeliveryStreamName=names.delivery_stream,
            Records=[{"Data": m["Body"].rstrip("\n").encode()} for m in ours],
        )
        taken = [m for m, r in zip(ours, answer["RequestResponses"], strict=True) if not r.get("ErrorCode")]
        result.refused += len(ours) - len(taken)
        if taken:
            deleted = sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(taken)],
            )
            result.moved += len(deleted.get("Successful", []))
        out(f"  moved {result.moved}, refused by Firehose {result.refused}, not ours {result.foreign}")
    out(
        f"done: {result.moved} event(s) moved into {names.delivery_stream}"
        + (f"; {result.refused} refused by Firehose stay in the queue: run again" if result.refused else "")
        + (
            f"; {result.foreign} message(s) that are not Auth0 log events of {env.name} stay in the queue "
            f"({result.foreign_kinds()})"
            if result.foreign
            else ""
        )
    )
    return result


def _redrive_dry_run(env: Environment, sqs: Any, url: str, out: Callable[[str], None]) -> RedriveResult:
    result = classify_dead_letters(env, sqs, url)
    out(
        f"dry run: {result.moved} Auth0 log event(s) of {env.name} would move into {env.names.delivery_stream}; "
        f"{result.foreign} message(s) that are not would stay"
        + (f" ({result.foreign_kinds()})" if result.foreign else "")
        + "; nothing was moved"
    )
    return result


def classify_dead_letters(env: Environment, sqs: Any, url: str) -> RedriveResult:
    """What the queue holds, by the rule redrive moves by (``moved``: Auth0 log events of this environment,
    ``foreign``: anything else), read without moving anything: every message is visible again at once."""
    result, seen = RedriveResult(), []
    try:
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=FIREHOSE_BATCH, WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_SECONDS
        ).get("Messages", []):
            seen += messages
            ours = [m for m in messages if _is_auth0_event(m["Body"], env)]
            result.moved += len(ours)
            result.count_foreign([m["Body"] for m in messages if m not in ours])
    finally:
        for first in range(0, len(seen), 10):
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                         for i, m in enumerate(seen[first : first + 10])],
            )  # fmt: skip
    return result


def _kind(body: str) -> str:
    """What a message is, in a few words: its detail-type and source, or that it is not an EventBridge event."""
    try:
        event = json.loads(body)
    except ValueError:
        return "not JSON"
    if not isinstance(event, dict):
        return "not an EventBridge event"
    return f"'{event.get('detail-type', '?')}' from {event.get('source', '?')}"


def _is_auth0_event(body: str, env: Environment) -> bool:
    try:
        event = json.loads(body)
    except ValueError:
        return False
    if not isinstance(event, dict) or event.get("detail-type") != "Auth0 log":
        return False
    source = event.get("source")
    expected = env.auth0_event_source
    return isinstance(source, str) and (source == expected if expected else source.startswith("aws.partner/auth0.com/"))


def require_order(start: datetime, end: datetime) -> None:
    """FROM before TO, for every command that takes a window."""
    if not start < end:
        raise OperatorError(f"FROM ({start:%Y-%m-%d %H:%M}) must be before TO ({end:%Y-%m-%d %H:%M})", 2)


def parse_moment(text: str, what: str) -> datetime:
    """A UTC moment from YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]."""
    try:
        moment = datetime.fromisoformat(text.strip().removesuffix("Z"))
    except ValueError:
        raise OperatorError(f"{what}: expected a UTC time, YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {text!r}", 2) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(tzinfo=UTC)
