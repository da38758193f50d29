"""Issue #12 item 4: every corpus variant — the mirror's four reports in other layouts, by
reportlab (rendered here), headless Chromium and LibreOffice (committed PDFs) — parses
field-exact to the report's expected JSON, with each row's page read back from the PDF."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.corpus.compare import outcome, table, variants
from tests.corpus.layouts import LAYOUTS
from tests.corpus.model import STEMS

NAMES = list(variants())
# One worker parses the corpus once (outcome() caches in-process): spread over pytest-xdist's
# workers, the table test re-parsed half of it (111 s instead of 6).
pytestmark = pytest.mark.xdist_group("corpus")


@pytest.mark.parametrize("name", NAMES)
def test_variant_is_field_exact(name: str) -> None:
    result = outcome(name)
    assert result.problems == []
    assert result.exact == result.total, "\n".join(result.mismatches[:10])


def test_corpus_covers_the_issue() -> None:
    """At least 30 layouts, three producers, and every mirror report in several layouts."""
    assert len(LAYOUTS) >= 30
    producers = Counter(v.producer for v in variants().values())
    assert {"reportlab", "chromium", "libreoffice"} <= set(producers)
    per_report = Counter(v.report for v in variants().values())
    assert all(per_report[stem] >= 5 for stem in STEMS)


def test_prints_the_corpus_table(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [outcome(name) for name in NAMES]
    with capsys.disabled():
        print("\n" + table(outcomes))
    assert all(item.exact == item.total for item in outcomes)
