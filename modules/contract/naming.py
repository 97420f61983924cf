"""Names of what a stack creates, derived from "<project>-<environment>" (the prefix).

One place for the constructs and for the tools that look the resources up
after a deployment (``make verify``), and for the layout of a synth's output.
Plain Python: no cdktf, no jsii.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MAX_RULE_NAME = 64  # EventBridge: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html


@dataclass(frozen=True)
class Names:
    """Every AWS name of one environment's stack, derived from its prefix ("<project>-<environment>")
    and its account: the one owner of these names, for the stack and for the operator commands."""

    prefix: str
    account_id: str

    @property
    def archive_bucket(self) -> str:
        return f"{self.prefix}-{self.account_id}"  # bucket names are global: the account makes them unique

    @property
    def access_log_bucket(self) -> str:
        return f"{self.archive_bucket}-access-logs"

    @property
    def athena_results_bucket(self) -> str:
        return f"{self.archive_bucket}-athena-results"

    @property
    def key_alias(self) -> str:
        return f"alias/{self.prefix}"

    @property
    def delivery_stream(self) -> str:
        return self.prefix

    @property
    def firehose_role(self) -> str:
        return f"{self.prefix}-firehose"

    @property
    def firehose_log_group(self) -> str:
        return f"/{self.prefix}/firehose"

    @property
    def event_rule(self) -> str:
        return f"{self.prefix}-auth0-logs"

    @property
    def events_role(self) -> str:
        return f"{self.prefix}-events-to-firehose"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-undelivered"

    @property
    def replay_archive(self) -> str:
        return f"{self.prefix}-replay"  # at most 48 characters: EventBridge's limit for archives

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def alarm_key_alias(self) -> str:
        return f"alias/{self.prefix}-alarms"

    @property
    def watch_rules(self) -> dict[str, str]:
        """EventBridge rules on the default bus that report changes to what holds the archive, by watch."""
        return {watch: f"{self.prefix}-watch-{watch}" for watch in WATCHES}

    def alarm(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def security_topic(self) -> str:
        """Where live detections alert: apart from the pipeline's alarms, with its own subscriber."""
        return f"{self.prefix}-security"

    @property
    def detection_prefix(self) -> str:
        """What every detection's rule, alarm and named query is named by (the watches match it)."""
        return f"{self.prefix}-detect-"

    def detection(self, rule_id: str) -> str:
        """A detection's EventBridge rule and alarm: 64 characters at most (EventBridge's rule names), the
        end of a long id replaced by a digest so that two ids never share a name."""
        name = f"{self.detection_prefix}{rule_id}"
        if len(name) <= MAX_RULE_NAME:
            return name
        digest = hashlib.sha256(rule_id.encode()).hexdigest()[:8]
        return f"{name[: MAX_RULE_NAME - 9]}-{digest}"

    @property
    def hunting(self) -> str:
        """The scheduled hunting: its state machine, its schedule and its role (64 characters at most)."""
        return f"{self.prefix}-hunting"

    @property
    def hunting_schedule_role(self) -> str:
        return f"{self.prefix}-hunting-schedule"

    @property
    def hunting_alarm(self) -> str:
        """Its failures' alarm, named as a detection's (watched with them; no rule id has a hyphen)."""
        return f"{self.detection_prefix}hunting-failed"

    def detection_query(self, rule_id: str) -> str:
        """A detection's named Athena query (128 characters at most; rule ids are at most 63)."""
        return f"detect-{rule_id}"

    @property
    def alarms(self) -> dict[str, str]:
        """Alarm names by suffix."""
        return {suffix: self.alarm(suffix) for suffix in ALARM_SUFFIXES}

    @property
    def athena_database(self) -> str:
        return self.prefix.replace("-", "_")  # Glue and Athena names take no hyphens

    @property
    def athena_workgroup(self) -> str:
        return self.prefix

    def bucket_names(self) -> list[str]:
        """The S3 buckets the stack creates."""
        return [name.name for name in self.aws_names() if name.kind == "s3 bucket"]

    def aws_names(self) -> list[AwsName]:
        """Every name the stack creates (checked against AWS's rules, and against the other environments')."""
        names = [
            AwsName("s3 bucket", self.archive_bucket),
            AwsName("s3 bucket", self.access_log_bucket),
            AwsName("s3 bucket", self.athena_results_bucket),
            AwsName("kms alias", self.key_alias),
            AwsName("kms alias", self.alarm_key_alias),
            AwsName("firehose stream", self.delivery_stream),
            AwsName("iam role", self.firehose_role),
            AwsName("iam role", self.events_role),
            AwsName("log group", self.firehose_log_group),
            AwsName("eventbridge rule", self.event_rule),
            AwsName("sqs queue", self.dead_letter_queue),
            AwsName("eventbridge archive", self.replay_archive),
            AwsName("sns topic", self.alarm_topic),
            AwsName("sns topic", self.security_topic),
            AwsName("glue database", self.athena_database),
            AwsName("athena workgroup", self.athena_workgroup),
        ]
        names += [AwsName("eventbridge rule", name) for name in self.watch_rules.values()]
        return names + [AwsName("cloudwatch alarm", name) for name in self.alarms.values()]


