"""What each ``ddor`` command does once its options are parsed: read or drive the store
through the packages, and hand back what the command prints. ``ddor/cli.py`` only parses
options, calls one function here and prints; the decisions themselves live in ``monitor/``.

Imported by the commands when they run (``ddor --help`` does not load it), and everything
heavier than the standard library is imported inside the function that uses it: ``ddor parse``
must not pay for SQLAlchemy, Scrapy, slack-sdk or rich (tests/ddor/test_imports.py guards it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ddor.errors import EXIT_FAILED, Refusal

if TYPE_CHECKING:
    from ddor.backfill import BackfillResult, ReparseChange
    from ddor.config import Config
    from ddor.cycle import CycleResult
    from monitor.notify import DrainResult, RetryOutcome
    from monitor.rules import Thresholds
    from parsers.isolated import Limits
    from parsers.models import Report
    from storage import Store
    from storage.store import StoredReport


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    return Table(*columns, title=title)


# ---- crawl ---------------------------------------------------------------------------------


def crawl_once(
    config: Config, open_store: Callable[[], Store], verbose: bool, dry_run: bool, wait: bool, trigger: str
) -> CycleResult:
    """One full cycle under the cycle lock (``ddor crawl``)."""
    from ddor.wiring import start_crawler

    # Scrapy's import (~0.4 s) runs on the other core while this process loads the store;
    # the child waits for its job, sent once the cycle lock is held.
    crawler = start_crawler(verbose)
    try:
        from ddor.cycle import Cycle
        from ddor.locks import Lock, LockBusy
        from ddor.wiring import make_destination

        store = open_store()
        lock = Lock(config, store, "cycle")
        try:
            lock.acquire(wait=wait)
        except LockBusy as exc:
            raise Refusal(f"{exc}; not starting a second cycle") from exc
        try:
            destination = make_destination(config, dry_run)
            return Cycle(config, store, destination, trigger=trigger, verbose=verbose, crawler=crawler).run()
        finally:
            lock.release()
    finally:
        if crawler.poll() is None:  # not used: refused, or the cycle failed before its crawl
            crawler.kill()
            crawler.wait()


def cycle_lines(result: CycleResult) -> list[str]:
    """What ``ddor crawl`` says on stderr about its cycle: the summary, then each error."""
    summary = (
        f"run {result.run_id}: {result.outcome}; new reports {len(result.new_reports)}, corrections "
        f"{len(result.corrections)}, quarantined {len(result.quarantined)}"
    )
    if result.delivery:
        summary += f"; alerts sent {result.delivery.sent + result.delivery.reconciled}, dead {result.delivery.dead}"
    return [summary, *(f"ddor: {error}" for error in result.errors)]


# ---- parse ---------------------------------------------------------------------------------


@dataclass
class ParsedFiles:
    reports: list[Report] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # one line each, for stderr
    failed: bool = False


def parse_files(files: Sequence[str], limits: Limits, in_process: bool) -> ParsedFiles:
    """Parse each local PDF (isolated in a child unless ``in_process``); a file that cannot be
    read or parsed is one message and does not stop the others."""
    from parsers.ddor import parse_report
    from parsers.errors import ParseError
    from parsers.isolated import parse_isolated

    parsed = ParsedFiles()
    for name in files:
        try:
            data = Path(name).read_bytes()
            report = parse_report(data, limits.max_pages) if in_process else parse_isolated(data, limits)
        except OSError as exc:
            parsed.messages.append(f"ddor: {name}: cannot read: {exc.strerror}")
            parsed.failed = True
            continue
        except ParseError as exc:
            parsed.messages.append(f"ddor: {name}: {exc.kind}: {exc.reason}")
            parsed.failed = True
            continue
        parsed.messages += [f"ddor: {name}: suspect: {problem}" for problem in report.problems]
        parsed.reports.append(report)
    return parsed


def write_parsed(reports: Sequence[Report], fmt: str, one_file: bool, stream: TextIO) -> None:
    """JSON: one object per report (the object itself when one file was asked for); CSV: one
    row per Section II record."""
    if fmt == "json":
        objects = [report.to_json() for report in reports]
        stream.write(json.dumps(objects[0] if one_file and objects else objects, indent=2, ensure_ascii=False) + "\n")
        return
    from monitor.export import write_csv
    from monitor.tables import RELEASE_COLUMNS, release_rows

    write_csv(release_rows(reports), RELEASE_COLUMNS, stream)


# ---- daemon --------------------------------------------------------------------------------


def run_daemon(config_file: Path | None, config: Config, store: Store, verbose: bool, standby: bool | None) -> None:
    """The scheduler in the foreground, as the store's one daemon (``ddor daemon``). Standby
    defaults on for PostgreSQL — a team's shared database, where a second machine is a hot
    spare — and off for SQLite."""
    from ddor.daemon import Daemon, take_daemon_lock
    from ddor.locks import Lock, LockBusy

    lock = Lock(config, store, "daemon")
    try:
        take_daemon_lock(lock, not store.is_sqlite if standby is None else standby)
    except LockBusy as exc:
        raise Refusal(f"{exc}; refusing to start a second daemon") from exc
    try:
        Daemon(config_file, config, store, verbose).run()
    finally:
        lock.release()


# ---- status --------------------------------------------------------------------------------


def status_view(config: Config, store: Store) -> list[Any]:
    """``ddor status``, as lines (rich markup) and a table of the last runs, in print order."""
    shown: list[Any] = [_store_line(store), _daemon_line(config, store)]
    reports = store.reports.all()
    if reports:
        latest = reports[-1]
        shown.append(
            f"[bold]Latest report[/bold] {latest.kind} {latest.period_start}..{latest.period_end} ({latest.status})"
        )
    counts = store.outbox.counts()
    shown.append(
        "[bold]Alerts[/bold] " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("pending", "sending", "sent", "dead"))
    )
    shown += [f"  dead: {alert.key}: {alert.last_error}" for alert in store.outbox.alerts(states=("dead",))[-5:]]
    for check in ("crawl", "parse", "store", "delivery"):
        health = store.runs.health(check)
        shown.append(
            f"[bold]Health[/bold] {check}: {health['consecutive_failures']} consecutive failures"
            + (f" — {health['last_error']}" if health["last_error"] else "")
        )
    shown.append(_runs_table(store.runs.last(10)))
    return shown


def _store_line(store: Store) -> str:
    if store.created:
        return f"[bold]Store[/bold] {store.url_for_humans}  schema v{store.schema_version()}"
    return f"[bold]Store[/bold] {store.url_for_humans}  not created yet (`ddor crawl` creates it)"


def _daemon_line(config: Config, store: Store) -> str:
    from ddor.daemon import read_state
    from ddor.locks import Lock

    try:
        held = Lock(config, store, "daemon").is_held()
    except OSError as exc:  # a lock file we may not read: say so rather than guess
        return f"[bold]Daemon[/bold] unknown (lock file: {exc.strerror or type(exc).__name__})"
    state = read_state(config) if held else None
    if held and state:
        return (
            f"[bold]Daemon[/bold] running (pid {state['pid']}, since {state['since'][:19]}), "
            f"next run {str(state.get('next_run'))[:19]}"
        )
    return f"[bold]Daemon[/bold] {'running' if held else 'not running'}"


def _runs_table(runs: Sequence[dict[str, Any]]) -> Any:
    shown = table("run", "trigger", "started", "outcome", "seconds", "error")
    for run in runs:
        seconds = (run["finished_at"] - run["started_at"]).total_seconds() if run["finished_at"] else None
        shown.add_row(
            run["run_id"],
            run["trigger"],
            str(run["started_at"])[:19],
            run["outcome"] or "running",
            f"{seconds:.1f}" if seconds is not None else "",
            (run["error"] or "")[:60],
        )
    return shown


# ---- reports and forget --------------------------------------------------------------------


def reports_json(store: Store) -> list[dict[str, Any]]:
    """Every stored report for scripts (``ddor reports --format json``)."""
    withdrawn = store.documents.withdrawn()
    return [report_json(stored, withdrawn) for stored in store.reports.all()]


def report_json(stored: StoredReport, withdrawn: dict[str, Any]) -> dict[str, Any]:
    """One stored report for scripts."""
    from monitor.sections import section_status

    meta = stored.report.report
    return {
        "id": stored.id,
        "kind": meta.kind,
        "period_start": meta.period_start,
        "period_end": meta.period_end,
        "pages": meta.pages,
        "detainers_issued": meta.detainers_issued,
        "declined": len(stored.report.declined),
        "sha256": meta.sha256,
        "status": stored.status,
        "url": stored.url,
        "withdrawn_at": withdrawn[stored.url].isoformat() if stored.url in withdrawn else None,
        "sections": section_status(stored.report),
    }


def reports_view(store: Store) -> list[Any]:
    """``ddor reports``: the table of stored reports, then one line per withdrawn link."""
    withdrawn = store.documents.withdrawn()
    listed = table("id", "kind", "period", "pages", "issued", "declined", "status", "sha256")
    for stored in store.reports.all():
        meta = stored.report.report
        listed.add_row(
            str(stored.id),
            meta.kind,
            f"{meta.period_start}..{meta.period_end}",
            str(meta.pages),
            f"{meta.detainers_issued or 0:,}",
            str(len(stored.report.declined)),
            stored.status + status_note(stored.report) + (" (withdrawn)" if stored.url in withdrawn else ""),
            meta.sha256[:12],
        )
    return [
        listed,
        *(
            f"withdrawn from the page: {url} (acknowledged {str(at)[:19]})"
            for url, at in sorted(withdrawn.items(), key=lambda item: item[1])
        ),
    ]


def status_note(report: Report) -> str:
    """The sections withheld from a stored report's diff, for the reports table."""
    from monitor.sections import HEADINGS, section_status

    withheld = [HEADINGS[s] for s, status in section_status(report).items() if status.startswith("withheld")]
    return f" ({', '.join(withheld)} withheld)" if withheld else ""


