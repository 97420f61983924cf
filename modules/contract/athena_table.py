"""The Athena table over the archive, its deduplicating view, and the queries a security team runs.

Plain data (no cdktf): the columns, the partition projection, the view and the SQL are tested on
their own (tests/test_athena_table.py) against Auth0's log schemas and the Firehose layout, and the
queries run on a real SQL engine over Firehose-shaped objects (tests/test_athena_queries.py).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from modules.contract.naming import EVENT_CLOCK_SKEW_SECONDS, LOG_PREFIX

TABLE = "auth0_logs"
PARTITION = "dt"  # the hour the event happened, "yyyy/MM/dd/HH" (UTC): see naming.EVENT_HOUR_QUERY
PARTITION_FORMAT = "yyyy/MM/dd/HH"

# Fields of `detail.data`, typed from Auth0's log schemas: every field present in
# at least 20 of the 166 log types. Fields whose type changes between log types
# or that are objects (details, auth0_client, scope, ...) stay JSON strings:
# json_extract_scalar(detail.data.details, '$.error.message').
DATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("date", "string"),
    ("type", "string"),
    ("description", "string"),
    ("log_id", "string"),
    ("tenant_name", "string"),
    ("environment_name", "string"),
    ("is_mobile", "boolean"),
    ("user_agent", "string"),
    ("ip", "string"),
    ("client_ip", "string"),
    ("hostname", "string"),
    ("user_id", "string"),
    ("user_name", "string"),
    ("identity_user_id", "string"),
    ("client_id", "string"),
    ("client_name", "string"),
    ("connection", "string"),
    ("connection_id", "string"),
    ("strategy", "string"),
    ("strategy_type", "string"),
    ("organization_id", "string"),
    ("organization_name", "string"),
    ("audience", "string"),
    ("agent_id", "string"),
    ("external_agent_id", "string"),
    ("scope", "string"),
    ("details", "string"),
    ("auth0_client", "string"),
    ("security_context", "string"),
    ("references", "string"),
)

# The EventBridge envelope; "detail-type" is read through the SerDe mapping below.
ENVELOPE: tuple[tuple[str, str], ...] = (
    ("version", "string"),
    ("id", "string"),
    ("detail_type", "string"),
    ("source", "string"),
    ("account", "string"),
    ("time", "string"),
    ("region", "string"),
    ("resources", "array<string>"),
    ("detail", "struct<log_id:string,data:struct<" + ",".join(f"{name}:{kind}" for name, kind in DATA_FIELDS) + ">>"),
)

SERDE = "org.openx.data.jsonserde.JsonSerDe"
SERDE_PARAMETERS = {
    "mapping.detail_type": "detail-type",
    # A malformed line must not fail a whole query over a year of logs; it reads as a row of NULLs,
    # which the query "unparseable-lines" finds.
    "ignore.malformed.json": "true",
    # Every mapped key is lowercase already; case-insensitive matching lowercases nested keys in some
    # readers, and JSON text inside details ($.response.statusCode) would then read as NULL.
    "case.insensitive": "false",
}


def location(bucket_name: str) -> str:
    return f"s3://{bucket_name}/{LOG_PREFIX}"


# Athena's placeholder for the partition value in storage.location.template.
PARTITION_PATH = f"${{{PARTITION}}}/"


def location_template(bucket_name: str) -> str:
    """Where Athena finds one partition: the Firehose prefix with the hour in place of ``${dt}``."""
    return f"{location(bucket_name)}{PARTITION_PATH}"


def projection(start: str) -> dict[str, str]:
    """Partition projection over the Firehose layout: no crawler, no MSCK REPAIR; and restored Glacier
    objects read like the others (make restore).

    ``storage.location.template`` (``location_template``) goes beside these.
    """
    return {
        # Athena skips objects in Glacier Flexible Retrieval and Deep Archive, and restored ones too unless
        # the table says otherwise. https://docs.aws.amazon.com/athena/latest/ug/querying-glacier.html
        "read_restored_glacier_objects": "true",
        "EXTERNAL": "TRUE",
        "classification": "json",
        "projection.enabled": "true",
        f"projection.{PARTITION}.type": "date",
        f"projection.{PARTITION}.format": PARTITION_FORMAT,
        f"projection.{PARTITION}.range": f"{start},NOW",
        f"projection.{PARTITION}.interval": "1",
        f"projection.{PARTITION}.interval.unit": "HOURS",
    }


def projection_start(start_date: str | None, expire_after_days: int) -> str:
    """The first hour Athena looks at: the configured date, else as far back as objects live."""
    if start_date is None:
        return f"NOW-{expire_after_days}DAYS"
    return start_date.replace("-", "/") + "/00"


# --- Auth0's log types by category --------------------------------------------------------------
# The log stream filter categories and the event codes Auth0 lists in each: "Log Stream Filters",
# https://auth0.com/docs/customize/log-streams/event-filters (read 2026-11-27). "fapi" (Failed API
# Operation) is on Auth0's "Log Event Type Codes" page; the MFA codes are every gd_* type of Auth0's
# log schemas (../shared/auth0-log-schemas) and "mfar" (MFA required). Queries pick codes from here only.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "auth.login.fail": ("f", "fc", "fco", "fcoa", "fens", "fp", "fu"),
    "auth.login.notification": ("w",),
    "auth.login.success": ("s", "scoa", "sens"),
    "auth.logout.fail": ("flo", "oidc_backchannel_logout_failed"),
    "auth.logout.success": ("oidc_backchannel_logout_succeeded", "slo"),
    "auth.signup.fail": ("fs",),
    "auth.signup.success": ("ss",),
    "auth.silent_auth.fail": ("fsa",),
    "auth.silent_auth.success": ("ssa",),
    "auth.token_exchange.fail": (
        "feacft",
        "feccft",
        "fede",
        "feoobft",
        "feotpft",
        "fepft",
        "fepotpft",
        "fercft",
        "ferrt",
        "fertft",
    ),
    "auth.token_exchange.success": ("seacft", "seccft", "sede", "seoobft", "seotpft", "sepft", "sercft", "sertft"),
    "management.fail": ("fapi",),
    "management.success": ("sapi", "mgmt_api_read"),
    "system.notification": (
        "admin_update_launch",
        "api_limit",
        "coff",
        "con",
        "depnote",
        "fcpro",
        "fui",
        "limit_delegation",
        "limit_mu",
        "limit_wc",
        "sys_os_update_start",
        "sys_os_update_end",
        "sys_update_start",
        "sys_update_end",
    ),
    "user.fail": (
        "fce",
        "fcp",
        "fcpn",
        "fcpr",
        "fcu",
        "fd",
        "fdeaz",
        "fdecc",
        "fdu",
        "fn",
        "fv",
        "fvr",
        "ss_sso_failure",
    ),
    "user.notification": (
        "cs",
        "gd_enrollment_complete",
        "gd_start_enroll",
        "gd_unenroll",
        "gd_update_device_account",
        "ss_sso_info",
        "ublkdu",
    ),
    "user.success": ("sce", "scp", "scpn", "scpr", "scu", "sdu", "srrt", "ss_sso_success", "sui", "sv", "svr"),
    "scim": ("sscim", "fscim"),
}
# Groups within those, by what an incident responder asks (each from the codes' own descriptions).
GROUPS: dict[str, tuple[str, ...]] = {
    "blocks": ("limit_wc", "limit_mu", "limit_sul", "limit_delegation"),
    "breached_passwords": ("pwd_leak", "reset_pwd_leak"),
    "unblocks": ("ublkdu",),
    "refresh_token_reuse": ("ferrt",),  # "Failed Exchange of Rotating Refresh Token … reuse is detected"
    "password_and_email_changes": ("scp", "fcp", "scpr", "fcpr", "sce", "fce"),
    # Every type of Auth0's log catalog that is a second factor: the Guardian (gd_*) types, MFA required,
    # and the token exchanges of a password or passkey with an OTP, OOB or MFA recovery code challenge
    # (tests/test_athena_table.py derives this list from ../shared/auth0-log-schemas); and two Guardian
    # types on Auth0's "Log Event Type Codes" page that the schemas (July 2026) do not have.
    "mfa": (
        "mfar",
        "feoobft", "feotpft", "fercft", "seoobft", "seotpft", "sercft", "sepkoobft", "sepkotpft", "sepkrcft",
        "gd_auth_email_verification", "gd_auth_failed", "gd_auth_rejected", "gd_auth_succeed",
        "gd_enrollment_complete", "gd_otp_rate_limit_exceed", "gd_recovery_failed",
        "gd_recovery_rate_limit_exceed", "gd_recovery_succeed", "gd_send_email", "gd_send_email_verification",
        "gd_send_pn", "gd_send_pn_failure", "gd_send_sms", "gd_send_sms_failure", "gd_send_voice",
        "gd_send_voice_failure", "gd_start_auth", "gd_start_enroll", "gd_start_enroll_failed", "gd_tenant_update",
        "gd_unenroll", "gd_update_device_account", "gd_user_delete", "gd_webauthn_challenge_failed",
        "gd_webauthn_enrollment_failed",
    ),
}  # fmt: skip


def codes(*names: str) -> str:
    """The SQL list of the type codes of the named categories and groups."""
    found = sorted({code for name in names for code in {**CATEGORIES, **GROUPS}[name]})
    return ", ".join(f"'{code}'" for code in found)


# --- the deduplicating view --------------------------------------------------------------------------
# Auth0 delivers at least once, and retries, replays, redrives and backfills add copies. Copies of an
# event share its log_id and its hour (the archive files by event time), so the view keeps one row per
# (dt, log_id): a filter on dt still prunes partitions through it. The log id is the envelope's
# detail.log_id, else the record's own data.log_id (an envelope written without the first).
VIEW = "auth0_events"
# When the event happened (a timestamp in UTC), by the rule the stream files it by
# (naming.EVENT_HOUR_QUERY): Auth0's date if it is a usable time (the same shape, a real calendar time,
# at most EVENT_CLOCK_SKEW_SECONDS after EventBridge's), else EventBridge's time; event_time_source says
# which. try() turns a shaped but impossible time (30 February) into NULL instead of failing the query.
USABLE_DATE = r"^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$"
_DATE = "detail.data.date"
_DATE_TIME = (
    f"CASE WHEN regexp_like({_DATE}, '{USABLE_DATE}') "
    f"AND date_trunc('second', try(from_iso8601_timestamp({_DATE}))) "
    f"<= try(from_iso8601_timestamp(\"time\")) + INTERVAL '{EVENT_CLOCK_SKEW_SECONDS}' SECOND "
    f"THEN try(from_iso8601_timestamp({_DATE})) END"
)
VIEW_SQL = f"""SELECT CAST(date_trunc('millisecond', coalesce(date_time, try(from_iso8601_timestamp("time"))))
         AT TIME ZONE 'UTC' AS timestamp(3)) AS event_time,
       CASE WHEN date_time IS NULL THEN 'time' ELSE 'date' END AS event_time_source,
       coalesce(detail.log_id, detail.data.log_id) AS log_id,
       detail.data.type AS type,
       detail.data AS data,
       id AS event_id,
       "time" AS received,
       {PARTITION}
