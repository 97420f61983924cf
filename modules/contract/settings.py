"""The settings users write in ``environments.toml``, each declared once.

Every setting is a field of ``Environment`` (or of the ``Auth0Stream`` table)
whose metadata is its contract: its meaning, its kind (type, bounds, allowed
values, with the AWS or Auth0 rule each comes from) and its default. The
validation (``modules/contract/validation.py``), the typed objects and the
README's configuration tables (``settings_table``) all come from them.

No cdktf here: the contract is read before jsii starts.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any

from modules.contract import aws_rules, naming
from modules.contract.auth0_catalog import FILTER_CATEGORIES, PII_LOG_FIELDS, PII_METHODS, rfc3339_utc
from modules.contract.aws_rules import INT32_MAX, JSON_SAFE_INTEGER, OBJECT_LOCK_MAX_DAYS, control_characters
from modules.contract.detections import LEVELS, RULE_ID

# Every AWS commercial region (partition "aws"). Every ARN we build uses the
# "aws" partition; a managed Auth0 stream narrows this (modules/auth0_catalog.py).
AWS_REGIONS = frozenset(
    [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1",
        "sa-east-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
        "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "af-south-1", "ap-east-1",
        "ap-east-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-6", "ap-southeast-7",
    ]
)  # fmt: skip

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# "<project>-<environment>" prefixes bucket, role and stream names; 32
# characters keep the longest derived name within AWS's limits (tested).
MAX_NAME_PREFIX = 32

# Tags every resource gets from the stack (Environment.default_tags); user tags may not redefine them.
RESERVED_TAGS = ("Project", "Environment", "ManagedBy")

PARTNER_EVENT_SOURCE = re.compile(
    r"aws\.partner/auth0\.com/"
    r"(?P<tenant>[a-z0-9][a-z0-9-]*)-"
    r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/auth0\.logs",
    re.ASCII,
)
NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
# RFC 5322 dot-atom local part and a host name: what SNS e-mail subscriptions take in practice.
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?P<domain>.+)", re.ASCII)
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")

# --- kinds of value ------------------------------------------------------------------


class Invalid(Exception):
    """A value its kind refuses: ``expected`` says what it accepts; ``at`` a key inside it, if any."""

    def __init__(self, expected: str, value: Any = None, at: tuple[str, ...] = ()) -> None:
        super().__init__(expected)
        self.expected, self.value, self.at = expected, value, at


class Kind:
    """What a setting accepts. ``parse`` returns the value as the typed objects hold it."""

    expected = ""

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def allowed(self) -> str:
        """The README's "allowed" column."""
        return self.expected


@dataclass(frozen=True)
class Integer(Kind):
    """A TOML integer within bounds (floats such as 365.0 are not integers)."""

    low: int
    high: int
    why: str = ""  # where the bounds come from

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"an integer from {self.low} to {self.high}"

    def parse(self, value: Any) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise Invalid(self.expected)
        return value

    def allowed(self) -> str:
        return f"{self.low} to {self.high}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[Any, ...]
    what: str

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"{self.what}, one of {', '.join(map(str, self.values))}"

    def parse(self, value: Any) -> Any:
        if isinstance(value, bool) or value not in self.values:
            raise Invalid(self.expected)
        return value

    def allowed(self) -> str:
        return ", ".join(f"`{v}`" for v in self.values)


@dataclass(frozen=True)
class Text(Kind):
    """A string without control characters that ``rule`` accepts (it returns None, or what it expects)."""

    expected: str
    rule: Callable[[str], str | None] = lambda text: None
    convert: Callable[[str], Any] = lambda text: text

    def parse(self, value: Any) -> Any:
        if not isinstance(value, str) or not value or control_characters(value):
            raise Invalid(self.expected)
        if (expected := self.rule(value)) is not None:
            raise Invalid(expected or self.expected)  # "" from a rule: this Text's own words
        return self.convert(value)


