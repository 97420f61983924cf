"""The user-facing contract: ``environments.toml`` → validated, typed settings.

Every setting is declared once in ``SETTINGS`` below, with its documentation,
default and check. ``load_config`` reads the file, merges ``[defaults]`` into
each ``[environments.<name>]`` table and validates *every* environment before
anything is synthesized; all problems are reported together as
``<file>: <key path>: expected ..., got ...`` lines in a ``ConfigError``.

Nothing here touches Terraform or cdktf: the stacks receive finished
``Environment`` objects.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modules.auth0_catalog import FILTER_CATEGORIES, PII_LOG_FIELDS, PII_METHODS, rfc3339_utc, unsupported_region

DEFAULT_CONFIG_FILE = "environments.toml"
CONFIG_FILE_ENV = "AUTH0_ARCHIVE_CONFIG"

# Every AWS commercial region (partition "aws"). Auth0 streams only to
# commercial regions, and every ARN we build uses the "aws" partition.
AWS_REGIONS = frozenset(
    [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "mx-central-1",
        "sa-east-1",
        "eu-central-1",
        "eu-central-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-1",
        "ap-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
    ]
)

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# "<project>-<environment>" prefixes bucket, role and stream names; 32
# characters keep the longest derived name (a bucket) within S3's 63.
MAX_NAME_PREFIX = 32

# Tags every resource gets from the stack; user tags may not redefine them.
RESERVED_TAGS = ("Project", "Environment", "ManagedBy")

PARTNER_EVENT_SOURCE = re.compile(
    r"aws\.partner/auth0\.com/"
    r"(?P<tenant>[a-z0-9][a-z0-9-]*)-"
    r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/auth0\.logs"
)
NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
ACCOUNT_ID = re.compile(r"\d{12}")
ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
S3_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class Backend:
    """Where Terraform keeps the stack's state."""

    type: str  # "local" or "s3"
    path: str | None = None  # local: state file (default: cdktf's terraform.<stack>.tfstate)
    bucket: str | None = None  # s3: state bucket
    key: str | None = None  # s3: object key
    region: str | None = None  # s3: bucket region


@dataclass(frozen=True)
class Auth0Stream:
    """An Auth0 log stream this stack manages (the ``[environments.<name>.auth0]`` table)."""

    domain: str  # the tenant's domain, for the auth0 provider
    stream_name: str
    filters: tuple[str, ...] = ()  # categories; none means every event
    pii_fields: tuple[str, ...] = ()
    pii_method: str = "hash"
    is_priority: bool | None = None
    start_from: str | None = None  # RFC 3339, UTC; Auth0 reads it only when it creates the stream


@dataclass(frozen=True)
class Environment:
    """One deployment target: one AWS account and region, one stack."""

    name: str
    project: str
    aws_account_id: str
    aws_region: str
    auth0_event_source: str | None  # a stream made elsewhere, or None when ``auth0`` is set
    deploy_role_arn: str | None
    glacier_after_days: int
    deep_archive_after_days: int | None
    expire_after_days: int
    buffer_interval_seconds: int
    buffer_size_mib: int
    log_retention_days: int
    tags: Mapping[str, str]
    backend: Backend
    replay_window_days: int = 14
    alarm_email: str | None = None
    no_events_alarm_hours: int = 24
    delivery_delay_alarm_seconds: int = 1800
    object_lock_mode: str | None = None  # "GOVERNANCE" or "COMPLIANCE"
    object_lock_days: int | None = None
    auth0: Auth0Stream | None = None  # a stream managed by this stack
    athena: bool = True
    athena_start_date: str | None = None  # "YYYY-MM-DD"; None: as far back as objects live
    athena_scan_limit_mib: int = 10240
    athena_results_expire_days: int = 7

    @property
    def stack_name(self) -> str:
        return f"{self.project}-{self.name}"

    @property
    def name_prefix(self) -> str:
        """Prefix of every named resource in the stack."""
        return self.stack_name

    @property
    def default_tags(self) -> dict[str, str]:
        return {
            **self.tags,
            "Project": self.project,
            "Environment": self.name,
            "ManagedBy": "cdktf",
        }


@dataclass(frozen=True)
class Configuration:
    source: str  # the file name as the user gave it, for messages
    environments: tuple[Environment, ...]

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- declarations ---------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns "expected ..." text, or None when valid


@dataclass(frozen=True)
class Setting:
    key: str
    doc: str
    check: Check
    default: Any = None
    required: bool = False


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return json.dumps(value, default=str)