FROM (
  SELECT *, {_DATE_TIME} AS date_time,
         row_number() OVER (PARTITION BY {PARTITION}, coalesce(detail.log_id, detail.data.log_id)
                            ORDER BY "time", id) AS copy
  FROM {TABLE}
  WHERE coalesce(detail.log_id, detail.data.log_id) IS NOT NULL
)
WHERE copy = 1"""
PRESTO_TYPES = {"string": "varchar", "boolean": "boolean"}
VIEW_COLUMNS: tuple[tuple[str, str, str], ...] = (  # name, Hive type (Glue), Presto type (the view's text)
    ("event_time", "timestamp", "timestamp(3)"),  # UTC
    ("event_time_source", "string", "varchar"),
    ("log_id", "string", "varchar"),
    ("type", "string", "varchar"),
    (
        "data",
        "struct<" + ",".join(f"{n}:{k}" for n, k in DATA_FIELDS) + ">",
        "row(" + ", ".join(f"{n} {PRESTO_TYPES[k]}" for n, k in DATA_FIELDS) + ")",
    ),
    ("event_id", "string", "varchar"),
    ("received", "string", "varchar"),
    (PARTITION, "string", "varchar"),
)


def presto_view_text(database: str) -> str:
    """The view as Athena stores it in Glue: "/* Presto View: <base64 of its JSON definition> */".
    https://docs.aws.amazon.com/athena/latest/ug/views.html (Athena creates views this way)"""
    definition = {
        "originalSql": VIEW_SQL,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": name, "type": presto} for name, _, presto in VIEW_COLUMNS],
    }
    return f"/* Presto View: {base64.b64encode(json.dumps(definition).encode()).decode()} */"