def _pattern_rule(pattern: re.Pattern[str], expected: str) -> Callable[[str], str | None]:
    return lambda text: None if pattern.fullmatch(text) else expected


def pattern_text(pattern: re.Pattern[str], expected: str) -> Text:
    return Text(expected, _pattern_rule(pattern, expected))


@dataclass(frozen=True)
class Flag(Kind):
    expected: str = "true or false"

    def parse(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(self.expected)
        return value

    def allowed(self) -> str:
        return "`true`, `false`"


@dataclass(frozen=True)
class Day(Kind):
    """A date, as a TOML date or a "YYYY-MM-DD" string, no later than today (UTC)."""

    expected: str = "a date, YYYY-MM-DD, no later than today"

    def parse(self, value: Any) -> str:
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date | str):
            raise Invalid(self.expected)
        if isinstance(value, str):
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
                raise Invalid(self.expected)
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                raise Invalid(self.expected) from None
        if value > datetime.datetime.now(datetime.UTC).date():
            raise Invalid(self.expected)
        return value.isoformat()

    def allowed(self) -> str:
        return 'a TOML date or `"YYYY-MM-DD"`, not in the future'


@dataclass(frozen=True)
class Instant(Kind):
    """A moment: RFC 3339 text or a TOML offset date-time, kept as UTC text."""

    expected: str = (
        "an RFC 3339 time with its offset, e.g. 2026-01-01T00:00:00Z (Auth0 reads it only when it creates the stream)"
    )

    def parse(self, value: Any) -> str:
        if isinstance(value, str) and control_characters(value):
            raise Invalid(self.expected)
        if (moment := rfc3339_utc(value)) is None:
            raise Invalid(self.expected)
        return moment

    def allowed(self) -> str:
        return 'RFC 3339, e.g. `"2026-11-01T00:00:00Z"`'


@dataclass(frozen=True)
class Names(Kind):
    """A list of distinct strings from ``allowed_values``."""

    allowed_values: tuple[str, ...]
    what: str
    at_least_one: bool = False

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a list of distinct {self.what} among {', '.join(self.allowed_values)}"

    def parse(self, value: Any) -> tuple[str, ...]:
        ok = isinstance(value, list) and all(isinstance(v, str) and v in self.allowed_values for v in value)
        if not ok or len(set(value)) != len(value) or (self.at_least_one and not value):
            raise Invalid(self.expected)
        return tuple(value)

    def allowed(self) -> str:
        return ", ".join(f"`{v}`" for v in self.allowed_values)


