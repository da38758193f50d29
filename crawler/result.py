"""What one crawl did, as typed records: the crawl child (``crawler/run.py``) writes it as JSON,
the cycle reads it back. No Scrapy here, so the parent can read a result without importing it.

The checks that decide whether a crawl can be trusted are methods of the result, so each rule
("a listing that lost a known link is a failure", "a report that did not answer is pending")
is written once, next to the data it reads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

NOT_MODIFIED = 304
OK = 200


@dataclass
class Listing:
    """The listing page's answer: ``status`` None when it never answered."""

    status: int | None = None
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


@dataclass
class Link:
    """A report link on the listing page, with the date line and notes it sits under."""

    url: str
    text: str = ""
    date_line: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Note:
    """A "Note posted on ICE.gov" paragraph; ``url`` is the report link it sits under."""

    text: str
    date_line: str | None = None
    url: str | None = None


@dataclass
class Document:
    """One report URL's answer. ``status`` None: no usable response (``error`` says why)."""

    url: str
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None  # the archived bytes, on a 200
    size: int = 0
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.status in (OK, NOT_MODIFIED)

    @property
    def downloaded(self) -> bool:
        """New bytes in the archive (a 200 whose body was written)."""
        return self.status == OK and self.sha256 is not None


@dataclass
class CrawlError:
    kind: str
    url: str | None
    message: str


@dataclass
class CrawlResult:
    listing: Listing = field(default_factory=Listing)
    links: list[Link] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    errors: list[CrawlError] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)  # report URLs asked for, in order
    deferred: list[str] = field(default_factory=list)  # re-checks put off until the digest is out
    finish_reason: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    failed: str | None = None  # the crawl process itself failed (killed, crashed): nothing is usable

    @classmethod
    def process_failed(cls, reason: str) -> CrawlResult:
        return cls(failed=reason)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlResult:
        return cls(
            listing=Listing(**(data.get("listing") or {})),
            links=[Link(**link) for link in data.get("links", [])],
            notes=[Note(**note) for note in data.get("notes", [])],
            documents=[Document(**doc) for doc in data.get("documents", [])],
            errors=[CrawlError(**error) for error in data.get("errors", [])],
            requested=list(data.get("requested", [])),
            deferred=list(data.get("deferred", [])),
            finish_reason=data.get("finish_reason"),
            stats=dict(data.get("stats") or {}),
            failed=data.get("failed"),
        )

    @property
    def not_modified(self) -> bool:
        return self.listing.status == NOT_MODIFIED

    def links_by_url(self) -> dict[str, Link]:
        return {link.url: link for link in self.links}

    def listing_failure(self, known_urls: list[str]) -> str | None:
        """Why this crawl's listing cannot be trusted at all (nothing from it is used), or None."""
        if self.failed is not None:
            return self.failed
        if self.listing.status == NOT_MODIFIED:
            return None
        if self.listing.status != OK:
            return f"listing page: {self.listing.error or 'no response'}"
        found = {link.url for link in self.links}
        if not found and known_urls:
            return "the listing page has no report links any more (page redesigned or moved?)"
        if not found:
            # Never "no change" on a page that never showed a report: a wrong source.url or a
            # moved page would otherwise look like a quiet week forever.
            return f"no report links on {self.listing.url or 'the listing page'} (is source.url the DDOR page?)"
        lost = [url for url in known_urls if url not in found]
        if lost:
            return (
                f"the listing page lost {len(lost)} previously seen report link(s), e.g. {lost[0]} "
                "(if ICE withdrew it, acknowledge with `ddor forget URL`)"
            )
        return None

    def download_failure(self) -> str | None:
        """Report URLs requested that gave no usable response (the others are still processed)."""
        answered = {doc.url for doc in self.documents if doc.answered}
        missing = [url for url in self.requested if url not in answered]
        if not missing:
            return None
        errors = {doc.url: doc.error for doc in self.documents if doc.error}
        reason = errors.get(missing[0]) or "no response (the crawl ended before it answered)"
        return f"{len(missing)} report download(s) failed, e.g. {missing[0]}: {reason}"

    def summary(self) -> dict[str, Any]:
        """What the crawl did, for the runs table: pages fetched, links found, documents by
        status, errors by kind, Scrapy's finish reason."""
        errors: dict[str, int] = {}
        for error in self.errors:
            errors[error.kind] = errors.get(error.kind, 0) + 1
        if self.failed is not None:
            errors["crawl_process"] = 1
        return {
            "pages_fetched": self.stats.get("response_received_count", 0),
            "listing_status": self.listing.status,
            "report_links": len(self.links),
            "documents_downloaded": sum(1 for doc in self.documents if doc.status == OK),
            "documents_unchanged": sum(1 for doc in self.documents if doc.status == NOT_MODIFIED),
            "errors": errors,
            "finish_reason": self.finish_reason or self.failed,
        }
