"""The site as the bot builds it from a real crawl of the ICE mirror: what each page says,
that its numbers are the reports', and that it stands alone (no fetch at view time)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from monitor.alerts import alerts_for_new_report
from monitor.rules import Thresholds
from monitor.site import build_site
from monitor.site.build import digest_payload
from monitor.site.geo import atlas
from monitor.summary import summarize
from parsers.jurisdictions import jurisdiction_key
from parsers.models import Report
from storage import Store
from tests.conftest import REPORT_STEMS, expected
from tests.site.conftest import REPORT_1, BuiltSite

PAGES = [
    "reports/weekly-2017-01-28.html",
    "reports/weekly-2017-02-04.html",
    "reports/weekly-2017-02-11.html",
    "reports/quarterly-2018-01-01.html",
]  # in REPORT_STEMS order


def page(site: BuiltSite, relative: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(site.read(relative))


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def table_rows(doc: lxml.html.HtmlElement, table_id: str) -> list[lxml.html.HtmlElement]:
    return doc.xpath(f'//table[@id="{table_id}"]/tbody/tr')


def test_the_command_says_what_it_built(built_site: BuiltSite) -> None:
    assert re.search(r"site: .*public: 4 reports, \d+ jurisdictions, [\d.]+ MB, [\d.]+ s", built_site.stderr)


def test_index_lists_every_report_newest_first_with_its_headline_figures(built_site: BuiltSite) -> None:
    rows = table_rows(page(built_site, "index.html"), "reports-table")
    assert [row.xpath(".//a/@href")[0] for row in rows] == list(reversed(PAGES))
    for row, stem in zip(rows, reversed(REPORT_STEMS), strict=True):
        truth = expected(stem)
        cells = [text(cell) for cell in row.xpath("./td")]
        assert cells[2] == f"{truth['report']['detainers_issued']:,}"
        assert cells[3] == f"{len(truth['declined']):,}"


def test_report_page_headline_figures(built_site: BuiltSite) -> None:
    doc = page(built_site, REPORT_1)
    figures = {text(dt): text(dd) for dt, dd in zip(doc.xpath("//dl/div/dt"), doc.xpath("//dl/div/dd"), strict=True)}
    summary = summarize(Report.from_json(expected(REPORT_STEMS[0])))
    assert figures["Detainers issued nationally"] == "3,083"  # as printed on the report's page 1
    assert figures["Detainers declined"] == "206"
    assert figures["Facilities"] == str(summary["facilities"])
    assert figures["States"] == str(summary["states"])
    assert figures["Top jurisdiction"].startswith("Travis County, TX: 142 (69% of declined, p. 7)")
    assert figures["Traffic offences"] == str(summary["categories"]["traffic"])
    assert figures["Homicide charges"].startswith(str(summary["categories"]["homicide"]))


def test_notable_changes_are_the_ones_the_digest_lists(built_site: BuiltSite) -> None:
    digest = json.loads(built_site.env.run("diff", "1", "2", "--format", "json").stdout)["changes"]
    assert digest, "the mirror's report 2 has notable changes"
    items = [text(li) for li in page(built_site, PAGES[1]).xpath('//ul[@class="changes"]/li')]
    assert len(items) == len(digest)
    assert items[0] == "↓ Travis County, TX — declined 142 → 2 (p. 5)"
    for item, change in zip(items, digest, strict=True):
        assert change["label"] in item
    first = page(built_site, REPORT_1).xpath('//h2[@id="changes"]/following-sibling::p[1]')[0]
    assert "first weekly report" in text(first)


def test_each_page_has_its_digests_figures_and_changes(tmp_path: Path) -> None:
    """The site's shortcut to the digest payload (no chart series, no series context) agrees
    with the cycle's own ``alerts_for_new_report`` on everything a page shows."""
    store = Store(f"sqlite:///{tmp_path / 'ddor.sqlite3'}")
    store.upgrade()
    for stem in REPORT_STEMS:
        with store.transaction() as connection:
            store.save_report(connection, Report.from_json(expected(stem)), f"https://example.org/{stem}.pdf", "good")
    stored = store.reports()
    rules = Thresholds(min_abs_change=1, min_rel_change=0.1, floor=1, significance=0.5)  # many changes
    for report in stored:
        series = [r for r in stored if r.kind == report.kind and r.id != report.id]
        [alert] = alerts_for_new_report(report.report, report.url, [(r.report, r.url) for r in series], rules, 2)
        ours = digest_payload(report, series, rules, 2)
        for shown in ("kind", "summary", "previous", "changes", "all_changes"):  # what a page shows
            assert alert.payload.get(shown) == ours.get(shown), (report.period_start, shown)
    assert sum(len(digest_payload(r, stored[:3], rules, 2).get("changes", [])) for r in stored[:3]) > 10


