"""``ddor backfill`` and ``ddor reparse``: bring past reports into the series, and re-run
the current parser over the archive. Wiring over archive, parser, store and alerts."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.result import CrawlResult
from ddor.config import Config
from ddor.ingest import DocumentState, Fetched, Ingest
from monitor import sections
from monitor.alerts import digest_key, recovered_alert
from monitor.diff import diff_rows
from monitor.series import previous_in_series
from parsers.errors import ParseError
from parsers.isolated import Entry, parse_isolated_many
from parsers.models import Report
from storage import Archive, NewAlert, Store, StoredReport

Progress = Callable[[str], None]


@dataclass
class BackfillResult:
    stored: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    alerts: int = 0


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def download(config: Config, urls: Sequence[str]) -> CrawlResult:
    """The URLs' bytes into the archive through the crawler, so a backfill keeps every rule of
    a crawl: robots.txt, the source's origin (and ``source.allowed_domains``) only, one request
    at a time with the configured delay, the size cap and the timeouts. No validators are sent:
    a backfill wants the bytes, and the archive stores each body once."""
    from ddor.cycle import crawl_in_child

    if not urls:
        return CrawlResult()
    return crawl_in_child(config, {}, plan={"only": list(urls)})


def document_url(source: str) -> str:
    """The URL a source is recorded under: itself, or a local file's ``file://`` URI."""
    return source if is_url(source) else Path(source).resolve().as_uri()


def fetch_sources(
    config: Config, archive: Archive, sources: Sequence[str]
) -> tuple[list[Fetched], list[tuple[str, str]]]:
    """Each source (a local file or an http(s) URL) archived, or the reason it could not be."""
    fetched: list[Fetched] = []
    failed: list[tuple[str, str]] = []
    urls = list(dict.fromkeys(source for source in sources if is_url(source)))
    for source in sources:
        if not is_url(source):
            try:
                data = Path(source).read_bytes()
                fetched.append(Fetched(document_url(source), archive.write(data), len(data)))
            except OSError as exc:
                failed.append((source, f"{type(exc).__name__}: {exc}"))
    crawl = download(config, urls)
    answers = {doc.url: doc for doc in crawl.documents}
    for url in urls:
        doc = answers.get(url)
        if doc is not None and doc.downloaded and doc.sha256 is not None:
            fetched.append(Fetched(url, doc.sha256, doc.size))
        else:
            reason = crawl.failed or (doc.error if doc else None) or "no response (the crawl ended before it answered)"
            failed.append((url, reason))
    return fetched, failed


def backfill(config: Config, store: Store, sources: Sequence[str], alert: bool, progress: Progress) -> BackfillResult:
    """Past reports into the series through the one ingest path (in period order, so each
    report's predecessor is stored first); alerts queued only when ``alert``."""
    result = BackfillResult()
    fetched, result.failed = fetch_sources(config, Archive(config.archive_path), sources)
    source_of = {document_url(source): source for source in sources}
    for outcome in Ingest(config, store, queue_alerts=alert)(fetched):
        source = source_of.get(outcome.url, outcome.url)
        progress(source)
        if outcome.state in (DocumentState.REPORT, DocumentState.CORRECTION):
            result.stored.append(outcome.url)
        elif outcome.problem is not None:  # refused by the parser, now or before
            result.failed.append((source, outcome.problem))
        else:
            result.known.append(source)
        result.alerts += outcome.alerts
    return result


@dataclass
class ReparseChange:
    report_id: int
    period: str
    rows_added: int
    rows_removed: int
    meta_changed: list[str]
    problems: list[str]
    alerts: int = 0  # alerts queued: the changes of sections the parser now reads


def _archived(archive: Archive, stored: Sequence[StoredReport]) -> Iterator[bytes | ParseError]:
    """Each stored report's bytes, read when its parse is about to start."""
    for report in stored:
        try:
            yield archive.read(report.sha256)
        except OSError as exc:
            yield ParseError(f"archive file unreadable: {exc.strerror}")


def reparse(
    config: Config,
    store: Store,
    workers: int | None = None,
    progress: Progress | None = None,
    entry: Entry | None = None,
) -> tuple[list[ReparseChange], list[tuple[int, str]]]:
    """Re-parse every stored report from the archive, in parallel (one parse child per worker),
    and update the stored data where the current parser reads it differently. ``entry``: a
    stand-in parser (tests), as for ``parse_isolated``."""
    archive = Archive(config.archive_path)
    stored = store.reports.all()
    limits = config.parse
    results = list(parse_isolated_many(_archived(archive, stored), limits, workers or os.cpu_count() or 1, entry))
    changes: list[ReparseChange] = []
    failures: list[tuple[int, str]] = []
    for old, new in zip(stored, results, strict=True):
        if progress:
            progress(old.sha256)
        if isinstance(new, ParseError):
            failures.append((old.id, f"{new.kind}: {new.reason}"))
            continue
        if new.to_json() == old.report.to_json():
            continue
        rows = diff_rows(old.report, new)
        meta = [
            name for name, value in dataclasses.asdict(new.report).items() if getattr(old.report.report, name) != value
        ]
        status = old.status if old.status == "superseded" else ("suspect" if sections.is_held(new) else "good")
        recovered = _recovered_sections_alert(store, old, new, config) if status == "good" else []
        with store.transaction() as connection:
            store.reports.replace(connection, old.id, new, status)
            queued = store.outbox.add(connection, recovered, old.id)
        changes.append(
            ReparseChange(
                old.id,
                f"{old.period_start}..{old.period_end}",
                sum(1 for c in rows if c.change == "added"),
                sum(1 for c in rows if c.change == "removed"),
                meta,
                list(new.problems),
                queued,
            )
        )
    return changes, failures


def _recovered_sections_alert(store: Store, old: StoredReport, new: Report, config: Config) -> list[NewAlert]:
    """Sections withheld from the report's digest that the current parser reads: their changes,
    once (the alert key names the sections), in the digest's thread. Nothing when the report
    never had a digest (a baseline compares with nothing) or nothing was withheld."""
    read_now = set(sections.unreadable(old.report)) - set(sections.unreadable(new))
    digest = store.outbox.by_key(digest_key(old.sha256))
    if not read_now or digest is None:
        return []
    previous = previous_in_series(store.reports.good(old.kind), old)
    if previous is None:
        return []
    return [recovered_alert(new, old.url, previous.report, read_now, config.alerts, digest.key)]


__all__ = ["BackfillResult", "ReparseChange", "backfill", "reparse"]
