"""robots.txt, cached across crawls: one request per no-change poll, not two.

Scrapy's ``RobotsTxtMiddleware`` fetches robots.txt at the start of every crawl, and the
download delay is then spent before the listing request (issue #13: a no-change poll took
3.3 s instead of 1). RFC 9309 §2.4 lets a crawler cache robots.txt for up to 24 hours, so
this subclass keeps the body with its validators in a small JSON file beside the archive:

* fresher than ``DDOR_ROBOTS_MAX_AGE`` (default a day): used as is, no request;
* older: re-fetched conditionally (``If-None-Match``/``If-Modified-Since``); a 304 keeps the
  cached body and restarts its clock;
* a 2xx or 4xx answer is stored (4xx means "no rules", as Scrapy reads it); a 5xx or a
  network error is not, so the next crawl asks again rather than trust a broken answer.

The crawl child is the only writer (one crawl at a time per store, under the cycle lock), and
writes are atomic (temp file, rename), so a killed crawl leaves the old cache or the new one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

DAY_SECONDS = 24 * 3600.0


def load_cache(path: Path | None) -> dict[str, dict[str, Any]]:
    """The cache file's entries by robots.txt URL; an unreadable file is an empty cache."""
    if path is None:
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def save_cache(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    temp.replace(path)


def is_fresh(entry: dict[str, Any] | None, max_age: float, now: float) -> bool:
    return entry is not None and 0 <= now - float(entry.get("fetched_at", 0)) < max_age


def conditional_headers(entry: dict[str, Any] | None) -> dict[str, str]:
    headers = {}
    if entry and entry.get("etag"):
        headers["If-None-Match"] = str(entry["etag"])
    if entry and entry.get("last_modified"):
        headers["If-Modified-Since"] = str(entry["last_modified"])
    return headers


def cacheable(status: int) -> bool:
    return 200 <= status < 300 or 400 <= status < 500


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        setting = crawler.settings.get("DDOR_ROBOTS_CACHE")
        self.cache_path = Path(setting) if setting else None
        self.max_age = crawler.settings.getfloat("DDOR_ROBOTS_MAX_AGE", DAY_SECONDS)
        self.cache = load_cache(self.cache_path)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        robots_url = f"{url.scheme}://{url.netloc}/robots.txt"
        entry = self.cache.get(robots_url)
        if url.netloc not in self._parsers and is_fresh(entry, self.max_age, time.time()):
            assert entry is not None
            self._stats.inc_value("ddor/robots_cached")
            self._parsers[url.netloc] = self._build(str(entry.get("body", "")).encode("utf-8"))
        elif url.netloc not in self._parsers:
            await self._fetch(robots_url, url.netloc, entry)
        return await super().robot_parser(request)  # finds the parser (or None) set above

    def _build(self, body: bytes) -> RobotParser:
        parser: RobotParser = build_from_crawler(self._parserimpl, self.crawler, body)
        return parser

    async def _fetch(self, robots_url: str, netloc: str, entry: dict[str, Any] | None) -> None:
        """Ask the server (conditionally when we hold a copy) and set this netloc's parser."""
        robots_request = Request(
            robots_url,
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            headers=conditional_headers(entry),
            callback=NO_CALLBACK,
        )
        # Requests for this host that arrive meanwhile wait on the Deferred, as in Scrapy.
        pending: Deferred[RobotParser | None] = Deferred()
        self._parsers[netloc] = pending
        parser = await self._ask(robots_request, robots_url, entry)
        self._parsers[netloc] = parser
        pending.callback(parser)

    async def _ask(self, robots_request: Request, robots_url: str, entry: dict[str, Any] | None) -> RobotParser | None:
        self._stats.inc_value("robotstxt/request_count")
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except IgnoreRequest:
            return None
        except Exception as exc:  # noqa: BLE001 — as Scrapy: no robots.txt answer means no rules
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            return None
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if response.status == 304 and entry is not None:
            body = str(entry.get("body", "")).encode("utf-8")
            fresh = {**entry, "fetched_at": time.time()}
        else:
            body = response.body
            fresh = {
                "status": response.status,
                "body": body.decode("utf-8", errors="replace"),
                "etag": _header(response.headers.get("ETag")),
                "last_modified": _header(response.headers.get("Last-Modified")),
                "fetched_at": time.time(),
            }
        if self.cache_path is not None and cacheable(response.status):
            self.cache[robots_url] = fresh
            save_cache(self.cache_path, self.cache)
        return self._build(body)


def _header(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None