def test_map_has_a_shape_per_county_and_travis_carries_142(built_site: BuiltSite) -> None:
    doc = page(built_site, REPORT_1)
    shapes = doc.xpath('//svg[@class="map"]//g[@class="counties"]//path')
    assert len(shapes) == len(atlas().counties) == 3142
    [travis] = [s for s in shapes if s.get("data-fips") == "48453"]
    assert travis.get("data-value") == "142"
    assert text(travis.xpath("./title")[0]) == "Travis County, TX: 142 declined"
    # Every jurisdiction of Section II is drawn with its count (the NYC roll-up is its boroughs).
    drawn = sum(int(s.get("data-value")) for s in shapes if s.get("data-value"))
    assert drawn == len(expected(REPORT_STEMS[0])["declined"])
    legend = [text(li) for li in doc.xpath('//ul[@class="legend"]/li')]
    assert legend[0] == "0" and legend[-1] == "50 or more"


def test_independent_cities_are_drawn_on_their_own_shape(built_site: BuiltSite) -> None:
    doc = page(built_site, PAGES[1])  # report 2 has Baltimore City, Fairfax City and Manassas City
    values = {s.get("data-fips"): s.get("data-value") for s in doc.xpath('//g[@class="counties"]//path')}
    assert values["24510"] == "3" and values["24005"] is None  # Baltimore City, not the county
    assert values["51600"] == "2" and values["51683"] == "1"
    assert not doc.xpath('//div[@id="unmatched"]')  # everything in the mirror's reports has a shape


def test_section_tables_hold_every_row_linked_to_its_pdf_page(built_site: BuiltSite) -> None:
    doc = page(built_site, REPORT_1)
    truth = expected(REPORT_STEMS[0])
    pdf = f"{built_site.pdf_base}/doclib/ddor/{REPORT_STEMS[0]}.pdf"
    for table_id, section in (
        ("section-i-table", "issued"),
        ("section-ii-table", "declined"),
        ("section-iii-table", "policies"),
    ):
        rows = table_rows(doc, table_id)
        assert len(rows) == len(truth[section]), table_id
        assert [row.xpath("./td[last()]/a/@href")[0] for row in rows] == [
            f"{pdf}#page={r['page']}" for r in truth[section]
        ]
    facilities = [text(row.xpath("./td[3]")[0]) for row in table_rows(doc, "section-ii-table")]
    assert facilities == [r["facility"] for r in truth["declined"]]


def test_report_downloads_are_that_reports_rows(built_site: BuiltSite) -> None:
    import pandas as pd

    doc = page(built_site, REPORT_1)
    links = {text(a): a.get("href") for a in doc.xpath("//a[@download]")}
    assert set(links) == {"CSV", "XLSX"}
    truth = expected(REPORT_STEMS[0])
    reports_dir = built_site.out / "reports"
    rows = list(csv.DictReader(io.StringIO((reports_dir / links["CSV"]).read_text(encoding="utf-8"))))
    assert [r["facility"] for r in rows] == [r["facility"] for r in truth["declined"]]
    assert {r["period_start"] for r in rows} == {"2017-01-28"}
    sheets = pd.read_excel(reports_dir / links["XLSX"], sheet_name=None)
    assert [len(sheets[name]) for name in ("section_i_issued", "section_ii_declined", "section_iii_policies")] == [
        len(truth["issued"]),
        len(truth["declined"]),
        len(truth["policies"]),
    ]