def _integer(low: int, high: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and value >= low and (high is None or value <= high):
            return None
        return f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"

    return check


def _one_of(allowed: tuple[Any, ...], what: str) -> Check:
    def check(value: Any) -> str | None:
        ok = not isinstance(value, bool) and value in allowed
        return None if ok else f"{what}, one of {', '.join(map(str, allowed))}"

    return check


def _string(pattern: re.Pattern[str], what: str) -> Check:
    def check(value: Any) -> str | None:
        return None if isinstance(value, str) and pattern.fullmatch(value) else what

    return check


def _region(value: Any) -> str | None:
    if isinstance(value, str) and value in AWS_REGIONS:
        return None
    return 'an AWS commercial region such as "us-east-1"'


def _tags(value: Any) -> str | None:
    expected = (
        'a table of string tags (keys 1-128 characters, not starting with "aws:", '
        f"not {', '.join(RESERVED_TAGS)}; values at most 256 characters)"
    )
    if not isinstance(value, dict):
        return expected
    for key, tag in value.items():
        if not (0 < len(key) <= 128) or key.lower().startswith("aws:") or key in RESERVED_TAGS:
            return expected
        if not isinstance(tag, str) or len(tag) > 256:
            return expected
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def _date(value: Any) -> str | None:
    try:
        datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "a date, YYYY-MM-DD"
    return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "a date, YYYY-MM-DD"


def _lock_mode(value: Any) -> str | None:
    if isinstance(value, str) and value.upper() in OBJECT_LOCK_MODES:
        return None
    return '"governance" or "compliance"'


def _any_table(value: Any) -> str | None:
    return None if isinstance(value, dict) else "a table"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "project",
        "Name prefix of every resource and the Project tag; the stack is <project>-<environment>.",
        _string(NAME, "lowercase letters, digits and hyphens, starting with a letter"),
        default="auth0-log-archive",
    ),
    Setting(
        "aws_account_id",
        "The AWS account the environment deploys to; the provider refuses any other.",
        _string(ACCOUNT_ID, "12 digits, as a string"),
        required=True,
    ),
    Setting("aws_region", "The AWS region of the partner event source and of every resource.", _region, required=True),
    Setting(
        "auth0_event_source",
        "The partner event source of a log stream made in Auth0 (or give an [auth0] table instead).",
        _string(
            PARTNER_EVENT_SOURCE, "an Auth0 partner event source, aws.partner/auth0.com/<tenant>-<uuid>/auth0.logs"
        ),
    ),
    Setting("auth0", "The Auth0 log stream to manage in this stack (instead of auth0_event_source).", _any_table),
    Setting(
        "deploy_role_arn",
        "Optional IAM role in the environment's account that Terraform assumes.",
        _string(ROLE_ARN, "an IAM role ARN, arn:aws:iam::<12 digits>:role/<name>"),
    ),
    Setting(
        "glacier_after_days",
        "Days after which log objects move to S3 Glacier Flexible Retrieval.",
        _integer(1),
        default=90,
    ),
    Setting(
        "deep_archive_after_days",
        "Optional: days after which log objects move to S3 Glacier Deep Archive.",
        _integer(1),
    ),
    Setting(
        "expire_after_days", "Days after which log objects are deleted (the retention limit).", _integer(1), default=400
    ),
    Setting(
        "buffer_interval_seconds",
        "Firehose buffering: longest wait before writing an object.",
        _integer(0, 900),
        default=900,
    ),
    Setting(
        "buffer_size_mib", "Firehose buffering: largest object size before writing it.", _integer(1, 128), default=64
    ),
    Setting(
        "log_retention_days",
        "Retention of the Firehose error log group (a value CloudWatch accepts).",
        _one_of(LOG_RETENTION_DAYS, "a CloudWatch Logs retention period"),
        default=365,
    ),
    Setting(
        "replay_window_days",
        "Days the EventBridge archive keeps every event for replay after an outage (0: no archive).",
        _integer(0, 365),
        default=14,
    ),
    Setting(
        "alarm_email",
        "Optional: an address subscribed to the alarm topic (confirm the e-mail AWS sends).",
        _string(EMAIL, "an e-mail address"),
    ),
    Setting(
        "no_events_alarm_hours",
        "Hours without a single Auth0 event before the silence alarm fires.",
        _integer(1, 168),
        default=24,
    ),
    Setting(
        "delivery_delay_alarm_seconds",
        "Age of the oldest undelivered record that raises the delivery alarm.",
        _integer(60, 86400),
        default=1800,
    ),
    Setting("object_lock_mode", "Optional S3 Object Lock default retention mode for new log objects.", _lock_mode),
    Setting(
        "object_lock_days", "Days each new log object is locked against deletion (with object_lock_mode).", _integer(1)
    ),
    Setting(
        "athena",
        "Query the archive with Athena: Glue table, workgroup, results bucket, named queries.",
        _boolean,
        default=True,
    ),
    Setting("athena_start_date", "Optional: the first day Athena's partition projection covers (YYYY-MM-DD).", _date),
    Setting(
        "athena_scan_limit_mib",
        "Athena workgroup limit on the data one query may scan, in MiB (at least 10).",
        _integer(10),
        default=10240,
    ),
    Setting(
        "athena_results_expire_days", "Days Athena query results are kept in their bucket.", _integer(1, 365), default=7
    ),
    Setting("tags", "Tags added to every resource through the provider's default_tags.", _tags, default={}),
    Setting("backend", 'Where the state is kept: absent or type "local" for a local file, or type "s3".', _any_table),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}