# --- the named queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str
    parameters: tuple[str, ...] = ()  # what each ? stands for, in order


# Every query reads a window of hours, given as execution parameters: the first hour and the hour after the
# last, as dt spells them ("2026/11/20/08", UTC). An event's event_time is always within the hour dt it is
# filed under (naming.EVENT_HOUR_QUERY and the view use one rule), so the window is exact and Athena reads
# only those partitions.
FIRST_HOUR = "first hour, 'YYYY/MM/DD/HH' UTC"
END_HOUR = "hour after the last, 'YYYY/MM/DD/HH' UTC"
WINDOW = (FIRST_HOUR, END_HOUR)


def window(alias: str = "") -> str:
    of = f"{alias}." if alias else ""
    return f"{of}{PARTITION} >= ? AND {of}{PARTITION} < ?"


def account(column: str) -> str:
    """A user name as Auth0 treats it: case does not matter, and an empty one is no account."""
    return f"lower(nullif(trim({column}), ''))"


def event_list(name: str, description: str, columns: str, *groups: str) -> NamedQuery:
    """The events of some categories or groups in the window, oldest first."""
    return NamedQuery(
        name,
        description,
        f"""SELECT event_time, {columns}
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes(*groups)})
ORDER BY event_time, log_id""",
        WINDOW,
    )


