"""``make review``: what a synthesized stack will create, in words a reviewer scans in a minute,
and what changed since the previous synth of the same stack."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from modules.contract import naming

Document = dict[str, Any]
Resource = dict[str, Any]

REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_.]+\}")


def readable(value: Any) -> str:
    """A value with Terraform references shown as "(type name)"."""
    text = value if isinstance(value, str) else json.dumps(value)
    return REFERENCE.sub(lambda m: f"({m.group(1).removeprefix('aws_')} {_short(m.group(2))})", text)


def _short(logical_name: str) -> str:
    return logical_name.rsplit("_", 1)[0]  # without cdktf's hash suffix


def _days(rule: Resource) -> str:
    steps = [f"{t['storage_class']} after {t['days']} d" for t in rule.get("transition", [])]
    steps += [f"expire after {e['days']} d" for e in rule.get("expiration", []) if "days" in e]
    return ", ".join(steps) or "no transitions"


def _protected(resource: Resource) -> str:
    return " [prevent_destroy]" if resource.get("lifecycle", {}).get("prevent_destroy") else ""


def _bucket(r: Resource) -> str:
    return f"bucket {r['bucket']}, force_destroy={str(r.get('force_destroy', False)).lower()}{_protected(r)}"


def _encryption(r: Resource) -> str:
    default = r["rule"][0]["apply_server_side_encryption_by_default"]
    key = f" with {readable(default['kms_master_key_id'])}" if default.get("kms_master_key_id") else ""
    return f"  default encryption {default['sse_algorithm']}{key}"


def _lifecycle(r: Resource) -> str:
    rules = [f"{rule['id']}: {_days(rule)}" for rule in r["rule"] if rule["id"] != "remove-expired-delete-markers"]
    return "  lifecycle " + "; ".join(rules)


def _key(r: Resource) -> str:
    sids = [s["Sid"] for s in json.loads(r["policy"])["Statement"]] if isinstance(r.get("policy"), str) else []
    return (
        f"rotation={str(r.get('enable_key_rotation', False)).lower()}, "
        f"deletion window {r.get('deletion_window_in_days')} d{_protected(r)}; grants: {', '.join(sids)}"
    )


def _stream(r: Resource) -> str:
    s3 = r["extended_s3_configuration"]
    return (
        f"stream {r['name']} -> {readable(s3['bucket_arn'])} under {_layout(s3['prefix'])}, "
        f"{s3['compression_format']}, "
        f"buffer {s3['buffering_interval']} s / {s3['buffering_size']} MiB, stream SSE "
        f"{r.get('server_side_encryption', {}).get('key_type', 'none')}"
    )


def _layout(prefix: str) -> str:
    prefix = prefix.replace("!{partitionKeyFromQuery:dt}", "YYYY/MM/DD/HH (event time)")
    return re.sub(r"!\{timestamp:([a-zA-Z]+)\}", lambda m: m.group(1).upper(), prefix)


def _rule(r: Resource) -> str:
    bus = readable(r.get("event_bus_name", "the default bus"))
    return f"rule {r['name']} ({r.get('state', '?')}) on {bus}: {readable(r['event_pattern'])}"


def _target(r: Resource) -> str:
    if "retry_policy" not in r:  # a watch rule's target: the alarm topic
        return f"  target {readable(r['arn'])}"
    retry = r["retry_policy"]
    dlq = readable(r["dead_letter_config"]["arn"]) if "dead_letter_config" in r else "NONE"
    return (
        f"  target {readable(r['arn'])}, retry {retry.get('maximum_retry_attempts')} times / "
        f"{retry.get('maximum_event_age_in_seconds')} s, dead letters to {dlq}"
    )


def _alarm(r: Resource) -> str:
    return (
        f"  alarm {r['alarm_name']}: {r['namespace']} {r['metric_name']} {r['statistic']} "
        f"{r['comparison_operator']} {r['threshold']} -> {readable(r['alarm_actions'][0])}"
    )


PUBLIC_ACCESS_BLOCKS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

DESCRIBE: dict[str, Callable[[Resource], str]] = {
    "aws_kms_key": _key,
    "aws_kms_alias": lambda r: f"  alias {r['name']}",
    "aws_s3_bucket": _bucket,
    "aws_s3_bucket_versioning": lambda r: f"  versioning {r['versioning_configuration']['status']}",
    "aws_s3_bucket_server_side_encryption_configuration": _encryption,
    "aws_s3_bucket_public_access_block": lambda r: (
        "  public access blocked"
        if all(
            r.get(k)
            for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        )
        else "  PUBLIC ACCESS NOT FULLY BLOCKED"
    ),
    "aws_s3_bucket_lifecycle_configuration": _lifecycle,
    "aws_s3_bucket_logging": lambda r: f"  access logs to {readable(r['target_bucket'])}/{r['target_prefix']}",
    "aws_s3_bucket_object_lock_configuration": lambda r: (
        f"  object lock {r['rule']['default_retention']['mode']} {r['rule']['default_retention']['days']} d"
    ),
    "aws_s3_bucket_notification": lambda r: "  events to EventBridge" if r.get("eventbridge") else "  notifications",
    "aws_kinesis_firehose_delivery_stream": _stream,
    "aws_cloudwatch_log_group": lambda r: (
        f"  log group {r['name']}, retained {r['retention_in_days']} d, key {readable(r.get('kms_key_id', 'none'))}"
    ),
    "aws_cloudwatch_event_bus": lambda r: f"partner bus {readable(r['name'])}",
    "aws_cloudwatch_event_rule": _rule,
    "aws_cloudwatch_event_target": _target,
    "aws_cloudwatch_event_archive": lambda r: (
        f"  replay archive {r['name']}, {r['retention_days']} d, "
        + (f"key {readable(r['kms_key_identifier'])}" if "kms_key_identifier" in r else "AWS owned key")
    ),
    "aws_sqs_queue": lambda r: (
        f"  dead-letter queue {r['name']}, kept {r['message_retention_seconds'] // 86400} d, "
        + (
            "SQS-managed encryption"
            if r.get("sqs_managed_sse_enabled")
            else f"key {readable(r.get('kms_master_key_id', 'none'))}"
        )
    ),
    "aws_iam_role": lambda r: (
        f"IAM role {r['name']}, trusted by "
        + ", ".join(s["Principal"]["Service"] for s in json.loads(r["assume_role_policy"])["Statement"])
    ),
    "aws_sns_topic": lambda r: f"topic {r['name']}, key {readable(r.get('kms_master_key_id', 'none'))}",
    "aws_sns_topic_subscription": lambda r: f"  subscription {r['protocol']} {r['endpoint']}",
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_glue_catalog_table": lambda r: (
        f"view {r['name']}: each event once, by event time"
        if r.get("table_type") == "VIRTUAL_VIEW"
        else f"table {r['name']} over {r['storage_descriptor']['location']}, hourly "
        f"partitions projected from {r['parameters']['projection.dt.range'].split(',')[0]}"
    ),
    "aws_athena_workgroup": lambda r: (
        f"workgroup {r['name']}, scan limit "
        f"{r['configuration']['bytes_scanned_cutoff_per_query'] // 2**20} MiB per query, results "
        f"{r['configuration']['result_configuration']['output_location']}"
    ),
    "aws_athena_named_query": lambda r: f"named query {r['name']}",
    "auth0_log_stream": lambda r: (
        f"Auth0 log stream {r['name']!r} -> account {r['sink']['aws_account_id']}, "
        f"region {r['sink']['aws_region']}, filters {[f['name'] for f in r.get('filters', [])] or 'all events'}"
    ),
}
# Shown only through the resources they belong to.
QUIET = {"aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy", "aws_iam_role_policy", "aws_sqs_queue_policy",
         "aws_sns_topic_policy", "aws_cloudwatch_log_stream"}  # fmt: skip


def summary(doc: Document) -> list[str]:
    provider = doc["provider"]["aws"][0]
    backend_type, backend = next(iter(doc["terraform"].get("backend", {"local": {}}).items()))
    where = (
        f"s3://{backend['bucket']}/{backend['key']} ({backend['region']}, encrypt={backend.get('encrypt')}, "
        f"lockfile={backend.get('use_lockfile')})"
        if backend_type == "s3"
        else f"local file {backend.get('path')}"
    )
    role = provider.get("assume_role", [{}])[0].get("role_arn")
    lines = [
        f"account {provider['allowed_account_ids'][0]}, region {provider['region']}"
        + (f", as {role}" if role else ", with the caller's credentials"),
        f"state: {where}",
        f"tags: {', '.join(f'{k}={v}' for k, v in sorted(provider['default_tags'][0]['tags'].items()))}",
        "",
    ]
    grouped: dict[str, list[tuple[str, Resource]]] = {part.title: [] for part in naming.PARTS} | {"Other": []}
    count = 0
    for resource_type, resources in doc.get("resource", {}).items():
        for name, attrs in resources.items():
            count += 1
            grouped[_group(name, attrs)].append((resource_type, attrs))
    for title, members in grouped.items():
        shown = [
            DESCRIBE.get(t, lambda _r, t=t: f"  {t}")(attrs)
            for t, attrs in sorted(members, key=lambda m: _order(m[0]))
            if t not in QUIET
        ]
        if shown:
            lines += [f"{title}:", *[f"  {line.strip()}" for line in shown]]
    lines.append(f"{count} resources in all.")
    if "aws_sns_topic_subscription" not in doc.get("resource", {}):
        lines.append("Note: nobody is subscribed to the alarm topic (alarm_email, or subscribe your own endpoint).")
    return lines


def _group(logical_name: str, resource: Resource) -> str:
    """The title of the stack's part (modules/contract/naming.py) whose construct made the resource:
    from its construct path where the synth records it, else from its logical name (the path, joined by _)."""
    path = resource.get("//", {}).get("metadata", {}).get("path", "")
    if path.count("/") >= 1:
        part_id = path.split("/")[1]
        return next((part.title for part in naming.PARTS if part.id == part_id), "Other")
    matches = [part for part in naming.PARTS if logical_name.startswith(f"{part.id}_")]
    return max(matches, key=lambda part: len(part.id)).title if matches else "Other"


def _order(resource_type: str) -> int:
    """Within a construct, its main resource first."""
    main = ("auth0_log_stream", "aws_kms_key", "aws_cloudwatch_event_bus", "aws_cloudwatch_event_rule",
            "aws_kinesis_firehose_delivery_stream", "aws_s3_bucket", "aws_sns_topic")  # fmt: skip
    return main.index(resource_type) if resource_type in main else len(main)


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs; JSON policy strings are opened so a changed statement shows as such."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "//":
                yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def differences(old: Document, new: Document) -> list[str]:
    """What changed between two synths, resource by resource."""
    lines = []

    def resources(doc: Document) -> dict[str, Resource]:
        return {f"{t}.{n}": a for t, group in doc.get("resource", {}).items() for n, a in group.items()}

    for section in ("provider", "terraform"):
        lines += [f"~ {section}.{line}" for line in _changed(old.get(section, {}), new.get(section, {}))]
    before, after = resources(old), resources(new)
    lines += [f"+ {address}" for address in sorted(after.keys() - before.keys())]
    lines += [f"- {address}" for address in sorted(before.keys() - after.keys())]
    for address in sorted(before.keys() & after.keys()):
        lines += [f"~ {address}: {line}" for line in _changed(before[address], after[address])]
    return lines


def _changed(old: Any, new: Any) -> list[str]:
    was, now = dict(flatten(old)), dict(flatten(new))
    lines = []
    for path in sorted(was.keys() | now.keys()):
        if was.get(path, "<absent>") != now.get(path, "<absent>"):
            lines.append(f"{path}: {readable(was.get(path, '<absent>'))} -> {readable(now.get(path, '<absent>'))}")
    return lines


def review(stack_name: str, current: Path, previous: Path) -> list[str]:
    doc = json.loads(current.read_text())
    lines = [f"Stack {stack_name} ({os.path.relpath(current)})", *summary(doc), ""]
    if previous.exists():
        changes = differences(json.loads(previous.read_text()), doc)
        lines.append(
            f"Changes since the previous synth ({os.path.relpath(previous)}):"
            if changes
            else "No changes since the previous synth."
        )
        lines += [f"  {line}" for line in changes]
    else:
        lines.append("No previous synth of this stack to compare with.")
    return lines
