"""Hostile configurations: every one is refused by main.py with exit status 2, one clean
line per problem, no traceback, within seconds, and cdktf.out/ untouched.

What is refused, and why, comes from AWS's and Auth0's published rules (named
beside each group), not from what our code happens to print.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import main as app_main

SOURCE = "aws.partner/auth0.com/acme-dev-1cfb5c33-a2af-4ea4-a6ee-799de196b362/auth0.logs"
QA_SOURCE = SOURCE.replace("1cfb5c33", "2cfb5c33")
DEV = f'[environments.dev]\naws_account_id = "111111111111"\naws_region = "us-east-1"\nalarm_email = "sec@example.com"\nauth0_event_source = "{SOURCE}"\n'
QA = DEV.replace("[environments.dev]", "[environments.qa]").replace(SOURCE, QA_SOURCE)
MANAGED = '[environments.dev]\naws_account_id = "111111111111"\naws_region = "us-east-1"\nalarm_email = "sec@example.com"\n[environments.dev.auth0]\ndomain = "acme.auth0.com"\n'
F = "environments.toml"
INT32 = "an integer from 1 to 2147483647"  # S3 lifecycle Days is an Integer (int32) in the S3 API
ENV_NAME = (
    "expected an environment name of lowercase letters, digits and hyphens, starting with a letter "
    "(it names the stack and its resources)"
)
ROLE_ARN = "expected an IAM role ARN, arn:aws:iam::<12 digits>:role/[<path>/]<name>"
ROLE_NAME = " (the name: 1 to 64 ASCII letters, digits and +=,.@_-)"
TAG_KEY = "expected a tag key of 1 to 128 letters, digits, spaces and _ . : / = + - @"
BUCKET = "expected an S3 bucket name"
DOMAIN = (
    'expected a domain name such as "acme.eu.auth0.com": lowercase ASCII labels of 1 to 63 letters, digits '
    "and hyphens, not starting or ending with a hyphen, 253 characters at most"
)
EXACTLY_ONE = (
    "expected exactly one of auth0_event_source (a stream made in Auth0) and an [auth0] table "
    "(a stream managed here), got"
)
SHARED = "expected nothing in common with another environment, got"


@dataclass
class Case:
    text: str | None  # environments.toml, or None when ``setup`` makes the file
    lines: list[str]  # each problem line; one ending in "…" is matched as a prefix
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None


def dev(*lines: str) -> str:
    return DEV + "".join(f"{line}\n" for line in lines)


def managed(*lines: str) -> str:
    return MANAGED + "".join(f"{line}\n" for line in lines)


def make_fifo(tmp: Path) -> None:
    os.mkfifo(tmp / "pipe.toml")


def make_big(tmp: Path) -> None:
    (tmp / "big.toml").write_text(DEV + "# padding\n" * 200_000)


def make_bad_utf8(tmp: Path) -> None:
    (tmp / F).write_bytes(DEV.encode() + b"# \xff\xfe\n")


def make_dir(tmp: Path) -> None:
    (tmp / "conf.toml").mkdir()


DEEP_GAP = (
    "expected at least 90 days after glacier_after_days (90 (the default)), so at least 180: S3 refuses a shorter "
    "stay in Glacier Flexible Retrieval"
)
PARTNER_SOURCE = (
    "expected an Auth0 partner event source, aws.partner/auth0.com/<tenant>-<uuid>/auth0.logs, of at most 256 "
    "characters"
)
LONG_SOURCE = SOURCE.replace("acme-dev", "a" * (257 - len(SOURCE) + len("acme-dev")))
ARCHIVE_BUCKET = "auth0-log-archive-dev-111111111111"
STATE = "expected a path for a new or existing state file, got"
START_FROM = (
    "expected an RFC 3339 time with its offset, e.g. 2026-01-01T00:00:00Z (Auth0 reads it only when it creates "
    "the stream)"
)


def below_a_file(tmp: Path) -> None:
    (tmp / "plain").write_text("")


def dangling_link(tmp: Path) -> None:
    (tmp / "gone").symlink_to(tmp / "nowhere")


CASES: dict[str, Case] = {
    # --- account ids: 12 ASCII digits (AWS account identifiers); Python's \d takes any Unicode digit
    "account-fullwidth": Case(dev().replace('"111111111111"', '"１１１１１１１１１１１１"'), [
        f'{F}: environments.dev.aws_account_id: expected 12 digits (0-9), as a string, got "１１１１１１１１１１１１"']),
    "account-arabic-indic": Case(dev().replace('"111111111111"', '"١١١١١١١١١١١١"'), [
        f'{F}: environments.dev.aws_account_id: expected 12 digits (0-9), as a string, got "١١١١١١١١١١١١"']),
    "account-integer": Case(dev().replace('"111111111111"', "111111111111"), [
        f"{F}: environments.dev.aws_account_id: expected 12 digits (0-9), as a string, got 111111111111"]),
    "account-11-digits": Case(dev().replace('"111111111111"', '"11111111111"'), [
        f'{F}: environments.dev.aws_account_id: expected 12 digits (0-9), as a string, got "11111111111"']),
    "account-newline": Case(dev().replace('"111111111111"', '"111111111111\\n"'), [
        f'{F}: environments.dev.aws_account_id: expected 12 digits (0-9), as a string, got "111111111111\\u000a"']),
    # --- regions: the commercial partition's region codes
    "region-typo": Case(dev().replace('"us-east-1"', '"us-est-1"'), [
        f'{F}: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "us-est-1"']),
    "region-uppercase": Case(dev().replace('"us-east-1"', '"US-EAST-1"'), [
        f'{F}: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "US-EAST-1"']),
    "region-cyrillic-e": Case(dev().replace('"us-east-1"', '"us-\u0435ast-1"'), [
        f'{F}: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "us-\u0435ast-1"']),
    "region-trailing-space": Case(dev().replace('"us-east-1"', '"us-east-1 "'), [
        f'{F}: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "us-east-1 "']),
    "region-govcloud": Case(dev().replace('"us-east-1"', '"us-gov-west-1"'), [
        f'{F}: environments.dev.aws_region: expected an AWS commercial region such as "us-east-1", got "us-gov-west-1"']),
    # --- integers: the API's type bounds; a float is not an integer, even 365.0
    "days-beyond-uint64": Case(dev("expire_after_days = 18446744073709551617"), [
        f"{F}: environments.dev.expire_after_days: expected {INT32}, got 18446744073709551617"]),
    "days-beyond-int32": Case(dev("expire_after_days = 2147483648"), [
        f"{F}: environments.dev.expire_after_days: expected {INT32}, got 2147483648"]),
    "days-float": Case(dev("expire_after_days = 365.0"), [
        f"{F}: environments.dev.expire_after_days: expected {INT32}, got 365.0"]),
    "days-string": Case(dev('glacier_after_days = "90"'), [
        f'{F}: environments.dev.glacier_after_days: expected {INT32}, got "90"']),
    "days-bool": Case(dev("glacier_after_days = true"), [
        f"{F}: environments.dev.glacier_after_days: expected {INT32}, got true"]),
    "days-zero": Case(dev("glacier_after_days = 0"), [
        f"{F}: environments.dev.glacier_after_days: expected {INT32}, got 0"]),
    "days-negative": Case(dev("deep_archive_after_days = -5"), [
        f"{F}: environments.dev.deep_archive_after_days: expected {INT32}, got -5"]),
    "days-inf": Case(dev("expire_after_days = inf"), [
        f"{F}: environments.dev.expire_after_days: expected {INT32}, got inf"]),
    "deep-before-glacier": Case(dev("deep_archive_after_days = 60"), [f"{F}: environments.dev.deep_archive_after_days: {DEEP_GAP}, got 60"]),
    # S3 refuses a DEEP_ARCHIVE transition less than 90 days after the GLACIER one ("must be 90 days more")
    "deep-89-days-after-glacier": Case(dev("deep_archive_after_days = 179"), [
        f"{F}: environments.dev.deep_archive_after_days: {DEEP_GAP}, got 179"]),
    "deep-gap-from-defaults": Case("[defaults]\ndeep_archive_after_days = 100\n" + dev("glacier_after_days = 30"), [
        f"{F}: environments.dev.deep_archive_after_days: expected at least 90 days after glacier_after_days (30), "
        "so at least 120: S3 refuses a shorter stay in Glacier Flexible Retrieval, got 100 (from [defaults])"]),
    "expire-before-transition": Case(dev("deep_archive_after_days = 500"), [
        f"{F}: environments.dev.expire_after_days: expected more than deep_archive_after_days (500), got 400 "
        "(the default)"]),
    # Firehose BufferingHints: IntervalInSeconds 0-900, SizeInMBs 1-128
    "buffer-size-129": Case(dev("buffer_size_mib = 129"), [
        f"{F}: environments.dev.buffer_size_mib: expected an integer from 64 to 128, got 129"]),
    "buffer-size-63": Case(dev("buffer_size_mib = 63"), [  # Firehose: dynamic partitioning needs 64 MiB at least
        f"{F}: environments.dev.buffer_size_mib: expected an integer from 64 to 128, got 63"]),
    "buffer-interval-901": Case(dev("buffer_interval_seconds = 901"), [
        f"{F}: environments.dev.buffer_interval_seconds: expected an integer from 60 to 900, got 901"]),
    "buffer-interval-negative": Case(dev("buffer_interval_seconds = -1"), [
        f"{F}: environments.dev.buffer_interval_seconds: expected an integer from 60 to 900, got -1"]),
    # Firehose: zero buffering is not supported with dynamic partitioning
    "buffer-interval-zero": Case(dev("buffer_interval_seconds = 0"), [
        f"{F}: environments.dev.buffer_interval_seconds: expected an integer from 60 to 900, got 0"]),
    # CloudWatch Logs PutRetentionPolicy: an enumeration
    "log-retention-100": Case(dev("log_retention_days = 100"), [
        f"{F}: environments.dev.log_retention_days: expected a CloudWatch Logs retention period, one of 1, 3, 5, 7, "
        "14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 100"]),
    # Athena BytesScannedCutoffPerQuery: at least 10,000,000 bytes; JSON numbers through jsii are doubles
    "scan-limit-9": Case(dev("athena_scan_limit_mib = 9"), [
        f"{F}: environments.dev.athena_scan_limit_mib: expected an integer from 10 to 8589934592, got 9"]),
    "scan-limit-2-53": Case(dev("athena_scan_limit_mib = 9007199254740993"), [
        f"{F}: environments.dev.athena_scan_limit_mib: expected an integer from 10 to 8589934592, got 9007199254740993"]),
    # S3 Object Lock: a default retention of at most 100 years; mode and days together
    "lock-101-years": Case(dev('object_lock_mode = "compliance"', "object_lock_days = 36501", "expire_after_days = 40000"), [
        f"{F}: environments.dev.object_lock_days: expected an integer from 1 to 36500, got 36501"]),
    "lock-mode-legal": Case(dev('object_lock_mode = "legal"', "object_lock_days = 30"), [
        f'{F}: environments.dev.object_lock_mode: expected "governance" or "compliance", got "legal"']),
    "lock-mode-alone": Case(dev('object_lock_mode = "governance"'), [
        f"{F}: environments.dev.object_lock_days: missing: object_lock_mode and object_lock_days go together"]),
    "lock-beyond-expiry": Case(dev('object_lock_mode = "compliance"', "object_lock_days = 500"), [
        f"{F}: environments.dev.object_lock_days: expected at most expire_after_days (400): a locked object cannot "
        "expire, got 500"]),
    "alarm-hours-169": Case(dev("no_events_alarm_hours = 169"), [
        f"{F}: environments.dev.no_events_alarm_hours: expected an integer from 1 to 168, got 169"]),
    "delay-under-buffer": Case(dev("delivery_delay_alarm_seconds = 600"), [
        f"{F}: environments.dev.delivery_delay_alarm_seconds: expected more than buffer_interval_seconds (900), got 600"]),
    "athena-yes": Case(dev('athena = "yes"'), [f'{F}: environments.dev.athena: expected true or false, got "yes"']),
    # --- dates: Athena's projection cannot start in the future; a TOML date-time is not a date
    "start-date-future": Case(dev("athena_start_date = 2999-01-01"), [
        f"{F}: environments.dev.athena_start_date: expected a date, YYYY-MM-DD, no later than today, got 2999-01-01"]),
    "start-date-feb-30": Case(dev('athena_start_date = "2024-02-30"'), [
        f'{F}: environments.dev.athena_start_date: expected a date, YYYY-MM-DD, no later than today, got "2024-02-30"']),
    "start-date-short": Case(dev('athena_start_date = "2024-1-1"'), [
        f'{F}: environments.dev.athena_start_date: expected a date, YYYY-MM-DD, no later than today, got "2024-1-1"']),
    "start-date-datetime": Case(dev("athena_start_date = 2024-01-01T00:00:00Z"), [
        f"{F}: environments.dev.athena_start_date: expected a date, YYYY-MM-DD, no later than today, "
        "got 2024-01-01T00:00:00+00:00"]),
    # --- names: environment and project names become stack and AWS names (ASCII)
    "env-uppercase": Case(DEV.replace("[environments.dev]", "[environments.Dev]"), [
        f'{F}: environments.Dev: {ENV_NAME}, got "Dev"']),
    "env-trailing-hyphen": Case(DEV.replace("[environments.dev]", "[environments.dev-]"), [
        f'{F}: environments.dev-: {ENV_NAME}, got "dev-"']),
    "env-newline": Case(DEV.replace("[environments.dev]", '[environments."dev\\nx"]'), [
        f'{F}: environments."dev\\u000ax": {ENV_NAME}, got "dev\\u000ax"']),
    "env-terminal-escape": Case(DEV.replace("[environments.dev]", '[environments."dev\\u001b[2J"]'), [
        f'{F}: environments."dev\\u001b[2J": {ENV_NAME}, got "dev\\u001b[2J"']),
    "env-bidi-override": Case(DEV.replace("[environments.dev]", '[environments."dev\\u202e"]'), [
        f'{F}: environments."dev\\u202e": {ENV_NAME}, got "dev\\u202e"']),
    "env-cyrillic": Case(DEV.replace("[environments.dev]", '[environments."d\u0435v"]'), [
        f'{F}: environments."d\u0435v": {ENV_NAME}, got "d\u0435v"']),
    "key-terminal-escape": Case(dev('"aws_regoin\\u001b[2J" = 1'), [
        f'{F}: environments.dev."aws_regoin\\u001b[2J": unknown key (did you mean "aws_region"?); expected one of '
        "project, …"]),
    "key-typo": Case(dev('aws_regoin = "us-east-1"'), [
        f'{F}: environments.dev.aws_regoin: unknown key (did you mean "aws_region"?); expected one of project, …']),
    "prefix-33": Case(DEV.replace("[environments.dev]", "[environments.development-environment]"), [
        f'{F}: environments.development-environment: expected "<project>-<environment>" of at most 32 characters '
        '(it prefixes bucket and role names), got "auth0-log-archive-development-environment" (41)']),
    "project-uppercase": Case(dev('project = "Auth0"'), [
        f'{F}: environments.dev.project: expected lowercase letters, digits and hyphens, starting with a letter, '
        'got "Auth0"']),
    # S3 reserves these bucket name prefixes (S3 User Guide, general purpose bucket naming rules)
    "project-xn": Case(dev('project = "xn--a"'), [
        f'{F}: environments.dev.project: expected a project from which valid AWS names derive (an S3 bucket name '
        'not starting with "xn--" (reserved by S3)), got "xn--a": the s3 bucket would be "xn--a-dev-111111111111"']),
    "project-sthree": Case(dev('project = "sthree-a"'), [
        f'{F}: environments.dev.project: expected a project from which valid AWS names derive (an S3 bucket name '
        'not starting with "sthree-" (reserved by S3)), got "sthree-a": the s3 bucket would be '
        '"sthree-a-dev-111111111111"']),
    "project-amzn-demo-across-keys": Case(DEV.replace("[environments.dev]", "[environments.demo-x]") + 'project = "amzn-s3"\n', [
        f'{F}: environments.demo-x.project: expected a project from which valid AWS names derive (an S3 bucket name '
        'not starting with "amzn-s3-demo-" (reserved by S3)), got "amzn-s3": the s3 bucket would be '
        '"amzn-s3-demo-x-111111111111"']),
    # --- IAM role ARNs (IAM identifiers; CreateRole RoleName [\w+=,.@-]{1,64}, ASCII)
    "role-user-arn": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:user/deployer"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}, got "arn:aws:iam::111111111111:user/deployer"']),
    "role-other-account": Case(dev('deploy_role_arn = "arn:aws:iam::999999999999:role/deploy"'), [
        f"{F}: environments.dev.deploy_role_arn: expected a role in the environment's account 111111111111, "
        "got one in 999999999999"]),
    "role-fullwidth-account": Case(dev('deploy_role_arn = "arn:aws:iam::１１１１１１１１１１１１:role/deploy"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}, got "arn:aws:iam::１１１１１１１１１１１１:role/deploy"']),
    "role-path-without-name": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/ci/"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}{ROLE_NAME}, got "arn:aws:iam::111111111111:role/ci/"']),
    "role-non-ascii-name": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/d\u00e9ploy"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}{ROLE_NAME}, got "arn:aws:iam::111111111111:role/d\u00e9ploy"']),
    "role-name-65": Case(dev(f'deploy_role_arn = "arn:aws:iam::111111111111:role/{"r" * 65}"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}{ROLE_NAME}, got "arn:aws:iam::111111111111:role/{"r" * 65}"']),
    "role-china-partition": Case(dev('deploy_role_arn = "arn:aws-cn:iam::111111111111:role/deploy"'), [
        f'{F}: environments.dev.deploy_role_arn: {ROLE_ARN}, got "arn:aws-cn:iam::111111111111:role/deploy"']),
    # --- partner event sources (Auth0: aws.partner/auth0.com/<tenant>-<uuid>/auth0.logs)
    "source-other-partner": Case(DEV.replace(SOURCE, "aws.partner/other.com/acme/logs"), [
        f"{F}: environments.dev.auth0_event_source: {PARTNER_SOURCE}, got "
        '"aws.partner/other.com/acme/logs"']),
    "source-control-char": Case(DEV.replace(SOURCE, SOURCE + "\\t"), [
        f'{F}: environments.dev.auth0_event_source: {PARTNER_SOURCE}, got "{SOURCE}\\u0009"']),
    # EventBridge: an event source (and the partner bus named after it) is at most 256 characters
    "source-257": Case(DEV.replace(SOURCE, LONG_SOURCE), [
        f'{F}: environments.dev.auth0_event_source: {PARTNER_SOURCE}, got "{LONG_SOURCE}"']),
    # --- tags (AWS tagging rules: 50 a resource, the charset, aws: reserved, IAM ignores case)
    "tags-string": Case(dev('tags = "x"'), [f'{F}: environments.dev.tags: expected a table of tags, got "x"']),
    "tag-key-hash": Case(dev('tags = { "cost#center" = "1" }'), [
        f'{F}: environments.dev.tags."cost#center": {TAG_KEY}, got "cost#center"']),
    "tag-key-bang": Case(dev('tags = { "urgent!" = "1" }'), [f'{F}: environments.dev.tags."urgent!": {TAG_KEY}, got "urgent!"']),
    "tag-key-aws": Case(dev('tags = { "aws:owner" = "x" }'), [
        f'{F}: environments.dev.tags."aws:owner": expected a tag key not starting with "aws:" (reserved by AWS), '
        'got "aws:owner"']),
    "tag-key-129": Case(dev(f'tags = {{ {"k" * 129} = "x" }}'), [f'{F}: environments.dev.tags.{"k" * 129}: {TAG_KEY}, got "{"k" * 129}"']),
    "tag-project-lowercase": Case(dev('tags = { project = "x" }'), [
        f"{F}: environments.dev.tags.project: expected a tag key other than Project, Environment, ManagedBy (the "
        'stack sets them), got "project"']),
    "tag-value-integer": Case(dev("tags = { Owner = 1 }"), [f"{F}: environments.dev.tags.Owner: expected a tag value, a string, got 1"]),
    "tag-value-257": Case(dev(f'tags = {{ Owner = "{"v" * 257}" }}'), [
        f'{F}: environments.dev.tags.Owner: expected a tag value of at most 256 letters, digits, spaces and '
        f'_ . : / = + - @, got "{"v" * 257}"']),
    "tag-value-newline": Case(dev('tags = { Owner = "a\\nb" }'), [
        f'{F}: environments.dev.tags.Owner: expected a tag value of at most 256 letters, digits, spaces and '
        '_ . : / = + - @, got "a\\u000ab"']),
    "tags-48": Case(dev("tags = { " + ", ".join(f't{i} = "v"' for i in range(48)) + " }"), [
        f"{F}: environments.dev.tags: expected at most 47 tags (AWS allows 50 a resource and the stack adds "
        "Project, Environment, ManagedBy), got 48"]),
    "tags-differ-in-case-across-defaults": Case('[defaults.tags]\nOwner = "a"\n\n' + dev('tags = { owner = "b" }'), [
        f"{F}: environments.dev.tags.owner: expected tag keys that differ in more than case (IAM treats them as "
        'one), got "owner" beside "Owner"']),
    # --- backends (S3 bucket naming rules; Terraform's S3 backend key rules)
    "backend-type-array": Case(dev("backend = { type = [] }"), [
        f"{F}: environments.dev.backend.type: expected one of local, s3, got an array"]),
    "backend-string": Case(dev('backend = "s3"'), [f'{F}: environments.dev.backend: expected a table, got "s3"']),
    "backend-gcs": Case(dev('backend = { type = "gcs" }'), [
        f'{F}: environments.dev.backend.type: expected one of local, s3, got "gcs"']),
    "backend-s3-no-bucket": Case(dev('backend = { type = "s3" }'), [
        f"{F}: environments.dev.backend.bucket: missing: an s3 backend needs the state bucket's name"]),
    "bucket-underscore": Case(dev('backend = { type = "s3", bucket = "Bad_Bucket" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET}: 3 to 63 lowercase letters, digits, dots and hyphens, '
        'starting and ending with a letter or digit, got "Bad_Bucket"']),
    "bucket-two-chars": Case(dev('backend = { type = "s3", bucket = "ab" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET}: 3 to 63 lowercase letters, digits, dots and hyphens, '
        'starting and ending with a letter or digit, got "ab"']),
    "bucket-double-dot": Case(dev('backend = { type = "s3", bucket = "state..bucket" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET} without two adjacent periods, got "state..bucket"']),
    "bucket-ip": Case(dev('backend = { type = "s3", bucket = "192.168.1.1" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET} that is not formatted as an IP address, got "192.168.1.1"']),
    "bucket-xn": Case(dev('backend = { type = "s3", bucket = "xn--state" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET} not starting with "xn--" (reserved by S3), got "xn--state"']),
    "bucket-s3alias": Case(dev('backend = { type = "s3", bucket = "state-s3alias" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET} not ending with "-s3alias" (reserved by S3), '
        'got "state-s3alias"']),
    "bucket-x-s3": Case(dev('backend = { type = "s3", bucket = "state--x-s3" }'), [
        f'{F}: environments.dev.backend.bucket: {BUCKET} not ending with "--x-s3" (reserved by S3), got "state--x-s3"']),
    "state-key-leading-slash": Case(dev('backend = { type = "s3", bucket = "state", key = "/x.tfstate" }'), [
        f'{F}: environments.dev.backend.key: expected an S3 object key not starting or ending with "/" and without '
        '"//", got "/x.tfstate"']),
    "state-key-double-slash": Case(dev('backend = { type = "s3", bucket = "state", key = "a//x.tfstate" }'), [
        f'{F}: environments.dev.backend.key: expected an S3 object key not starting or ending with "/" and without '
        '"//", got "a//x.tfstate"']),
    "backend-local-with-bucket": Case(dev('backend = { type = "local", bucket = "x" }'), [
        f"{F}: environments.dev.backend.bucket: unknown key; expected one of type, path"]),
    # --- the Auth0 side (the provider's schema: regions, categories, PII; exactly one source)
    "both-sources": Case(managed().replace('"us-east-1"\n', f'"us-east-1"\nauth0_event_source = "{SOURCE}"\n'), [
        f"{F}: environments.dev: {EXACTLY_ONE} both"]),
    "source-in-defaults-and-managed-stream": Case(f'[defaults]\nauth0_event_source = "{SOURCE}"\n\n' + managed(), [
        f"{F}: environments.dev: {EXACTLY_ONE} both"]),
    "neither-source": Case(DEV.replace(f'auth0_event_source = "{SOURCE}"\n', ""), [
        f"{F}: environments.dev: {EXACTLY_ONE} neither"]),
    "auth0-in-defaults": Case('[defaults.auth0]\ndomain = "acme.auth0.com"\n\n' + dev(), [
        f"{F}: defaults.auth0: expected in an environment: each one streams its own tenant"]),
    "auth0-string": Case(DEV.replace(f'auth0_event_source = "{SOURCE}"\n', 'auth0 = "acme"\n'), [
        f'{F}: environments.dev.auth0: expected a table, got "acme"']),
    "auth0-region-af-south-1": Case(managed().replace('"us-east-1"', '"af-south-1"'), [
        f"{F}: environments.dev.aws_region: expected a region the auth0 provider can stream to (ap-east-1, …"]),
    "domain-label-64": Case(managed().replace("acme.auth0.com", "a" * 64 + ".auth0.com"), [
        f'{F}: environments.dev.auth0.domain: {DOMAIN}, got "{"a" * 64}.auth0.com"']),
    "domain-leading-hyphen": Case(managed().replace("acme.auth0.com", "-acme.auth0.com"), [
        f'{F}: environments.dev.auth0.domain: {DOMAIN}, got "-acme.auth0.com"']),
    "domain-single-label": Case(managed().replace("acme.auth0.com", "acme"), [
        f'{F}: environments.dev.auth0.domain: {DOMAIN}, got "acme"']),
    "domain-non-ascii": Case(managed().replace("acme.auth0.com", "acm\u00e9.auth0.com"), [
        f'{F}: environments.dev.auth0.domain: {DOMAIN}, got "acm\u00e9.auth0.com"']),
    "stream-name-bell": Case(managed('stream_name = "a\\u0007b"'), [
        f'{F}: environments.dev.auth0.stream_name: expected a name of 1 to 128 characters without control '
        'characters, got "a\\u0007b"']),
    "stream-name-129": Case(managed(f'stream_name = "{"s" * 129}"'), [
        f'{F}: environments.dev.auth0.stream_name: expected a name of 1 to 128 characters without control '
        f'characters, got "{"s" * 129}"']),
    "filter-unknown": Case(managed('filters = ["auth.login.failed"]'), [
        f"{F}: environments.dev.auth0.filters: expected a list of distinct log stream filter categories among …"]),
    "filter-scim": Case(managed('filters = ["scim.event"]'), [
        f"{F}: environments.dev.auth0.filters: expected a list of distinct log stream filter categories among …"]),
    "filter-duplicate": Case(managed('filters = ["other", "other"]'), [
        f"{F}: environments.dev.auth0.filters: expected a list of distinct log stream filter categories among …"]),
    "pii-field-ssn": Case(managed('pii_fields = ["ssn"]'), [
        f"{F}: environments.dev.auth0.pii_fields: expected a list of distinct PII fields among first_name, "
        'last_name, username, email, phone, address, got an array']),
    "pii-mask-without-fields": Case(managed('pii_method = "mask"', "pii_fields = []"), [
        f"{F}: environments.dev.auth0.pii_fields: missing: pii_method needs at least one of the pii_fields it "
        "applies to"]),
    "pii-method-encrypt": Case(managed('pii_fields = ["email"]', 'pii_method = "encrypt"'), [
        f'{F}: environments.dev.auth0.pii_method: expected a PII method, one of hash, mask, got "encrypt"']),
    "priority-yes": Case(managed('is_priority = "yes"'), [
        f'{F}: environments.dev.auth0.is_priority: expected true or false, got "yes"']),
    "start-from-date-only": Case(managed('start_from = "2026-01-01"'), [
        f'{F}: environments.dev.auth0.start_from: {START_FROM}, got "2026-01-01"']),
    "auth0-unknown-key": Case(managed('stram_name = "x"'), [
        f'{F}: environments.dev.auth0.stram_name: unknown key (did you mean "stream_name"?); expected one of …']),
    "email-no-domain": Case(DEV.replace('alarm_email = "sec@example.com"', 'alarm_email = "security"'), [
        f'{F}: environments.dev.alarm_email: expected an e-mail address (ASCII), e.g. security@example.com, '
        'got "security"']),
    "email-space": Case(DEV.replace('alarm_email = "sec@example.com"', 'alarm_email = "sec urity@example.com"'), [
        f'{F}: environments.dev.alarm_email: expected an e-mail address (ASCII), e.g. security@example.com, '
        'got "sec urity@example.com"']),
    "email-single-label-domain": Case(DEV.replace('alarm_email = "sec@example.com"', 'alarm_email = "a@b"'), [
        f'{F}: environments.dev.alarm_email: expected an e-mail address (ASCII), e.g. security@example.com, got "a@b"']),
    # --- the file and its structure
    "toml-syntax": Case(DEV + "buffer_size_mib = = 3\n", [f"{F}: invalid TOML: Invalid value (at line 6, column 19)"]),
    "toml-nested-5000": Case("x = " + "[" * 5000 + "]" * 5000 + "\n", [
        f"{F}: invalid TOML: arrays or tables nested too deeply"]),
    "environments-number": Case("environments = 3\n", [f"{F}: environments: expected a table of environments, got 3"]),
    "no-environments": Case('[defaults]\nproject = "x"\n', [
        f"{F}: environments: expected at least one [environments.<name>] table, got none"]),
    "top-level-typo": Case("[enviroments.dev]\n" + DEV, [
        f'{F}: enviroments: unknown key (did you mean "environments"?); expected one of defaults, environments']),
    "defaults-array": Case("defaults = []\n" + DEV, [f"{F}: defaults: expected a table, got an array"]),
    "environment-not-table": Case("[environments]\ndev = 1\n", [f"{F}: environments.dev: expected a table, got 1"]),
    # --- safety nets are given up in words, not by omission
    "no-alarm-subscriber": Case(DEV.replace('alarm_email = "sec@example.com"\n', ""), [
        f"{F}: environments.dev.alarm_email: missing: nobody would receive the alarms. Give an address, or set "
        "alarms_unsubscribed = true if you subscribe to the alarm topic another way"]),
    "subscriber-and-unsubscribed": Case(dev("alarms_unsubscribed = true"), [
        f"{F}: environments.dev.alarms_unsubscribed: expected false with an alarm_email, got true"]),
    "bare-zero-replay": Case(dev("replay_window_days = 0"), [
        f"{F}: environments.dev.replay_window_days: expected 1 to 365, got 0: without the replay archive, events "
        "Firehose could not deliver for 24 hours are lost for good; set accept_no_replay_archive = true to say so"]),
    "accepted-loss-with-a-window": Case(dev("accept_no_replay_archive = true"), [
        f"{F}: environments.dev.accept_no_replay_archive: expected false with replay_window_days = 14 (the default), "
        "got true"]),
    "admin-role-other-account": Case(dev('archive_admin_role_arns = ["arn:aws:iam::999999999999:role/admin"]'), [
        f"{F}: environments.dev.archive_admin_role_arns.0: expected a role in the environment's account "
        "111111111111, got one in 999999999999"]),
    # KMS refuses a key policy that locks out the principal creating it, and our bucket policy would deny the
    # deploy role its next change of the bucket: the deploy role must be one of the administrators.
    "admins-without-the-deploy-role": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/deploy"',
                                               'archive_admin_role_arns = ["arn:aws:iam::111111111111:role/admin"]'), [
        f"{F}: environments.dev.archive_admin_role_arns: expected a list that holds deploy_role_arn "
        "(arn:aws:iam::111111111111:role/deploy): the bucket policy denies everyone else the changes Terraform "
        "makes, so the next apply would be locked out; got ['arn:aws:iam::111111111111:role/admin']"]),
    "admins-empty-with-a-deploy-role": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/deploy"',
                                                "archive_admin_role_arns = []"), [
        f"{F}: environments.dev.archive_admin_role_arns: expected a list that holds deploy_role_arn "
        "(arn:aws:iam::111111111111:role/deploy): the bucket policy denies everyone else the changes Terraform "
        "makes, so the next apply would be locked out; got []"]),
    "admins-from-defaults-without-the-deploy-role": Case(
        '[defaults]\narchive_admin_role_arns = ["arn:aws:iam::111111111111:role/admin"]\n'
        + dev('deploy_role_arn = "arn:aws:iam::111111111111:role/deploy"'), [
        f"{F}: environments.dev.archive_admin_role_arns: expected a list that holds deploy_role_arn "
        "(arn:aws:iam::111111111111:role/deploy): the bucket policy denies everyone else the changes Terraform "
        "makes, so the next apply would be locked out; got ['arn:aws:iam::111111111111:role/admin'] (from [defaults])"]),
    "admin-role-a-user": Case(dev('archive_admin_role_arns = ["arn:aws:iam::111111111111:user/admin"]'), [
        f'{F}: environments.dev.archive_admin_role_arns.0: {ROLE_ARN}, got "arn:aws:iam::111111111111:user/admin"']),
    "admin-roles-twice": Case(dev('archive_admin_role_arns = ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/a"]'), [
        f"{F}: environments.dev.archive_admin_role_arns: expected a list of distinct IAM role ARNs, "
        "arn:aws:iam::<12 digits>:role/[<path>/]<name>, got an array"]),
    "invalid-utf8": Case(None, [f"{F}: expected UTF-8 text, got an invalid byte at offset {len(DEV) + 2}"], setup=make_bad_utf8),
    "a-directory": Case(None, ["conf.toml: expected a regular file, got a directory"],
                        env={"AUTH0_ARCHIVE_CONFIG": "conf.toml"}, setup=make_dir),
    "a-fifo": Case(None, ["pipe.toml: expected a regular file, got a named pipe (FIFO)"],
                   env={"AUTH0_ARCHIVE_CONFIG": "pipe.toml"}, setup=make_fifo),
    "dev-zero": Case(None, ["/dev/zero: expected a regular file, got a character device"],
                     env={"AUTH0_ARCHIVE_CONFIG": "/dev/zero"}),
    "over-1-mib": Case(None, ["big.toml: expected a file of at most 1024 KiB, got a larger one"],
                       env={"AUTH0_ARCHIVE_CONFIG": "big.toml"}, setup=make_big),
    "missing-file": Case(None, ["nope.toml: cannot read the file: No such file or directory"],
                         env={"AUTH0_ARCHIVE_CONFIG": "nope.toml"}),
    "empty-config-variable": Case(DEV, ["AUTH0_ARCHIVE_CONFIG: expected the path of a configuration file, got an empty value"],
                                  env={"AUTH0_ARCHIVE_CONFIG": ""}),
    # --- environments against each other
    "same-s3-state": Case(dev('backend = { type = "s3", bucket = "state", key = "k" }')
                          + QA + 'backend = { type = "s3", bucket = "state", key = "k" }\n', [
        f'{F}: environments.qa: {SHARED} the Terraform state "s3://state/k", as environments.dev has']),
    "same-absolute-local-state": Case(dev('backend = { path = "/var/state/x.tfstate" }')
                                      + QA + 'backend = { path = "/var/state/x.tfstate" }\n', [
        f'{F}: environments.qa: {SHARED} the Terraform state "/var/state/x.tfstate", as environments.dev has']),
    "role-names-collide": Case(DEV.replace("[environments.dev]", "[environments.x]")
                               + QA.replace("[environments.qa]", "[environments.x-events-to]"), [
        f'{F}: environments.x-events-to: {SHARED} the iam role "auth0-log-archive-x-events-to-firehose" in account '
        "111111111111, as environments.x has"]),
    "stack-names-collide": Case(DEV.replace("[environments.dev]", "[environments.a-b]") + 'project = "p"\n'
                                + QA.replace("[environments.qa]", "[environments.b]") + 'project = "p-a"\n', [
        f'{F}: environments.b: {SHARED} the stack name "p-a-b", as environments.a-b has']),
    "same-partner-source": Case(DEV + QA.replace(QA_SOURCE, SOURCE).replace("111111111111", "222222222222"), [
        f"{F}: environments.qa: {SHARED} the Auth0 partner event source (one feeds one environment), "
        "as environments.dev has"]),
    # --- the variables cdktf reads
    "cdktf-context-bad-json": Case(DEV, ["CDKTF_CONTEXT_JSON: expected a JSON object, got invalid JSON (Expecting property name enclosed in double quotes at 1)"],
                                   env={"CDKTF_CONTEXT_JSON": "{oops"}),
    "cdktf-context-array": Case(DEV, ["CDKTF_CONTEXT_JSON: expected a JSON object, got list"], env={"CDKTF_CONTEXT_JSON": "[]"}),
    "unknown-engine": Case(DEV, ['ARCHIVE_ENGINE: expected cdktf (the default) or cdktn, got "terraform"'],
                           env={"ARCHIVE_ENGINE": "terraform"}),
    "synth-hcl-output": Case(DEV, [
        "SYNTH_HCL_OUTPUT: expected it unset (cdktf synth --hcl sets it): this project writes Terraform JSON, "
        "which make review, make scan, make plan and the tests read; run cdktf synth without --hcl"],
        env={"SYNTH_HCL_OUTPUT": "true"}),
    "cdktf-outdir-a-file": Case(DEV, ['CDKTF_OUTDIR: expected a directory, got the file "environments.toml"'],
                                env={"CDKTF_OUTDIR": "environments.toml"}),
    # --- round three: what AWS, Terraform or Python would refuse later
    "cdktf-context-nan": Case(DEV, ["CDKTF_CONTEXT_JSON: expected a JSON object, got invalid JSON (NaN is not JSON)"],
                              env={"CDKTF_CONTEXT_JSON": '{"a": NaN}'}),
    "cdktf-context-deep": Case(DEV, ["CDKTF_CONTEXT_JSON: expected a JSON object, got one nested too deeply"],
                               env={"CDKTF_CONTEXT_JSON": "[" * 100_000 + "]" * 100_000}),
    "cdktf-outdir-below-a-file": Case(DEV, ['CDKTF_OUTDIR: expected a directory we can write, got "plain/out": "plain" '
                                            "is not a directory"], env={"CDKTF_OUTDIR": "plain/out"}, setup=below_a_file),
    "cdktf-outdir-dangling-link": Case(DEV, ['CDKTF_OUTDIR: expected a directory we can write, got "gone": a symbolic '
                                             "link to nothing"], env={"CDKTF_OUTDIR": "gone"}, setup=dangling_link),
    "cdktn-not-installed": Case(DEV, ["ARCHIVE_ENGINE: cdktn is not installed in this Python environment: run make "
                                      "cdktn and synthesize with make synth ENGINE=cdktn (its own environment, "
                                      "tools/cdktn/), or unset ARCHIVE_ENGINE"], env={"ARCHIVE_ENGINE": "cdktn"}),
    # Python's datetime ends at years 1 and 9999: in UTC these two fall outside it
    "start-from-year-1-overflows": Case(managed('start_from = "0001-01-01T00:00:00+01:00"'), [
        f'{F}: environments.dev.auth0.start_from: {START_FROM}, got "0001-01-01T00:00:00+01:00"']),
    "start-from-9999-overflows": Case(managed('start_from = "9999-12-31T23:30:00-01:00"'), [
        f'{F}: environments.dev.auth0.start_from: {START_FROM}, got "9999-12-31T23:30:00-01:00"']),
    # IAM: no wildcard is a principal; ArnNotLike would read it as one
    "admin-role-wildcard": Case(dev('archive_admin_role_arns = ["arn:aws:iam::111111111111:role/ops*/admin"]'), [
        f"{F}: environments.dev.archive_admin_role_arns.0: {ROLE_ARN} without the wildcards * and ? (a policy "
        'principal names one role), got "arn:aws:iam::111111111111:role/ops*/admin"']),
    "deploy-role-wildcard-path": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/a?/deploy"'), [
        f"{F}: environments.dev.deploy_role_arn: {ROLE_ARN} without the wildcards * and ? (a policy principal names "
        'one role), got "arn:aws:iam::111111111111:role/a?/deploy"']),
    "deploy-role-service-linked": Case(dev('deploy_role_arn = "arn:aws:iam::111111111111:role/aws-service-role/'
                                           'support.amazonaws.com/AWSServiceRoleForSupport"'), [
        f"{F}: environments.dev.deploy_role_arn: {ROLE_ARN} of a role people or pipelines assume, not a "
        'service-linked role (/aws-service-role/), got "arn:aws:iam::111111111111:role/aws-service-role/'
        'support.amazonaws.com/AWSServiceRoleForSupport"']),
    # Enumerations match exactly, in ASCII: upper() turns the dotless i (U+0131) into I
    "object-lock-lookalike": Case(dev('object_lock_mode = "compl\u0131ance"', "object_lock_days = 30"), [
        f'{F}: environments.dev.object_lock_mode: expected "governance" or "compliance", got "compl\u0131ance"']),
    # A local state file must overwrite nothing; an S3 state bucket must not be the stack's own
    "state-is-the-stack-json": Case(dev('backend = { type = "local", path = "cdk.tf.json" }'), [
        f'{F}: environments.dev.backend.path: {STATE} "cdk.tf.json": …']),
    "state-is-the-configuration": Case(dev('backend = { type = "local", path = "../../../environments.toml" }'), [
        f'{F}: environments.dev.backend.path: {STATE} "../../../environments.toml": …']),
    "state-is-a-directory": Case(dev('backend = { type = "local", path = "/tmp" }'), [
        f'{F}: environments.dev.backend.path: {STATE} "/tmp": "/tmp" is a directory']),
    "state-is-dev-null": Case(dev('backend = { type = "local", path = "/dev/null" }'), [
        f'{F}: environments.dev.backend.path: {STATE} "/dev/null": "/dev/null" is a device, pipe or socket']),
    "state-differs-only-in-case": Case(dev('backend = { type = "local", path = "/var/state/Prod.tfstate" }')
                                       + QA.replace("111111111111", "222222222222")
                                       + 'backend = { type = "local", path = "/var/state/prod.tfstate" }\n', [
        f'{F}: environments.qa: {SHARED} the Terraform state "/var/state/prod.tfstate", as environments.dev has']),
    "state-bucket-is-the-archive": Case(dev(f'backend = {{ type = "s3", bucket = "{ARCHIVE_BUCKET}" }}'), [
        f'{F}: environments.dev.backend.bucket: expected a bucket of its own for the Terraform state, got '
        f'"{ARCHIVE_BUCKET}", which the stack of environments.dev creates and manages']),
    "state-bucket-is-the-query-results": Case(dev(f'backend = {{ type = "s3", bucket = "{ARCHIVE_BUCKET}-athena-results" }}'), [
        f'{F}: environments.dev.backend.bucket: expected a bucket of its own for the Terraform state, got '
        f'"{ARCHIVE_BUCKET}-athena-results", which the stack of environments.dev creates and manages']),
}  # fmt: skip


def run_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    for variable in (
        "AUTH0_ARCHIVE_CONFIG",
        "CDKTF_CONTEXT_JSON",
        "SYNTH_HCL_OUTPUT",
        "CDKTF_OUTDIR",
        "ARCHIVE_ENGINE",
    ):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in case.env.items():
        monkeypatch.setenv(variable, value)
    if case.text is not None:
        (tmp_path / F).write_text(case.text, encoding="utf-8")
    if case.setup is not None:
        case.setup(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    status = app_main.main()
    return status, out.getvalue(), err.getvalue()


def test_there_are_at_least_80_hostile_configurations() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_configuration_is_refused_cleanly(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    sentinel = tmp_path / "cdktf.out" / "stacks" / "x" / "cdk.tf.json"
    sentinel.parent.mkdir(parents=True)
    sentinel.write_text("{}")
    started = time.monotonic()
    status, out, err = run_main(tmp_path, monkeypatch, case)
    assert time.monotonic() - started < 5
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == f"{len(lines) - 1} configuration problem(s); nothing was synthesized."
    problems = lines[:-1]
    assert len(problems) == len(case.lines), problems
    for line, expected in zip(problems, case.lines, strict=True):
        if expected.endswith("…"):
            assert line.startswith(expected[:-1]), line
        else:
            assert line == expected
    assert all(c.isprintable() for line in problems for c in line), "a problem line carries a control character"
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "cdktf.out").rglob("*")) == [
        Path("cdktf.out/stacks"),
        Path("cdktf.out/stacks/x"),
        Path("cdktf.out/stacks/x/cdk.tf.json"),
    ]


def test_no_traceback_for_the_worst_ones_in_a_real_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / F).write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    os.mkfifo(tmp_path / "pipe.toml")
    for extra in ({}, {"AUTH0_ARCHIVE_CONFIG": "pipe.toml"}, {"AUTH0_ARCHIVE_CONFIG": "/dev/zero"},
                  {"AUTH0_ARCHIVE_CONFIG": "environments.toml", "CDKTF_CONTEXT_JSON": "{oops"}):  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
        result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        assert result.returncode == 2, (extra, result.stderr)
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "cdktf.out").exists()
