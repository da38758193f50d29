"""Report links and ICE's notes, found by meaning on each stage of the mirror and on a
redesigned page."""

from __future__ import annotations

import pytest

from crawler.links import is_report_link, parse_listing
from tests.conftest import MIRROR

BASE = "https://www.ice.gov/declined-detainer-outcome-report"
R1, R2, R3 = (
    f"https://www.ice.gov/doclib/ddor/ddor2017_{p}.pdf" for p in ("01-28to02-03", "02-04to02-10", "02-11to02-17")
)
Q = "https://www.ice.gov/doclib/ddor/ddor-fy18-q2.pdf"
STAGES = {
    "2017-03-20": ([R1], 0),
    "2017-03-29": ([R1, R2], 1),
    "2017-04-06": ([R1, R3, R2], 1),
    "2017-04-13": ([R1, R3, R2], 2),
    "2019-07-15": ([Q, R1, R3, R2], 3),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_links_and_notes(stage: str) -> None:
    listing = parse_listing((MIRROR / "pages" / f"{stage}.html").read_bytes(), BASE)
    links, note_count = STAGES[stage]
    assert [link.url for link in listing.links] == links
    assert len(listing.notes) == note_count


def test_notes_stay_with_their_entry() -> None:
    listing = parse_listing((MIRROR / "pages" / "2019-07-15.html").read_bytes(), BASE)
    by_text = {note.text[:30]: note for note in listing.notes}
    correction = next(n for t, n in by_text.items() if t.startswith("Correction"))
    assert correction.url == R1 and correction.date_line == "March 20, 2017"
    suspension = next(n for t, n in by_text.items() if t.startswith("ICE remains committed"))
    assert suspension.url is None and suspension.date_line == "April 13, 2017"
    quarterly = next(n for t, n in by_text.items() if t.startswith("In order to increase"))
    assert quarterly.url == Q
    first = listing.links[0]
    assert first.text == "Declined Detainer Report for FY2018, Second Quarter" and first.date_line == "July 15, 2019"


REDESIGNED = """<html><body><main>
<h1>Declined Detainer Outcome Report</h1>
<table><tr><th>Report</th><th>Posted</th></tr>
<tr><td><a href="https://www.ice.gov/doclib/ddor/ddor2017_02-04to02-10.pdf">
DDOR Feb 4 - Feb 10, 2017 (PDF | 1.1 MB)</a></td>
<td>March 29, 2017</td></tr>
<tr><td><a href="/doclib/ddor/ddor2017_01-28to02-03.pdf">DDOR Jan 28 - Feb 3, 2017 (PDF | 1.2 MB)</a></td>
<td>x</td></tr>
<tr><td><a href="/sites/default/files/reports/report-123.pdf">Declined Detainer Outcome Report, week 3</a></td></tr>
</table>
<ul><li><a href="/doclib/forms/i247a.pdf">Form I-247A, Immigration Detainer</a></li>
<li><a href="/doclib/news/library/factsheets/pdf/detainer-policy.pdf">Declined detainers fact sheet (PDF)</a></li>
<li><a href="/doclib/detention/Over72HourFacilities.xlsx">Detention Facilities</a></li>
<li><a href="mailto:x@ice.gov">DDOR questions</a></li></ul>
</main></body></html>"""


def test_redesigned_listing_finds_the_same_reports() -> None:
    listing = parse_listing(REDESIGNED, BASE)
    assert [link.url for link in listing.links] == [
        R2,
        R1,
        "https://www.ice.gov/sites/default/files/reports/report-123.pdf",
    ]


@pytest.mark.parametrize(
    ("href", "text", "wanted"),
    [
        ("/doclib/ddor/ddor2017_01-28to02-03.pdf", "anything", True),
        ("/files/x.pdf", "Weekly Declined Detainer Outcome Report for …", True),
        ("/files/x.pdf", "Declined Detainer Report for FY2018, Second Quarter", True),
        ("/doclib/forms/i247a.pdf", "Form I-247A, Immigration Detainer", False),
        ("/files/factsheet.pdf", "Declined detainer fact sheet", False),
        ("/doclib/detention/Over72HourFacilities.xlsx", "Declined Detainer data", False),
        ("/declined-detainer-outcome-report", "Declined Detainer Outcome Report", False),
    ],
)
def test_is_report_link(href: str, text: str, wanted: bool) -> None:
    assert is_report_link(href, text) is wanted


TABLE_OF_DOWNLOADS = """<html><body><h1>Declined Detainer Outcome Report</h1>
<table>
<tr><td>Weekly Declined Detainer Outcome Report, Jan 28 – Feb 3, 2017</td>
    <td><a href="/sites/default/files/documents/Report/2017/report-0128.pdf">Download (PDF, 1.2 MB)</a></td></tr>
<tr><td>Weekly Declined Detainer Outcome Report, Feb 4 – Feb 10, 2017</td>
    <td><a href="/sites/default/files/documents/Report/2017/report-0204.pdf">Download (PDF, 1.1 MB)</a></td></tr>
<tr><td>Form I-247A, Immigration Detainer</td><td><a href="/sites/default/files/i247a.pdf">Download (PDF)</a></td></tr>
<tr><td>Secure Communities monthly statistics</td><td><a href="/sites/default/files/sc.pdf">Download (PDF)</a></td></tr>
</table></body></html>"""


def test_bare_download_links_are_recognised_by_their_table_row() -> None:
    listing = parse_listing(TABLE_OF_DOWNLOADS, BASE)
    assert [link.url.rsplit("/", 1)[-1] for link in listing.links] == ["report-0128.pdf", "report-0204.pdf"]
