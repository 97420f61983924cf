"""Every rule of the catalog, as the stacks run it, selects what independent evaluators select.

On a generated corpus (tests/detection_corpus.py) of every rule's positives and near misses:
- a live rule's event pattern, evaluated by moto's EventBridge pattern engine, selects exactly the events
  pySigma's SQLite backend selects (the same Sigma rule, converted by pySigma, run by SQLite);
- a rule's hunting query, run on DuckDB over the corpus filed in the archive's layout (the archive's own
  table and view), selects the events a direct reading of pySigma's parsed rule selects, and where the
  SQLite table can say it (no array negation), the SQLite backend's too;
- a correlation's query, on DuckDB, reports the same groups at the same times as pySigma's SQLite
  backend's correlation query.
A disagreement names the rule and the events.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

import pytest

from modules.contract.detections import Refused, catalog, resolve
from tests.detection_corpus import VALUES, rule_events
from tests.sigma_reference import reference_selects, sqlite_alerts, sqlite_selects

BASE = {"source": [{"prefix": "aws.partner/auth0.com/"}]}
WINDOW = ("2026/11/20/00", "2026/11/21/00")
SINGLE_EVENTS = 120
CORRELATED_EVENTS = 160
RULES = catalog().ids()


def _runs(rule_id: str) -> bool:
    return not _testable(rule_id).refused


@cache
def _parsed(rule_id: str) -> Any:
    from modules.contract.detections import _parsed

    return _parsed(_testable(rule_id), VALUES)


def _testable(rule_id: str) -> Any:
    """The rule, and one our overlay refuses for its noise but pySigma reads, as if it ran: its translation is
    checked all the same (a rule pySigma cannot read has nothing to check)."""
    rule = catalog().rules[rule_id]
    if rule.overlay is not None and rule.overlay.refuse and not _parse_error(rule):
        return replace(rule, refused=None)
    return rule


def _parse_error(rule: Any) -> bool:
    from modules.contract.detections import parse

    collection = parse(rule.text)
    return bool(collection.errors or any(r.errors for r in collection.rules))


@cache
def _detection(rule_id: str) -> Any:
    try:
        return resolve(_testable(rule_id), VALUES, None, BASE)
    except Refused:
        return None


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict[str, Any]]]:
    from sigma.correlations import SigmaCorrelationRule

    out = {}
    for rule_id in RULES:
        if _testable(rule_id).refused:
            continue
        collection = _parsed(rule_id)
        correlation = next((r for r in collection.rules if isinstance(r, SigmaCorrelationRule)), None)
        bases = [r for r in collection.rules if not isinstance(r, SigmaCorrelationRule)]
        count = CORRELATED_EVENTS if correlation is not None else SINGLE_EVENTS
        out[rule_id] = rule_events(rule_id, bases, count, correlation)
    return out


@pytest.fixture(scope="module")
def everything(corpus: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """All rules' events together: each rule also meets every other rule's events."""
    return [event for events in corpus.values() for event in events]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, everything: list[dict[str, Any]]) -> Any:
    from ops.local_athena import connect, file_samples

    root = tmp_path_factory.mktemp("archive")
    file_samples(root, everything)
    return connect(root, WINDOW)


def _log_ids(events: list[dict[str, Any]], numbers: set[int]) -> set[str]:
    return {events[n]["detail"]["log_id"] for n in numbers}


def _query(db: Any, sql: str) -> list[tuple[Any, ...]]:
    from ops.local_athena import to_duckdb

    return db.execute(to_duckdb(sql), list(WINDOW)).fetchall()


def _single(rule_id: str) -> bool:
    return catalog().rules[rule_id].kind == "single-event"


def test_every_rule_is_live_hunting_or_refused_with_a_reason() -> None:
    for rule_id in RULES:
        rule = catalog().rules[rule_id]
        if rule.refused:
            with pytest.raises(Refused, match=re.escape(rule.refused)):
                resolve(rule, VALUES, None, BASE)
            continue
        detection = resolve(rule, VALUES, None, BASE)
        assert detection.mode == "live" or (detection.mode == "hunting" and detection.why_hunting), rule_id
    # Only the rule pySigma cannot read is outside the agreement tests below.
    assert [r for r in RULES if not _runs(r)] == ["liquidjs_xss_vulnerability"]


@pytest.mark.parametrize("rule_id", [r for r in RULES if _single(r) and _runs(r)])
def test_the_corpus_has_positives_and_near_misses(rule_id: str, corpus: dict[str, Any]) -> None:
    (base,) = [r for r in _parsed(rule_id).rules]
    selected = reference_selects(base, corpus[rule_id])
    assert 0 < len(selected) < len(corpus[rule_id]), f"{rule_id}: {len(selected)} of {len(corpus[rule_id])}"


@pytest.mark.parametrize("rule_id", [r for r in RULES if _single(r) and _runs(r) and _detection(r).mode == "live"])
def test_a_live_pattern_selects_what_pysigmas_sqlite_backend_selects(rule_id: str, everything: list) -> None:
    from moto.events.models import EventPattern

    detection = _detection(rule_id)
    collection = _parsed(rule_id)
    pattern = EventPattern.load(json.dumps(detection.pattern))
    by_pattern = {n for n, event in enumerate(everything) if pattern.matches_event(event)}
    by_sqlite = sqlite_selects(collection, everything)
    assert by_pattern, f"{rule_id}: the corpus has no event the pattern selects"
    assert by_pattern == by_sqlite, (
        f"{rule_id}: only the pattern selects {sorted(_log_ids(everything, by_pattern - by_sqlite))[:5]}, "
        f"only SQLite {sorted(_log_ids(everything, by_sqlite - by_pattern))[:5]}"
    )


@pytest.mark.parametrize("rule_id", [r for r in RULES if _single(r) and _runs(r)])
def test_a_rules_query_selects_what_the_rule_selects(rule_id: str, everything: list, archive: Any) -> None:
    detection = _detection(rule_id)
    (base,) = _parsed(rule_id).rules
    expected = _log_ids(everything, reference_selects(base, everything))
    found = {row[1] for row in _query(archive, detection.query_sql)}
    assert expected, f"{rule_id}: the corpus has no event the rule selects"
    assert found == expected, (
        f"{rule_id}: only the query selects {sorted(found - expected)[:5]}, "
        f"only the rule {sorted(expected - found)[:5]}"
    )
    negates_an_array = "'not' over the array" in detection.why_hunting
    if not negates_an_array:  # SQLite's rows give an array's elements one by one: "any element" only
        assert _log_ids(everything, sqlite_selects(_parsed(rule_id), everything)) == expected, rule_id


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@pytest.mark.parametrize("rule_id", [r for r in RULES if not _single(r) and _runs(r)])
def test_a_correlations_query_reports_what_pysigmas_sqlite_backend_reports(
    rule_id: str, corpus: dict[str, Any], tmp_path: Any
) -> None:
    from ops.local_athena import connect, file_samples

    detection = _detection(rule_id)
    events = corpus[rule_id]
    expected = sqlite_alerts(_parsed(rule_id), events)
    file_samples(tmp_path, events)
    found = {(*row[:-2], _ms(row[-2])) for row in _query(connect(tmp_path, WINDOW), detection.query_sql)}
    assert expected, f"{rule_id}: no group crosses the threshold in the corpus"
    assert found == expected, (
        f"{rule_id}: only the query reports {sorted(found - expected)[:3]}, only SQLite {sorted(expected - found)[:3]}"
    )