# The metric alarms modules/constructs/alarms.py creates, by suffix, with what each reports
# (tests/test_alarms.py keeps the two in step; docs/security.md lists them from here).
ALARM_REPORTS = {
    "target-failing": "EventBridge gave up delivering events to Firehose (after its retries, or at once on an "
    "error it does not retry)",
    "target-retrying": "EventBridge has been retrying Firehose for 15 minutes",
    "events-dead-lettered": "events went to the dead-letter queue",
    "dead-letter-failing": "EventBridge could not put events into the dead-letter queue",
    "dead-letter-queue-not-empty": "events wait in the dead-letter queue",
    "delivery-delayed": "Firehose holds records older than `delivery_delay_alarm_seconds`",
    "delivery-failing": "Firehose fails to write objects to the bucket",
    "partitions-exceeded": "Firehose had more event hours open than its active partition limit (records went to "
    "`errors/`)",
    "no-events": "no Auth0 event arrived for `no_events_alarm_hours`",
}
ALARM_SUFFIXES = tuple(ALARM_REPORTS)

# What the watch rules report (modules/constructs/alarms.py) on the default bus, as it happens.
WATCHES = {
    "key-changes": "a key disabled, scheduled for deletion, its policy or rotation changed",
    "bucket-changes": "the archive bucket's policy, lifecycle, versioning, encryption, object lock, notification, "
    "replication, public access block, logging or ownership changed",
    "objects-deleted": "archived objects deleted by a request (a version, or a delete marker), not by the lifecycle",
    "errors-written": "records Firehose could not file, written under `errors/`",
    "ingest-changes": "the ingest rule disabled, deleted or changed, its targets changed, the partner bus "
    "deleted, the replay archive deleted or changed",
    "delivery-changes": "the Firehose stream's destination or encryption changed, or the stream deleted",
    "alarm-changes": "alarms deleted, silenced or changed; the topic's policy or subscription changed",
}


def detector_table() -> str:
    """docs/security.md: every alarm and watch of a stack, from the declarations above."""
    rows = ["| alarm or watch | kind | reports |", "|---|---|---|"]
    rows += [f"| `{name}` | metric alarm | {what} |" for name, what in ALARM_REPORTS.items()]
    rows += [f"| `{name}` | watch rule | {what} |" for name, what in WATCHES.items()]
    return "\n".join(rows)


# Where events are in the archive bucket: logs/YYYY/MM/DD/HH/, the UTC hour the event *happened*, so
# that an event retried, replayed or backfilled days later is filed with its neighbours. Firehose computes
# the hour with this JQ query (dynamic partitioning, jq 1.6); backfilled objects are written there
# directly; the Athena view (athena_table.VIEW_SQL) reads event_time by the same rule:
# - Auth0's detail.data.date when it is a usable time: a string YYYY-MM-DDTHH:MM[:SS[.fraction]] with a
#   zone, "Z" or +HH:MM/-HH:MM (hours 00-14), naming a real calendar time from year 1000 on (no 30
#   February, no hour 24), no later than EventBridge's own time plus EVENT_CLOCK_SKEW_SECONDS; an
#   offset is turned into UTC.
# - else EventBridge's time (a number, an empty or date-only date, a detail that is not an object, a date
#   in the future), which the view says in event_time_source.
# An envelope without a usable time either (EventBridge always sets one) makes the query return nothing:
# Firehose files the record under errors/, and the errors-written watch reports it.
# No regular expressions and no strptime: only what AWS's own examples use (strftime on a number) and
# jq's core (slices, explode, tonumber, mktime). The "logs/" prefix keeps query engines off errors/.
LOG_PREFIX = "logs/"
EVENT_HOUR_KEY = "dt"
EVENT_CLOCK_SKEW_SECONDS = 900
EVENT_HOUR_QUERY = (
    "def digits: explode | length > 0 and all(.[]; . >= 48 and . <= 57); "
    # An ISO 8601 date-time with a zone, as seconds since the epoch; nothing if it is not one.
    'def instant: select(type == "string" and length >= 17) | . as $d | length as $n '
    '| (if $d[$n-1:] == "Z" then 1 elif ($d[$n-6:$n-5] | . == "+" or . == "-") then 6 else 0 end) as $z '
    "| $d[16:$n-$z] as $s "
    '| select($z > 0 and ($d[0:4] | digits) and $d[0:1] != "0" and $d[4:5] == "-" and ($d[5:7] | digits) '
    'and $d[7:8] == "-" '
    'and ($d[8:10] | digits) and $d[10:11] == "T" and ($d[11:13] | digits) and $d[13:14] == ":" '
    'and ($d[14:16] | digits) and ($s == "" or ($s[0:1] == ":" and ($s[1:3] | digits) '
    'and (($s | length) == 3 or ($s[3:4] == "." and ($s[4:] | digits))))) '
    'and ($z == 1 or (($d[$n-5:$n-3] | digits) and $d[$n-3:$n-2] == ":" and ($d[$n-2:] | digits) '
    "and ($d[$n-5:$n-3] | tonumber) <= 14 and ($d[$n-2:] | tonumber) <= 59))) "
    '| (if $s == "" then "00" else $s[1:3] end) as $sec '
    "| ([($d[0:4] | tonumber), ($d[5:7] | tonumber) - 1, ($d[8:10] | tonumber), ($d[11:13] | tonumber), "
    "($d[14:16] | tonumber), ($sec | tonumber), 0, 0] | mktime) as $t "
    # mktime normalizes 30 February into 2 March: a real calendar time comes back unchanged.
    '| select(($t | strftime("%Y-%m-%dT%H:%M:%S")) == $d[0:16] + ":" + $sec) '
    "| $t - (if $z == 1 then 0 else (($d[$n-5:$n-3] | tonumber) * 3600 + ($d[$n-2:] | tonumber) * 60) "
    '* (if $d[$n-6:$n-5] == "-" then -1 else 1 end) end); '
    "(.time | instant) as $received "
    "| ([.detail | objects | .data | objects | .date | instant "
    f"| select(. <= $received + {EVENT_CLOCK_SKEW_SECONDS})] | .[0]) // $received "
    f'| {{{EVENT_HOUR_KEY}: strftime("%Y/%m/%d/%H")}}'
)
EVENT_HOUR_LAYOUT = f"!{{partitionKeyFromQuery:{EVENT_HOUR_KEY}}}/"
TIME_LAYOUT = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"  # the hour Firehose received it
ERROR_ROOT = "errors/"
ERROR_PREFIX = ERROR_ROOT + "!{firehose:error-output-type}/"
# What the stream writes, which only the archive's administrators may delete (backfill's bookkeeping,
# under backfill/, is not archived data).
ARCHIVED_PREFIXES = (LOG_PREFIX, ERROR_ROOT)
BACKFILL_MARK = "backfill"  # in the name of every object make backfill writes


