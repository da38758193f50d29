"""The ICE listing page → report links, notes and new report bytes.

One request for the listing (with stored ``If-None-Match``/``If-Modified-Since``), then one
per report link the database does not know yet. Known report URLs are re-checked with
conditional requests only when the parent says they are due (``source.recheck_hours``;
ICE posts corrections at the same URL, sometimes without touching the listing, so the
re-checks also follow a 304 listing). When the listing shows a new report the due re-checks
are not made here but handed back as ``deferred``: the new report is what a reader waits
for, and the parent re-checks after its digest is posted (issue #14: each extra request
costs a download delay before the digest). Bytes go to the content-addressed archive; the
parent decides what they mean (new report, correction, alias) against the database.

The job (``crawler/run.py``) names: ``url``, ``validators`` by URL, ``known`` report URLs,
``recheck`` (the known ones due), and ``only`` (re-check these URLs, no listing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused
from twisted.internet.error import TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeout
from twisted.python.failure import Failure

from crawler.links import parse_listing
from crawler.result import CrawlError, CrawlResult, Document, Listing
from storage.archive import Archive


def conditional_headers(validators: dict[str, Any] | None) -> dict[str, str]:
    headers = {}
    if validators and validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators and validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def failure_cause(error: BaseException, timeout_seconds: float, max_bytes: int) -> str:
    """A failed download in words a reader can act on (issue #15: a size cap, a timeout and a
    refusal all used to read "no response")."""
    message = str(error).strip()
    if isinstance(error, DownloadTimeoutError | TwistedTimeout | TCPTimedOutError):
        return f"timed out after {timeout_seconds:g} s"
    # Scrapy cancels an oversize body mid-stream (a bare Twisted CancelledError) or before it
    # starts (DownloadCancelledError); a decompression bomb is an IgnoreRequest naming the cap.
    if isinstance(error, DownloadCancelledError | CancelledError) or "max size" in message or "MAXSIZE" in message:
        return f"over the size cap of {max_bytes:,} bytes"
    if isinstance(error, DownloadConnectionRefusedError | TwistedConnectionRefused | ConnectionRefusedError):
        return "refused: the server refused the connection"
    if isinstance(error, IgnoreRequest):
        return f"refused: {message or 'request dropped by the crawler'}"
    if isinstance(error, OSError) and not isinstance(error, ConnectionError):
        return f"local write error: {error.strerror or message}"
    return f"{type(error).__name__}: {message}".rstrip(": ")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class DdorSpider(scrapy.Spider):
    name = "ddor"
    # Error statuses reach the callbacks so they are recorded as crawl failures, not lost.
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, job: dict[str, Any], result: CrawlResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.result = result
        self.archive = Archive(Path(job["archive_dir"]))
        self.allowed_domains = list(job["allowed_domains"])

    async def start(self) -> Any:  # Scrapy ≥ 2.13
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        if self.job.get("only") is not None:
            yield from self._documents(self.job["only"])
            return
        url = self.job["url"]
        yield scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            headers=conditional_headers(self.job["validators"].get(url)),
        )

    def listing_failed(self, failure: Failure) -> None:
        self.result.listing = Listing(error=f"{type(failure.value).__name__}: {failure.value}")
        self.result.errors.append(CrawlError("listing", self.job["url"], str(failure.value)))

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        listing = Listing(response.status, response.url, _header(response, "ETag"), _header(response, "Last-Modified"))
        self.result.listing = listing
        if response.status == 304:
            yield from self._documents(self.job.get("recheck", []))
            return
        if response.status != 200 or not hasattr(response, "text"):
            listing.error = f"HTTP {response.status}"
            self.result.errors.append(
                CrawlError(f"http_{response.status}", response.url, f"listing page answered HTTP {response.status}")
            )
            return
        page = parse_listing(response.body, response.url)
        self.result.links, self.result.notes = page.links, page.notes
        known = set(self.job.get("known", []))
        new = [link.url for link in page.links if link.url not in known]
        due = [url for url in self.job.get("recheck", []) if url not in new]
        if new:
            self.result.deferred = due
            yield from self._documents(new)
        else:
            yield from self._documents(due)

    def _documents(self, urls: Iterable[str]) -> Iterator[scrapy.Request]:
        for url in dict.fromkeys(urls):
            self.result.requested.append(url)
            yield scrapy.Request(
                url,
                callback=self.save_document,
                errback=self.document_failed,
                headers=conditional_headers(self.job["validators"].get(url)),
                cb_kwargs={"url": url},
            )

    def save_document(self, response: Response, url: str) -> None:
        entry = Document(url, response.status, _header(response, "ETag"), _header(response, "Last-Modified"))
        if response.status == 304:
            # A 304 need not repeat the validators; the stored ones still hold.
            stored = self.job["validators"].get(url) or {}
            entry.etag = entry.etag or stored.get("etag")
            entry.last_modified = entry.last_modified or stored.get("last_modified")
        if response.status == 200:
            try:
                entry.sha256 = self.archive.write(response.body)
                entry.size = len(response.body)
            except OSError as exc:
                entry.status, entry.error = None, failure_cause(exc, 0, 0)
                self.result.errors.append(CrawlError("local_write", url, entry.error))
        elif response.status != 304:
            entry.error = f"HTTP {response.status}"
            self.result.errors.append(
                CrawlError(f"http_{response.status}", url, f"report answered HTTP {response.status}")
            )
        self.result.documents.append(entry)

    def document_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.cb_kwargs.get("url") if request is not None else None
        settings = self.crawler.settings
        timeout, max_bytes = settings.getfloat("DOWNLOAD_TIMEOUT"), settings.getint("DOWNLOAD_MAXSIZE")
        message = failure_cause(failure.value or Exception("unknown failure"), timeout, max_bytes)
        if url is not None:
            self.result.documents.append(Document(url, None, error=message))
        self.result.errors.append(CrawlError(type(failure.value).__name__, url, message))