def forget_report(store: Store, url: str) -> str:
    """Acknowledge a report withdrawn from the page; what happened, in one line."""
    if url not in store.documents.known_urls():
        raise Refusal(f"{url}: not a report URL this store has seen (see `ddor reports --format json`)")
    if store.documents.acknowledge_withdrawn(url):
        return f"recorded as withdrawn: {url}"
    return f"already recorded as withdrawn: {url}"


# ---- diff and replay -----------------------------------------------------------------------


@dataclass(frozen=True)
class DiffView:
    old: StoredReport
    new: StoredReport
    changes: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"from": self.old.id, "to": self.new.id, "changes": self.changes}

    def lines(self) -> list[str]:
        from monitor.render import change_line

        old, new = self.old, self.new
        periods = f"{old.period_start}..{old.period_end} → {new.period_start}..{new.period_end}"
        heading = f"{periods}: {len(self.changes)} changes"
        # change_line is Slack mrkdwn, which escapes <, > and &; a terminal shows them plain.
        return [heading] + [
            change_line(change).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            for change in self.changes
        ]


def diff_pair(store: Store, a: int | None, b: int | None) -> tuple[StoredReport, StoredReport]:
    """The two stored reports ``ddor diff [A [B]]`` compares: A and B; or A (default: the
    latest good report) and the good report before it in its series."""
    from monitor.series import previous_in_series

    missing = [i for i in (a, b) if i is not None and store.reports.by_id(i) is None]
    if missing:
        raise Refusal(f"no stored report with id {missing[0]} (ids from `ddor reports`)", EXIT_FAILED)
    if a is not None and b is not None:
        old, new = store.reports.by_id(a), store.reports.by_id(b)
    else:
        good = store.reports.good()
        if not good:
            raise Refusal("no stored reports yet; run `ddor crawl` first", EXIT_FAILED)
        new = store.reports.by_id(a) if a is not None else good[-1]
        assert new is not None
        old = previous_in_series(good, new)
    if old is None or new is None:
        raise Refusal("no earlier report of the same kind to compare with (ids from `ddor reports`)", EXIT_FAILED)
    return old, new


