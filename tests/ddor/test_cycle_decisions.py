"""A cycle's decisions as units: when a listing cannot be trusted and which downloads failed
(methods of crawler/result.py's CrawlResult, fed the JSON the crawl child writes), and when a
series has been silent long enough to say so, at an explicit now. The whole cycle is covered
end to end in tests/test_e2e.py, tests/ddor/test_failsafe.py and
tests/monitor/test_cycle.py (one run per behaviour)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crawler.result import CrawlResult
from monitor.alerts import silence_alerts

LISTING = "http://127.0.0.1:9/declined-detainer-outcome-report"
R1, R2 = "http://127.0.0.1:9/doclib/ddor/r1.pdf", "http://127.0.0.1:9/doclib/ddor/r2.pdf"


def crawl(status: int | None = 200, links: tuple[str, ...] = (R1, R2), **extra: Any) -> dict[str, Any]:
    """A crawl result as the crawl child writes it (JSON); the spider requests every new link."""
    listing = {"url": LISTING, "status": status} if status is not None else {"url": LISTING, "error": "timeout"}
    return {"listing": listing, "links": [{"url": url} for url in links], "requested": list(links), **extra}


def listing_failure(result: dict[str, Any], known: list[str]) -> str | None:
    return CrawlResult.from_json(result).listing_failure(known)


def download_failure(result: dict[str, Any]) -> str | None:
    return CrawlResult.from_json(result).download_failure()


# --- listing failure --------------------------------------------------------------------


def test_a_listing_with_every_known_link_is_trusted() -> None:
    assert listing_failure(crawl(), [R1, R2]) is None
    assert listing_failure(crawl(), [R1]) is None, "a new link is news, not a failure"
    assert listing_failure(crawl(), []) is None


def test_an_unchanged_listing_is_trusted_without_links() -> None:
    assert listing_failure(crawl(status=304, links=()), [R1, R2]) is None


def test_a_crawl_that_failed_outright_gives_its_reason() -> None:
    assert listing_failure({"failed": "crawl process exited with code -9"}, [R1]) == "crawl process exited with code -9"


def test_a_listing_without_a_200_names_the_error() -> None:
    assert listing_failure(crawl(status=None), [R1]) == "listing page: timeout"
    assert listing_failure(crawl(status=503), [R1]) == "listing page: no response"
    assert listing_failure({}, []) == "listing page: no response"


def test_a_listing_that_lost_every_link_looks_redesigned() -> None:
    reason = listing_failure(crawl(links=()), [R1])
    assert reason == "the listing page has no report links any more (page redesigned or moved?)"


def test_a_first_listing_without_links_is_a_wrong_source_not_a_quiet_week() -> None:
    reason = listing_failure(crawl(links=()), [])
    assert reason == f"no report links on {LISTING} (is source.url the DDOR page?)"


def test_a_listing_that_lost_a_known_link_names_it_and_the_way_out() -> None:
    reason = listing_failure(crawl(links=(R2,)), [R1, R2])
    assert reason is not None
    assert reason.startswith(f"the listing page lost 1 previously seen report link(s), e.g. {R1}")
    assert "ddor forget URL" in reason


# --- download failure -------------------------------------------------------------------


def test_downloads_answered_200_or_304_are_not_failures() -> None:
    documents = [{"url": R1, "status": 200}, {"url": R2, "status": 304}]
    assert download_failure(crawl(documents=documents)) is None


def test_a_failed_download_is_named_with_its_error() -> None:
    documents = [{"url": R1, "status": 200}, {"url": R2, "status": 503, "error": "HTTP 503"}]
    assert download_failure(crawl(documents=documents)) == f"1 report download(s) failed, e.g. {R2}: HTTP 503"


def test_only_the_requested_downloads_count_and_a_missing_answer_says_so() -> None:
    result = crawl(documents=[{"url": R1, "status": 200}], requested=[R1, R2])
    expected = f"1 report download(s) failed, e.g. {R2}: no response (the crawl ended before it answered)"
    assert download_failure(result) == expected
    assert download_failure(crawl(documents=[{"url": R1, "status": 200}], requested=[R1])) is None


# --- silence ----------------------------------------------------------------------------


NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def silence(kind: str, days_ago: float, after_cadences: float = 3.0) -> list[Any]:
    return silence_alerts((kind, "2017-02-17", NOW - dt.timedelta(days=days_ago)), NOW, after_cadences)


@pytest.mark.parametrize(("days_ago", "alerted"), [(20.5, False), (21.5, True)])
def test_a_weekly_series_is_silent_after_three_weeks_without_a_report(days_ago: float, alerted: bool) -> None:
    alerts = silence("weekly", days_ago)
    assert bool(alerts) is alerted
    if alerted:
        [alert] = alerts
        assert alert.key == "silence:weekly:2017-02-17" and alert.payload["days"] == 21


@pytest.mark.parametrize(("days_ago", "alerted"), [(275.5, False), (276.5, True)])
def test_a_quarterly_series_is_silent_after_three_quarters(days_ago: float, alerted: bool) -> None:
    assert bool(silence("quarterly", days_ago)) is alerted


def test_silence_after_cadences_sets_the_wait() -> None:
    assert silence("weekly", 7.5, after_cadences=1.0)
    assert not silence("weekly", 7.5, after_cadences=2.0)


def test_a_store_without_a_good_report_is_never_silent() -> None:
    assert silence_alerts(None, NOW, 3.0) == []
