"""``ddor backfill`` and ``ddor reparse``: bring past reports into the series, and re-run
the current parser over the archive. Wiring over archive, parser, store and alerts."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ddor.config import Config
from monitor import sections
from monitor.alerts import new_report_outcome, recovered_alert
from monitor.diff import diff_rows
from parsers.errors import ParseError
from parsers.isolated import Entry, parse_isolated, parse_isolated_many
from parsers.models import Report
from storage import Archive, NewAlert, Store, StoredReport

Progress = Callable[[str], None]


@dataclass
class BackfillResult:
    stored: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    alerts: int = 0


def fetch_source(source: str, config: Config) -> bytes:
    """A report's bytes from a local file or an http(s) URL (size-capped, TLS verified)."""
    if urlsplit(source).scheme in ("http", "https"):
        cap = config.source.max_download_bytes
        with requests.get(
            source,
            timeout=config.source.request_timeout_seconds,
            stream=True,
            headers={"User-Agent": config.source.user_agent},
        ) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > cap:
                    raise ValueError(f"over the {cap:,}-byte limit (source.max_download_bytes)")
                chunks.append(chunk)
            return b"".join(chunks)
    return Path(source).read_bytes()


def backfill(config: Config, store: Store, sources: Sequence[str], alert: bool, progress: Progress) -> BackfillResult:
    result = BackfillResult()
    archive = Archive(config.archive_path)
    parsed: list[tuple[Report, str]] = []
    for source in sources:
        progress(source)
        url = source if urlsplit(source).scheme in ("http", "https") else Path(source).resolve().as_uri()
        try:
            sha = archive.write(fetch_source(source, config))
            if store.report_by_sha(sha):
                result.known.append(source)
                continue
            parsed.append((parse_isolated(archive.read(sha), config.parse), url))
        except ParseError as exc:
            result.failed.append((source, f"{exc.kind}: {exc.reason}"))
        except (OSError, ValueError, requests.RequestException) as exc:
            result.failed.append((source, f"{type(exc).__name__}: {exc}"))
    # In period order, so each report's predecessor is already stored when it arrives.
    for report, url in sorted(parsed, key=lambda item: item[0].report.period_start):
        series = [(r.report, r.url) for r in store.reports(kind=report.report.kind, statuses=("good",))]
        status, alerts = new_report_outcome(report, url, series, config.alerts, config.alerts.trailing_reports)
        if not alert:
            alerts = []
        with store.transaction() as connection:
            report_id = store.save_report(connection, report, url, status)
            store.record_document(connection, url, report.report.sha256, 0, None, None, "report")
            result.alerts += store.add_alerts(connection, alerts, report_id)
        result.stored.append(url)
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
    stored = store.reports()
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
            store.replace_report(connection, old.id, new, status)
            queued = store.add_alerts(connection, recovered, old.id)
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
    digest = store.alert_by_key(f"{old.sha256}:digest")
    if not read_now or digest is None:
        return []
    earlier = [
        r
        for r in store.reports(kind=old.kind, statuses=("good",))
        if r.period_end < old.period_start and r.id != old.id
    ]
    if not earlier:
        return []
    previous = max(earlier, key=lambda r: r.period_start)
    return [recovered_alert(new, old.url, previous.report, read_now, config.alerts, digest.key)]


__all__ = ["BackfillResult", "ReparseChange", "backfill", "reparse"]
