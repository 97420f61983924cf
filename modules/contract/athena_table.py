"""The Athena table over the archive, and the queries a security team runs on day one.

Plain data (no cdktf): the columns, the partition projection and the SQL are
tested on their own (tests/test_auth0_log_table.py) against Auth0's log
schemas, the Firehose prefix and a Trino SQL parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from modules.contract.naming import LOG_PREFIX, TIME_LAYOUT

TABLE = "auth0_logs"
PARTITION = "dt"  # the Firehose hour, "yyyy/MM/dd/HH" (UTC)
PARTITION_FORMAT = "yyyy/MM/dd/HH"

# Fields of `detail.data`, typed from Auth0's log schemas: every field present in
# at least 20 of the 166 log types. Fields whose type changes between log types
# or that are objects (details, auth0_client, scope, ...) stay JSON strings:
# json_extract_scalar(detail.data.details, '$.error.message').
DATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("date", "string"), ("type", "string"), ("description", "string"), ("log_id", "string"),
    ("tenant_name", "string"), ("environment_name", "string"), ("is_mobile", "boolean"),
    ("user_agent", "string"), ("ip", "string"), ("client_ip", "string"), ("hostname", "string"),
    ("user_id", "string"), ("user_name", "string"), ("identity_user_id", "string"),
    ("client_id", "string"), ("client_name", "string"), ("connection", "string"), ("connection_id", "string"),
    ("strategy", "string"), ("strategy_type", "string"), ("organization_id", "string"),
    ("organization_name", "string"), ("audience", "string"), ("agent_id", "string"),
    ("external_agent_id", "string"), ("scope", "string"), ("details", "string"), ("auth0_client", "string"),
    ("security_context", "string"), ("references", "string"),
)  # fmt: skip

# The EventBridge envelope; "detail-type" is read through the SerDe mapping below.
ENVELOPE: tuple[tuple[str, str], ...] = (
    ("version", "string"), ("id", "string"), ("detail_type", "string"), ("source", "string"),
    ("account", "string"), ("time", "string"), ("region", "string"), ("resources", "array<string>"),
    ("detail", "struct<log_id:string,data:struct<"
     + ",".join(f"{name}:{kind}" for name, kind in DATA_FIELDS) + ">>"),
)  # fmt: skip

SERDE = "org.openx.data.jsonserde.JsonSerDe"
SERDE_PARAMETERS = {
    "mapping.detail_type": "detail-type",
    # A malformed line must not fail a whole query over a year of logs.
    "ignore.malformed.json": "true",
}


def location(bucket_name: str) -> str:
    return f"s3://{bucket_name}/{LOG_PREFIX}"


# Athena's placeholder for the partition value in storage.location.template.
PARTITION_PATH = f"${{{PARTITION}}}/"


def location_template(bucket_name: str) -> str:
    """Where Athena finds one partition: the Firehose prefix with the hour in place of ``${dt}``."""
    return f"{location(bucket_name)}{PARTITION_PATH}"


def projection(start: str) -> dict[str, str]:
    """Partition projection over the Firehose layout: no crawler, no MSCK REPAIR.

    ``storage.location.template`` (``location_template``) goes beside these.
    """
    return {
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


assert TIME_LAYOUT == "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"  # = PARTITION_FORMAT


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str


LAST_24_HOURS = f"{PARTITION} >= date_format(current_timestamp - INTERVAL '24' HOUR, '%Y/%m/%d/%H')"
LAST_30_DAYS = f"{PARTITION} >= date_format(current_timestamp - INTERVAL '30' DAY, '%Y/%m/%d/%H')"

NAMED_QUERIES = (
    NamedQuery(
        "failed-logins-by-ip-last-24h",
        "Failed logins (f, fp, fu) per source IP in the last 24 hours, most first",
        f"""SELECT detail.data.ip AS ip,
       count(*) AS failures,
       count(DISTINCT detail.data.user_name) AS accounts_tried,
       min(detail.data.date) AS first_seen,
       max(detail.data.date) AS last_seen
FROM {TABLE}
WHERE {LAST_24_HOURS}
  AND detail.data.type IN ('f', 'fp', 'fu')
GROUP BY detail.data.ip
ORDER BY failures DESC
LIMIT 100""",
    ),
    NamedQuery(
        "logins-per-application-and-connection-per-day",
        "Successful logins (s) per day, application and connection, last 30 days",
        f"""SELECT substr(detail.data.date, 1, 10) AS day,
       detail.data.client_name AS application,
       detail.data.connection AS connection,
       count(*) AS logins,
       count(DISTINCT detail.data.user_id) AS users
FROM {TABLE}
WHERE {LAST_30_DAYS}
  AND detail.data.type = 's'
GROUP BY 1, 2, 3
ORDER BY day DESC, logins DESC""",
    ),
    NamedQuery(
        "blocked-accounts-and-breached-passwords",
        "Blocked accounts and IPs (limit_wc, limit_mu, limit_sul) and breached-password detections, last 30 days",
        f"""SELECT detail.data.date AS at,
       detail.data.type AS type,
       detail.data.description AS description,
       detail.data.ip AS ip,
       detail.data.user_name AS user_name,
       detail.data.user_id AS user_id
FROM {TABLE}
WHERE {LAST_30_DAYS}
  AND detail.data.type IN ('limit_wc', 'limit_mu', 'limit_sul', 'pwd_leak', 'reset_pwd_leak')
ORDER BY at DESC""",
    ),
    NamedQuery(
        "management-api-changes-by-client",
        "Management API changes (sapi: POST, PUT, PATCH, DELETE) per client, last 30 days",
        f"""SELECT detail.data.client_name AS client,
       detail.data.client_id AS client_id,
       json_extract_scalar(detail.data.details, '$.request.method') AS method,
       json_extract_scalar(detail.data.details, '$.request.path') AS path,
       count(*) AS changes,
       max(detail.data.date) AS last_change
FROM {TABLE}
WHERE {LAST_30_DAYS}
  AND detail.data.type = 'sapi'
GROUP BY 1, 2, 3, 4
ORDER BY changes DESC""",
    ),
    NamedQuery(
        "events-of-one-user",
        "Every event of one user in the last 30 days: run with the user id (e.g. 'auth0|123') as parameter",
        f"""SELECT detail.data.date AS at,
       detail.data.type AS type,
       detail.data.description AS description,
       detail.data.ip AS ip,
       detail.data.client_name AS application,
       detail.data.user_agent AS user_agent
FROM {TABLE}
WHERE {LAST_30_DAYS}
  AND detail.data.user_id = ?
ORDER BY at""",
    ),
)
