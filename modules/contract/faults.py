"""What can go wrong, what notices, what holds the events meanwhile, how to recover, and what is lost.

Declared once: docs/security.md shows it (make docs) and tests/test_faults.py checks every row
against the synthesized stacks, as facts about which resource depends on which.
Detectors are alarm suffixes and watch names of modules/contract/naming.py, or ``make verify``.
"""

from __future__ import annotations

from dataclasses import dataclass

from modules.contract.naming import ALARM_SUFFIXES, WATCHES

VERIFY = "make verify"
# CloudTrail delivers management events to EventBridge within minutes of the call, typically; a metric
# alarm with a 5-minute period reacts within one period.
MINUTES = "minutes"


@dataclass(frozen=True)
class Fault:
    fault: str
    detected_by: tuple[str, ...]  # alarm suffixes, watch names or VERIFY
    within: str  # how long until the first detector fires
    held_by: str  # where the events wait meanwhile
    recovery: str
    lost: str


REPLAY = "the replay archive (EventBridge's own key), `replay_window_days`"
FAULTS: tuple[Fault, ...] = (
    Fault(
        "Archive key disabled or scheduled for deletion",
        ("key-changes", "target-failing", "events-dead-lettered", "delivery-failing"),
        MINUTES,
        "Firehose cannot encrypt its stream: it refuses EventBridge's records with a KMS error, which EventBridge "
        "does not retry, so events go to the DLQ (SSE-SQS, 14 d) at once; what Firehose held retries S3 for "
        "24 h; " + REPLAY,
        "`EnableKey` or `CancelKeyDeletion` (an administrator role), then `make redrive` and "
        "`make replay FROM=… TO=…` over the outage",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Archive key policy broken",
        ("key-changes", "delivery-failing", "delivery-delayed"),
        MINUTES,
        "as above",
        "`make deploy` restores the policy (an administrator role), then `make redrive` and `make replay`",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Bucket policy denies Firehose",
        ("bucket-changes", "delivery-failing", "delivery-delayed"),
        MINUTES,
        "Firehose retries for 24 h, then drops the data (S3 delivery failures are not written to `errors/`); " + REPLAY,
        "`make deploy` restores the policy, then `make replay` over the outage",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Firehose role missing a permission",
        ("delivery-failing", "delivery-delayed"),
        "5 minutes",
        "Firehose retries for 24 h, then drops the data; " + REPLAY,
        "`make deploy` restores the role policy, then `make replay` over the outage",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Firehose stream deleted",
        ("delivery-changes", "events-dead-lettered", "dead-letter-queue-not-empty", "no-events"),
        MINUTES,
        "the DLQ (EventBridge does not retry a missing target), 14 d; " + REPLAY,
        "`make deploy` recreates the stream, then `make redrive`",
        "nothing, if redriven within 14 days",
    ),
    Fault(
        "Ingest rule disabled, deleted or changed, its target removed, the replay archive deleted",
        ("ingest-changes", "no-events"),
        MINUTES,
        REPLAY + " (it records the bus, not the rule)",
        "`make deploy`, then `make replay` over the outage",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Target throttled or refusing",
        ("target-retrying", "target-failing", "events-dead-lettered"),
        "15 minutes",
        "EventBridge retries for 24 h (185 attempts), then the DLQ, 14 d; " + REPLAY,
        "raise the Firehose quota or fix the cause, then `make redrive`",
        "nothing",
    ),
    Fault(
        "Dead-letter queue refuses events",
        ("dead-letter-failing",),
        "5 minutes",
        REPLAY,
        "fix the queue (`make deploy`), then `make replay` over the outage",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Partner bus deleted",
        ("ingest-changes", "no-events"),
        MINUTES,
        "Auth0 keeps its own logs 1 to 30 days (by plan); the replay archive keeps what arrived before",
        "`make deploy` recreates the bus on the same partner source, then `make backfill FROM=…` for the gap",
        "events older than Auth0's retention when the bus is back",
    ),
    Fault(
        "Auth0 log stream paused or suspended",
        ("no-events", VERIFY),
        "`no_events_alarm_hours`",
        "Auth0 keeps its own logs 1 to 30 days (by plan)",
        "resume the stream in Auth0, then `make backfill FROM=…` from the pause",
        "events older than Auth0's retention when backfilled",
    ),
    Fault(
        "Archived objects deleted or overwritten",
        ("objects-deleted",),
        MINUTES,
        "a delete by anyone but an administrator is refused (bucket policy); a delete marker or an overwrite "
        "leaves the previous version, kept 30 days; object lock, if set, refuses the change",
        "remove the delete marker, or copy the previous version back, within 30 days",
        "nothing, unless an administrator deletes versions (reported)",
    ),
    Fault(
        "Records Firehose could not file (processing failed, or more event hours at once than its active "
        "partition limit)",
        ("errors-written", "partitions-exceeded"),
        MINUTES,
        "`errors/<error type>/` in the archive bucket, kept and protected like the logs; " + REPLAY,
        "find the cause in the Firehose error log, then `make replay` over the hours concerned, window by window",
        "nothing: the records are in `errors/`, and in the replay archive",
    ),
    Fault(
        "Firehose stream redirected (its destination or encryption changed)",
        ("delivery-changes",),
        MINUTES,
        REPLAY,
        "`make deploy` restores the destination, then `make replay` over the change",
        "nothing, if repaired within the replay window",
    ),
    Fault(
        "Alarms deleted or silenced, the topic's subscription or policy changed",
        ("alarm-changes",),
        MINUTES,
        "nothing is lost: only the alarms stop; deleting the topic itself is refused to all but the administrators",
        "`make deploy` restores the alarms, the topic policy and the subscription",
        "nothing, but alarms raised meanwhile may reach nobody",
    ),
    Fault(
        "Alarm topic key disabled",
        (VERIFY,),
        "at the next `make verify`",
        "nothing is lost: only the alarms stop",
        "`EnableKey` (an administrator role)",
        "nothing, but alarms raised meanwhile reach nobody",
    ),
)

