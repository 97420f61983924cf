"""modules/contract/docs.py: every table, count and list in docs/ that comes from a declaration is the one
declared, so that the words cannot drift from the stacks (make docs rewrites them)."""

from __future__ import annotations

import re

import pytest

from modules.contract.docs import GENERATED_TABLES, GENERATED_VALUES, with_generated_tables
from modules.contract.naming import ALARM_SUFFIXES, WATCHES
from tests.conftest import ROOT

PAGES = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_page_is_as_make_docs_writes_it(page) -> None:
    text = page.read_text()
    assert with_generated_tables(text) == text, f"run make docs ({page.name})"


def test_every_generated_table_and_value_appears_somewhere() -> None:
    text = "\n".join(page.read_text() for page in PAGES)
    for name in GENERATED_TABLES:
        assert f"<!-- {name} table: generated from" in text, name
    for name in GENERATED_VALUES:
        assert f"<!-- {name} -->" in text, name


def test_the_counts_in_the_docs_are_the_synthesized_stack_s(prod: dict) -> None:
    from tests.helpers import resources

    text = (ROOT / "docs" / "deploying.md").read_text()
    # The pipeline's alarms and the archive's queries; detections add their own (docs/detections.md).
    alarms = sum(1 for name in resources(prod, "aws_cloudwatch_metric_alarm") if name.startswith("alarms_"))
    watches = sum(1 for name in resources(prod, "aws_cloudwatch_event_rule") if name.startswith("alarms_watch_"))
    queries = sum(1 for q in resources(prod, "aws_athena_named_query").values() if not q["name"].startswith("detect-"))
    assert (alarms, watches) == (len(ALARM_SUFFIXES), len(WATCHES))
    assert f"<!-- metric-alarms -->{alarms}<!-- /metric-alarms -->" in text
    assert f"<!-- watch-rules -->{watches}<!-- /watch-rules -->" in text
    assert f"<!-- named-queries -->{queries}<!-- /named-queries -->" in text


def test_no_page_spells_a_count_of_alarms_or_queries_by_hand() -> None:
    words = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen)"
    for page in PAGES:
        text = re.sub(r"<!-- ([\w-]+) -->.*?<!-- /\1 -->", "", page.read_text())
        found = re.findall(rf"\b{words} (?:metric )?(?:alarms|named queries|watch rules)\b", text, re.IGNORECASE)
        assert not found, (page.name, found)


def test_the_lifecycle_the_docs_describe_is_the_stack_s(prod: dict) -> None:
    from tests.helpers import resources

    (value,) = {c["transition_default_minimum_object_size"]
                for c in resources(prod, "aws_s3_bucket_lifecycle_configuration").values()}  # fmt: skip
    for page in ("deploying.md", "cost.md"):
        text = (ROOT / "docs" / page).read_text()
        assert value in text and "varies_by_storage_class" not in text, page
