"""The ``ddor`` command line. Exit codes: 0 success (including "nothing new"), 1 the run
failed (and an ops alert was raised), 2 usage or configuration error."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ddor import __version__

# Everything heavier than click is imported inside the command that uses it: `ddor --help`
# and `ddor parse` must not pay for SQLAlchemy, Scrapy, slack-sdk, rich or matplotlib
# (issue #14: SQLAlchemy alone, pulled in through the lock module, cost 0.2 s of every start).
# tests/ddor/test_imports.py guards it.
if TYPE_CHECKING:
    from rich.console import Console

    from ddor.config import Config
    from storage import Store

EXIT_FAILED, EXIT_USAGE = 1, 2


def console() -> Console:
    """Rich output; piped to a file or a script, tables keep their full width (no ellipses)."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    return Table(*columns, title=title)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"ddor: {message}", err=True)
    sys.exit(code)


class Context:
    def __init__(self, config_path: str | None, verbose: bool, config_from_stdin: bool = False) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self.config_from_stdin = config_from_stdin
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        from ddor.config import ConfigError, config_from_json, default_config_path, load_config

        if self._config is None:
            try:
                if self.config_from_stdin:
                    self._config = config_from_json(sys.stdin.read())
                else:
                    self._config = load_config(default_config_path(self.config_path))
            except ConfigError as exc:
                fail(str(exc))
        assert self._config is not None
        return self._config

    def store(self, write: bool = True) -> Store:
        """The configured store. For a command that writes: output directories created,
        migrations applied, write access proven, or a one-line error naming the key or file.
        For one that only reads (``write=False``): nothing migrated or created, so it works
        on a store it cannot write."""
        from ddor.config import ConfigError, default_config_path, prepare_directories
        from storage.store import StoreError, open_for_reading, open_for_writing

        config = self.config
        try:
            if not write:
                return open_for_reading(config.storage_url)
            prepare_directories(config)
            return open_for_writing(config.storage_url)
        except ConfigError as exc:
            fail(f"{default_config_path(self.config_path) or 'config'}: {exc}")
        except StoreError as exc:
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 — a bad URL or unreachable server is one line
            fail(
                f"storage.url: cannot open {config.storage.url.split('@')[-1]}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}"
            )


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="config.yaml (else $DDOR_CONFIG, else ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="More logging, and tracebacks on errors.")
@click.option(
    "--log-format",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    help="Log lines as text or JSON (auto: JSON when stderr is not a terminal).",
)
@click.option(
    "--config-from-stdin",
    is_flag=True,
    hidden=True,
    help="Read the configuration as JSON on stdin (the daemon hands its cycles the config it validated).",
)
@click.version_option(__version__, prog_name="ddor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool, log_format: str, config_from_stdin: bool) -> None:
    """ddor-watch: watch ICE's Declined Detainer Outcome Report page and alert on what changed.

    Example: ddor --config config.yaml crawl --dry-run
    """
    from ddor.wiring import setup_logging

    setup_logging(verbose, log_format)
    ctx.obj = Context(config_path, verbose, config_from_stdin)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print alerts' JSON payloads instead of sending; mark nothing sent.")
@click.option("--no-wait", is_flag=True, help="Refuse (exit 2) instead of waiting when a cycle is already running.")
@click.option("--trigger", default="cli", hidden=True)
@pass_ctx
def crawl(obj: Context, dry_run: bool, no_wait: bool, trigger: str) -> None:
    """Run one full cycle now: crawl → parse → store → diff → alert.

    Example: ddor crawl
    """
    from ddor.wiring import start_crawler

    config = obj.config
    # Scrapy's import (~0.4 s) runs on the other core while this process loads the store;
    # the child waits for its job, sent once the cycle lock is held.
    crawler = start_crawler(obj.verbose)
    try:
        from ddor.cycle import Cycle
        from ddor.locks import Lock, LockBusy
        from ddor.wiring import make_destination

        store = obj.store()
        lock = Lock(config, store, "cycle")
        try:
            lock.acquire(wait=not no_wait)
        except LockBusy as exc:
            fail(f"{exc}; not starting a second cycle")
        try:
            destination = make_destination(config, dry_run)
            cycle = Cycle(config, store, destination, trigger=trigger, verbose=obj.verbose, crawler=crawler)
            result = cycle.run()
        finally:
            lock.release()
    finally:
        if crawler.poll() is None:  # not used: refused, or the cycle failed before its crawl
            crawler.kill()
            crawler.wait()
    delivery = result.delivery
    summary = (
        f"run {result.run_id}: {result.outcome}; new reports {len(result.new_reports)}, corrections "
        f"{len(result.corrections)}, quarantined {len(result.quarantined)}"
    )
    if delivery:
        summary += f"; alerts sent {delivery.sent + delivery.reconciled}, dead {delivery.dead}"
    click.echo(summary, err=True)
    for error in result.errors:
        click.echo(f"ddor: {error}", err=True)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--in-process", is_flag=True, help="Parse in this process (no isolation; for debugging).")
@pass_ctx
def parse(obj: Context, files: tuple[str, ...], fmt: str, in_process: bool) -> None:
    """Parse local DDOR PDFs (no config or database needed).

    JSON is one object per file (an array when several); CSV is one row per Section II record.
    A bad file gives a one-line error on stderr, the others are still parsed, exit 1.

    Example: ddor parse ddor2017_01-28to02-03.pdf --format csv > releases.csv
    """
    from parsers.ddor import parse_report
    from parsers.errors import ParseError
    from parsers.isolated import Limits, parse_isolated

    # No config is needed to parse; when one is named, its parse limits apply.
    limits = obj.config.parse if obj.config_path or os.environ.get("DDOR_CONFIG") else Limits()
    reports, failed = [], False
    for name in files:
        try:
            data = Path(name).read_bytes()
            report = parse_report(data, limits.max_pages) if in_process else parse_isolated(data, limits)
        except OSError as exc:
            click.echo(f"ddor: {name}: cannot read: {exc.strerror}", err=True)
            failed = True
            continue
        except ParseError as exc:
            click.echo(f"ddor: {name}: {exc.kind}: {exc.reason}", err=True)
            failed = True
            continue
        for problem in report.problems:
            click.echo(f"ddor: {name}: suspect: {problem}", err=True)
        reports.append(report)
    if fmt == "json":
        objects = [r.to_json() for r in reports]
        click.echo(json.dumps(objects[0] if len(files) == 1 and objects else objects, indent=2, ensure_ascii=False))
    else:
        from monitor.export import write_csv
        from monitor.tables import RELEASE_COLUMNS, release_rows

        write_csv(release_rows(reports), RELEASE_COLUMNS, sys.stdout)
    sys.exit(EXIT_FAILED if failed else 0)


@cli.command()
@click.option(
    "--standby/--no-standby",
    default=None,
    help="When another daemon holds the store: wait and take over when it dies (default on "
    "PostgreSQL), or refuse with exit 2 (default on SQLite).",
)
@pass_ctx
def daemon(obj: Context, standby: bool | None) -> None:
    """Run the scheduler in the foreground; SIGTERM/SIGINT stop it cleanly, SIGHUP reloads config.

    Example: ddor --config /etc/ddor/config.yaml daemon
    """
    import logging
    import signal

    from ddor.config import default_config_path
    from ddor.daemon import Daemon
    from ddor.locks import Lock, LockBusy

    config, store = obj.config, obj.store()
    lock = Lock(config, store, "daemon")
    if standby is None:
        standby = not store.is_sqlite  # a team's shared database: a second machine is a hot spare
    try:
        lock.acquire(wait=False)
    except LockBusy as exc:
        if not standby:
            fail(f"{exc}; refusing to start a second daemon")
        logging.getLogger("ddor.daemon").warning("standby: %s; taking over when it stops", exc)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        lock.acquire(wait=True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        logging.getLogger("ddor.daemon").warning("standby: lock acquired, now the active daemon")
    try:
        Daemon(obj.config_path and Path(obj.config_path) or default_config_path(None), config, store, obj.verbose).run()
    finally:
        lock.release()


@cli.command()
@pass_ctx
def status(obj: Context) -> None:
    """Last runs and their outcome, latest report, alerts pending/sent/dead, health.

    Example: ddor status
    """
    config, store = obj.config, obj.store(write=False)
    out = console()
    from ddor.daemon import read_state
    from ddor.locks import Lock

    if store.created:
        out.print(f"[bold]Store[/bold] {store.url_for_humans}  schema v{store.schema_version()}")
    else:
        out.print(f"[bold]Store[/bold] {store.url_for_humans}  not created yet (`ddor crawl` creates it)")
    lock_error = ""
    try:
        held = Lock(config, store, "daemon").is_held()
    except OSError as exc:  # a lock file we may not read: say so rather than guess
        held, lock_error = False, exc.strerror or type(exc).__name__
    state = read_state(config) if held else None
    if held and state:
        out.print(
            f"[bold]Daemon[/bold] running (pid {state['pid']}, since {state['since'][:19]}), "
            f"next run {str(state.get('next_run'))[:19]}"
        )
    elif lock_error:
        out.print(f"[bold]Daemon[/bold] unknown (lock file: {lock_error})")
    else:
        out.print(f"[bold]Daemon[/bold] {'running' if held else 'not running'}")
    reports = store.reports.all()
    if reports:
        latest = reports[-1]
        out.print(
            f"[bold]Latest report[/bold] {latest.kind} {latest.period_start}..{latest.period_end} ({latest.status})"
        )
    counts = store.outbox.counts()
    out.print(
        "[bold]Alerts[/bold] " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("pending", "sending", "sent", "dead"))
    )
    for alert in store.outbox.alerts(states=("dead",))[-5:]:
        out.print(f"  dead: {alert.key}: {alert.last_error}")
    for check in ("crawl", "parse", "store", "delivery"):
        health = store.runs.health(check)
        out.print(
            f"[bold]Health[/bold] {check}: {health['consecutive_failures']} consecutive failures"
            + (f" — {health['last_error']}" if health["last_error"] else "")
        )
    runs = table("run", "trigger", "started", "outcome", "seconds", "error")
    for run in store.runs.last(10):
        seconds = (run["finished_at"] - run["started_at"]).total_seconds() if run["finished_at"] else None
        runs.add_row(
            run["run_id"],
            run["trigger"],
            str(run["started_at"])[:19],
            run["outcome"] or "running",
            f"{seconds:.1f}" if seconds is not None else "",
            (run["error"] or "")[:60],
        )
    out.print(runs)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def reports(obj: Context, fmt: str) -> None:
    """Stored reports: period, kind, pages, totals, sha256, status; and withdrawn links.

    Example: ddor reports --format json | jq '.[] | select(.status != "good")'
    """
    store = obj.store(write=False)
    withdrawn = store.documents.withdrawn()
    stored_reports = store.reports.all()
    if fmt == "json":
        click.echo(json.dumps([report_json(stored, withdrawn) for stored in stored_reports], indent=2))
        return
    listed = table("id", "kind", "period", "pages", "issued", "declined", "status", "sha256")
    for stored in stored_reports:
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
    out = console()
    out.print(listed)
    for url, at in sorted(withdrawn.items(), key=lambda item: item[1]):
        out.print(f"withdrawn from the page: {url} (acknowledged {str(at)[:19]})")


def status_note(report: Any) -> str:
    """The sections withheld from a stored report's diff, for the reports table."""
    from monitor.sections import HEADINGS, section_status

    withheld = [HEADINGS[s] for s, status in section_status(report).items() if status.startswith("withheld")]
    return f" ({', '.join(withheld)} withheld)" if withheld else ""


def report_json(stored: Any, withdrawn: dict[str, Any]) -> dict[str, Any]:
    """One stored report for scripts (``ddor reports --format json``)."""
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


@cli.command()
@click.argument("url")
@pass_ctx
def forget(obj: Context, url: str) -> None:
    """Acknowledge a report withdrawn from the page: its absence stops failing the crawl.

    Example: ddor forget https://www.ice.gov/doclib/ddor/ddor2017_02-11to02-17.pdf
    """
    store = obj.store()
    if url not in store.documents.known_urls():
        fail(f"{url}: not a report URL this store has seen (see `ddor reports --format json`)")
    if store.documents.acknowledge_withdrawn(url):
        click.echo(f"recorded as withdrawn: {url}")
    else:
        click.echo(f"already recorded as withdrawn: {url}")


@cli.command()
@click.argument("a", required=False, type=int)
@click.argument("b", required=False, type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Every change, not only the notable ones.")
@pass_ctx
def diff(obj: Context, a: int | None, b: int | None, fmt: str, show_all: bool) -> None:
    """Changes between two stored reports by id (default: latest vs the one before, same kind).

    Example: ddor diff 1 2 --format json
    """
    from monitor.alerts import notable_changes
    from monitor.diff import diff_reports
    from monitor.render import change_line

    store = obj.store(write=False)
    missing = [i for i in (a, b) if i is not None and store.reports.by_id(i) is None]
    if missing:
        fail(f"no stored report with id {missing[0]} (ids from `ddor reports`)", EXIT_FAILED)
    if a is not None and b is not None:
        old, new = store.reports.by_id(a), store.reports.by_id(b)
    else:
        good = store.reports.all(statuses=("good",))
        if not good:
            fail("no stored reports yet; run `ddor crawl` first", EXIT_FAILED)
        new = store.reports.by_id(a) if a is not None else good[-1]
        assert new is not None
        series = [r for r in good if r.kind == new.kind and r.period_end < new.period_start]
        old = series[-1] if series else None
    if old is None or new is None:
        fail("no earlier report of the same kind to compare with (ids from `ddor reports`)", EXIT_FAILED)
    assert old is not None and new is not None
    if show_all:
        changes = [{**c.to_json(), "delta": c.delta, "reason": ""} for c in diff_reports(old.report, new.report)]
    else:
        changes, _ = notable_changes(old.report, new.report, obj.config.alerts)
    if fmt == "json":
        click.echo(json.dumps({"from": old.id, "to": new.id, "changes": changes}, indent=2))
        return
    click.echo(f"{old.period_start}..{old.period_end} → {new.period_start}..{new.period_end}: {len(changes)} changes")
    for change in changes:
        click.echo(change_line(change).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


@cli.command()
@click.option("--from", "since", required=True, metavar="DATE", help="First report period start (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def replay(obj: Context, since: str, fmt: str) -> None:
    """Recompute, on the stored history, the alerts the current rules would have produced for
    each report from DATE on, without sending anything (judge a threshold change first).

    Example: ddor replay --from 2017-01-01 --format json
    """
    import datetime as dt

    from monitor.alerts import alerts_for_new_report
    from monitor.render import render_console

    try:
        dt.date.fromisoformat(since)
    except ValueError:
        fail(f"--from: expected a date like 2017-01-28, got {since!r}")
    config, store = obj.config, obj.store(write=False)
    good = store.reports.all(statuses=("good",))
    produced: list[dict[str, Any]] = []
    for stored in good:
        if stored.period_start < since:
            continue
        series = [
            (r.report, r.url)
            for r in good
            if r.kind == stored.kind and r.id != stored.id and r.period_start < stored.period_start
        ]
        for new in alerts_for_new_report(
            stored.report, stored.url, series, config.alerts, config.alerts.trailing_reports
        ):
            produced.append({"key": new.key, "kind": new.kind, "payload": new.payload})
    if fmt == "json":
        click.echo(json.dumps(produced, indent=2, ensure_ascii=False))
        return
    for item in produced:
        click.echo(f"\n[{item['kind']}] {item['key']}\n{render_console(item['payload'])}")
    click.echo(f"\n{len(produced)} alert(s) would be produced; nothing was sent.", err=True)


@cli.group()
def alert() -> None:
    """Alert destination tools."""


@alert.command("test")
@click.option("--dry-run", is_flag=True, help="Print the exact JSON payloads instead of sending.")
@click.option("--route", "route_channel", metavar="CHANNEL", help="Send only that alerts.routes channel's digest.")
@pass_ctx
def alert_test(obj: Context, dry_run: bool, route_channel: str | None) -> None:
    """Send a realistic digest (one of each change kind) and an ops alert to the configured destination;
    with --route, only the digest that alerts.routes' CHANNEL would get, to that channel.

    Example: ddor alert test --dry-run; ddor alert test --route "#texas"
    """
    import tempfile

    from ddor.wiring import make_destination
    from monitor.alerts import sample_route_alert
    from monitor.notify import Drainer
    from monitor.samples import sample_alerts
    from storage import Store

    config = obj.config
    samples = sample_alerts()
    if route_channel is not None:
        try:
            samples = [sample_route_alert(samples[0], config.alerts.routes, route_channel)]
        except LookupError as exc:
            fail(str(exc))
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
    click.echo(f"test alerts: sent {result.sent}, dead {result.dead}", err=True)
    sys.exit(EXIT_FAILED if result.dead else 0)


@alert.command("retry")
@click.argument("keys", nargs=-1)
@pass_ctx
def alert_retry(obj: Context, keys: tuple[str, ...]) -> None:
    """Re-queue dead alerts (all, or those KEYS) once the token or channel is fixed, and send
    them now; each is delivered exactly once (one that died unsure is looked up first).

    Example: ddor alert retry 3f2a…:digest
    """
    from ddor.cycle import Cycle
    from ddor.wiring import make_destination
    from monitor.notify import retry_dead

    config, store = obj.config, obj.store()
    drainer = Cycle(config, store, make_destination(config)).drainer()
    outcome = retry_dead(store, drainer, keys, failures_before_ops_alert=config.alerts.failures_before_ops_alert)
    for key in outcome.unknown:
        click.echo(f"ddor: {key}: no dead alert with that key", err=True)
    delivery = outcome.delivery
    click.echo(
        f"re-queued {len(outcome.requeued)}; sent {delivery.sent + delivery.reconciled}, dead {delivery.dead}, "
        f"waiting {delivery.pending}",
        err=True,
    )
    if outcome.problem:
        click.echo(f"ddor: delivery: {outcome.problem}", err=True)
    sys.exit(EXIT_FAILED if outcome.problem or outcome.unknown else 0)


@cli.command()
@click.option("--stages", default=None, help="Comma-separated mirror stages (default: all five).")
@pass_ctx
def demo(obj: Context, stages: str | None) -> None:
    """Serve the bundled ICE mirror on 127.0.0.1 and run the bot through its stages on a temporary
    store; alerts go to the console (or to Slack when SLACK_BOT_TOKEN is set).

    Example: ddor demo
    """
    from ddor.demo import run_demo

    sys.exit(run_demo(obj.config_path, stages.split(",") if stages else None, obj.verbose))


@cli.command()
@click.argument("jurisdiction")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def history(obj: Context, jurisdiction: str, fmt: str) -> None:
    """A jurisdiction's series across all stored good reports: issued (Section I), declined
    (Section II), whether Section III lists a policy. JURISDICTION is "COUNTY,STATE" in any
    spelling, or a key.

    Example: ddor history "Travis County, TX"
    """
    from monitor.tables import series_rows
    from parsers.jurisdictions import jurisdiction_key, split_county_state

    if ":" in jurisdiction:
        key = jurisdiction
    else:
        county, state = split_county_state(jurisdiction)
        if state is None:
            fail(f'{jurisdiction!r}: give the state too, e.g. "Travis County, TX"')
        key = jurisdiction_key(county, state or "")
    reports = [r.report for r in obj.store(write=False).reports.all(statuses=("good",))]
    rows = series_rows(reports, only_key=key)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        fail(f"{key}: not in any stored report", EXIT_FAILED)
    series = table("kind", "period", "issued", "declined", "policy", title=f"{rows[0]['label']} ({key})")
    for row in rows:
        issued = "" if row["issued"] is None else f"{row['issued']:,}"
        series.add_row(
            row["kind"],
            f"{row['period_start']}..{row['period_end']}",
            issued,
            str(row["declined"]),
            "yes" if row["has_policy"] else "",
        )
    console().print(series)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
@click.option(
    "--table",
    "which",
    type=click.Choice(["releases", "series", "policies"]),
    default="releases",
    show_default=True,
    help="For csv/json (xlsx holds all three, a sheet each).",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout (required for xlsx).")
@pass_ctx
def export(obj: Context, fmt: str, which: str, out: str | None) -> None:
    """Export the stored good reports: release cases (one row per Section II record), the
    per-jurisdiction series, or the policy table with first/last seen.

    Example: ddor export --format xlsx --out ddor.xlsx
    """
    from monitor import tables
    from monitor.export import write_csv, write_xlsx

    reports = [r.report for r in obj.store(write=False).reports.all(statuses=("good",))]
    builders = {
        "releases": (tables.release_rows, tables.RELEASE_COLUMNS),
        "series": (tables.series_rows, tables.SERIES_COLUMNS),
        "policies": (tables.policy_rows, tables.POLICY_COLUMNS),
    }
    if fmt == "xlsx":
        if not out:
            fail("--out: an .xlsx workbook needs a file to go to")
        try:
            write_xlsx({name: (columns, build_rows(reports)) for name, (build_rows, columns) in builders.items()}, out)
        except OSError as exc:
            fail(f"--out: cannot write {out}: {exc.strerror}")
        return
    build_rows, columns = builders[which]
    rows = build_rows(reports)
    try:
        stream = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror}")
    try:
        if fmt == "json":
            stream.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        else:
            write_csv(rows, columns, stream)
    finally:
        if out:
            stream.close()


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--alert", "send_alerts", is_flag=True, help="Queue and send the alerts a live run would have sent.")
@pass_ctx
def backfill(obj: Context, sources: tuple[str, ...], send_alerts: bool) -> None:
    """Ingest past reports (PDF files or URLs) into the series, in period order, without
    alerting unless --alert.

    Example: ddor backfill archive/*.pdf https://www.ice.gov/doclib/ddor/ddor2017_02-04to02-10.pdf
    """
    from rich.console import Console
    from rich.progress import Progress

    from ddor.backfill import backfill as run_backfill
    from ddor.cycle import Cycle
    from ddor.wiring import make_destination

    config, store = obj.config, obj.store()
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("backfill", total=len(sources))

        def step(source: str) -> None:
            bar.update(task, advance=1, description=Path(source).name[:40])

        result = run_backfill(config, store, sources, send_alerts, step)
    totals = table("stored", "already known", "failed", "alerts queued")
    totals.add_row(str(len(result.stored)), str(len(result.known)), str(len(result.failed)), str(result.alerts))
    Console(stderr=True).print(totals)
    for source, reason in result.failed:
        click.echo(f"ddor: {source}: {reason}", err=True)
    if send_alerts and result.alerts:
        Cycle(config, store, make_destination(config)).drainer().drain()
    sys.exit(EXIT_FAILED if result.failed else 0)


@cli.command()
@click.option("--workers", type=int, default=None, help="Parallel parses (default: the machine's cores).")
@pass_ctx
def reparse(obj: Context, workers: int | None) -> None:
    """Re-run the current parser over every archived report, in parallel, and update the stored
    data where it now reads differently; prints what changed.

    Example: ddor reparse --workers 2
    """
    from ddor.backfill import reparse as run_reparse
    from ddor.cycle import Cycle
    from ddor.wiring import make_destination

    config, store = obj.config, obj.store()
    changes, failures = run_reparse(config, store, workers)
    if any(change.alerts for change in changes):
        # Sections a fixed parser now reads: their changes go out once, in the digest's thread.
        Cycle(config, store, make_destination(config)).drainer().drain()
    for change in changes:
        click.echo(
            f"report {change.report_id} ({change.period}): +{change.rows_added} −{change.rows_removed} rows"
            + (f"; changed {', '.join(change.meta_changed)}" if change.meta_changed else "")
            + (f"; now suspect: {change.problems[0]}" if change.problems else "")
        )
    for report_id, reason in failures:
        click.echo(f"ddor: report {report_id}: {reason}", err=True)
    click.echo(f"{len(changes)} report(s) changed, {len(failures)} failed", err=True)
    sys.exit(EXIT_FAILED if failures else 0)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("metadata")
@click.option("--database", default="ddor", show_default=True, help="The database name Datasette will show.")
def db_metadata(database: str) -> None:
    """Print Datasette metadata (table and column descriptions) for the store.

    Example: ddor db metadata > metadata.json && datasette data/ddor.sqlite3 -m metadata.json
    """
    from storage.schema import datasette_metadata

    click.echo(json.dumps(datasette_metadata(database), indent=2))


@db.command("upgrade")
@pass_ctx
def db_upgrade(obj: Context) -> None:
    """Apply pending schema migrations (also done by every command that writes; commands that
    only read never migrate, and ask for this on a stale schema).

    Example: ddor db upgrade
    """
    store = obj.store()  # opening it for writing is what upgrades it
    done = f"applied {', '.join(map(str, store.applied))}; now at" if store.applied else "up to date:"
    click.echo(f"{store.url_for_humans}: {done} schema version {store.schema_version()}")


@cli.group("site")
def site_group() -> None:
    """The static newsroom site: index, report pages with map and tables, jurisdiction pages."""


@site_group.command("build")
@click.option("--out", type=click.Path(file_okay=False), help="Write the site here (default: site.out_dir).")
@pass_ctx
def site_build(obj: Context, out: str | None) -> None:
    """Build the static site from the stored good reports; it works from file:// and any static host.

    Example: ddor site build --out public/
    """
    from monitor.site import build_site

    config = obj.config
    target = Path(out) if out else config.site_dir
    if target is None:
        fail("site.out_dir is not set in the config; give --out DIR")
    assert target is not None
    built = build_site(obj.store(), target, config.alerts, config.alerts.trailing_reports)
    click.echo(
        f"site: {target}: {built.reports} reports, {built.jurisdictions} jurisdictions, "
        f"{built.total_bytes / 1e6:.1f} MB, {built.seconds:.1f} s",
        err=True,
    )


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