def event_hour(moment: str) -> str:
    """The archive's hour of an Auth0 date (as Auth0's API returns it, with a zone): "YYYY/MM/DD/HH", UTC.
    For make backfill, which files what it fetches itself, as EVENT_HOUR_QUERY files what Firehose gets."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y/%m/%d/%H")


@dataclass(frozen=True)
class AwsName:
    """One name a stack gives an AWS resource, with the kind whose rules it obeys."""

    kind: str  # "s3 bucket", or a key of modules.contract.aws_rules.NAME_RULES
    name: str

    @property
    def scope(self) -> str:
        """Where the name must be unique: S3 buckets everywhere, IAM roles in an account, the rest in a region."""
        return {"s3 bucket": "global", "iam role": "account"}.get(self.kind, "region")


@dataclass(frozen=True)
class SynthOutput:
    """The layout of a synth (cdktf.out/ by default): one owner for every path in it."""

    root: Path = Path("cdktf.out")

    @property
    def stacks(self) -> Path:
        return self.root / "stacks"

    def stack_dir(self, stack_name: str) -> Path:
        """Where cdktf writes the stack, and where Terraform runs for it."""
        return self.stacks / stack_name

    def stack_file(self, stack_name: str) -> Path:
        return self.stack_dir(stack_name) / "cdk.tf.json"

    def previous(self, stack_name: str) -> Path:
        """The stack's JSON before its last change (make review diffs against it)."""
        return self.root / "previous" / f"{stack_name}.cdk.tf.json"

    def offline(self, stack_name: str) -> Path:
        """Where make validate/plan run a copy of the stack pinned to a local provider mirror's version."""
        return self.root / "offline" / stack_name

    def offline_cli_config(self) -> Path:
        """The Terraform CLI configuration that installs providers from that mirror."""
        return self.root / "offline" / "terraform.rc"

    def retired(self, stack_name: str) -> Path:
        """Where the folder of a stack no longer configured goes, whole (it may hold local state)."""
        return self.root / "previous" / "retired" / stack_name


@dataclass(frozen=True)
class Part:
    """A part of the stack: the construct id the stack builds it under, and what a reviewer calls it."""

    id: str
    title: str


# In the order the data flows. make review groups resources by the part their construct path starts with.
AUTH0_STREAM = Part("auth0_log_stream", "Auth0")
KEY = Part("key", "Encryption key")
INGEST = Part("ingest", "EventBridge")
DELIVERY = Part("delivery", "Firehose")
ARCHIVE = Part("archive", "Archive bucket")
ACCESS_LOGS = Part("access_logs", "Access log bucket")
ALARMS = Part("alarms", "Alarms")
ALARM_KEY = Part("alarm_key", "Alarm topic key")
QUERIES = Part("queries", "Athena")
DETECTIONS = Part("detections", "Detections")
HUNTING = Part("hunting", "Scheduled hunting")
PARTS = (AUTH0_STREAM, KEY, INGEST, DELIVERY, ARCHIVE, ACCESS_LOGS, ALARM_KEY, ALARMS, QUERIES, DETECTIONS, HUNTING)
