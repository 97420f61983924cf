"""Auth0's Sigma detection catalog as the stacks use it: the vendored rules, our overlays, and each
environment's choice of rules turned into live event patterns or hunting queries.

``detections/sigma/rules/detections/*.yml`` are upstream's files, byte for byte (``detections/UPSTREAM.toml``
records their source and digests). What we or a user must adapt lives beside them in
``detections/overlays/<rule id>.toml``, reviewed like code: text patches applied before pySigma parses the
file (each must find its text, so an upstream change cannot slip past it), placeholders as pySigma's own
``%name%`` placeholders with the kind of value each takes, a level where upstream gives none, a
correlation document where upstream has the logic only in its Splunk query, or a refusal with its reason.
pySigma parses every rule; nothing here reads the YAML itself.

A rule's id is its file name without ``.yml``. A rule is, per environment:
- live: a single-event rule whose detection an event pattern expresses exactly (sigma_eventbridge): an
  EventBridge rule on the partner bus, and an alarm on its matches;
- hunting: a correlation, or a single-event rule no pattern expresses: a named Athena query
  (sigma_athena), with the reason it is not live;
- refused: it does not parse, an overlay refuses it, or its query needs a field the archive's table lacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from modules.contract import aws_rules

ROOT = Path(__file__).resolve().parents[2] / "detections"
RULES_DIR = Path("sigma/rules/detections")
OVERLAYS_DIR = Path("overlays")
UPSTREAM_FILE = "UPSTREAM.toml"
LEVELS = ("informational", "low", "medium", "high", "critical")  # Sigma's, least severe first
RULE_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,62}", re.ASCII)
# Upstream writes placeholders as {name}; one left in a value means nobody gave it a value.
UPSTREAM_PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_\-]+\}")
OVERLAY_KEYS = {"why", "patch", "values", "level", "refuse", "append"}


class CatalogError(Exception):
    """The vendored catalog or an overlay is broken (a developer's error, with the file to fix)."""


# --- the kinds of value a placeholder takes ------------------------------------------------------------


def _client_id(text: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", text, re.ASCII) else ""


def _cidr(text: str) -> str | None:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        return ""
    return None


def _text(text: str) -> str | None:
    # No Sigma wildcard or escape: a value is compared as written.
    return None if 0 < len(text) <= 256 and not re.search(r"[*?\\]", text) else ""


VALUE_KINDS: dict[str, tuple[str, Any]] = {
    "hostname": ("a host name such as acme.eu.auth0.com", aws_rules.hostname),
    "client_id": ("an Auth0 client id (letters, digits, _ and -, at most 64)", _client_id),
    "cidr": ("an IP network such as 192.0.2.0/24", _cidr),
    "text": ("text of 1 to 256 characters without *, ? or \\", _text),
}


@dataclass(frozen=True)
class ValueSpec:
    """A value an environment gives in ``detection_values`` for rules that need it."""

    name: str
    kind: str
    many: bool  # a list of values (any of them), else one
    doc: str

    @property
    def expected(self) -> str:
        what = VALUE_KINDS[self.kind][0]
        return f"a list of 1 to 100 of {what}" if self.many else what

    def problem(self, value: Any) -> str | None:
        """None when ``value`` is acceptable, else what is expected."""
        items = value if self.many and isinstance(value, list) else [value] if not self.many else None
        if items is None or not 1 <= len(items) <= 100:
            return self.expected
        check = VALUE_KINDS[self.kind][1]
        for item in items:
            if not isinstance(item, str) or aws_rules.control_characters(item) or check(item) is not None:
                return self.expected
        return None


@dataclass(frozen=True)
class Patch:
    find: str
    replace: str
    why: str
    count: int = 1


@dataclass(frozen=True)
class Overlay:
    file: str
    why: str
    patches: tuple[Patch, ...] = ()
    values: Mapping[str, ValueSpec] = field(default_factory=dict)
    level: str | None = None
    refuse: str | None = None
    append: str = ""


@dataclass(frozen=True)
class CatalogRule:
    id: str
    file: str  # relative to the catalog's root
    sha256: str  # of the upstream file
    text: str  # the upstream text with its overlay applied
    overlay: Overlay | None
    title: str
    sigma_id: str
    level: str | None
    kind: str  # "single-event" or "correlation"
    values: tuple[str, ...]  # the placeholders it needs
    refused: str | None  # why no environment can use it


@dataclass(frozen=True)
class Catalog:
    root: Path
    rules: Mapping[str, CatalogRule]
    values: Mapping[str, ValueSpec]
    upstream: Mapping[str, Any]

    def ids(self) -> list[str]:
        return sorted(self.rules)


def _overlay(path: Path, rel: str) -> Overlay:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{rel}: not a readable TOML overlay ({error})") from None
    unknown = set(doc) - OVERLAY_KEYS
    if unknown:
        raise CatalogError(f"{rel}: unknown keys {sorted(unknown)}; an overlay takes {sorted(OVERLAY_KEYS)}")
    if not isinstance(doc.get("why"), str) or not doc["why"].strip():
        raise CatalogError(f'{rel}: why = "..." is required: an overlay says why it changes upstream\'s rule')
    patches = []
    for i, patch in enumerate(doc.get("patch", [])):
        if (
            not isinstance(patch, dict)
            or set(patch) - {"find", "replace", "why", "count"}
            or not all(isinstance(patch.get(k), str) for k in ("find", "replace", "why"))
        ):
            raise CatalogError(f"{rel}: patch {i + 1} needs find, replace and why (strings), and optional count")
        patches.append(Patch(patch["find"], patch["replace"], patch["why"], int(patch.get("count", 1))))
    values = {}
    for name, spec in doc.get("values", {}).items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) or not isinstance(spec, dict):
            raise CatalogError(f"{rel}: values.{name}: a lowercase name and a table")
        if spec.get("kind") not in VALUE_KINDS or not isinstance(spec.get("doc"), str):
            raise CatalogError(f"{rel}: values.{name}: kind (one of {', '.join(VALUE_KINDS)}) and doc are needed")
        values[name] = ValueSpec(name, spec["kind"], bool(spec.get("many", False)), spec["doc"])
    level = doc.get("level")
    if level is not None and level not in LEVELS:
        raise CatalogError(f"{rel}: level must be one of {', '.join(LEVELS)}")
    return Overlay(rel, doc["why"], tuple(patches), values, level, doc.get("refuse"), doc.get("append", ""))


def _apply(text: str, overlay: Overlay) -> str:
    for patch in overlay.patches:
        found = text.count(patch.find)
        if found != patch.count:
            raise CatalogError(
                f"{overlay.file}: patch ({patch.why}) expects {patch.count} occurrence(s) of {patch.find!r} in "
                f"upstream's rule, found {found}: upstream changed; review the overlay"
            )
        text = text.replace(patch.find, patch.replace)
    if overlay.append:
        text = text.rstrip("\n") + "\n---\n" + overlay.append.strip("\n") + "\n"
    return text


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """google-re2 (pySigma's regex check) logs a refused pattern straight to file descriptor 2; the refusal
    itself comes back as pySigma's error, so the log line is only noise in a synth's output."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def parse(text: str) -> Any:
    """pySigma's collection of one rule file (its errors collected, not raised)."""
    from sigma.collection import SigmaCollection

    with _quiet_stderr():
        return SigmaCollection.from_yaml(text, collect_errors=True)


def _strings(rule: Any) -> list[tuple[str, Any]]:
    """(field, SigmaString) of every value of a parsed rule's detection."""
    from sigma.rule import SigmaDetection
    from sigma.types import SigmaString

    found: list[tuple[str, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, SigmaDetection):
            for sub in item.detection_items:
                walk(sub)
            return
        for value in item.value:
            if isinstance(value, SigmaString):
                found.append((item.field or "(keyword)", value))

    for detection in rule.detection.detections.values():
        walk(detection)
    return found


def _placeholders(bases: list[Any]) -> tuple[list[str], str | None]:
    """The pySigma placeholders the rules need, and an upstream {placeholder} nobody mapped (a refusal)."""
    from sigma.types import Placeholder

    names: list[str] = []
    for base in bases:
        for field_name, value in _strings(base):
            for part in value.s:
                if isinstance(part, Placeholder):
                    names.append(part.name)
                elif isinstance(part, str) and (hit := UPSTREAM_PLACEHOLDER.search(part)):
                    return names, (
                        f"{field_name} holds upstream's placeholder {hit.group()}, which no overlay maps to a "
                        "detection value"
                    )
    return names, None


def _facts(rule_id: str, text: str) -> tuple[str, str, str | None, str, list[str], str | None]:
    """What pySigma reads in a rule file: title, id, level, kind, placeholders, and why it cannot run."""
    from sigma.correlations import SigmaCorrelationRule

    try:
        collection = parse(text)
    except Exception as error:  # pySigma raises its own errors for YAML it cannot read at all
        return rule_id, "", None, "single-event", [], f"pySigma cannot parse it: {error}"
    errors = [str(e) for e in collection.errors] + [str(e) for r in collection.rules for e in r.errors]
    bases = [r for r in collection.rules if not isinstance(r, SigmaCorrelationRule)]
    correlations = [r for r in collection.rules if isinstance(r, SigmaCorrelationRule)]
    kind = "correlation" if correlations else "single-event"
    main = correlations[0] if correlations else (bases[0] if bases else None)
    if main is None:
        return rule_id, "", None, kind, [], "the file holds no Sigma rule"
    levels = [r.level.name.lower() for r in (main, *bases) if r.level]
    title, sigma_id, level = main.title or rule_id, str(main.id or ""), (levels[0] if levels else None)
    if errors:
        return title, sigma_id, level, kind, [], f"pySigma cannot parse it: {errors[0]}"
    if len(correlations) > 1 or (not correlations and len(bases) > 1):
        return title, sigma_id, level, kind, [], "the file holds more than one rule to run; one rule per file"
    names, unmapped = _placeholders(bases)
    return title, sigma_id, level, kind, names, unmapped


def _describe(rule_id: str, rel: str, raw: bytes, overlay: Overlay | None) -> CatalogRule:
    upstream = raw.decode("utf-8")
    text = _apply(upstream, overlay) if overlay else upstream
    title, sigma_id, level, kind, names, why_not = _facts(rule_id, text)
    refused = overlay.refuse if overlay and overlay.refuse else why_not
    needed = tuple(dict.fromkeys(names))
    declared = overlay.values if overlay else {}
    if (undeclared := [name for name in needed if name not in declared]) and not refused:
        raise CatalogError(f"{overlay.file if overlay else rel}: placeholders {undeclared} need a [values.<name>]")
    level = overlay.level if overlay and overlay.level else level
    sha = hashlib.sha256(raw).hexdigest()
    return CatalogRule(rule_id, rel, sha, text, overlay, title, sigma_id, level, kind, needed, refused)


def load_catalog(root: Path = ROOT) -> Catalog:
    """Every rule of the catalog at ``root`` with its overlay, parsed by pySigma."""
    rules_dir, overlays_dir = root / RULES_DIR, root / OVERLAYS_DIR
    if not rules_dir.is_dir():
        raise CatalogError(f"{rules_dir}: no rules (make detections-update FROM=<upstream folder or archive>)")
    files = sorted(rules_dir.glob("*.yml"))
    ids = {path.stem for path in files}
    overlays = {path.stem: path for path in sorted(overlays_dir.glob("*.toml"))} if overlays_dir.is_dir() else {}
    if stray := sorted(set(overlays) - ids):
        raise CatalogError(f"{overlays_dir}: overlays for rules the catalog lacks: {stray}")
    rules: dict[str, CatalogRule] = {}
    values: dict[str, ValueSpec] = {}
    for path in files:
        if not RULE_ID.fullmatch(path.stem):
            raise CatalogError(f"{path}: a rule file is named <id>.yml, the id of lowercase letters, digits and _")
        rel_overlay = str(OVERLAYS_DIR / f"{path.stem}.toml")
        overlay = _overlay(overlays[path.stem], rel_overlay) if path.stem in overlays else None
        rule = _describe(path.stem, str(RULES_DIR / path.name), path.read_bytes(), overlay)
        rules[rule.id] = rule
        for name, spec in (overlay.values if overlay else {}).items():
            if name in values and values[name] != spec:
                raise CatalogError(f"{rel_overlay}: values.{name} differs from its declaration in another overlay")
            values[name] = spec
    upstream_file = root / UPSTREAM_FILE
    upstream = tomllib.loads(upstream_file.read_text(encoding="utf-8")) if upstream_file.is_file() else {}
    return Catalog(root, rules, values, upstream)


@cache
def catalog() -> Catalog:
    """The project's catalog (loaded once per process)."""
    return load_catalog(ROOT)


# --- an environment's detections -----------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """One rule as an environment runs it."""

    id: str
    title: str
    level: str | None
    sigma_id: str
    mode: str  # "live" or "hunting"
    why_hunting: str  # for a rule that is not live: why no pattern
    pattern: Mapping[str, Any] | None  # live: the event pattern
    alert_threshold: int  # live: matches in a minute that alert
    query_sql: str  # the named query: the events it selects, or a correlation's groups
    query_parameters: tuple[str, ...]
    query_description: str


CORRELATION = "a correlation counts events over time"  # why a correlation is hunting


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parsed(rule: CatalogRule, values: Mapping[str, Any]) -> Any:
    from sigma.exceptions import SigmaError
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import ValueListPlaceholderTransformation

    collection = parse(rule.text)
    given = {name: values[name] if isinstance(values[name], list) else [values[name]] for name in rule.values}
    pipeline = ProcessingPipeline(items=[ProcessingItem(ValueListPlaceholderTransformation())], vars=given)
    try:
        for item in collection.rules:
            if hasattr(item, "detection"):
                pipeline.apply(item)
    except SigmaError as error:
        raise Refused(f"its placeholders cannot be filled: {error}") from None
    return collection


def resolve(
    rule: CatalogRule, values: Mapping[str, Any], threshold: int | None, base_pattern: Mapping[str, Any]
) -> Detection:
    """``rule`` with an environment's values and threshold: live or hunting, or Refused."""
    from sigma.correlations import SigmaCorrelationRule

    from modules.contract.sigma_athena import CORRELATION_OPERATORS, NotQueryable, correlation_query, events_query
    from modules.contract.sigma_eventbridge import NotExpressible, event_pattern

    if rule.refused:
        raise Refused(rule.refused)
    if missing := [name for name in rule.values if name not in values]:
        raise Refused(f"it needs detection_values {', '.join(missing)}")
    collection = _parsed(rule, values)
    correlations = [r for r in collection.rules if isinstance(r, SigmaCorrelationRule)]
    bases = [r for r in collection.rules if not isinstance(r, SigmaCorrelationRule)]
    common = {"id": rule.id, "title": rule.title, "level": rule.level, "sigma_id": rule.sigma_id}
    try:
        if correlations:
            corr = correlations[0]
            query = correlation_query(corr, bases, threshold)
            count = corr.condition.count if threshold is None else threshold
            what = f"{corr.type.name.lower()} {CORRELATION_OPERATORS[corr.condition.op]} {count}"
            if corr.condition.fieldref:
                what += f" (distinct {corr.condition.fieldref})"
            by = ", ".join(corr.group_by or []) or "everything"
            return Detection(
                **common, mode="hunting", why_hunting=CORRELATION,
                pattern=None, alert_threshold=0, query_sql=query.sql, query_parameters=query.parameters,
                query_description=f"{rule.title}: groups by {by} with {what} within {corr.timespan.spec}",
            )  # fmt: skip
        base = bases[0]
        query = events_query(base)
        description = f"{rule.title}: the events it selects"
        try:
            pattern = event_pattern(base, dict(base_pattern))
        except NotExpressible as error:
            return Detection(
                **common, mode="hunting", why_hunting=error.reason, pattern=None, alert_threshold=0,
                query_sql=query.sql, query_parameters=query.parameters, query_description=description,
            )  # fmt: skip
        return Detection(
            **common, mode="live", why_hunting="", pattern=pattern, alert_threshold=threshold or 1,
            query_sql=query.sql, query_parameters=query.parameters, query_description=description,
        )  # fmt: skip
    except NotQueryable as error:
        raise Refused(f"no query over the archive: {error.reason}") from None


def selected(catalog: Catalog, choice: str | Sequence[str], exclude: Sequence[str], min_level: str) -> list[str]:
    """The ids an environment chooses: all of them or a list, less the excluded and those below min_level
    (a rule without a level is kept)."""
    ids = catalog.ids() if choice == "all" else list(choice)
    floor = LEVELS.index(min_level)
    chosen = []
    for rule_id in ids:
        rule = catalog.rules[rule_id]
        if rule_id in exclude or (rule.level is not None and LEVELS.index(rule.level) < floor):
            continue
        if choice == "all" and rule.refused:
            continue  # "all" is every rule that can run; docs/detections.md lists the refused ones
        chosen.append(rule_id)
    return chosen


# The partner bus carries only its partner's events; the source keeps a rule to Auth0's all the same.
BASE_PATTERN: Mapping[str, Any] = {"source": [{"prefix": "aws.partner/auth0.com/"}]}


@dataclass(frozen=True)
class EnvironmentDetections:
    ids: tuple[str, ...]  # the rules chosen
    detections: tuple[Detection, ...]  # those that run, in id order
    refused: Mapping[str, str]  # chosen, but cannot run: why

    @property
    def live(self) -> tuple[Detection, ...]:
        return tuple(d for d in self.detections if d.mode == "live")

    @property
    def hunting(self) -> tuple[Detection, ...]:
        return tuple(d for d in self.detections if d.mode == "hunting")


def environment_detections(
    catalog: Catalog,
    *,
    choice: str | Sequence[str],
    exclude: Sequence[str],
    min_level: str,
    thresholds: Mapping[str, int],
    values: Mapping[str, Any],
) -> EnvironmentDetections:
    """An environment's rules, each resolved with its values and threshold (or refused, with why)."""
    ids = tuple(selected(catalog, choice, exclude, min_level))
    resolved, refused = [], {}
    for rule_id in ids:
        try:
            resolved.append(resolve(catalog.rules[rule_id], values, thresholds.get(rule_id), BASE_PATTERN))
        except Refused as error:
            refused[rule_id] = error.reason
    return EnvironmentDetections(ids, tuple(resolved), refused)


def project_detections(
    *,
    choice: str | Sequence[str],
    exclude: Sequence[str],
    min_level: str,
    thresholds: Mapping[str, int],
    values: Mapping[str, Any],
) -> EnvironmentDetections:
    """environment_detections with the project's catalog, resolved once per process for each distinct choice:
    validation, the stack, the synth's summary and make cost ask for the same environment's."""
    if not choice:
        return EnvironmentDetections((), (), {})
    return _resolved_once(
        choice if isinstance(choice, str) else tuple(choice), tuple(exclude), min_level,
        json.dumps(thresholds, sort_keys=True), json.dumps(values, sort_keys=True),
    )  # fmt: skip


@cache
def _resolved_once(
    choice: str | tuple[str, ...], exclude: tuple[str, ...], min_level: str, thresholds: str, values: str
) -> EnvironmentDetections:
    return environment_detections(
        catalog(), choice=choice, exclude=exclude, min_level=min_level,
        thresholds=json.loads(thresholds), values=json.loads(values),
    )  # fmt: skip


def for_environment(env: Any) -> EnvironmentDetections:
    """An environment's detections (settings.Environment), resolved; validation refused any that cannot run."""
    return project_detections(
        choice=env.detections, exclude=env.detections_exclude, min_level=env.detections_min_level,
        thresholds=env.detection_thresholds, values=env.detection_values,
    )  # fmt: skip


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """A pattern as the rule carries it: compact, and in UTF-8 (EventBridge takes it as written)."""
    return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)


# --- docs/detections.md ------------------------------------------------------------------------------------

EXAMPLES = {"hostname": "example.auth0.com", "client_id": "example", "cidr": "192.0.2.0/24", "text": "example"}
LIVE_LATENCY = "2 to 3 minutes"  # EventBridge's metrics each minute, the alarm evaluated each minute
# A standard-resolution CloudWatch alarm (the rule itself is free); Athena's price per TB scanned, 10 MB at least
# (ops/prices.toml has both, with their sources).
LIVE_COST = "its alarm, $0.10 a month"
HUNTING_COST = "what a run scans: $5 per TB, 10 MB at least"


def every_rule() -> EnvironmentDetections:
    """Every rule the project's catalog can run, with an example value for each placeholder."""
    cat = catalog()
    values = {n: [EXAMPLES[s.kind]] if s.many else EXAMPLES[s.kind] for n, s in cat.values.items()}
    return project_detections(choice="all", exclude=(), min_level=LEVELS[0], thresholds={}, values=values)


def catalog_table() -> str:
    """Every rule of the catalog: its mode, when it tells, what it says or why it does not run."""
    cat = catalog()
    run = {d.id: d for d in every_rule().detections}
    rows = [
        "| rule | level | mode | tells within | what it says, or why not live | needs | costs |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule_id in cat.ids():
        rule = cat.rules[rule_id]
        needs = ", ".join(f"`{v}`" for v in rule.values) or ""
        d = run.get(rule_id)
        if d is None:
            reason = rule.refused or "cannot run"
            rows.append(f"| `{rule_id}` | {rule.level or ''} | refused | | {reason} | {needs} | nothing |")
        elif d.mode == "live":
            says = (
                f"alarm on its matches in a minute: {d.title.rstrip('.')}, level {d.level or 'none'}, the count; "
                f"named query `detect-{rule_id}` lists them"
            )
            rows.append(f"| `{rule_id}` | {d.level or ''} | live | {LIVE_LATENCY} | {says} | {needs} | {LIVE_COST} |")
        else:
            rows.append(
                f"| `{rule_id}` | {d.level or ''} | hunting | when queried | {d.why_hunting}: named query "
                f"`detect-{rule_id}` ({d.query_description}) | {needs} | {HUNTING_COST} |"
            )
    return "\n".join(rows[:2] + [row.replace("\n", " ").replace("|re ", "\\|re ") for row in rows[2:]])


def values_table() -> str:
    cat = catalog()
    rows = ["| value | kind | rules | meaning |", "|---|---|---|---|"]
    for name in sorted(cat.values):
        spec = cat.values[name]
        users = ", ".join(f"`{r.id}`" for r in cat.rules.values() if name in r.values)
        rows.append(f"| `{name}` | {spec.expected} | {users} | {spec.doc} |")
    return "\n".join(rows)


def counts() -> dict[str, int]:
    cat, run = catalog(), every_rule()
    ran = len(run.detections)
    return {
        "rules": len(cat.rules),
        "live": len(run.live),
        "hunting": len(run.hunting),
        "refused": len(cat.rules) - ran,
    }