def test_jurisdiction_page_has_the_series_as_chart_and_table(built_site: BuiltSite) -> None:
    history = json.loads(built_site.env.run("history", "TX:travis", "--format", "json").stdout)
    doc = page(built_site, "jurisdictions/tx-travis.html")
    assert text(doc.xpath("//h1")[0]) == "Travis County, TX"
    rows = [[text(td) for td in row.xpath("./td")] for row in table_rows(doc, "series-table")]
    assert [(r[2], r[3]) for r in rows] == [
        ("n/a" if h["issued"] is None else f"{h['issued']:,}", str(h["declined"])) for h in history
    ]
    assert rows[0][3] == "142"
    bars = [text(t) for t in doc.xpath('//svg[@class="chart"]//rect/title')]
    assert "Jan 28 – Feb 3, 2017: 142 declined" in bars
    assert len(bars) == sum(1 for h in history if h["issued"] is not None) + len(history)


def test_every_page_stands_alone_and_every_internal_link_resolves(built_site: BuiltSite) -> None:
    pages = sorted(built_site.out.rglob("*.html"))
    assert len(pages) > 4
    for path in pages:
        doc = lxml.html.fromstring(path.read_text(encoding="utf-8"))
        for url in doc.xpath("//script/@src | //link/@href | //img/@src | //iframe/@src"):
            assert url.startswith("data:") or not urlsplit(url).scheme, (path, url)  # nothing fetched
        for url in doc.xpath("//a/@href"):
            parts = urlsplit(url)
            if parts.scheme or url.startswith("#"):
                continue
            assert (path.parent / parts.path).resolve().is_file(), (path, url)


def _store_with(tmp_path: Path, change: dict[str, str]) -> Store:
    """Report 1 from its ground truth, its first Section II row moved to another place."""
    store = Store(f"sqlite:///{tmp_path / 'ddor.sqlite3'}")
    store.upgrade()
    data = expected(REPORT_STEMS[0])
    data["declined"][0] = {**data["declined"][0], **change}
    with store.transaction() as connection:
        store.save_report(connection, Report.from_json(data), "https://example.org/r1.pdf", "good")
    return store


def test_a_jurisdiction_without_a_shape_is_listed_under_the_map(tmp_path: Path) -> None:
    store = _store_with(tmp_path, {"county": "Middlesex County-Cambridge", "state": "MA"})
    built = build_site(store, tmp_path / "out")
    assert built.unmatched == {"weekly-2017-01-28": (jurisdiction_key("Middlesex County-Cambridge", "MA"),)}
    doc = lxml.html.fromstring((tmp_path / "out" / REPORT_1).read_text(encoding="utf-8"))
    [item] = doc.xpath('//div[@id="unmatched"]//li')
    page_number = expected(REPORT_STEMS[0])["declined"][0]["page"]
    assert text(item) == f"Middlesex County-Cambridge, MA: 1 declined (p. {page_number})"
    shapes = doc.xpath('//g[@class="counties"]//path')
    assert sum(int(s.get("data-value") or 0) for s in shapes) == 205  # the other 205, on the map


def test_a_whole_state_row_is_a_hatched_state(tmp_path: Path) -> None:
    store = _store_with(tmp_path, {"county": "California", "state": "CA"})
    build_site(store, tmp_path / "out")
    doc = lxml.html.fromstring((tmp_path / "out" / REPORT_1).read_text(encoding="utf-8"))
    [state] = doc.xpath('//path[@class="statewide"]')
    assert state.get("data-key") == "CA:*" and state.get("data-value") == "1"
    assert text(state.xpath("./title")[0]) == "California (whole state): 1 declined"


@pytest.mark.parametrize("status", ["suspect", "superseded"])
def test_only_good_reports_are_published(tmp_path: Path, status: str) -> None:
    store = _store_with(tmp_path, {})
    with store.transaction() as connection:
        store.save_report(connection, Report.from_json(expected(REPORT_STEMS[1])), "https://example.org/r2.pdf", status)
    built = build_site(store, tmp_path / "out")
    assert built.reports == 1 and not (tmp_path / "out" / PAGES[1]).exists()
