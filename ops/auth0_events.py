"""Auth0 log events as EventBridge delivers them: the shipped samples, records shaped by
Auth0's JSON Schemas, and the measured size and compressibility the cost estimate uses."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

SAMPLE_EVENTS = Path(__file__).resolve().parent / "sample-events"
PROFILE = Path(__file__).resolve().parent / "event-profile.json"
BATCH = 2000  # events in one measured object: ~15 minutes of a mid-sized tenant


def sample_events() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(SAMPLE_EVENTS.glob("*.json"))]


def example_value(schema: dict[str, Any], name: str = "") -> Any:
    """A small value valid under ``schema`` (the subset of JSON Schema Auth0 uses)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    examples = schema.get("examples") or [None]
    if isinstance(examples[0], str | int | float | bool) and schema.get("type") in ("string", "integer", "number"):
        return examples[0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_value(part, name)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        return merged
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return example_value(schema[combinator][0], name)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        required = schema.get("required", [])
        return {key: example_value(sub, key) for key, sub in schema.get("properties", {}).items()
                if key in required or key in ("date", "ip", "user_id")}  # fmt: skip
    if kind == "array":
        return [example_value(schema.get("items", {}), name)]
    scalars = {"string": f"example-{name}" if name else "example", "integer": 1, "number": 1.5, "boolean": True}
    return scalars.get(kind)


def schema_shaped_records(schemas_dir: Path) -> list[dict[str, Any]]:
    """One record (``detail.data``) for each of Auth0's log types."""
    return [example_value(json.loads(p.read_text())) for p in sorted(schemas_dir.glob("*.schema.json"))]


def envelope(
    source: str,
    record: dict[str, Any],
    *,
    event_id: str = "5f0c3e7a-8a51-4a62-9f5e-2b1de0c7a0aa",
    account: str = "111111111111",
    region: str = "us-east-1",
    time: str = "2026-11-12T16:02:10Z",
) -> dict[str, Any]:
    """The EventBridge envelope an Auth0 log stream puts around a record (the defaults: an example's)."""
    log_id = record.get("log_id", "90020261112160210114000123456789012345678901234567890123")
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Auth0 log",
        "source": source,
        "account": account,
        "time": time,
        "region": region,
        "resources": [],
        "detail": {"log_id": log_id, "data": record},
    }


def corpus(schemas_dir: Path) -> list[dict[str, Any]]:
    """The shipped sample events and one schema-shaped event per Auth0 log type."""
    samples = sample_events()
    source = samples[0]["source"]
    return samples + [envelope(source, record) for record in schema_shaped_records(schemas_dir)]


def measure(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean bytes of one event as Firehose receives it, and how well an object of them gzips.

    The batch cycles through the events with what differs between real events made distinct: the
    EventBridge id, the log id, the time, the IP, the user.
    """
    lines = [json.dumps(event, separators=(",", ":")) + "\n" for event in events]
    batch = []
    for i in range(BATCH):
        event = json.loads(lines[i % len(lines)])
        unique = hashlib.sha256(str(i).encode()).hexdigest()
        event["id"] = f"{unique[:8]}-{unique[8:12]}-{unique[12:16]}-{unique[16:20]}-{unique[20:32]}"
        event["detail"]["log_id"] = str(int(unique, 16))[:56]
        data = event["detail"]["data"]
        data["log_id"] = event["detail"]["log_id"]
        data["date"] = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}Z"
        data["ip"] = f"{int(unique[0:2], 16)}.{int(unique[2:4], 16)}.{int(unique[4:6], 16)}.{int(unique[6:8], 16)}"
        if "user_id" in data:
            data["user_id"] = f"auth0|{unique[40:64]}"
        batch.append(json.dumps(event, separators=(",", ":")) + "\n")
    raw = "".join(batch).encode()
    return {
        "events": len(events),
        "mean_bytes": round(sum(len(line.encode()) for line in lines) / len(lines), 1),
        "gzip_ratio": round(len(gzip.compress(raw, compresslevel=6, mtime=0)) / len(raw), 4),
        "batch": BATCH,
    }


def load_profile() -> dict[str, Any]:
    return json.loads(PROFILE.read_text())


if __name__ == "__main__":  # python -m ops.auth0_events: re-measure and write the profile
    # Real events, as an Auth0 stream delivered them; schema-shaped ones carry only what every type has,
    # and are half the size.
    profile = measure(sample_events()) | {"corpus": f"the {len(sample_events())} sample events (ops/sample-events)"}
    PROFILE.write_text(json.dumps(profile, indent=2) + "\n")
    print(json.dumps(profile, indent=2))
