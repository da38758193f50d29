"""The ICE listing page → report links, notes and new report bytes.

One request for the listing (with stored ``If-None-Match``/``If-Modified-Since``; a 304 ends
the crawl), then one per report link, also conditional, since ICE posts corrections at the
same URL. Bytes go to the content-addressed archive; the parent process decides what they
mean (new report, correction, alias) against the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.links import parse_listing
from storage.archive import Archive


def conditional_headers(validators: dict[str, Any] | None) -> dict[str, str]:
    headers = {}
    if validators and validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators and validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class DdorSpider(scrapy.Spider):
    name = "ddor"
    # Error statuses reach the callbacks so they are recorded as crawl failures, not lost.
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, job: dict[str, Any], result: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.result = result
        self.archive = Archive(__import__("pathlib").Path(job["archive_dir"]))
        self.allowed_domains = list(job["allowed_domains"])
        result.update(listing={}, links=[], notes=[], documents=[], errors=[])

    async def start(self) -> Any:  # Scrapy ≥ 2.13
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        url = self.job["url"]
        yield scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            headers=conditional_headers(self.job["validators"].get(url)),
        )

    def listing_failed(self, failure: Failure) -> None:
        self.result["listing"] = {"status": None, "error": f"{type(failure.value).__name__}: {failure.value}"}
        self.result["errors"].append({"kind": "listing", "url": self.job["url"], "message": str(failure.value)})

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        listing = {
            "status": response.status,
            "url": response.url,
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
        }
        self.result["listing"] = listing
        if response.status == 304:
            return
        if response.status != 200 or not hasattr(response, "text"):
            listing["error"] = f"HTTP {response.status}"
            self.result["errors"].append(
                {
                    "kind": f"http_{response.status}",
                    "url": response.url,
                    "message": f"listing page answered HTTP {response.status}",
                }
            )
            return
        page = parse_listing(response.body, response.url)
        self.result["links"] = [vars(link) for link in page.links]
        self.result["notes"] = [vars(note) for note in page.notes]
        for link in page.links:
            yield scrapy.Request(
                link.url,
                callback=self.save_document,
                errback=self.document_failed,
                headers=conditional_headers(self.job["validators"].get(link.url)),
                cb_kwargs={"url": link.url},
            )

    def save_document(self, response: Response, url: str) -> None:
        entry: dict[str, Any] = {
            "url": url,
            "status": response.status,
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
        }
        if response.status == 200:
            entry["sha256"] = self.archive.write(response.body)
            entry["size"] = len(response.body)
        elif response.status != 304:
            entry["error"] = f"HTTP {response.status}"
            self.result["errors"].append(
                {"kind": f"http_{response.status}", "url": url, "message": f"report answered HTTP {response.status}"}
            )
        self.result["documents"].append(entry)

    def document_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.cb_kwargs.get("url") if request is not None else None
        # Some failures (a cancelled oversize download) carry an empty message: name the type.
        message = f"{type(failure.value).__name__}: {failure.value}".rstrip(": ")
        self.result["documents"].append({"url": url, "status": None, "error": message})
        self.result["errors"].append({"kind": type(failure.value).__name__, "url": url, "message": message})
