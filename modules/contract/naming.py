"""Names of what a stack creates, derived from "<project>-<environment>" (the prefix).

One place for the constructs and for the tools that look the resources up
after a deployment (``make verify``). Plain functions: no cdktf, no jsii.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def archive_bucket(prefix: str, account_id: str) -> str:
    return f"{prefix}-{account_id}"  # bucket names are global: the account makes them unique


def access_log_bucket(prefix: str, account_id: str) -> str:
    return f"{archive_bucket(prefix, account_id)}-access-logs"


def key_alias(prefix: str) -> str:
    return f"alias/{prefix}"


def delivery_stream(prefix: str) -> str:
    return prefix


def firehose_role(prefix: str) -> str:
    return f"{prefix}-firehose"


def firehose_log_group(prefix: str) -> str:
    return f"/{prefix}/firehose"


def event_rule(prefix: str) -> str:
    return f"{prefix}-auth0-logs"


def events_role(prefix: str) -> str:
    return f"{prefix}-events-to-firehose"


def dead_letter_queue(prefix: str) -> str:
    return f"{prefix}-undelivered"


def replay_archive(prefix: str) -> str:
    return f"{prefix}-replay"  # at most 48 characters: EventBridge's limit for archives


def alarm_topic(prefix: str) -> str:
    return f"{prefix}-alarms"


# The alarms modules/alarms.py creates, by suffix (tests/test_alarms.py keeps the two in step).
ALARM_SUFFIXES = (
    "target-failing", "events-dead-lettered", "dead-letter-queue-not-empty",
    "delivery-delayed", "delivery-failing", "no-events",
)  # fmt: skip


def alarm(prefix: str, suffix: str) -> str:
    return f"{prefix}-{suffix}"


# Where Firehose writes in the archive bucket: logs/YYYY/MM/DD/HH/ (UTC, the
# hour Firehose received the events), the layout of the original console
# setup under a "logs/" prefix, so that query engines never read the error
# output beside it.
LOG_PREFIX = "logs/"
TIME_LAYOUT = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/"


def athena_database(prefix: str) -> str:
    return prefix.replace("-", "_")  # Glue and Athena names take no hyphens


def athena_workgroup(prefix: str) -> str:
    return prefix


def athena_results_bucket(prefix: str, account_id: str) -> str:
    return f"{archive_bucket(prefix, account_id)}-athena-results"


@dataclass(frozen=True)
class AwsName:
    """One name a stack gives an AWS resource, with the kind whose rules it obeys."""

    kind: str  # "s3 bucket", or a key of modules.contract.aws_rules.NAME_RULES
    name: str

    @property
    def scope(self) -> str:
        """Where the name must be unique: S3 buckets everywhere, IAM roles in an account, the rest in a region."""
        return {"s3 bucket": "global", "iam role": "account"}.get(self.kind, "region")


def aws_names(prefix: str, account_id: str) -> list[AwsName]:
    """Every name a stack with this prefix creates in ``account_id`` (checked against AWS's rules,
    and against the other environments')."""
    names = [
        AwsName("s3 bucket", archive_bucket(prefix, account_id)),
        AwsName("s3 bucket", access_log_bucket(prefix, account_id)),
        AwsName("s3 bucket", athena_results_bucket(prefix, account_id)),
        AwsName("kms alias", key_alias(prefix)),
        AwsName("firehose stream", delivery_stream(prefix)),
        AwsName("iam role", firehose_role(prefix)),
        AwsName("iam role", events_role(prefix)),
        AwsName("log group", firehose_log_group(prefix)),
        AwsName("eventbridge rule", event_rule(prefix)),
        AwsName("sqs queue", dead_letter_queue(prefix)),
        AwsName("eventbridge archive", replay_archive(prefix)),
        AwsName("sns topic", alarm_topic(prefix)),
        AwsName("glue database", athena_database(prefix)),
        AwsName("athena workgroup", athena_workgroup(prefix)),
    ]
    names += [AwsName("cloudwatch alarm", alarm(prefix, suffix)) for suffix in ALARM_SUFFIXES]
    return names


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

    def retired(self, stack_name: str) -> Path:
        """Where the folder of a stack no longer configured goes, whole (it may hold local state)."""
        return self.root / "previous" / "retired" / stack_name
