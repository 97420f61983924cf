"""What Auth0's Management API accepts for an EventBridge log stream.

Plain data (no cdktf), so that the configuration can be validated before
jsii starts, and the binding in ``modules/auth0.py`` checks the same lists.
Sources: Auth0 Management API (log streams: LogStreamEventBridgeSinkRegionEnum,
LogStreamPiiLogFieldsEnum, LogStreamPiiMethodEnum) and the auth0/auth0
Terraform provider's documented filter categories.
"""

from __future__ import annotations

# Regions an Auth0 EventBridge log stream can create its partner event source in
# (commercial partition; Auth0 also lists us-gov-east-1 and us-gov-west-1).
EVENTBRIDGE_REGIONS = frozenset(
    [
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ]
)

# Log stream filter categories ("type": "category").
FILTER_CATEGORIES = (
    "auth.ancillary.fail", "auth.ancillary.success", "auth.login.fail", "auth.login.notification",
    "auth.login.success", "auth.logout.fail", "auth.logout.success", "auth.signup.fail", "auth.signup.success",
    "auth.silent_auth.fail", "auth.silent_auth.success", "auth.token_exchange.fail", "auth.token_exchange.success",
    "management.fail", "management.success", "scim.event", "system.notification", "user.fail",
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
    return f"a region Auth0 can stream to ({', '.join(sorted(EVENTBRIDGE_REGIONS))})"
