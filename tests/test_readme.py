"""README.md: the documented configuration keys are the real ones."""

from __future__ import annotations

import re

from modules.contract.settings import BACKEND_KEYS, SETTINGS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()


def documented_keys(heading: str) -> set[str]:
    """The first-column keys of the table that follows ``heading``."""
    section = CONFIGURATION[CONFIGURATION.index(heading) :]
    table = section[section.index("\n|") :].split("\n\n")[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.MULTILINE))


def test_every_setting_is_documented() -> None:
    assert documented_keys("## Configuration") == set(SETTINGS)


def test_every_backend_key_is_documented() -> None:
    keys = {"type"} | {key for kind in BACKEND_KEYS.values() for key in kind}
    assert documented_keys("`backend` table:") == keys


def test_the_two_setup_commands_are_there() -> None:
    assert "make synth" in README
    assert "make test" in README


def test_the_readme_is_a_front_door_with_links_that_resolve() -> None:
    assert len(README.splitlines()) < 120
    links = re.findall(r"\]\((docs/[a-z-]+\.md)\)", README)
    # Every page of docs/ is reachable from the front door.
    assert set(links) == {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    for link in links:
        assert (ROOT / link).is_file(), link
    for doc in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([a-z-]+\.md)(?:#[a-z0-9-]+)?\)", doc.read_text()):
            assert (ROOT / "docs" / target).is_file(), (doc.name, target)
