"""Names of what a stack creates, derived from "<project>-<environment>" (the prefix).

One place for the constructs and for the tools that look the resources up
after a deployment (``make verify``). Plain functions: no cdktf, no jsii.
"""

from __future__ import annotations


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
