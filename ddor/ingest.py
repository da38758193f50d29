"""One path from fetched bytes to stored report and queued alerts, used by the cycle (crawled
documents), ``ddor backfill`` (files and URLs) and, for its decisions, ``ddor replay``.

Two passes over a batch: every document is first classified (already here, an alias of a
stored report, unparseable → quarantined, or parsed), then the parsed ones are stored in
period order, so each report's predecessor is in the series before it is diffed. Each store
step is one transaction holding the report, its document row and its alerts: a crash leaves
either all of it or none.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ddor.config import Config
from monitor import alerts as build
from monitor.faults import crash_point
from monitor.health import record_outcome
from parsers.errors import ParseError
from parsers.isolated import parse_isolated
from parsers.models import Report
from storage import Archive, NewAlert, Store

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger("ddor.ingest")


class DocumentState(enum.StrEnum):
    """What a fetched document turned out to be. All but ``KNOWN`` are stored as the
    document row's ``status``."""

    KNOWN = "known"  # these bytes were already recorded at this URL (or are quarantined): nothing to do
    REPORT = "report"  # a report new to the series
    CORRECTION = "correction"  # new content at the URL of a stored report
    ALIAS = "alias"  # the bytes (or the parse) of a stored report, at another URL or re-stamped
    QUARANTINED = "quarantined"  # the parser refused it: kept aside, an ops alert, never diffed


@dataclass(frozen=True)
class Fetched:
    """Bytes already in the archive, and where they came from."""

    url: str
    sha256: str
    size: int
    link_text: str | None = None
    date_line: str | None = None


@dataclass
class Ingested:
    url: str
    state: DocumentState
    problem: str | None = None  # why it was quarantined
    alerts: int = 0  # alerts queued for it


def same_content(old: Report, new: Report) -> bool:
    """Equal parses apart from the digest of the bytes they came from."""
    return dataclasses.replace(new, report=dataclasses.replace(new.report, sha256=old.report.sha256)) == old


def series_of(store: Store, kind: str) -> list[tuple[Report, str]]:
    """The good reports of a kind, with their URLs: what a new report is compared against."""
    return [(stored.report, stored.url) for stored in store.reports.good(kind)]


class Ingest:
    """``config`` supplies the parse limits, the alert rules and the site's base URL.
    ``queue_alerts`` False stores without alerting (a quiet backfill). ``run_id``: record the
    ``parse`` health check for each parse (the cycle's runs do; a backfill does not)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        queue_alerts: bool = True,
        run_id: str | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.archive = Archive(config.archive_path)
        self.queue_alerts = queue_alerts
        self.run_id = run_id

    def __call__(self, fetched: Sequence[Fetched]) -> list[Ingested]:
        outcomes: list[Ingested] = []
        parsed: list[tuple[Fetched, Report]] = []
        for document in fetched:
            report = self._classify(document, outcomes)
            if report is not None:
                parsed.append((document, report))
        for document, report in sorted(parsed, key=lambda item: (item[1].report.period_start, item[0].url)):
            outcomes.append(self._store(document, report))
        return outcomes

    def _classify(self, document: Fetched, outcomes: list[Ingested]) -> Report | None:
        """The parsed report when the document needs storing as one; else its outcome is added."""
        url, sha = document.url, document.sha256
        held = self.store.documents.quarantined(sha)
        if self.store.documents.get(url, sha) or held:
            reason = f"{held['kind']}: {held['message']}" if held else None
            outcomes.append(Ingested(url, DocumentState.KNOWN, reason))
            return None
        if self.store.reports.by_sha(sha) is not None:  # same bytes at a new URL
            with self.store.transaction() as connection:
                self._record(connection, document, DocumentState.ALIAS)
            outcomes.append(Ingested(url, DocumentState.ALIAS))
            return None
        try:
            report = parse_isolated(self.archive.read(sha), self.config.parse)
        except ParseError as exc:
            outcomes.append(self._quarantine(document, exc))
            return None
        if self.run_id is not None:
            with self.store.transaction() as connection:
                self.store.outbox.add(connection, self._parse_health(connection, None))
        return report

    def _quarantine(self, document: Fetched, exc: ParseError) -> Ingested:
        alerts = [build.quarantine_alert(document.sha256, document.url, exc.kind, exc.reason)]
        with self.store.transaction() as connection:
            self.store.documents.quarantine(connection, document.sha256, document.url, exc.kind, exc.reason)
            self._record(connection, document, DocumentState.QUARANTINED)
            queued = self._queue(connection, alerts + self._parse_health(connection, f"{document.url}: {exc.reason}"))
        return Ingested(document.url, DocumentState.QUARANTINED, f"{exc.kind}: {exc.reason}", queued)

    def _parse_health(self, connection: Connection, error: str | None) -> list[NewAlert]:
        if self.run_id is None:
            return []
        threshold = self.config.alerts.failures_before_ops_alert
        return record_outcome(self.store, connection, "parse", error is None, error, self.run_id, threshold)

    def _store(self, document: Fetched, report: Report) -> Ingested:
        url = document.url
        previous_document = self.store.documents.latest_for_url(url)
        original = self.store.reports.by_sha(previous_document["sha256"]) if previous_document else None
        if original is not None and same_content(original.report, report):
            # New bytes, same report (a server re-stamping PDF metadata on each download):
            # recorded as another copy of the report, never announced as a correction.
            log.info("%s: new bytes, identical parse; recorded, not announced", url)
            with self.store.transaction() as connection:
                self._record(connection, document, DocumentState.ALIAS)
            return Ingested(url, DocumentState.ALIAS)
        if original is not None:
            status, alerts = build.correction_outcome(original.report, report, url, self.config.alerts, self._queued)
            state, supersedes = DocumentState.CORRECTION, original.id
        else:
            status, alerts = self._new_report_outcome(report, url)
            state, supersedes = DocumentState.REPORT, None
        crash_point("before-commit")
        with self.store.transaction() as connection:
            report_id = self.store.reports.add(connection, report, url, status, supersedes)
            self._record(connection, document, state)
            queued = self._queue(connection, alerts, report_id)
        return Ingested(url, state, None, queued)

    def _queued(self, key: str) -> bool:
        return self.store.outbox.by_key(key) is not None

    def _new_report_outcome(self, report: Report, url: str) -> tuple[str, list[NewAlert]]:
        from monitor.site import link_report_pages

        rules = self.config.alerts
        series = series_of(self.store, report.report.kind)
        status, alerts = build.new_report_outcome(report, url, series, rules, rules.trailing_reports)
        return status, link_report_pages(alerts, self.config.site.base_url)

    def _record(self, connection: Connection, document: Fetched, state: DocumentState) -> None:
        self.store.documents.record(
            connection,
            document.url,
            document.sha256,
            document.size,
            document.link_text,
            document.date_line,
            state.value,
        )

    def _queue(self, connection: Connection, alerts: Sequence[NewAlert], report_id: int | None = None) -> int:
        if not self.queue_alerts:
            return 0
        return self.store.outbox.add(connection, alerts, report_id)
