"""``python -m ops detections``: Auth0's Sigma detections, as the environments run them.

    python -m ops detections list [--env NAME]       each rule: live, hunting or refused, and why
    python -m ops detections test FILE [--env NAME]  which rules a file of Auth0 events would fire
    python -m ops detections update FROM [--commit SHA] [--date YYYY-MM-DD]
                                                     vendor upstream's rules from a folder or archive

``test`` runs the events through the same event patterns EventBridge gets (moto's pattern engine) and the
same named queries Athena gets (DuckDB over the events filed in the archive's layout). FILE holds partner
events (EventBridge envelopes) or bare Auth0 log records, as a JSON array or one JSON object a line.
Without --env: every rule the catalog can run, with the tests' placeholder values.

``update`` reads the rules from FROM (a checkout of auth0/auth0-customer-detections, its detections/
folder, or a .zip/.tar.gz of it), checks every overlay still applies to them and pySigma still reads them,
and only then replaces detections/sigma/rules/detections/ and rewrites detections/UPSTREAM.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modules.contract.detections import (
    ROOT,
    RULES_DIR,
    UPSTREAM_FILE,
    Catalog,
    CatalogError,
    EnvironmentDetections,
    catalog,
    every_rule,
    for_environment,
    load_catalog,
)
from modules.contract.validation import ConfigError, config_path, load_config
from ops.common import OperatorError, load_environment

SOURCE = "aws.partner/auth0.com/local-00000000-0000-0000-0000-000000000000/auth0.logs"
MAX_EVENTS = 200_000


def _environments(name: str | None) -> list[tuple[str, EnvironmentDetections]]:
    if name:
        envs = [load_environment(name)[1]]
    else:
        try:
            envs = list(load_config(config_path(dict(os.environ))).environments)
        except ConfigError as error:
            raise OperatorError("\n".join(error.problems), 2) from None
    return [(env.name, for_environment(env)) for env in envs]


def list_rules(name: str | None, out: Callable[[str], None]) -> int:
    cat = catalog()
    for env_name, run in _environments(name):
        out(f"{env_name}: {len(run.detections)} of {len(cat.rules)} rules run ({len(run.live)} live, "
            f"{len(run.hunting)} hunting)")  # fmt: skip
        running = {d.id: d for d in run.detections}
        for rule_id in cat.ids():
            rule = cat.rules[rule_id]
            if rule_id in running:
                d = running[rule_id]
                why = "" if d.mode == "live" else f"  ({d.why_hunting})"
                out(f"  {d.mode:<8} {rule_id} [{d.level or 'no level'}]{why}")
            elif rule.refused:
                out(f"  refused  {rule_id}  ({rule.refused})")
            else:
                out(f"  off      {rule_id}")
    return 0


# --- test ------------------------------------------------------------------------------------------------


def read_events(path: Path) -> list[dict[str, Any]]:
    """Partner events from a file: a JSON array or JSON lines; a bare Auth0 record gets an envelope."""
    from ops.auth0_events import envelope

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OperatorError(f"{path}: cannot read it ({error})", 2) from None
    try:
        loaded = json.loads(text) if text.lstrip().startswith("[") else None
        items = loaded if loaded is not None else [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise OperatorError(
            f"{path}: not a JSON array nor JSON lines ({error.msg} at line {error.lineno})", 2
        ) from None
    if len(items) > MAX_EVENTS:
        raise OperatorError(f"{path}: {len(items)} events; at most {MAX_EVENTS} at a time", 2)
    events = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise OperatorError(f"{path}: event {n} is not a JSON object", 2)
        event = item if isinstance(item.get("detail"), dict) else envelope(SOURCE, item, time=_time_of(item))
        data = event["detail"].get("data")
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise OperatorError(f"{path}: event {n} has no Auth0 record with a type (detail.data.type)", 2)
        event["detail"].setdefault("log_id", data.get("log_id") or f"local-{n}")
        data.setdefault("log_id", event["detail"]["log_id"])
        events.append(event)
    return events


def _time_of(record: dict[str, Any]) -> str:
    date = record.get("date")
    try:
        moment = datetime.fromisoformat(str(date).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_file(path: Path, name: str | None, out: Callable[[str], None]) -> int:
    from moto.events.models import EventPattern

    from ops.local_athena import connect, file_samples, filed_hour, to_duckdb

    events = read_events(path)
    if name:
        ((_, run),) = _environments(name)
    else:
        run = every_rule()
    if not run.detections:
        out(f"{name}: no detections run here (detections = [])")
        return 0
    hours = sorted(filed_hour(event) for event in events)
    first = hours[0] if hours else "2000/01/01/00"
    end = _next_hour(hours[-1]) if hours else "2000/01/01/01"
    out(f"{len(events)} event(s), {first} to {end} (UTC); {len(run.detections)} rule(s)")
    with tempfile.TemporaryDirectory() as archive:
        file_samples(Path(archive), events)
        db = connect(Path(archive), (first, end))
        fired = 0
        for detection in run.detections:
            if detection.mode == "live":
                pattern = EventPattern.load(json.dumps(detection.pattern))
                hits = [e["detail"]["log_id"] for e in events if pattern.matches_event(e)]
                what = f"{len(hits)} event(s)" + (f": {', '.join(hits[:5])}" if hits else "")
            else:
                rows = db.execute(to_duckdb(detection.query_sql), [first, end]).fetchall()
                hits = rows
                what = f"{len(rows)} row(s)" + (f": {', '.join(str(r) for r in rows[:3])}" if rows else "")
            fired += bool(hits)
            out(f"  {'FIRES' if hits else 'quiet'}  {detection.mode:<7} {detection.id}: {what}")
    out(f"{fired} rule(s) would fire")
    return 0


def _next_hour(hour: str) -> str:
    moment = datetime.strptime(hour, "%Y/%m/%d/%H") + timedelta(hours=1)
    return moment.strftime("%Y/%m/%d/%H")


# --- an event a pattern matches ----------------------------------------------------------------------------

_ABSENT = object()


def _merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _value(matcher: Any) -> Any:
    if not isinstance(matcher, dict):
        return matcher
    ((how, what),) = matcher.items()
    text = what.get("equals-ignore-case") if isinstance(what, dict) else what
    if how == "equals-ignore-case":
        return what
    if how == "prefix":
        return f"{text}x"
    if how == "suffix":
        return f"x{text}"
    if how == "wildcard":  # each unescaped * stands for nothing
        return re.sub(r"\\(.)|\*", lambda m: m.group(1) or "", what)
    if how == "exists":
        return "x" if what else _ABSENT
    if how == "anything-but":
        listed = what if isinstance(what, list) else what.get("equals-ignore-case", [])
        numbers = [v for v in listed if isinstance(v, int | float)]
        return max(numbers) + 1 if numbers else "not-" + "-".join(map(str, listed))[:40] + "-listed"
    if how == "numeric":
        low = next((v for op, v in zip(what[::2], what[1::2], strict=False) if op in (">=", "=", "<=")), None)
        return low if low is not None else what[1] + (1 if what[0] == ">" else -1)
    if how == "cidr":
        return what.split("/")[0]
    raise ValueError(f"no example for {how}")


def matching_event(pattern: dict[str, Any]) -> dict[str, Any]:
    """The parts of an event ``pattern`` matches (its first alternative where it has several): what the e2e
    run puts on the partner bus to see the rule match."""
    out: dict[str, Any] = {}
    for key, value in pattern.items():
        if key == "$or":
            _merge(out, matching_event(value[0]))
        elif isinstance(value, dict):
            _merge(out, {key: matching_event(value)})
        elif (example := _value(value[0])) is not _ABSENT:
            out[key] = example
    return out


# --- update ----------------------------------------------------------------------------------------------


def _unpack(source: Path, into: Path) -> Path:
    if source.is_dir():
        return source
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise OperatorError(f"{source}: refuses member {member!r} outside the archive", 2)
            archive.extractall(into)
        return into
    if tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            archive.extractall(into, filter="data")
        return into
    raise OperatorError(f"{source}: expected a folder, a .zip or a .tar.gz of the upstream repository", 2)


def _rules_folder(tree: Path) -> Path:
    candidates = [tree / "detections", tree / "rules" / "detections", tree]
    candidates += sorted(p for p in tree.glob("*/detections") if p.is_dir())
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.yml")):
            return folder
    raise OperatorError(f"{tree}: no detections/*.yml in it", 2)


def update(source: Path, commit: str | None, date: str | None, out: Callable[[str], None], root: Path = ROOT) -> int:
    if not source.exists():
        raise OperatorError(f"{source}: no such folder or archive", 2)
    with tempfile.TemporaryDirectory() as work:
        rules = _rules_folder(_unpack(source, Path(work) / "unpacked"))
        staged = Path(work) / "staged"
        shutil.copytree(root, staged, ignore=shutil.ignore_patterns("rules"))
        (staged / RULES_DIR).mkdir(parents=True)
        for path in sorted(rules.glob("*.yml")):
            shutil.copyfile(path, staged / RULES_DIR / path.name)
        try:
            new = load_catalog(staged)
        except CatalogError as error:
            raise OperatorError(f"not updated: {error}", 1) from None
        old = load_catalog(root) if (root / RULES_DIR).is_dir() else None
        _write_upstream(staged, new, source, commit, date)
        _report(old, new, out)
        target = root / RULES_DIR
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(staged / RULES_DIR, target)
        shutil.copyfile(staged / UPSTREAM_FILE, root / UPSTREAM_FILE)
    out(f"detections/ updated: {len(new.rules)} rules; review git diff, then make test")
    return 0


def _write_upstream(root: Path, new: Catalog, source: Path, commit: str | None, date: str | None) -> None:
    lines = [
        "# Where detections/sigma/rules/detections/ comes from (python -m ops detections update writes this).",
        'repository = "https://github.com/auth0/auth0-customer-detections"',
        f"source = {json.dumps(str(source))}",
        f"commit = {json.dumps(commit or 'unknown')}",
        f"date = {json.dumps(date or 'unknown')}",
        "",
        "[sha256]",
    ]
    for rule in new.rules.values():  # the digest of the upstream file, as load_catalog read it
        lines.append(f'"{Path(rule.file).name}" = "{rule.sha256}"')
    (root / UPSTREAM_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _report(old: Catalog | None, new: Catalog, out: Callable[[str], None]) -> None:
    before = {r.id: r.sha256 for r in old.rules.values()} if old else {}
    after = {r.id: r.sha256 for r in new.rules.values()}
    for rule_id in sorted(set(before) | set(after)):
        if rule_id not in before:
            out(f"  added    {rule_id}")
        elif rule_id not in after:
            out(f"  removed  {rule_id}")
        elif before[rule_id] != after[rule_id]:
            out(f"  changed  {rule_id}")
    for rule in new.rules.values():
        if rule.refused:
            out(f"  refused  {rule.id}: {rule.refused}")


def main(argv: Sequence[str], out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops detections", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="action", required=True)
    listing = commands.add_parser("list", help="each rule per environment: live, hunting, refused or off")
    listing.add_argument("--env", help="one environment (default: all)")
    testing = commands.add_parser("test", help="which rules a file of Auth0 events would fire")
    testing.add_argument("file", type=Path)
    testing.add_argument("--env", help="the environment's rules and values (default: every rule)")
    updating = commands.add_parser("update", help="vendor upstream's rules from a folder or archive")
    updating.add_argument("source", type=Path)
    updating.add_argument("--commit", help="the upstream commit the rules come from")
    updating.add_argument("--date", help="its date")
    args = parser.parse_args(list(argv))
    if args.action == "list":
        return list_rules(args.env, out)
    if args.action == "test":
        return test_file(args.file, args.env, out)
    return update(args.source, args.commit, args.date, out)
