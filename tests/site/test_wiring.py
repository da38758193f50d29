"""The site's configuration, its command, and the digest's link to a report's page."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddor.config import load_config
from ddor.mirror import MirrorServer
from monitor.alerts import alerts_for_new_report
from monitor.render import render_slack
from monitor.rules import Thresholds
from monitor.site import link_report_pages, report_page_url
from parsers.models import Report
from tests.conftest import REPORT_STEMS, config_error, expected, make_env
from tests.fakes.slack import FakeSlack
from tests.site.conftest import BuiltSite

BASE = "https://example.org/ddor/"


def test_site_keys_resolve_against_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"site:\n  out_dir: public\n  base_url: {BASE}\n")
    config = load_config(path)
    assert config.site_dir == tmp_path.resolve() / "public"
    assert config.site.base_url == BASE
    assert load_config(None).site_dir is None  # unset: no site after a new report


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site:\n  outdir: x\n", "site.outdir: unknown key"),
        ("site:\n  base_url: ftp://example.org/\n", "site.base_url: expected an http(s) URL"),
        ("site:\n  out_dir: 3\n", "site.out_dir: expected a string"),
    ],
)
def test_bad_site_keys_are_named(tmp_path: Path, text: str, message: str) -> None:
    path, error = config_error(tmp_path, text)
    assert error.startswith(str(path)) and message in error


def test_site_build_without_a_destination_is_a_usage_error(tmp_path: Path) -> None:
    result = make_env(tmp_path, None, None).run("site", "build")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "site.out_dir" in line and "--out" in line


def test_site_build_defaults_to_site_out_dir_and_works_on_an_empty_store(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None, {"site": {"out_dir": "public"}})
    result = env.run("site", "build")
    assert result.returncode == 0, result.stderr
    index = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "<caption>0 reports</caption>" in index


def _alerts(stems: list[str]) -> list:
    reports = [(Report.from_json(expected(stem)), f"https://www.ice.gov/doclib/ddor/{stem}.pdf") for stem in stems]
    *earlier, (report, url) = reports
    return alerts_for_new_report(report, url, earlier, Thresholds(), 4)


def _context_text(alert: object) -> str:
    message = render_slack(alert.payload)  # type: ignore[attr-defined]
    return next(b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context")


def test_with_a_base_url_the_digest_links_to_the_report_page(built_site: BuiltSite) -> None:
    [digest] = link_report_pages(_alerts(REPORT_STEMS[:2]), BASE)
    page = "https://example.org/ddor/reports/weekly-2017-02-04.html"
    assert digest.payload["page_url"] == page
    assert f"<{page}|Map and tables>" in _context_text(digest)
    # The address names the page the build writes for that report.
    assert (built_site.out / page.removeprefix(BASE)).is_file()
    [baseline] = link_report_pages(_alerts(REPORT_STEMS[:1]), BASE)
    assert baseline.kind == "baseline"
    assert baseline.payload["page_url"] == report_page_url(BASE, Report.from_json(expected(REPORT_STEMS[0])).report)
    assert "Map and tables" in _context_text(baseline)


def test_without_a_base_url_the_digest_is_unchanged() -> None:
    alerts = _alerts(REPORT_STEMS[:2])
    [digest] = link_report_pages(alerts, "")
    assert digest == alerts[0] and "page_url" not in digest.payload
    assert "Map and tables" not in _context_text(digest)


def test_a_crawl_rebuilds_the_site_before_its_digest_links_to_it(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack, {"site": {"out_dir": "public", "base_url": BASE}})
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    assert env.run("crawl").returncode == 0
    page = tmp_path / "public" / "reports" / "weekly-2017-02-04.html"
    assert page.is_file() and "142" in page.read_text(encoding="utf-8")
    [digest] = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    assert "https://example.org/ddor/reports/weekly-2017-02-04.html" in str(digest["blocks"])
    # A no-change poll rebuilds nothing.
    before = page.stat().st_mtime_ns
    assert env.run("crawl").returncode == 0
    assert page.stat().st_mtime_ns == before
