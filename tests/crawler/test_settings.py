"""The crawl's safety settings, asserted where a config change could silently undo them."""

from __future__ import annotations

from crawler.middlewares import origin, retry_after_seconds
from crawler.settings import crawl_settings
from ddor.config import Config
from ddor.cycle import crawl_source


def settings() -> dict:
    return crawl_settings(crawl_source(Config()), ["https://www.ice.gov"], "WARNING")


def test_polite_closed_and_bounded() -> None:
    s = settings()
    assert s["ROBOTSTXT_OBEY"] is True and s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1 and s["DOWNLOAD_DELAY"] >= 2
    assert "ddor-watch" in s["USER_AGENT"] and "+https://" in s["USER_AGENT"]
    assert s["TELNETCONSOLE_ENABLED"] is False and s["HTTPCACHE_ENABLED"] is False
    assert s["DOWNLOAD_VERIFY_CERTIFICATES"] is True
    assert all(s["DOWNLOAD_HANDLERS"][scheme] is None for scheme in ("file", "data", "ftp", "s3"))
    assert s["DOWNLOAD_MAXSIZE"] == 64 * 1024 * 1024 and s["REDIRECT_MAX_TIMES"] <= 5
    assert s["DDOR_ALLOWED_ORIGINS"] == ["https://www.ice.gov"]


def test_origin_includes_scheme_and_port() -> None:
    assert origin("https://www.ice.gov/doclib/x.pdf") == ("https", "www.ice.gov", 443)
    assert origin("http://127.0.0.1:8080/a") != origin("http://127.0.0.1:8081/a")


def test_retry_after_forms() -> None:
    assert retry_after_seconds(b"2") == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None