@dataclass(frozen=True)
class RoleArns(Kind):
    """A list of distinct IAM role ARNs (IAM's grammar, modules/contract/aws_rules.py)."""

    expected: str = "a list of distinct IAM role ARNs, arn:aws:iam::<12 digits>:role/[<path>/]<name>"

    def parse(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or len(set(map(str, value))) != len(value):
            raise Invalid(self.expected)
        for index, arn in enumerate(value):
            if not isinstance(arn, str) or (expected := aws_rules.iam_role_arn(arn)) is not None:
                raise Invalid(expected if isinstance(arn, str) else self.expected, arn, at=(str(index),))
        return tuple(value)

    def allowed(self) -> str:
        return "role ARNs in the environment's account"


@dataclass(frozen=True)
class Tags(Kind):
    """Tags for every resource (AWS's tag rules; see modules/aws_rules.py)."""

    expected: str = "a table of tags"

    def parse(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise Invalid("a table of tags")
        for key, tag in value.items():
            if (expected := aws_rules.tag_key(key)) is not None:
                raise Invalid(expected, key, at=(key,))
            if key.lower() in {r.lower() for r in RESERVED_TAGS}:
                raise Invalid(f"a tag key other than {', '.join(RESERVED_TAGS)} (the stack sets them)", key, (key,))
            if not isinstance(tag, str):
                raise Invalid("a tag value, a string", tag, at=(key,))
            if (expected := aws_rules.tag_value(tag)) is not None:
                raise Invalid(expected, tag, at=(key,))
        return dict(value)

    def allowed(self) -> str:
        return (
            f"at most {aws_rules.MAX_TAGS - len(RESERVED_TAGS)} tags (AWS allows {aws_rules.MAX_TAGS}; "
            f"the stack adds {len(RESERVED_TAGS)}); keys 1-128, values 0-256 letters, digits, spaces "
            "and `_.:/=+-@`; not `aws:`; unique ignoring case"
        )


@dataclass(frozen=True)
class Table(Kind):
    """A table of its own settings (``[environments.<name>.auth0]``); parsed by the validator."""

    of: type
    expected: str = "a table"

    def parse(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Invalid(self.expected)
        return value

    def allowed(self) -> str:
        return "a table (below)"


@dataclass(frozen=True)
class RuleIds(Kind):
    """Distinct detection rule ids (their file names in detections/); that they exist is checked against the
    catalog (validation.py), which names the ids there are."""

    all_allowed: bool = False
    expected: str = "a list of distinct rule ids (lowercase letters, digits and _)"

    def parse(self, value: Any) -> str | tuple[str, ...]:
        if self.all_allowed and value == "all":
            return "all"
        if not isinstance(value, list) or not all(isinstance(v, str) and RULE_ID.fullmatch(v) for v in value):
            raise Invalid('"all", a list of rule ids, or [] for none' if self.all_allowed else self.expected)
        if len(set(value)) != len(value):
            raise Invalid("a list of distinct rule ids")
        return tuple(value)

    def allowed(self) -> str:
        return ('`"all"`, ' if self.all_allowed else "") + "rule ids of docs/detections.md"


@dataclass(frozen=True)
class RuleTable(Kind):
    """A table keyed by rule id; ``values`` checks each value."""

    values: Kind
    expected: str = "a table of rule ids"

    def parse(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(self.expected)
        parsed = {}
        for key, item in value.items():
            if not RULE_ID.fullmatch(key):
                raise Invalid("a rule id (lowercase letters, digits and _)", key, at=(key,))
            try:
                parsed[key] = self.values.parse(item)
            except Invalid as error:
                raise Invalid(error.expected, item, at=(key,)) from None
        return parsed

    def allowed(self) -> str:
        return f"rule id = {self.values.allowed()}"


@dataclass(frozen=True)
class DetectionValues(Kind):
    """Values of the rules' placeholders: a string or a list of strings each; their names and kinds come
    from the overlays (checked against the catalog in validation.py)."""

    expected: str = "a table of values: a string or a list of strings each"

    def parse(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(self.expected)
        for key, item in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", key, re.ASCII):
                raise Invalid("a value name (lowercase letters, digits and _)", key, at=(key,))
            items = item if isinstance(item, list) else [item]
            if not all(isinstance(i, str) and i and not control_characters(i) for i in items):
                raise Invalid("a string or a list of strings, without control characters", item, at=(key,))
        return dict(value)

    def allowed(self) -> str:
        return "names and kinds in docs/detections.md"


# --- declarations --------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    key: str
    doc: str
    kind: Kind
    required: bool
    default: Any
    default_text: str  # as the README shows it


def setting(doc: str, kind: Kind, *, default: Any = None, required: bool = False, default_text: str = "") -> Any:
    """Declare a setting: a dataclass field whose metadata is its contract."""
    info = {"doc": doc, "kind": kind, "required": required, "default_text": default_text}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=info)
    if required:
        return field(metadata=info)
    return field(default=default, metadata=info)


def settings_of(cls: type) -> dict[str, Setting]:
    """The settings a dataclass declares, by key, in declaration order."""
    found = {}
    for f in fields(cls):
        if "kind" not in f.metadata:
            continue
        meta = f.metadata
        found[f.name] = Setting(f.name, meta["doc"], meta["kind"], meta["required"], _default(f), meta["default_text"])
    return found


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


@dataclass(frozen=True, kw_only=True)
class Auth0Stream:
    """An Auth0 log stream this stack manages (the ``[environments.<name>.auth0]`` table)."""

    domain: str = setting(
        'The tenant\'s domain for the auth0 provider, e.g. "acme.eu.auth0.com".',
        Text("a domain name", aws_rules.hostname),
        required=True,
    )
    stream_name: str = setting(
        "Name of the log stream in Auth0.",
        Text("a name of 1 to 128 characters without control characters", lambda t: None if len(t) <= 128 else ""),
        default_text='`"Amazon EventBridge (<project>-<env>)"`',
    )
    filters: tuple[str, ...] = setting(
        "Log stream filter categories; none means every event. An archive for audits should keep every event.",
        Names(FILTER_CATEGORIES, "log stream filter categories"),
        default=(),
        default_text="`[]` (every event)",
    )
    pii_fields: tuple[str, ...] = setting(
        "Fields Auth0 hashes or masks before the events leave the tenant.",
        Names(PII_LOG_FIELDS, "PII fields"),
        default=(),
        default_text="none",
    )
    pii_method: str = setting(
        '"hash" (xxhash: still joinable across events) or "mask"; needs pii_fields.',
        Choice(PII_METHODS, "a PII method"),
        default="hash",
    )
    is_priority: bool | None = setting(
        "A priority stream. Auth0 sets it at creation only; changing it later makes a noisy plan.",
        Flag(),
        default_text="Auth0's default",
    )
    start_from: str | None = setting(
        "Where a new stream begins, in UTC. Auth0 reads it only when it creates the stream.",
        Instant(),
        default_text="the stream's creation",
    )


@dataclass(frozen=True)
class Backend:
    """Where Terraform keeps the stack's state (the ``backend`` table)."""

    type: str  # "local" or "s3"
    path: str | None = None  # local: state file (default: cdktf's terraform.<stack>.tfstate)
    bucket: str | None = None  # s3: state bucket
    key: str | None = None  # s3: object key (default <project>/<environment>.tfstate)
    region: str | None = None  # s3: bucket region (default: the environment's)


def _region_rule(text: str) -> str | None:
    return None if text in AWS_REGIONS else 'an AWS commercial region such as "us-east-1"'


REGION = Text('an AWS commercial region such as "us-east-1"', _region_rule)

# The backend table's keys, by backend type.
# Terraform takes backend strings as written (the backend block is not a template), but cdktf, the
# offline reader and anyone reading the stack see "${" and "%{" as template syntax: refused there.
TEMPLATE_SYNTAX = ("${", "%{")


def untemplated_text(expected: str, rule: Callable[[str], str | None] = lambda text: None) -> Text:
    """Text that ``rule`` accepts and that holds no template syntax."""

    def check(text: str) -> str | None:
        if any(syntax in text for syntax in TEMPLATE_SYNTAX):
            return f"{expected} without ${{ or %{{ (Terraform's template syntax)"
        return rule(text)

    return Text(expected, check)


BACKEND_KEYS: dict[str, dict[str, Kind]] = {
    # Text refuses every control character, NUL included.
    "local": {"path": untemplated_text("a file path without control characters")},
    "s3": {
        "bucket": Text("an S3 bucket name", aws_rules.s3_bucket_name),
        "key": untemplated_text("an S3 object key", aws_rules.s3_object_key),
        "region": REGION,
    },
}


def _email_rule(text: str) -> str | None:
    match = EMAIL.fullmatch(text)
    expected = "an e-mail address (ASCII), e.g. security@example.com"
    # Domains are case-insensitive (RFC 4343): security@Example.COM is security@example.com.
    return None if match and len(text) <= 254 and aws_rules.hostname(match["domain"].lower()) is None else expected


def _role_rule(text: str) -> str | None:
    return aws_rules.iam_role_arn(text)


@dataclass(frozen=True, kw_only=True)
class Environment:
    """One deployment target: one AWS account and region, one stack."""

    name: str  # the [environments.<name>] table's name
    project: str = setting(
        "Name prefix of every resource and the `Project` tag. The stack is `<project>-<environment>`, at most 32 "
        "characters, and every AWS name derived from it must be valid (S3 reserves `xn--`, `sthree-` and "
        "`amzn-s3-demo-`).",
        pattern_text(NAME, "lowercase letters, digits and hyphens, starting with a letter"),
        default="auth0-log-archive",
    )
    aws_account_id: str = setting(
        "The account the environment deploys to. The provider refuses any other account.",
        pattern_text(ACCOUNT_ID, "12 digits (0-9), as a string"),
        required=True,
    )
    aws_region: str = setting(
        "Where Auth0 streams to and where everything is created. A managed stream narrows it to the regions "
        "the auth0 provider accepts (see The Auth0 side).",
        REGION,
        required=True,
    )
    auth0_event_source: str | None = setting(
        "The partner event source of a stream made in Auth0. Exactly one of this and `auth0` per environment; "
        "each environment needs its own.",
        Text(
            "an Auth0 partner event source, aws.partner/auth0.com/<tenant>-<uuid>/auth0.logs, of at most "
            f"{aws_rules.MAX_EVENT_SOURCE_NAME} characters",
            lambda t: None if PARTNER_EVENT_SOURCE.fullmatch(t) and len(t) <= aws_rules.MAX_EVENT_SOURCE_NAME else "",
        ),
    )
    auth0: Auth0Stream | None = setting(
        "The Auth0 log stream this stack manages (see The Auth0 side), instead of `auth0_event_source`. "
        "Only in an environment.",
        Table(Auth0Stream),
    )
    deploy_role_arn: str | None = setting(
        "An IAM role in the environment's account that Terraform assumes.", Text("an IAM role ARN", _role_rule)
    )
    archive_admin_role_arns: tuple[str, ...] | None = setting(
        "The only roles that administer the keys and may change the archive bucket's policy, lifecycle, "
        "versioning or encryption, or delete object versions (break glass: see security.md). Without any, "
        "the account's IAM policies govern those actions.",
        RoleArns(),
        default_text="`[deploy_role_arn]` when it is set, else none",
    )
    glacier_after_days: int = setting(
        "Days after which log objects move to S3 Glacier Flexible Retrieval. This is also how long they can be "
        "queried in place.",
        Integer(1, INT32_MAX, "S3 lifecycle Days, an int32"),
        default=90,
    )
    deep_archive_after_days: int | None = setting(
        f"Days after which log objects move to S3 Glacier Deep Archive. At least {aws_rules.GLACIER_MINIMUM_DAYS} "
        "more than `glacier_after_days` (S3 refuses a shorter stay in Glacier Flexible Retrieval).",
        Integer(1, INT32_MAX, "S3 lifecycle Days, an int32"),
    )
    expire_after_days: int = setting(
        "Days after which log objects are deleted (your retention limit). More than every transition.",
        Integer(1, INT32_MAX, "S3 lifecycle Days, an int32"),
        default=400,
    )
    buffer_interval_seconds: int = setting(
        "Firehose writes an object at least this often.",
        # BufferingHints IntervalInSeconds is 0-900, but zero buffering is not supported with dynamic
        # partitioning (Firehose "Buffering hints"), which the stream always uses: 60 to 900.
        Integer(60, 900, "Firehose BufferingHints IntervalInSeconds, with dynamic partitioning"),
        default=900,
    )
    buffer_size_mib: int = setting(
        "…or when this many MiB are buffered.",
        Integer(64, 128, "Firehose BufferingHints SizeInMBs; 64 at least with dynamic partitioning"),
        default=64,
    )
    log_retention_days: int = setting(
        "Retention of the Firehose error log group.",
        Choice(LOG_RETENTION_DAYS, "a CloudWatch Logs retention period"),
        default=365,
    )
    replay_window_days: int = setting(
        "Days the EventBridge archive keeps every event, so that an outage downstream can be replayed "
        "(`make replay`). 0 only with `accept_no_replay_archive = true`.",
        Integer(0, 365, "EventBridge archive RetentionDays; 0 is no archive here"),
        default=14,
    )
    accept_no_replay_archive: bool = setting(
        "Says on purpose that `replay_window_days = 0`: without the replay archive, events Firehose could not "
        "deliver for 24 hours are lost for good.",
        Flag(),
        default=False,
    )
    alarm_email: str | None = setting(
        "An address subscribed to the alarm topic. AWS sends a confirmation e-mail that must be accepted. "
        "Needed unless `alarms_unsubscribed = true`.",
        Text("an e-mail address", _email_rule),
    )
    alarms_unsubscribed: bool = setting(
        "Says on purpose that no alarm subscriber is configured here (you subscribe to the topic another way, "
        "or accept that nobody hears the alarms).",
        Flag(),
        default=False,
    )
    detections: str | tuple[str, ...] = setting(
        'Auth0\'s Sigma detection rules run here (docs/detections.md): `"all"` (every rule the catalog can '
        "run), a list of rule ids, or `[]`. Live rules alert the security topic; the others become Athena "
        "queries, so detections need `athena = true`.",
        RuleIds(all_allowed=True),
        default=(),
        default_text="`[]` (none)",
    )
    detections_exclude: tuple[str, ...] = setting(
        'Rule ids left out of `detections` (with `"all"`, say).', RuleIds(), default=()
    )
    detections_min_level: str = setting(
        "Rules whose Sigma level is below this are left out (a rule without a level is kept).",
        Choice(LEVELS, "a Sigma level"),
        default="informational",
    )
    detection_thresholds: Mapping[str, int] = setting(
        "Per rule id: a live rule alerts at this many matches in a minute (else 1); a correlation's query "
        "reports groups at this count instead of the rule's own.",
        RuleTable(Integer(1, 1_000_000)),
        default={},
    )
    detection_values: Mapping[str, Any] = setting(
        'What the rules\' placeholders take, e.g. `auth0_tenant_domain = "acme.eu.auth0.com"` '
        "(docs/detections.md lists each name, its kind and the rules that need it). A chosen rule whose "
        "values are missing is refused.",
        DetectionValues(),
        default={},
    )
    hunting_every_hours: int = setting(
        "Runs the hunting queries every this many hours, over the hours that ended an hour before (late "
        "events are filed by then), and tells the security topic what they find (docs/detections.md has the "
        "cost). 0 runs none: the queries wait for someone to run them.",
        Integer(0, 168, "a week of hours at most, as make replay's windows"),
        default=0,
    )
    security_email: str | None = setting(
        "An address subscribed to the security topic, where live detections alert (apart from the alarm "
        "topic). Needed with detections unless `security_unsubscribed = true`.",
        Text("an e-mail address", _email_rule),
    )
    security_unsubscribed: bool = setting(
        "Says on purpose that the security topic has no subscriber configured here.", Flag(), default=False
    )
    no_events_alarm_hours: int = setting(
        "Hours without a single Auth0 event before the silence alarm fires.",
        Integer(1, 168, "CloudWatch: an alarm looks back at most 7 days"),
        default=24,
    )
    delivery_delay_alarm_seconds: int = setting(
        "Age of the oldest record not yet in S3 that raises the delivery alarm. More than `buffer_interval_seconds`.",
        Integer(60, 86400, "Firehose keeps retrying for 24 hours"),
        default=1800,
    )
    object_lock_mode: str | None = setting(
        "S3 Object Lock default retention for new log objects (write once, read many). Needs `object_lock_days`.",
        # Exact ASCII, either case: str.upper() alone would turn a look-alike (dotless i, U+0131) into "I".
        Text(
            '"governance" or "compliance"',
            lambda t: None if t.isascii() and t.upper() in OBJECT_LOCK_MODES else "",
            str.upper,
        ),
    )
    object_lock_days: int | None = setting(
        "Days each new log object is locked against deletion and overwrite. At most `expire_after_days`, since "
        "a locked object cannot expire.",
        Integer(1, OBJECT_LOCK_MAX_DAYS, "S3 Object Lock: at most 100 years"),
    )
    athena: bool = setting(
        "Query the archive with Athena: Glue table, workgroup, results bucket and named queries.", Flag(), default=True
    )
    athena_start_date: str | None = setting(
        "The first day the table's partition projection covers. By default `NOW-<expire_after_days>DAYS`.",
        Day(),
        default_text="as far back as objects live",
    )
    athena_scan_limit_mib: int = setting(
        "The workgroup's limit on what one query may scan, in MiB: a runaway query costs at most this.",
        Integer(10, JSON_SAFE_INTEGER >> 20, "Athena's minimum is 10 MB; bytes stay exact in JSON"),
        default=10240,
    )
    athena_results_expire_days: int = setting(
        "Days query results are kept in the results bucket.", Integer(1, 365), default=7
    )
    tags: Mapping[str, str] = setting(
        "Tags on every resource, through the provider's `default_tags`. `Project`, `Environment` and "
        "`ManagedBy` are set by the stack.",
        Tags(),
        default={},
    )
    backend: Backend = setting(
        "Where the state is kept (the `backend` table, below).",
        Table(Backend),
        default=Backend("local"),
        default_text='`{ type = "local" }`',
    )

    @property
    def stack_name(self) -> str:
        return f"{self.project}-{self.name}"

    @property
    def name_prefix(self) -> str:
        """Prefix of every named resource in the stack."""
        return self.stack_name

    @property
    def admin_roles(self) -> tuple[str, ...]:
        """Who administers the archive: the configured roles, else the deploy role, else nobody in particular."""
        if self.archive_admin_role_arns is not None:
            return self.archive_admin_role_arns
        return (self.deploy_role_arn,) if self.deploy_role_arn else ()

    @property
    def names(self) -> naming.Names:
        """Every AWS name of the stack."""
        return naming.Names(self.name_prefix, self.aws_account_id)

    @property
    def default_tags(self) -> dict[str, str]:
        return {**self.tags, "Project": self.project, "Environment": self.name, "ManagedBy": "cdktf"}


SETTINGS = settings_of(Environment)
AUTH0_SETTINGS = settings_of(Auth0Stream)


@dataclass(frozen=True)
class Configuration:
    source: str  # the file name as the user gave it, for messages
    environments: tuple[Environment, ...]

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)


# --- the README's table -----------------------------------------------------------------------


def _default_text(spec: Setting) -> str:
    if spec.default_text:
        return spec.default_text
    if spec.required:
        return ""
    if spec.default is None:
        return "none"
    if isinstance(spec.default, bool):
        return f"`{str(spec.default).lower()}`"
    if isinstance(spec.default, str):
        return f'`"{spec.default}"`'
    if isinstance(spec.default, dict | tuple):
        return "`{}`" if isinstance(spec.default, dict) else "`[]`"
    return f"`{spec.default}`"


def settings_table(settings: Mapping[str, Setting]) -> str:
    """A Markdown table of settings: key, required, default, allowed values, meaning."""
    rows = ["| key | required | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key, spec in settings.items():
        allowed = spec.kind.allowed().replace("|", "\\|")
        required = "yes" if spec.required else "no"
        rows.append(f"| `{key}` | {required} | {_default_text(spec)} | {allowed} | {spec.doc} |")
    return "\n".join(rows)
