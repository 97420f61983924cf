"""The tables in docs/ that come from declarations, so that they cannot drift (make docs writes them,
a test checks them)."""

from __future__ import annotations

import re
from collections.abc import Callable

from modules.contract.faults import fault_table
from modules.contract.settings import AUTH0_SETTINGS, SETTINGS, settings_table

GENERATED_TABLES: dict[str, Callable[[], str]] = {
    "settings": lambda: settings_table(SETTINGS),
    "auth0": lambda: settings_table(AUTH0_SETTINGS),
    "faults": fault_table,
}
SOURCES = {"settings": "modules/contract/settings.py", "auth0": "modules/contract/settings.py",
           "faults": "modules/contract/faults.py"}  # fmt: skip


def with_generated_tables(text: str) -> str:
    """``text`` (Markdown) with each generated table rewritten from its declarations."""
    for name, render in GENERATED_TABLES.items():
        block = re.compile(
            rf"(<!-- {name} table: generated from {re.escape(SOURCES[name])} by make docs -->\n)"
            rf".*?(\n<!-- end of {name} table -->)",
            re.DOTALL,
        )
        text = block.sub(lambda match, render=render: match[1] + render() + match[2], text)
    return text
