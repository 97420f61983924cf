"""The tables in docs/ that come from declarations, so that they cannot drift (make docs writes them,
a test checks them)."""

from __future__ import annotations

import re
from collections.abc import Callable

from modules.contract.athena_table import NAMED_QUERIES, VIEW_COLUMNS
from modules.contract.detections import catalog_table, counts, values_table
from modules.contract.faults import fault_table, threat_table
from modules.contract.naming import ALARM_REPORTS, WATCHES, detector_table
from modules.contract.settings import AUTH0_SETTINGS, SETTINGS, settings_table

GENERATED_TABLES: dict[str, Callable[[], str]] = {
    "settings": lambda: settings_table(SETTINGS),
    "auth0": lambda: settings_table(AUTH0_SETTINGS),
    "faults": fault_table,
    "threats": threat_table,
    "detectors": detector_table,
    "detections": catalog_table,
    "detection-values": values_table,
}
SOURCES = {"settings": "modules/contract/settings.py", "auth0": "modules/contract/settings.py",
           "faults": "modules/contract/faults.py", "threats": "modules/contract/faults.py",
           "detectors": "modules/contract/naming.py", "detections": "detections/ by modules/contract/detections.py",
           "detection-values": "detections/overlays/"}  # fmt: skip
# Counts and lists written in running text: <!-- name -->value<!-- /name -->.
GENERATED_VALUES: dict[str, Callable[[], str]] = {
    "named-queries": lambda: str(len(NAMED_QUERIES)),
    "metric-alarms": lambda: str(len(ALARM_REPORTS)),
    "watch-rules": lambda: str(len(WATCHES)),
    "detection-rules": lambda: str(counts()["rules"]),
    "live-rules": lambda: str(counts()["live"]),
    "hunting-rules": lambda: str(counts()["hunting"]),
    "refused-rules": lambda: str(counts()["refused"]),
    "view-columns": lambda: ", ".join(f"`{name}`" for name, _, _ in VIEW_COLUMNS),
}


def with_generated_tables(text: str) -> str:
    """``text`` (Markdown) with each generated table rewritten from its declarations."""
    for name, render in GENERATED_TABLES.items():
        block = re.compile(
            rf"(<!-- {name} table: generated from {re.escape(SOURCES[name])} by make docs -->\n)"
            rf".*?(\n<!-- end of {name} table -->)",
            re.DOTALL,
        )
        text = block.sub(lambda match, render=render: match[1] + render() + match[2], text)
    for name, value in GENERATED_VALUES.items():
        text = re.sub(rf"(<!-- {name} -->).*?(<!-- /{name} -->)", lambda m, v=value: m[1] + v() + m[2], text)
    return text