BACKEND_KEYS: dict[str, dict[str, Check]] = {
    "local": {"path": _string(re.compile(r".+"), "a file path")},
    "s3": {
        "bucket": _string(S3_BUCKET_NAME, "an S3 bucket name"),
        "key": _string(re.compile(r"[^/].*"), 'an object key not starting with "/"'),
        "region": _region,
    },
}


def _string_list(allowed: tuple[str, ...], what: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)
        return None if ok else f"{what} among {', '.join(allowed)}"

    return check


AUTH0_KEYS: dict[str, Check] = {
    "domain": _string(
        re.compile(r"(?=.{4,253}$)([a-z0-9-]+\.)+[a-z]{2,}"), 'a domain name such as "acme.eu.auth0.com"'
    ),
    "stream_name": _string(re.compile(r".{1,128}"), "a name of 1 to 128 characters"),
    "filters": _string_list(FILTER_CATEGORIES, "a list of log stream filter categories"),
    "pii_fields": _string_list(PII_LOG_FIELDS, "a list of PII fields"),
    "pii_method": _one_of(PII_METHODS, "a PII method"),
    "is_priority": _boolean,
    "start_from": lambda value: (
        None
        if rfc3339_utc(value)
        else "an RFC 3339 time with its offset, e.g. 2026-01-01T00:00:00Z "
        "(Auth0 reads it only when it creates the stream)"
    ),
}


# --- loading --------------------------------------------------------------------


def config_path(environ: Mapping[str, str]) -> Path:
    """The configuration file: $AUTH0_ARCHIVE_CONFIG, else environments.toml."""
    return Path(environ.get(CONFIG_FILE_ENV) or DEFAULT_CONFIG_FILE)


def load_config(path: Path | str) -> Configuration:
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"{source}: cannot read the file: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{source}: expected UTF-8 text"]) from None
    return parse_config(text, source)


