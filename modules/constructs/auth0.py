"""A small typed binding of the auth0/auth0 Terraform provider: the provider and
an EventBridge log stream. (No prebuilt Python binding exists, and one cannot be
generated without the registry.)"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from modules.constructs.aws import core
from modules.contract.auth0_catalog import (
    FILTER_CATEGORIES,
    PII_ALGORITHM,
    PII_LOG_FIELDS,
    PII_METHODS,
    rfc3339_utc,
    unsupported_region,
)
from modules.contract.versions import AUTH0_PROVIDER_SOURCE, AUTH0_PROVIDER_VERSION

_METADATA = core.TerraformProviderGeneratorMetadata(
    provider_name="auth0", provider_version_constraint=AUTH0_PROVIDER_VERSION
)


class Auth0Provider(core.TerraformProvider):
    """The auth0 provider for one tenant.

    Credentials never appear here: the provider reads AUTH0_CLIENT_ID and
    AUTH0_CLIENT_SECRET, or AUTH0_API_TOKEN, from the environment.
    """

    def __init__(self, scope: Construct, id: str, *, domain: str) -> None:
        super().__init__(
            scope, id, terraform_resource_type="auth0", terraform_generator_metadata=_METADATA,
            terraform_provider_source=AUTH0_PROVIDER_SOURCE,
        )  # fmt: skip
        self.domain = domain

    def _synthesize_attributes(self) -> dict[str, Any]:
        return {"domain": self.domain}


@dataclass(frozen=True)
class PiiConfig:
    """Fields Auth0 hashes or masks before the events leave the tenant."""

    log_fields: tuple[str, ...]
    method: str = "hash"  # "hash" or "mask"


class Auth0EventBridgeLogStream(core.TerraformResource):
    """``auth0_log_stream`` of type ``eventbridge``.

    Auth0 creates a partner event source in ``aws_account_id`` /
    ``aws_region``; its name is ``partner_event_source``, known after apply.
    Changing the account or region replaces the stream, and with it that name.

    ``start_from`` (an RFC 3339 time) asks Auth0 to begin with the logs of that
    moment. Auth0 reads it only when it creates the stream: on an existing
    stream, changing it does nothing (use ``make backfill`` for older logs).
    """

    TERRAFORM_TYPE = "auth0_log_stream"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        aws_account_id: str,
        aws_region: str,
        filters: Sequence[str] = (),
        pii: PiiConfig | None = None,
        is_priority: bool | None = None,
        start_from: str | None = None,
        provider: Auth0Provider | None = None,
        depends_on: Sequence[core.ITerraformDependable] | None = None,
        lifecycle: core.TerraformResourceLifecycle | None = None,
    ) -> None:
        _check(aws_account_id, aws_region, filters, pii, start_from)
        super().__init__(
            scope, id, terraform_resource_type=self.TERRAFORM_TYPE, terraform_generator_metadata=_METADATA,
            provider=provider, depends_on=depends_on, lifecycle=lifecycle,
        )  # fmt: skip
        self.stream_name = name
        self.aws_account_id = aws_account_id
        self.aws_region = aws_region
        self.filters = tuple(filters)
        self.pii = pii
        self.is_priority = is_priority
        self.start_from = start_from

    def _synthesize_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "name": self.stream_name,
            "type": "eventbridge",
            "status": "active",
            "sink": {"aws_account_id": self.aws_account_id, "aws_region": self.aws_region},
        }
        if self.filters:  # none means every event
            attributes["filters"] = [{"type": "category", "name": category} for category in self.filters]
        if self.pii is not None:
            attributes["pii_config"] = {
                "log_fields": list(self.pii.log_fields),
                "method": self.pii.method,
                "algorithm": PII_ALGORITHM,
            }
        if self.is_priority is not None:
            attributes["is_priority"] = self.is_priority
        if self.start_from is not None:
            attributes["start_from"] = self.start_from
        return attributes

    @property
    def id(self) -> str:
        return self.get_string_attribute("id")

    @property
    def partner_event_source(self) -> str:
        """The partner event source Auth0 created (``sink[0].aws_partner_event_source``)."""
        return self.get_string_attribute("sink.0.aws_partner_event_source")


def _check(account: str, region: str, filters: Sequence[str], pii: PiiConfig | None, start_from: str | None) -> None:
    problems = []
    if not re.fullmatch(r"\d{12}", account):
        problems.append(f"aws_account_id: expected 12 digits, got {account!r}")
    if expected := unsupported_region(region):
        problems.append(f"aws_region: expected {expected}, got {region!r}")
    if unknown := [f for f in filters if f not in FILTER_CATEGORIES]:
        problems.append(f"filters: expected categories among {', '.join(FILTER_CATEGORIES)}, got {unknown}")
    if pii is not None:
        if not pii.log_fields or (unknown := [f for f in pii.log_fields if f not in PII_LOG_FIELDS]):
            problems.append(f"pii fields: expected some of {', '.join(PII_LOG_FIELDS)}, got {list(pii.log_fields)}")
        if pii.method not in PII_METHODS:
            problems.append(f"pii method: expected one of {', '.join(PII_METHODS)}, got {pii.method!r}")
    if start_from is not None and rfc3339_utc(start_from) != start_from:
        problems.append(f"start_from: expected an RFC 3339 time in UTC, YYYY-MM-DDTHH:MM:SSZ, got {start_from!r}")
    if problems:
        raise ValueError("invalid Auth0 log stream: " + "; ".join(problems))