def login_after_failures(by: str, what: str, key: str, columns: str) -> NamedQuery:
    """Successful logins of ``key`` (an IP, a user name) after 5 or more failed ones in the hour before."""
    failure_key = key.replace("success.", "failure.")
    return NamedQuery(
        f"login-after-failures-by-{by}",
        f"A successful login from {what} that failed 5 or more logins in the hour before it, in the window "
        "(the failures are read from an hour before it)",
        f"""SELECT {columns}, success.event_time AS logged_in_at,
       count(failure.log_id) AS failures_in_the_hour_before
FROM {VIEW} success
JOIN {VIEW} failure
  ON {failure_key} = {key}
 AND failure.event_time BETWEEN success.event_time - INTERVAL '1' HOUR AND success.event_time
 AND failure.type IN ({codes("auth.login.fail")})
 AND failure.{PARTITION} >= date_format(date_parse(?, '%Y/%m/%d/%H') - INTERVAL '1' HOUR, '%Y/%m/%d/%H')
 AND failure.{PARTITION} < ?
WHERE success.type IN ({codes("auth.login.success")})
  AND {window("success")}
GROUP BY 1, 2, 3
HAVING count(failure.log_id) >= 5
ORDER BY logged_in_at, 1""",
        (*WINDOW, *WINDOW),
    )


