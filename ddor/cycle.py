"""One monitoring cycle: crawl (child process) → archive → parse (child) → store → diff →
alerts (outbox, same transaction) → deliver. ``ddor crawl`` and the daemon both run this."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.result import CrawlResult
from ddor.config import Config
from ddor.ingest import DocumentState, Fetched, Ingest
from ddor.wiring import RUN_ID, start_crawler
from monitor import alerts as build
from monitor.faults import crash_point
from monitor.health import record_delivery, record_outcome
from monitor.notify import Destination, Drainer, DrainResult
from storage import NewAlert, Store

log = logging.getLogger("ddor.cycle")


@dataclass
class CycleResult:
    run_id: str
    outcome: str  # ok | not_modified | failed
    new_reports: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delivery: DrainResult | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == "failed" else 0


def crawl_source(config: Config) -> dict[str, Any]:
    """The ``source`` settings the crawl child needs (its job file is JSON, not a Config)."""
    fields = (
        "user_agent",
        "download_delay_seconds",
        "max_download_bytes",
        "request_timeout_seconds",
        "retries",
        "crawl_timeout_seconds",
    )
    return {name: getattr(config.source, name) for name in fields}


def due_rechecks(
    known_urls: list[str], validators: dict[str, Any], recheck_hours: float, now: dt.datetime
) -> list[str]:
    """Known report URLs whose last answer is older than ``recheck_hours`` (or unknown)."""
    due = []
    for url in known_urls:
        checked = (validators.get(url) or {}).get("checked_at")
        when = dt.datetime.fromisoformat(checked) if checked else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
        if when is None or now - when >= dt.timedelta(hours=recheck_hours):
            due.append(url)
    return due


def robots_cache_path(config: Config) -> Path:
    """Beside the archive, like the lock files: the crawl child keeps robots.txt here."""
    return config.archive_path.parent / ".ddor-robots.json"


def crawl_in_child(
    config: Config,
    validators: dict[str, Any],
    verbose: bool = False,
    plan: dict[str, Any] | None = None,
    process: subprocess.Popen[bytes] | None = None,
) -> CrawlResult:
    """Run crawler.run in a fresh interpreter (``process``, when one was started early by
    ``start_crawler``); kill it when it overruns. ``plan`` adds the known, due and ``only``
    URLs (see crawler/spiders/ddor.py)."""
    parts = urlsplit(config.source.url)
    job = {
        **(plan or {}),
        "robots_cache": str(robots_cache_path(config)),
        "url": config.source.url,
        "validators": validators,
        "archive_dir": str(config.archive_path),
        "allowed_domains": list(config.source_domains),
        # The source's own origin, plus any host the config explicitly allows (same scheme).
        "allowed_origins": [f"{parts.scheme}://{parts.netloc}"]
        + [f"{parts.scheme}://{host}" for host in config.source.allowed_domains],
        "source": crawl_source(config),
        "log_level": "INFO" if verbose else "WARNING",
    }
    remove_orphaned_work_dirs()
    with tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-") as work:
        result_path = Path(work, "result.json")
        job["result_path"] = str(result_path)
        process = process or start_crawler(verbose)
        try:
            _, stderr = process.communicate(json.dumps(job).encode(), timeout=config.source.crawl_timeout_seconds + 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return CrawlResult.process_failed(f"crawl killed after {config.source.crawl_timeout_seconds:g} s")
        if process.returncode != 0 or not result_path.is_file():
            tail = (stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
            return CrawlResult.process_failed(f"crawler exited with code {process.returncode}: {tail[0][:300]}")
        return CrawlResult.from_json(json.loads(result_path.read_text()))


WORK_DIR_PREFIX = "ddor-crawl-"


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one short line: a database error's message can be a multi-line SQL dump."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:limit]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def remove_orphaned_work_dirs(root: Path | None = None) -> list[Path]:
    """Remove crawl work directories whose cycle process is gone: a cycle killed by the
    daemon's run timeout or a signal never reaches its own clean-up."""
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(f"{WORK_DIR_PREFIX}*-*"):
        pid = path.name[len(WORK_DIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _added(first: DrainResult | None, second: DrainResult) -> DrainResult:
    if first is None:
        return second
    return DrainResult(
        first.sent + second.sent, first.dead + second.dead, second.pending, first.reconciled + second.reconciled
    )


class Cycle:
    def __init__(
        self,
        config: Config,
        store: Store,
        destination: Destination,
        trigger: str = "cli",
        verbose: bool = False,
        crawler: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.crawler = crawler  # a crawl child started early (ddor crawl), used by the first crawl
        self.config = config
        self.store = store
        self.destination = destination
        self.trigger = trigger
        self.verbose = verbose
        self.rules = config.alerts

    def drainer(self) -> Drainer:
        return Drainer(
            self.store,
            self.destination,
            self.config.slack.channel,
            self.config.ops_channel,
            self.config.slack.max_attempts,
            self.config.slack.min_seconds_between_posts,
            self.config.alerts.top_changes,
            give_up_after=self.config.slack.give_up_after_hours * 3600,
        )

    def run(self) -> CycleResult:
        run_id = uuid.uuid4().hex[:12]
        RUN_ID.set(run_id)
        result = CycleResult(run_id, "ok")
        # Cycles never overlap (the cycle lock), so a run still open here was killed mid-way.
        for stale in self.store.runs.close_unfinished("failed", "interrupted: the cycle was killed before it finished"):
            log.warning("run %s never finished (killed?); recorded as failed", stale)
        self.store.runs.start(run_id, self.trigger)
        crawl = CrawlResult()
        crawled_at = time.monotonic()
        try:
            validators, plan = self._crawl_plan()
            crawler, self.crawler = self.crawler, None
            crawl = crawl_in_child(self.config, validators, self.verbose, plan, crawler)
            crawled_at = time.monotonic()
            self._handle_crawl(crawl, plan["known"], result)
            self._record_store_health(True, None, result)
        except Exception as exc:  # noqa: BLE001 — a cycle failure is recorded, never fatal
            error = one_line(exc)
            log.error("cycle %s failed: %s", run_id, error, exc_info=self.verbose)
            result.outcome = "failed"
            result.errors.append(error)
            self._record_store_health(False, error, result)
        # Before delivery: a digest must never link to a page that does not exist yet.
        self._build_site(result)
        stats = {
            **crawl.summary(),
            "new_reports": result.new_reports,
            "corrections": result.corrections,
            "quarantined": result.quarantined,
        }
        self._finish_run(result, stats)
        stats_outcome = result.outcome
        crash_point("after-commit")
        try:
            result.delivery = self.drainer().drain()
            # A dead alert fails the run (exit 1, so no heartbeat ping) like a failed crawl.
            if problem := record_delivery(
                self.store, result.delivery, run_id, self.config.alerts.failures_before_ops_alert
            ):
                result.outcome = "failed"
                result.errors.append(f"delivery: {problem}")
        except Exception as exc:  # noqa: BLE001 — undelivered alerts stay in the outbox for the next run
            log.error("delivery failed: %s", exc, exc_info=self.verbose)
            result.outcome = "failed"
            result.errors.append(f"delivery failed: {type(exc).__name__}: {exc}")
        if result.outcome == "failed" and stats_outcome != "failed":
            # Delivery failed after the run row was written: `ddor status` must say so too.
            self._finish_run(result, stats)
        if crawl.deferred and result.outcome == "ok":
            # The second crawl is a new Scrapy process, which knows nothing of the first one's
            # last request: keep the configured gap between them ourselves.
            time.sleep(max(0.0, self.config.source.download_delay_seconds - (time.monotonic() - crawled_at)))
            self._recheck_after_digest(crawl.deferred, result, stats)
        return result

    def _finish_run(self, result: CycleResult, stats: dict[str, Any]) -> None:
        try:
            self.store.runs.finish(result.run_id, result.outcome, stats, "; ".join(result.errors) or None)
        except Exception as exc:  # noqa: BLE001 — the exit code still says the cycle failed
            result.outcome = "failed"
            result.errors.append(f"cannot record the run: {one_line(exc)}")

    def _build_site(self, result: CycleResult) -> None:
        """Rebuild the newsroom site after a new report or a correction, when one is configured.
        A failed build fails the run (exit 1, in its summary) but never holds back the alerts."""
        if not self.config.site_dir or not (result.new_reports or result.corrections):
            return
        from monitor.site import build_site

        try:
            build_site(self.store, self.config.site_dir, self.config.alerts, self.config.alerts.trailing_reports)
        except Exception as exc:  # noqa: BLE001 — reported in the run's errors and exit code
            result.outcome = "failed"
            result.errors.append(f"site.out_dir: site build failed: {one_line(exc)}")
            log.error("site build failed: %s", one_line(exc), exc_info=self.verbose)

    def _record_store_health(self, ok: bool, error: str | None, result: CycleResult) -> None:
        """An error while storing (a database refusing a write, a full disk) is a failing
        check like crawl and parse: N in a row raise the ops alert, a clean cycle resolves it."""
        threshold = self.config.alerts.failures_before_ops_alert
        try:
            with self.store.transaction() as connection:
                alerts = record_outcome(self.store, connection, "store", ok, error, result.run_id, threshold)
                self.store.outbox.add(connection, alerts)
        except Exception as exc:  # noqa: BLE001 — the store is down: the exit code is the signal left
            log.error("cannot record store health: %s", one_line(exc))
            if ok:
                result.outcome = "failed"
                result.errors.append(f"cannot record store health: {one_line(exc)}")

    def _crawl_plan(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validators, and which known report URLs this poll re-checks (source.recheck_hours)."""
        validators, known = self.store.documents.validators(), self.store.documents.known_urls()
        due = due_rechecks(known, validators, self.config.source.recheck_hours, dt.datetime.now(dt.UTC))
        return validators, {"known": known, "recheck": due}

    def _recheck_after_digest(self, urls: list[str], result: CycleResult, stats: dict[str, Any]) -> None:
        """Re-checks a new report's poll put off until its digest was out (issue #14): a
        second crawl of just those URLs, then the correction path and delivery again."""
        try:
            crawl = crawl_in_child(self.config, self.store.documents.validators(), self.verbose, {"only": urls})
            if crawl.failed is not None:
                raise RuntimeError(crawl.failed)
            failure = crawl.download_failure()
            if failure:
                result.outcome = "failed"
                result.errors.append(failure)
            corrections = len(result.corrections)
            self._ingest(crawl, result)
            with self.store.transaction() as connection:
                self._save_document_validators(connection, crawl)
            if len(result.corrections) > corrections:
                self._build_site(result)
            result.delivery = _added(result.delivery, self.drainer().drain())
        except Exception as exc:  # noqa: BLE001 — as in run(): recorded, never fatal
            log.error("re-check after the digest failed: %s", exc, exc_info=self.verbose)
            result.outcome = "failed"
            result.errors.append(f"re-check failed: {type(exc).__name__}: {exc}")
        stats = {**stats, "corrections": result.corrections, "rechecked_after_digest": len(urls)}
        self.store.runs.finish(result.run_id, result.outcome, stats, "; ".join(result.errors) or None)

    def _handle_crawl(self, crawl: CrawlResult, known: list[str], result: CycleResult) -> None:
        """``known``: the report URLs stored before this crawl (read once, for its plan)."""
        withdrawn = self.store.documents.withdrawn()
        watched = [url for url in known if url not in withdrawn]
        failure = crawl.listing_failure(watched)
        threshold = self.config.alerts.failures_before_ops_alert
        if failure:
            result.outcome, result.errors = "failed", [failure]
            with self.store.transaction() as connection:
                alerts = record_outcome(self.store, connection, "crawl", False, failure, result.run_id, threshold)
                self.store.outbox.add(connection, alerts)
            return
        downloads = crawl.download_failure()  # on a 304, of the due re-checks
        if downloads:
            result.outcome, result.errors = "failed", [downloads]
        elif crawl.not_modified:
            result.outcome = "not_modified"
        with self.store.transaction() as connection:
            self.store.outbox.add(
                connection,
                record_outcome(self.store, connection, "crawl", downloads is None, downloads, result.run_id, threshold),
            )
            if crawl.not_modified and not crawl.documents:
                # A long silence is exactly when the page answers 304 every time.
                self.store.outbox.add(connection, self._silence())
                return
        self._ingest(crawl, result)
        with self.store.transaction() as connection:
            self.store.documents.reinstate(connection, [link.url for link in crawl.links if link.url in withdrawn])
            for note in crawl.notes:
                if self.store.documents.record_note(connection, note.text, note.date_line, note.url):
                    self.store.outbox.add(connection, [build.note_alert(note.text, note.date_line, note.url)])
            # Validators are saved last: a crash before here re-checks everything next time.
            # The listing's are saved only when every report link on it was stored: a 304 on
            # the next poll must never hide a report whose download failed this time.
            if not crawl.not_modified and downloads is None:
                self.store.documents.set_validators(
                    connection, self.config.source.url, crawl.listing.etag, crawl.listing.last_modified
                )
            self._save_document_validators(connection, crawl)
            self.store.outbox.add(connection, self._silence())

    def _ingest(self, crawl: CrawlResult, result: CycleResult) -> None:
        """Each downloaded document through the one ingest path; the run summary counts what
        was stored (a report counts only once its transaction committed)."""
        links = crawl.links_by_url()
        fetched = []
        for doc in crawl.documents:
            if doc.downloaded and doc.sha256 is not None:
                link = links.get(doc.url)
                fetched.append(
                    Fetched(
                        doc.url, doc.sha256, doc.size, link.text if link else None, link.date_line if link else None
                    )
                )
        counted = {
            DocumentState.REPORT: result.new_reports,
            DocumentState.CORRECTION: result.corrections,
            DocumentState.QUARANTINED: result.quarantined,
        }
        for outcome in Ingest(self.config, self.store, run_id=result.run_id)(fetched):
            if outcome.state in counted:
                counted[outcome.state].append(outcome.url)

    def _save_document_validators(self, connection: Any, crawl: CrawlResult) -> None:
        """Every answered document restarts its re-check clock; quarantined bytes keep no
        validators (so a re-check fetches them whole) but are not fetched on every poll."""
        for doc in crawl.documents:
            if doc.status == 304:
                self.store.documents.set_validators(connection, doc.url, doc.etag, doc.last_modified)
            elif doc.downloaded and doc.sha256 is not None:
                held = self.store.documents.quarantined(doc.sha256)
                etag, modified = (None, None) if held else (doc.etag, doc.last_modified)
                self.store.documents.set_validators(connection, doc.url, etag, modified)

    def _silence(self) -> list[NewAlert]:
        latest = self.store.reports.latest_good_arrival()
        return build.silence_alerts(latest, dt.datetime.now(dt.UTC), self.config.alerts.silence_after_cadences)
