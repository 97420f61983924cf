"""tests/sample_events.py: the generated records really follow Auth0's schemas."""

from __future__ import annotations

import json

from jsonschema import Draft7Validator

from tests.sample_events import SCHEMAS, envelope, schema_shaped_records


def test_one_valid_record_per_auth0_log_type() -> None:
    records = schema_shaped_records()
    paths = sorted(SCHEMAS.glob("*.schema.json"))
    assert len(records) == len(paths) == 166
    for record, path in zip(records, paths, strict=True):
        schema = json.loads(path.read_text())
        errors = [e.message for e in Draft7Validator(schema).iter_errors(record)]
        assert errors == [], f"{path.name}: {errors}"
        assert record["type"] == path.name.removesuffix(".schema.json")


def test_envelope_carries_the_record_as_detail_data() -> None:
    record = schema_shaped_records()[0]
    event = envelope("aws.partner/auth0.com/x-1/auth0.logs", record)
    assert event["detail"]["data"] is record
    assert event["detail-type"] == "Auth0 log"


def test_the_operator_copy_of_the_sample_events_is_the_shared_one() -> None:
    # make verify ships ops/sample-events/ (users have no ../shared); it must not drift from it.
    from tests.conftest import ROOT, SHARED

    shared = {p.name: p.read_bytes() for p in (SHARED / "auth0-events").glob("*.json")}
    ours = {p.name: p.read_bytes() for p in (ROOT / "ops" / "sample-events").glob("*.json")}
    assert shared
    assert ours == shared