def diff_view(store: Store, a: int | None, b: int | None, rules: Thresholds, show_all: bool) -> DiffView:
    """``ddor diff``: the pair and its changes (notable ones, or all)."""
    from monitor.review import changes_between

    old, new = diff_pair(store, a, b)
    return DiffView(old, new, changes_between(old.report, new.report, rules, show_all))


def replay_view(config: Config, store: Store, since: str) -> list[dict[str, Any]]:
    """``ddor replay``: the alerts today's rules would have produced from ``since`` on."""
    import datetime as dt

    from monitor.review import replay_alerts

    try:
        dt.date.fromisoformat(since)
    except ValueError:
        raise Refusal(f"--from: expected a date like 2017-01-28, got {since!r}") from None
    good = store.reports.good()
    return replay_alerts(good, since, config.alerts, config.alerts.trailing_reports)


def replay_lines(produced: Sequence[dict[str, Any]]) -> list[str]:
    from monitor.render import render_console

    return [f"\n[{item['kind']}] {item['key']}\n{render_console(item['payload'])}" for item in produced]


# ---- alerts --------------------------------------------------------------------------------


def send_test_alerts(config: Config, dry_run: bool, route_channel: str | None) -> DrainResult:
    """``ddor alert test``: realistic samples (or one route's digest) through the configured
    destination, from a throwaway store so the real outbox never holds them."""
    import tempfile

    from ddor.wiring import make_destination
    from monitor.alerts import sample_route_alert
    from monitor.notify import Drainer
    from monitor.samples import sample_alerts
    from storage import Store

    samples = sample_alerts()
    if route_channel is not None:
        try:
            samples = [sample_route_alert(samples[0], config.alerts.routes, route_channel)]
        except LookupError as exc:
            raise Refusal(str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="ddor-alert-test-") as work:
        store = Store(f"sqlite:///{work}/test.sqlite3")
        store.upgrade()
        with store.transaction() as connection:
            store.outbox.add(connection, samples)
        drainer = Drainer(
            store,
            make_destination(config, dry_run),
            config.slack.channel,
            config.ops_channel,
            config.slack.max_attempts,
            config.slack.min_seconds_between_posts,
        )
        result = drainer.drain()
        store.close()
    return result


