"""AWS's own rules for the names and values we pass on, each with its source.

Plain functions (no cdktf): the configuration is checked against them before
anything is synthesized, so that nothing AWS refuses at apply, or changes
silently, gets through. Each check returns None when AWS accepts the value,
else what AWS expects, in words for the error message.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

# --- text in general ---------------------------------------------------------------


def control_characters(text: str) -> bool:
    """True when ``text`` holds a character no name should: controls, format characters
    (bidirectional overrides, zero-width), surrogates, unassigned code points, line separators."""
    return any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in text)


def shown(text: str) -> str:
    """``text`` quoted for a one-line message: every character that could break the line, move the
    cursor or reorder the text is escaped."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp"):
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


# --- integers ------------------------------------------------------------------------

# Integer (int32) fields of the S3, EventBridge and CloudWatch APIs: lifecycle Days,
# Object Lock Days, RetentionDays. Terraform's AWS provider converts its int to int32.
INT32_MAX = 2**31 - 1
# Numbers reach Terraform through jsii as IEEE doubles: exact only up to 2^53.
JSON_SAFE_INTEGER = 2**53
# S3 Object Lock: "the maximum retention period is 100 years" (S3 User Guide, Object Lock).
OBJECT_LOCK_MAX_DAYS = 36500


# --- S3 bucket names -------------------------------------------------------------------
# S3 User Guide, "General purpose bucket naming rules".
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def s3_bucket_name(name: str) -> str | None:
    if not _BUCKET.fullmatch(name):
        return (
            "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in name:
        return "an S3 bucket name without two adjacent periods"
    if _is_ipv4(name):
        return "an S3 bucket name that is not formatted as an IP address"
    for prefix in BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f'an S3 bucket name not starting with "{prefix}" (reserved by S3)'
    for suffix in BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f'an S3 bucket name not ending with "{suffix}" (reserved by S3)'
    return None


def _is_ipv4(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def s3_object_key(key: str) -> str | None:
    # S3 User Guide, "Naming Amazon S3 objects": up to 1,024 bytes of UTF-8. Terraform's
    # S3 backend also refuses a key that starts or ends with "/" or holds "//".
    if not key or len(key.encode("utf-8")) > 1024:
        return "an S3 object key of 1 to 1024 bytes"
    if key.startswith("/") or key.endswith("/") or "//" in key:
        return 'an S3 object key not starting or ending with "/" and without "//"'
    if control_characters(key):
        return "an S3 object key without control characters"
    return None


# --- IAM ---------------------------------------------------------------------------------
# IAM API Reference, CreateRole: RoleName [\w+=,.@-]{1,64}; Path "/" or /.../ of
# \u0021-\u007E, at most 512 characters. ARNs: IAM User Guide, "IAM identifiers".
_ROLE_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}", re.ASCII)
_ROLE_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):role(?P<path>/(?:[\x21-\x2e\x30-\x7e]+/)*)(?P<name>[^/]*)", re.ASCII
)


def iam_role_name(name: str) -> str | None:
    if _ROLE_NAME.fullmatch(name):
        return None
    return "an IAM role name: 1 to 64 ASCII letters, digits and +=,.@_-"


def iam_role_arn(arn: str) -> str | None:
    """None for a valid role ARN in the aws partition; ``role_arn_account`` gives its account.

    IAM allows ``*`` and ``?`` in a path, but our policies name roles as principals and in
    ``ArnNotLike aws:PrincipalArn``, where they are wildcards ("IAM JSON policy elements:
    Principal": no wildcards in a principal ARN): refused. A service-linked role (path
    /aws-service-role/) can be assumed only by its service (IAM, "Using service-linked roles").
    """
    expected = "an IAM role ARN, arn:aws:iam::<12 digits>:role/[<path>/]<name>"
    match = _ROLE_ARN.fullmatch(arn)
    if match is None or len(match["path"]) > 512:
        return expected
    if iam_role_name(match["name"]) is not None:
        return expected + " (the name: 1 to 64 ASCII letters, digits and +=,.@_-)"
    if "*" in arn or "?" in arn:
        return expected + " without the wildcards * and ? (a policy principal names one role)"
    if match["path"].startswith(SERVICE_LINKED_PATH):
        return expected + f" of a role people or pipelines assume, not a service-linked role ({SERVICE_LINKED_PATH})"
    return None