def parse_config(text: str, source: str) -> Configuration:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{source}: invalid TOML: {error}"]) from None
    return _Validator(source).configuration(document)


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def expected(self, where: str, expected: str, value: Any) -> None:
        self.problem(where, f"expected {expected}, got {_show(value)}")

    def unknown_keys(self, where: str, table: Mapping[str, Any], known: list[str]) -> None:
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
                self.problem(
                    f"{where}.{key}" if where else key, f"unknown key{suggestion}; expected one of {', '.join(known)}"
                )

    def configuration(self, document: dict[str, Any]) -> Configuration:
        self.unknown_keys("", document, ["defaults", "environments"])
        defaults = document.get("defaults", {})
        environments = document.get("environments", {})
        if not isinstance(defaults, dict):
            self.expected("defaults", "a table", defaults)
            defaults = {}
        if not isinstance(environments, dict):
            self.expected("environments", "a table of environments", environments)
            environments = {}
        defaults_valid = self.settings("defaults", defaults)

        if not environments:
            self.problem("environments", "expected at least one [environments.<name>] table, got none")
        built: list[Environment] = []
        for name, table in environments.items():
            where = f"environments.{name}"
            if not isinstance(table, dict):
                self.expected(where, "a table", table)
                continue
            if not NAME.fullmatch(name):
                self.expected(
                    where,
                    "an environment name of lowercase letters, digits and hyphens, "
                    "starting with a letter (it names the stack and its resources)",
                    name,
                )
                continue
            own_valid = self.settings(where, table)
            env = self.environment(name, defaults, table, valid=defaults_valid and own_valid)
            if env is not None:
                built.append(env)

        self.unique(built, "auth0_event_source", "each Auth0 partner event source feeds one environment")
        if self.problems:
            raise ConfigError(self.problems)
        return Configuration(self.source, tuple(built))

    def settings(self, where: str, table: dict[str, Any]) -> bool:
        """Check the keys and values a table sets itself (not what it inherits); True when valid."""
        before = len(self.problems)
        self.unknown_keys(where, table, list(SETTINGS_BY_KEY))
        for key, value in table.items():
            setting = SETTINGS_BY_KEY.get(key)
            if setting is None:
                continue
            expected = setting.check(value)
            if expected:
                self.expected(f"{where}.{key}", expected, value)
            elif key == "backend":
                self.backend(f"{where}.backend", value)
            elif key == "auth0":
                if where == "defaults":
                    self.problem("defaults.auth0", "expected in an environment: each one streams its own tenant")
                else:
                    self.auth0(f"{where}.auth0", value)
        return len(self.problems) == before

    def backend(self, where: str, table: dict[str, Any]) -> None:
        kind = table.get("type", "local")
        if kind not in BACKEND_KEYS:
            self.expected(f"{where}.type", f"one of {', '.join(BACKEND_KEYS)}", kind)
            return
        checks = BACKEND_KEYS[kind]
        self.unknown_keys(where, table, ["type", *checks])
        for key, check in checks.items():
            if key in table and (expected := check(table[key])):
                self.expected(f"{where}.{key}", expected, table[key])
        if kind == "s3" and "bucket" not in table:
            self.problem(f"{where}.bucket", "missing: an s3 backend needs the state bucket's name")

    def auth0(self, where: str, table: dict[str, Any]) -> None:
        self.unknown_keys(where, table, list(AUTH0_KEYS))
        for key, check in AUTH0_KEYS.items():
            if key in table and (expected := check(table[key])):
                self.expected(f"{where}.{key}", expected, table[key])
        if "domain" not in table:
            self.problem(f"{where}.domain", 'missing: the Auth0 tenant\'s domain, e.g. "acme.eu.auth0.com"')
        if "pii_method" in table and "pii_fields" not in table:
            self.problem(f"{where}.pii_fields", "missing: pii_method needs the pii_fields it applies to")

    def environment(
        self, name: str, defaults: dict[str, Any], own: dict[str, Any], *, valid: bool
    ) -> Environment | None:
        """Merge defaults into one environment and check what depends on several keys.

        ``valid`` says whether the keys were valid where they are written; if
        not, only missing keys are reported here (the rest already was).
        """
        where = f"environments.{name}"
        merged: dict[str, Any] = {s.key: s.default for s in SETTINGS}
        merged.update(defaults)
        merged.update(own)
        merged["tags"] = {**defaults.get("tags", {}), **own.get("tags", {})}

        before = len(self.problems)
        for setting in SETTINGS:
            if setting.required and merged.get(setting.key) is None:
                self.problem(f"{where}.{setting.key}", f"missing: {setting.doc}")
        if ("auth0_event_source" in merged and merged["auth0_event_source"] is not None) == ("auth0" in own):
            both = "auth0_event_source" in own and "auth0" in own
            self.problem(
                where,
                "expected exactly one of auth0_event_source (a stream made in Auth0) and an [auth0] table "
                f"(a stream managed here), got {'both' if both else 'neither'}",
            )
        if not valid or len(self.problems) > before:
            return None

        self.cross_checks(where, name, merged, own)
        if len(self.problems) > before:
            return None

        backend_table = dict(merged.get("backend") or {"type": "local"})
        kind = backend_table.pop("type", "local")
        if kind == "s3":
            backend_table.setdefault("region", merged["aws_region"])
            backend_table.setdefault("key", f"{merged['project']}/{name}.tfstate")
        return Environment(
            name=name,
            project=merged["project"],
            aws_account_id=merged["aws_account_id"],
            aws_region=merged["aws_region"],
            auth0_event_source=merged["auth0_event_source"],
            deploy_role_arn=merged.get("deploy_role_arn"),
            glacier_after_days=merged["glacier_after_days"],
            deep_archive_after_days=merged.get("deep_archive_after_days"),
            expire_after_days=merged["expire_after_days"],
            buffer_interval_seconds=merged["buffer_interval_seconds"],
            buffer_size_mib=merged["buffer_size_mib"],
            log_retention_days=merged["log_retention_days"],
            tags=dict(merged["tags"]),
            backend=Backend(type=kind, **backend_table),
            replay_window_days=merged["replay_window_days"],
            alarm_email=merged.get("alarm_email"),
            no_events_alarm_hours=merged["no_events_alarm_hours"],
            delivery_delay_alarm_seconds=merged["delivery_delay_alarm_seconds"],
            object_lock_mode=merged["object_lock_mode"].upper() if merged.get("object_lock_mode") else None,
            object_lock_days=merged.get("object_lock_days"),
            auth0=self.auth0_stream(name, merged, own.get("auth0")),
            athena=merged["athena"],
            athena_start_date=merged.get("athena_start_date"),
            athena_scan_limit_mib=merged["athena_scan_limit_mib"],
            athena_results_expire_days=merged["athena_results_expire_days"],
        )

    @staticmethod
    def auth0_stream(name: str, merged: dict[str, Any], table: dict[str, Any] | None) -> Auth0Stream | None:
        if table is None:
            return None
        return Auth0Stream(
            domain=table["domain"],
            stream_name=table.get("stream_name", f"Amazon EventBridge ({merged['project']}-{name})"),
            filters=tuple(table.get("filters", ())),
            pii_fields=tuple(table.get("pii_fields", ())),
            pii_method=table.get("pii_method", "hash"),
            is_priority=table.get("is_priority"),
            start_from=rfc3339_utc(table["start_from"]) if "start_from" in table else None,
        )

    def cross_checks(self, where: str, name: str, merged: dict[str, Any], own: dict[str, Any]) -> None:
        """Rules between keys of one merged environment."""

        def origin(key: str) -> str:
            return "" if key in own else " (from defaults)"

        prefix = f"{merged['project']}-{name}"
        if len(prefix) > MAX_NAME_PREFIX:
            self.problem(
                where,
                f'expected "<project>-<environment>" of at most {MAX_NAME_PREFIX} characters '
                f'(it prefixes bucket and role names), got "{prefix}" ({len(prefix)})',
            )
        glacier, deep, expire = (
            merged[k] for k in ("glacier_after_days", "deep_archive_after_days", "expire_after_days")
        )
        if deep is not None and deep <= glacier:
            self.problem(
                f"{where}.deep_archive_after_days",
                f"expected more than glacier_after_days ({glacier}), got {deep}{origin('deep_archive_after_days')}",
            )
        last_transition = deep if deep is not None else glacier
        last_name = "deep_archive_after_days" if deep is not None else "glacier_after_days"
        if expire <= last_transition:
            self.problem(
                f"{where}.expire_after_days",
                f"expected more than {last_name} ({last_transition}), got {expire}{origin('expire_after_days')}",
            )
        if merged["delivery_delay_alarm_seconds"] <= merged["buffer_interval_seconds"]:
            self.problem(
                f"{where}.delivery_delay_alarm_seconds",
                f"expected more than buffer_interval_seconds ({merged['buffer_interval_seconds']}), "
                f"got {merged['delivery_delay_alarm_seconds']}{origin('delivery_delay_alarm_seconds')}",
            )
        lock_mode, lock_days = merged.get("object_lock_mode"), merged.get("object_lock_days")
        if (lock_mode is None) != (lock_days is None):
            missing = "object_lock_days" if lock_days is None else "object_lock_mode"
            self.problem(f"{where}.{missing}", "missing: object_lock_mode and object_lock_days go together")
        elif lock_days is not None and lock_days > expire:
            self.problem(
                f"{where}.object_lock_days",
                f"expected at most expire_after_days ({expire}): a locked object cannot expire, "
                f"got {lock_days}{origin('object_lock_days')}",
            )
        if "auth0" in own and (expected := unsupported_region(merged["aws_region"])):
            self.expected(f"{where}.aws_region", expected, merged["aws_region"])
        role = merged.get("deploy_role_arn")
        if role is not None:
            role_account = ROLE_ARN.fullmatch(role).group("account")  # type: ignore[union-attr]
            if role_account != merged["aws_account_id"]:
                self.problem(
                    f"{where}.deploy_role_arn",
                    f"expected a role in the environment's account {merged['aws_account_id']}, "
                    f"got one in {role_account}",
                )

    def unique(self, environments: list[Environment], attribute: str, why: str) -> None:
        seen: dict[str, str] = {}
        for env in environments:
            value = getattr(env, attribute)
            if value in seen:
                self.problem(
                    f"environments.{env.name}.{attribute}",
                    f"expected a value no other environment uses ({why}), got the one of environments.{seen[value]}",
                )
            seen.setdefault(value, env.name)


if __name__ == "__main__":  # python -m modules.config --names: the environments, as JSON (CI matrices)
    import os
    import sys

    try:
        configuration = load_config(config_path(os.environ))
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        sys.exit(2)
    print(json.dumps([env.name for env in configuration.environments]))