def retry_dead_alerts(config: Config, store: Store, keys: Sequence[str]) -> RetryOutcome:
    """``ddor alert retry``: dead alerts (all, or ``keys``) re-queued and sent now."""
    from ddor.cycle import Cycle
    from ddor.wiring import make_destination
    from monitor.notify import retry_dead

    drainer = Cycle(config, store, make_destination(config)).drainer()
    return retry_dead(store, drainer, keys, failures_before_ops_alert=config.alerts.failures_before_ops_alert)


def drain_outbox(config: Config, store: Store) -> None:
    """Send what the outbox holds now (after a backfill or reparse queued alerts)."""
    from ddor.cycle import Cycle
    from ddor.wiring import make_destination

    Cycle(config, store, make_destination(config)).drainer().drain()


# ---- backfill and reparse -----------------------------------------------------------------


def backfill_sources(
    config: Config, store: Store, sources: Sequence[str], send_alerts: bool, step: Callable[[str], None]
) -> BackfillResult:
    """Past reports (files or URLs) into the series in period order (``ddor backfill``); with
    ``send_alerts``, what a live run would have sent is queued and sent now."""
    from ddor.backfill import backfill

    result = backfill(config, store, sources, send_alerts, step)
    if send_alerts and result.alerts:
        drain_outbox(config, store)
    return result