NAMED_QUERIES = (
    NamedQuery(
        "failed-logins-by-ip",
        "Failed logins (Auth0's auth.login.fail category) per source IP in the window, most first; accounts "
        "tried ignore case and empty user names",
        f"""SELECT data.ip AS ip,
       count(*) AS failures,
       count(DISTINCT {account("data.user_name")}) AS accounts_tried,
       min(event_time) AS first_seen,
       max(event_time) AS last_seen
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes("auth.login.fail")})
GROUP BY data.ip
ORDER BY failures DESC, ip
LIMIT 100""",
        WINDOW,
    ),
    NamedQuery(
        "logins-per-application-and-connection-per-day",
        "Successful logins (auth.login.success) per day, application and connection, in the window",
        f"""SELECT date_format(event_time, '%Y-%m-%d') AS day,
       data.client_name AS application,
       data.connection AS connection,
       count(*) AS logins,
       count(DISTINCT data.user_id) AS users
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes("auth.login.success")})
GROUP BY 1, 2, 3
ORDER BY day DESC, logins DESC, application, connection""",
        WINDOW,
    ),
    NamedQuery(
        "blocks-and-breached-passwords",
        "Blocked IPs and accounts, and logins or resets with a breached password, in the window",
        f"""SELECT event_time, type, data.description AS description, data.ip AS ip,
       data.user_name AS user_name, data.user_id AS user_id
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes("blocks", "breached_passwords")})
ORDER BY event_time DESC, log_id""",
        WINDOW,
    ),
    NamedQuery(
        "management-api-by-actor",
        "Management API operations, successful and failed (management.success, management.fail), in the window, "
        "with who acted (details.request.auth.user: an object with user_id, or a string)",
        f"""SELECT coalesce(json_extract_scalar(data.details, '$.request.auth.user.user_id'),
                json_extract_scalar(data.details, '$.request.auth.user')) AS acting_user,
       json_extract_scalar(data.details, '$.request.auth.strategy') AS auth_strategy,
       data.client_id AS client_id,
       type,
       json_extract_scalar(data.details, '$.request.method') AS method,
       json_extract_scalar(data.details, '$.request.path') AS path,
       count(*) AS operations,
       max(event_time) AS last_at
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes("management.success", "management.fail")})
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY operations DESC, path NULLS LAST, type, client_id, acting_user NULLS LAST, method NULLS LAST""",
        WINDOW,
    ),
    NamedQuery(
        "events-of-one-user",
        "Every event of one user id (e.g. 'auth0|123') in the window",
        f"""SELECT event_time, type, data.description AS description, data.ip AS ip,
       data.client_name AS application, data.user_agent AS user_agent
FROM {VIEW}
WHERE {window()}
  AND data.user_id = ?
ORDER BY event_time, log_id""",
        (*WINDOW, "user id"),
    ),
    NamedQuery(
        "events-of-one-user-name",
        "Every event of one user name or e-mail in the window, whatever its case: failed logins for unknown "
        "users (fu) carry no user id",
        f"""SELECT event_time, type, data.description AS description, data.ip AS ip, data.user_id AS user_id
FROM {VIEW}
WHERE {window()}
  AND {account("data.user_name")} = {account("?")}
ORDER BY event_time, log_id""",
        (*WINDOW, "user name or e-mail"),
    ),
    NamedQuery(
        "events-of-one-ip",
        "Every event from one IP address in the window",
        f"""SELECT event_time, type, data.description AS description, data.user_name AS user_name,
       data.user_id AS user_id, data.client_name AS application
FROM {VIEW}
WHERE {window()}
  AND data.ip = ?
ORDER BY event_time, log_id""",
        (*WINDOW, "IP address"),
    ),
    login_after_failures("ip", "an IP", "success.data.ip", "success.data.ip AS ip, success.data.user_id AS user_id"),
    login_after_failures(
        "user",
        "a user name",
        account("success.data.user_name"),
        f"{account('success.data.user_name')} AS user_name, success.data.ip AS ip",
    ),
    NamedQuery(
        "password-spraying-and-bursts",
        "Failed logins per IP in 5-minute buckets, in the window: many user names from one IP is spraying, "
        "many failures a burst (10 or more either way)",
        f"""SELECT data.ip AS ip,
       from_unixtime(floor(to_unixtime(event_time) / 300) * 300) AS bucket,
       count(*) AS failures,
       count(DISTINCT {account("data.user_name")}) AS user_names
FROM {VIEW}
WHERE {window()}
  AND type IN ({codes("auth.login.fail")})
GROUP BY 1, 2
HAVING count(*) >= 10 OR count(DISTINCT {account("data.user_name")}) >= 10
ORDER BY bucket, ip""",
        WINDOW,
    ),
    event_list(
        "mfa-events",
        "Multi-factor authentication events (prompts, challenges, enrolments, exchanges, failures), in the window",
        "type, data.description AS description, data.user_id AS user_id, data.ip AS ip",
        "mfa",
    ),
    event_list(
        "password-and-email-changes",
        "Password and e-mail changes and change requests, successful or not, in the window",
        "type, data.description AS description, data.user_id AS user_id, data.user_name AS user_name, data.ip AS ip",
        "password_and_email_changes",
    ),
    event_list(
        "refresh-token-reuse",
        "Refresh tokens presented again after rotation (ferrt: reuse detected), in the window",
        "data.user_id AS user_id, data.client_name AS application, data.ip AS ip, data.description AS description",
        "refresh_token_reuse",
    ),
    event_list(
        "unblocks",
        "Blocks released (ublkdu) and who they were for, in the window",
        "data.user_id AS user_id, data.user_name AS user_name, data.ip AS ip, data.description AS description",
        "unblocks",
    ),
    NamedQuery(
        "unparseable-lines",
        "Lines the JSON SerDe could not read (they read as all-NULL rows), by object, in the window",
        f"""SELECT "$path" AS object, {PARTITION}, count(*) AS lines
FROM {TABLE}
WHERE {window()}
  AND id IS NULL AND detail IS NULL AND source IS NULL
GROUP BY 1, 2
ORDER BY {PARTITION}, object""",
        WINDOW,
    ),
)
