"""The same report from another producer (fonts, widths, landscape, centred cells, no repeated
header, no grid) parses to the same rows. Only ``page`` may differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import parse_report
from tests.conftest import expected
from tests.parsers.variant_pdf import Variant, render

VARIANTS = {
    "times-portrait": Variant(),
    "helvetica-landscape": Variant(
        font="Helvetica", bold="Helvetica-Bold", size=8, landscape=True, period_style="short"
    ),
    "courier-centred-cells": Variant(font="Courier", bold="Courier-Bold", size=7, valign="MIDDLE"),
    "no-repeated-header-no-grid": Variant(repeat_header=False, grid=False, size=10),
    "other-header-wording": Variant(font="Helvetica", bold="Helvetica-Bold", alt_wording=True),
}


def _without_pages(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "page"} for row in rows]


@pytest.mark.parametrize("stem", ["ddor2017_02-04to02-10", "ddor2017_01-28to02-03"])
@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_parses_to_the_same_rows(stem: str, name: str) -> None:
    truth = expected(stem)
    pdf = render(truth, VARIANTS[name])
    report = parse_report(pdf).to_json()
    assert report["validation"]["problems"] == []
    for key in ("kind", "title", "period_start", "period_end", "detainers_issued"):
        assert report["report"][key] == truth["report"][key], key
    for section in ("issued", "declined", "policies"):
        assert _without_pages(report[section]) == _without_pages(truth[section]), section
        assert all(1 <= row["page"] <= report["report"]["pages"] for row in report[section])


PRODUCED = Path(__file__).resolve().parents[1] / "fixtures" / "producers"


@pytest.mark.parametrize("path", sorted(PRODUCED.glob("*.pdf")), ids=lambda p: p.stem)
def test_browser_printed_report_parses_to_the_same_rows(path: Path) -> None:
    stem = path.stem.split("-", 2)[2]
    truth = expected(stem)
    report = parse_report(path.read_bytes()).to_json()
    assert report["validation"]["problems"] == []
    for key in ("kind", "title", "period_start", "period_end", "detainers_issued"):
        assert report["report"][key] == truth["report"][key], key
    for section in ("issued", "declined", "policies"):
        assert _without_pages(report[section]) == _without_pages(truth[section]), section