DETECTORS = frozenset(ALARM_SUFFIXES) | frozenset(WATCHES) | {VERIFY}


@dataclass(frozen=True)
class Threat:
    """Who could lose or hide archived events, what stops them, and what reports them."""

    principal: str
    can: str
    stopped_by: str
    reported_by: tuple[str, ...]  # alarm suffixes, watch names or VERIFY
    within: str


ADMINS = "`archive_admin_role_arns` (by default the deploy role)"
THREATS: tuple[Threat, ...] = (
    Threat(
        "Anyone in the account with S3 permissions (a leaked key, a careless script)",
        "delete or overwrite archived objects",
        "the bucket policy denies `DeleteObject` and `DeleteObjectVersion` under `logs/` and `errors/` to all but "
        f"{ADMINS} (to everyone, without such roles); versioning keeps an overwritten version 30 days; Object "
        "Lock, if set, refuses both",
        ("objects-deleted",),
        MINUTES,
    ),
    Threat(
        "The same principal",
        "loosen the bucket: its policy, lifecycle, versioning, encryption, object lock, notification, "
        "replication, public access block, logging or ownership",
        f"the bucket policy denies those actions to all but {ADMINS}",
        ("bucket-changes",),
        MINUTES,
    ),
    Threat(
        "An administrator role, or IAM through the account principal of the key policy",
        "disable a key, schedule its deletion, change its policy",
        "a 30-day deletion window; `prevent_destroy`; KMS's own lockout check",
        ("key-changes", "target-failing", "events-dead-lettered"),
        MINUTES,
    ),
    Threat(
        "Anyone with EventBridge permissions",
        "disable, delete or redirect the ingest rule, remove its target, delete the partner bus or the replay archive",
        "the replay archive records the bus, not the rule; the DLQ holds what the target refused",
        ("ingest-changes", "no-events"),
        MINUTES,
    ),
    Threat(
        "Anyone with Firehose permissions",
        "redirect the stream to another bucket, stop its encryption, delete it",
        "EventBridge's DLQ and the replay archive hold the events",
        ("delivery-changes", "events-dead-lettered", "no-events"),
        MINUTES,
    ),
    Threat(
        "Anyone with CloudWatch or SNS permissions",
        "delete or silence the alarms, unsubscribe the e-mail, change or delete the alarm topic",
        f"the topic policy denies deleting or changing the topic to all but {ADMINS}",
        ("alarm-changes", VERIFY),
        MINUTES,
    ),
    Threat(
        "An Auth0 tenant administrator",
        "pause or delete the log stream, or filter it",
        "Auth0 keeps its own logs 1 to 30 days: `make backfill` copies in what the archive lacks",
        ("no-events", VERIFY),
        "`no_events_alarm_hours`",
    ),
    Threat(
        "The AWS account's root user",
        "anything, including deleting the bucket policy",
        "nothing in the account: keep root credentials locked away (MFA, no access keys); an organization SCP",
        ("bucket-changes", "objects-deleted"),
        MINUTES,
    ),
)


def _detectors(names: tuple[str, ...]) -> str:
    """Alarm and watch names as code, make verify as words."""
    return ", ".join(f"`{d}`" if d != VERIFY else d for d in names)


def threat_table() -> str:
    rows = ["| principal | can | what stops it | what reports it | within |", "|---|---|---|---|---|"]
    for t in THREATS:
        rows.append(f"| {t.principal} | {t.can} | {t.stopped_by} | {_detectors(t.reported_by)} | {t.within} |")
    return "\n".join(rows)


def fault_table() -> str:
    rows = ["| fault | detected by | within | events held by | recovery | lost |", "|---|---|---|---|---|---|"]
    for f in FAULTS:
        rows.append(f"| {f.fault} | {_detectors(f.detected_by)} | {f.within} | {f.held_by} | {f.recovery} | {f.lost} |")
    return "\n".join(rows)