def backfill_totals(result: BackfillResult) -> Any:
    totals = table("stored", "already known", "failed", "alerts queued")
    totals.add_row(str(len(result.stored)), str(len(result.known)), str(len(result.failed)), str(result.alerts))
    return totals


def reparse_reports(
    config: Config, store: Store, workers: int | None
) -> tuple[list[ReparseChange], list[tuple[int, str]]]:
    """Every archived report through the current parser (``ddor reparse``): what changed, and
    the reports that failed."""
    from ddor.backfill import reparse

    changes, failures = reparse(config, store, workers)
    if any(change.alerts for change in changes):
        # Sections a fixed parser now reads: their changes go out once, in the digest's thread.
        drain_outbox(config, store)
    return changes, failures


def reparse_line(change: ReparseChange) -> str:
    return (
        f"report {change.report_id} ({change.period}): +{change.rows_added} −{change.rows_removed} rows"
        + (f"; changed {', '.join(change.meta_changed)}" if change.meta_changed else "")
        + (f"; now suspect: {change.problems[0]}" if change.problems else "")
    )


# ---- history and export --------------------------------------------------------------------


def jurisdiction_key_for(jurisdiction: str) -> str:
    """The series key for what a user typed: a key as it is, else "COUNTY, STATE" in any spelling."""
    from parsers.jurisdictions import jurisdiction_key, split_county_state

    if ":" in jurisdiction:
        return jurisdiction
    county, state = split_county_state(jurisdiction)
    if state is None:
        raise Refusal(f'{jurisdiction!r}: give the state too, e.g. "Travis County, TX"')
    return jurisdiction_key(county, state)


def history_rows(store: Store, key: str) -> list[dict[str, Any]]:
    """One jurisdiction's series across the stored good reports (``ddor history``)."""
    from monitor.tables import series_rows

    return series_rows(good_reports(store), only_key=key)


def history_table(rows: Sequence[dict[str, Any]], key: str) -> Any:
    if not rows:
        raise Refusal(f"{key}: not in any stored report", EXIT_FAILED)
    series = table("kind", "period", "issued", "declined", "policy", title=f"{rows[0]['label']} ({key})")
    for row in rows:
        series.add_row(
            row["kind"],
            f"{row['period_start']}..{row['period_end']}",
            "" if row["issued"] is None else f"{row['issued']:,}",
            str(row["declined"]),
            "yes" if row["has_policy"] else "",
        )
    return series


def good_reports(store: Store) -> list[Report]:
    return [stored.report for stored in store.reports.good()]


def export_reports(store: Store, fmt: str, which: str, out: str | None) -> None:
    """``ddor export``: one table as CSV or JSON (to ``out``, else stdout), or every table as
    an XLSX workbook at ``out``. A path that cannot be written is a refusal naming it."""
    from monitor.export import export_sheets, export_table, write_table, write_xlsx

    reports = good_reports(store)
    if fmt == "xlsx":
        if not out:
            raise Refusal("--out: an .xlsx workbook needs a file to go to")
        try:
            write_xlsx(export_sheets(reports), out)
        except OSError as exc:
            raise Refusal(f"--out: cannot write {out}: {exc.strerror}") from exc
        return
    columns, rows = export_table(reports, which)
    if not out:
        write_table(rows, columns, fmt, sys.stdout)
        return
    try:
        stream = open(out, "w", newline="", encoding="utf-8")  # noqa: SIM115 — closed below
    except OSError as exc:
        raise Refusal(f"--out: cannot write {out}: {exc.strerror}") from exc
    with stream:
        write_table(rows, columns, fmt, stream)
