"""What the auth0 Terraform provider and Auth0's Management API accept for an EventBridge log stream.

Plain data (no cdktf), so that the configuration can be validated before
jsii starts, and the binding in ``modules/auth0.py`` checks the same lists.

Source: terraform-provider-auth0 v1.55.0, internal/auth0/logstream/resource.go
(read 2026-11-27): the ``sink.aws_region`` and ``pii_config`` allow-lists and the
filter categories its ``filters`` description documents. The provider checks
these at plan time; we check them before anything is synthesized.
"""

from __future__ import annotations

import datetime
import re

# The provider's sink.aws_region allow-list (ValidateFunc StringInSlice), commercial
# partition only: every ARN we build is "aws" (the provider also lists cn-north-1,
# cn-northwest-1, us-gov-east-1 and us-gov-west-1). eu-central-2 since v1.38.0.
# AWS has more regions than this; Auth0 cannot stream to the others yet.
EVENTBRIDGE_REGIONS = frozenset(
    [
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ]
)

# Log stream filter categories ("type": "category"), as the provider documents them.
# Auth0's "scim.event" is not among them, so it is not offered here.
FILTER_CATEGORIES = (
    "auth.ancillary.fail", "auth.ancillary.success", "auth.login.fail", "auth.login.notification",
    "auth.login.success", "auth.logout.fail", "auth.logout.success", "auth.signup.fail", "auth.signup.success",
    "auth.silent_auth.fail", "auth.silent_auth.success", "auth.token_exchange.fail", "auth.token_exchange.success",
    "management.fail", "management.success", "system.notification", "user.fail",
    "user.notification", "user.success", "other",
)  # fmt: skip

# Fields a log stream can hash or mask before they leave Auth0.
PII_LOG_FIELDS = ("first_name", "last_name", "username", "email", "phone", "address")
PII_METHODS = ("hash", "mask")
PII_ALGORITHM = "xxhash"  # the only one Auth0 offers


def unsupported_region(region: str) -> str | None:
    """None when Auth0 can stream to ``region``, else the expectation to report."""
    if region in EVENTBRIDGE_REGIONS:
        return None
    return f"a region the auth0 provider can stream to ({', '.join(sorted(EVENTBRIDGE_REGIONS))})"


# RFC 3339 date-time (section 5.6): full date, time, and an offset (Z or ±HH:MM).
_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?)"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


def rfc3339_utc(value: object) -> str | None:
    """``value`` (RFC 3339 text, or an aware datetime) as ``YYYY-MM-DDTHH:MM:SSZ``; None if it is neither.

    The provider documents ``start_from`` as an ISO 8601 datetime; RFC 3339 with
    an explicit offset is the unambiguous part of it. Fractions of a second are
    dropped: Auth0 log times have milliseconds at most, and a stream starts at a second.
    """
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and (match := _RFC3339.fullmatch(value)):
        offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
        fraction = match["time"][8:][:7]  # fromisoformat takes at most 6 digits after the point
        try:
            moment = datetime.datetime.fromisoformat(f"{match['date']}T{match['time'][:8]}{fraction}{offset}")
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    try:  # year 1 with a positive offset, or 9999 with a negative one, is outside datetime's range in UTC
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return None