SERVICE_LINKED_PATH = "/aws-service-role/"
# S3 Lifecycle: an object must stay 90 days in Glacier Flexible Retrieval before a Deep Archive transition.
GLACIER_MINIMUM_DAYS = 90
# EventBridge CreateEventBus / partner event source Name: 1 to 256 characters (EventBridge API Reference).
MAX_EVENT_SOURCE_NAME = 256


def role_arn_account(arn: str) -> str:
    match = _ROLE_ARN.fullmatch(arn)
    assert match is not None, arn
    return match["account"]


# --- tags --------------------------------------------------------------------------------
# Tagging AWS resources (Tagging Best Practices, "Tag naming limits and requirements"):
# at most 50 tags a resource; keys 1 to 128 and values 0 to 256 Unicode characters of
# letters, digits, spaces and _ . : / = + - @; the prefix aws: is reserved. IAM and some
# other services treat keys that differ only in case as the same key.
MAX_TAGS = 50
TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_text(text: str) -> bool:
    return all(
        c in TAG_PUNCTUATION or unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Zs" for c in text
    )


def tag_key(key: str) -> str | None:
    if not 1 <= len(key) <= 128 or not _tag_text(key):
        return "a tag key of 1 to 128 letters, digits, spaces and _ . : / = + - @"
    if key.lower().startswith("aws:"):
        return 'a tag key not starting with "aws:" (reserved by AWS)'
    return None


def tag_value(value: str) -> str | None:
    if len(value) > 256 or not _tag_text(value):
        return "a tag value of at most 256 letters, digits, spaces and _ . : / = + - @"
    return None


# --- other names AWS gives rules for --------------------------------------------------------
# Each: (what, pattern, longest). Sources: the CreateX operation of each API reference.
NAME_RULES: dict[str, tuple[str, re.Pattern[str], int]] = {
    "iam role": ("1 to 64 ASCII letters, digits and +=,.@_-", _ROLE_NAME, 64),
    "firehose stream": ("1 to 64 letters, digits, _ . -", re.compile(r"[a-zA-Z0-9_.-]+", re.ASCII), 64),
    "eventbridge rule": ("1 to 64 letters, digits, _ . -", re.compile(r"[a-zA-Z0-9_.-]+", re.ASCII), 64),
    "eventbridge archive": ("1 to 48 letters, digits, _ . -", re.compile(r"[a-zA-Z0-9_.-]+", re.ASCII), 48),
    "sqs queue": ("1 to 80 letters, digits, _ -", re.compile(r"[a-zA-Z0-9_-]+", re.ASCII), 80),
    "sns topic": ("1 to 256 letters, digits, _ -", re.compile(r"[a-zA-Z0-9_-]+", re.ASCII), 256),
    "kms alias": (
        "alias/ and 1 to 250 letters, digits, / _ -, not alias/aws/",
        re.compile(r"alias/(?!aws/)[a-zA-Z0-9/_-]+", re.ASCII),
        256,
    ),
    "log group": ("1 to 512 letters, digits, _ - / . #", re.compile(r"[a-zA-Z0-9_/.#-]+", re.ASCII), 512),
    "cloudwatch alarm": ("1 to 255 printable ASCII characters", re.compile(r"[\x20-\x7e]+", re.ASCII), 255),
    "glue database": ("1 to 255 lowercase letters, digits and _", re.compile(r"[a-z0-9_]+", re.ASCII), 255),
    "athena workgroup": ("1 to 128 letters, digits, _ . -", re.compile(r"[a-zA-Z0-9._-]+", re.ASCII), 128),
}


def aws_name(kind: str, name: str) -> str | None:
    """None when ``name`` is valid for a resource of ``kind`` (an S3 bucket or a NAME_RULES key)."""
    if kind == "s3 bucket":
        return s3_bucket_name(name)
    what, pattern, longest = NAME_RULES[kind]
    if len(name) <= longest and pattern.fullmatch(name):
        return None
    return f"a {kind} name of {what}"


# --- host names --------------------------------------------------------------------------
# RFC 1123 section 2.1 / RFC 952: labels of 1 to 63 ASCII letters, digits and hyphens, not
# starting or ending with a hyphen; at most 253 characters in all; a top-level label of letters.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def hostname(name: str) -> str | None:
    expected = (
        'a domain name such as "acme.eu.auth0.com": lowercase ASCII labels of 1 to 63 letters, digits '
        "and hyphens, not starting or ending with a hyphen, 253 characters at most"
    )
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return expected
    if not labels[-1].isalpha():
        return expected
    return None
