"""Auth0 log records shaped by Auth0's JSON Schemas (../shared/auth0-log-schemas), for the tests."""

from __future__ import annotations

from functools import cache
from typing import Any

from ops.auth0_events import envelope, example_value  # noqa: F401 - re-exported for the tests
from ops.auth0_events import schema_shaped_records as _records
from tests.conftest import SHARED

SCHEMAS = SHARED / "auth0-log-schemas" / "schemas" / "log-types"


@cache
def schema_shaped_records() -> list[dict[str, Any]]:
    """One record (the ``detail.data`` object) for each of Auth0's log types."""
    return _records(SCHEMAS)
