"""Downloader middlewares for a polite, same-origin crawl.

* ``SameOriginMiddleware``: only the source's scheme, host and port. Scrapy's offsite check
  compares host names only, so another port on the same host would pass; and a redirect of a
  PDF request must be checked again (redirected requests come back through here).
* ``RetryAfterMiddleware``: Scrapy's RetryMiddleware ignores ``Retry-After`` (scrapy#3849);
  a 429/503 that carries it is retried after that many seconds, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class SameOriginMiddleware:
    def __init__(self, allowed: set[tuple[str, str, int]], crawler: Crawler) -> None:
        self.allowed = allowed
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SameOriginMiddleware:
        urls = crawler.settings.getlist("DDOR_ALLOWED_ORIGINS")
        if not urls:
            raise NotConfigured("DDOR_ALLOWED_ORIGINS is empty")
        return cls({origin(url) for url in urls}, crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.url.endswith("/robots.txt") and origin(request.url) in self.allowed:
            return None
        if origin(request.url) not in self.allowed:
            if self.stats:
                self.stats.inc_value("ddor/refused_offsite")
            raise IgnoreRequest(f"refused: {request.url} is not on the source's origin")
        return None


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RetryAfterMiddleware:
    def __init__(self, max_retries: int, max_wait: float, crawler: Crawler) -> None:
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(
            crawler.settings.getint("RETRY_TIMES"), crawler.settings.getfloat("DDOR_MAX_RETRY_AFTER", 120.0), crawler
        )

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        tries = request.meta.get("ddor_retry_after", 0)
        if wait is None or tries >= self.max_retries or wait > self.max_wait:
            return response
        if self.stats:
            self.stats.inc_value("ddor/retry_after")
        await asyncio.sleep(wait)  # settings pin the asyncio reactor
        retry = request.replace(dont_filter=True)
        retry.meta["ddor_retry_after"] = tries + 1
        # Scrapy's own RetryMiddleware must not retry this response again on top of us.
        retry.meta["retry_times"] = request.meta.get("retry_times", 0)
        return retry
