"""Validation results belong to a section (issue #12 item 3, parser half) and counts must be
plausible (issue #15 item 5): a report cut short still yields the sections it has, a table of
contents never starts a section, and the JSON keeps which section each problem is in."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from parsers import parse_report
from parsers.ddor import implausible_counts
from parsers.models import IssuedRow, Report, ReportMeta
from tests.conftest import expected
from tests.corpus.layouts import LAYOUTS
from tests.corpus.model import build
from tests.corpus.readback import row_pages
from tests.corpus.reportlab_render import render as render_layout
from tests.parsers.variant_pdf import Variant, render

META = ReportMeta("weekly", "Weekly Declined Detainer Outcome Report", "2017-01-28", "2017-02-03", 3, 10, "ab")


def _report(*problems: str) -> Report:
    return Report(META, (), (), (), problems)


def test_problems_are_keyed_by_the_section_they_name() -> None:
    report = _report("Section II p.4: unknown state 'Atlantis'", "Section III: table header not found")
    assert report.section_problems() == {
        "issued": (),
        "declined": ("Section II p.4: unknown state 'Atlantis'",),
        "policies": ("Section III: table header not found",),
        "report": (),
    }
    assert report.unreadable_sections() == frozenset({"declined", "policies"})
    assert report.suspect


def test_a_report_wide_problem_leaves_no_section_trusted() -> None:
    report = _report("no reporting period found on page 1")
    assert report.unreadable_sections() == frozenset({"issued", "declined", "policies"})
    assert report.to_json()["validation"]["sections"]["issued"] == {"ok": False, "problems": []}


def test_json_round_trip_keeps_the_sections() -> None:
    report = _report(
        "Section I p.2: count -5 for Clark, NV is negative", "the page footers count 9 pages, the file has 7"
    )
    data = report.to_json()
    assert data["validation"]["suspect"] is True
    assert data["validation"]["problems"] == list(report.problems)
    assert data["validation"]["sections"]["issued"] == {
        "ok": False,
        "problems": ["Section I p.2: count -5 for Clark, NV is negative"],
    }
    again = Report.from_json(data)
    assert again == report
    assert again.section_problems() == report.section_problems()
    assert again.to_json() == data


def test_a_clean_report_has_every_section_ok() -> None:
    sections = _report().to_json()["validation"]["sections"]
    assert sections == {key: {"ok": True, "problems": []} for key in ("issued", "declined", "policies")}


def _drop_pages(data: bytes, keep: int) -> bytes:
    """The first ``keep`` pages of a PDF, as a file cut short would have them."""
    source = pdfium.PdfDocument(data)
    target = pdfium.PdfDocument.new()
    target.import_pages(source, list(range(keep)))
    out = io.BytesIO()
    target.save(out)
    return out.getvalue()


def _without_pages(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "page"} for row in rows]


def test_report_cut_after_section_two_still_yields_sections_one_and_two() -> None:
    """The pages after Section II are missing; the table of contents on page 1, whose lines
    start "Section III:", holds the only Section III heading left. It must not start a
    section (it used to, and the split then lost Sections I and II too)."""
    layout = LAYOUTS["contents-plain"]
    truth = expected(layout.report)
    document = build(truth, layout)
    assert any(line.startswith("Section III:") for line in document.contents)
    document.sections = document.sections[:2]
    report = parse_report(render_layout(document, layout))
    assert _without_pages([_row(r) for r in report.issued]) == _without_pages(truth["issued"])
    assert _without_pages([_row(r) for r in report.declined]) == _without_pages(truth["declined"])
    assert report.policies == ()
    assert report.section_problems()["policies"] == ("Section III heading not found",)
    assert report.unreadable_sections() == frozenset({"policies"})


def _row(row: object) -> dict:
    return {name: getattr(row, name) for name in row.__slots__}  # type: ignore[attr-defined]


def test_pages_without_text_are_a_report_wide_problem() -> None:
    data = render(expected("ddor2017_02-04to02-10"), Variant())
    document = pdfium.PdfDocument(data)
    document.new_page(612, 792)
    out = io.BytesIO()
    document.save(out)
    report = parse_report(out.getvalue())
    assert any("without text" in problem for problem in report.section_problems()["report"])
    assert report.unreadable_sections() == frozenset({"issued", "declined", "policies"})
    assert len(report.declined) == 47  # the rows still come out


def test_footers_promising_more_pages_than_the_file_has() -> None:
    layout = LAYOUTS["page-n-of-m"]
    full = render_layout(build(expected(layout.report), layout), layout)
    pages, _ = row_pages(full)
    report = parse_report(_drop_pages(full, pages - 2))
    assert f"the page footers count {pages} pages, the file has {pages - 2}" in report.problems


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (-5, "Section I p.{page}: count -5 for Clark, NV is negative"),
        (99_999_999_999, "Section I p.{page}: count 99,999,999,999 for Clark, NV is above 10,000,000"),
        (5_000, "Section I p.{page}: count 5,000 for Clark, NV is above the national total 2,825"),
    ],
)
def test_implausible_count_makes_section_one_suspect_naming_page_and_cell(count: int, message: str) -> None:
    truth = expected("ddor2017_02-04to02-10")
    truth["issued"][0] = dict(truth["issued"][0], county="Clark", state="NV", issued_detainers=count)
    report = parse_report(render(truth, Variant()))
    page = report.issued[0].page
    assert report.issued[0].issued_detainers == count
    assert report.section_problems()["issued"] == (message.format(page=page),)
    assert report.unreadable_sections() == frozenset({"issued"})


def test_plausible_counts_pass() -> None:
    rows = [IssuedRow("Clark", "NV", 51, 2), IssuedRow("Cook", "IL", 0, 2)]
    assert implausible_counts(rows, 3083) == []
    assert implausible_counts(rows, None) == []
    assert implausible_counts([], 20_000_000) == ["Section I: national total 20,000,000 is above 10,000,000"]
