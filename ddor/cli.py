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
from ddor.errors import EXIT_FAILED, EXIT_USAGE, Refusal

# Everything heavier than click is imported inside the command that uses it: `ddor --help`
# and `ddor parse` must not pay for SQLAlchemy, Scrapy, slack-sdk, rich or matplotlib
# (issue #14: SQLAlchemy alone, pulled in through the lock module, cost 0.2 s of every start).
# tests/ddor/test_imports.py guards it.
if TYPE_CHECKING:
    from rich.console import Console

    from ddor.config import Config
    from storage import Store


def console() -> Console:
    """Rich output; piped to a file or a script, tables keep their full width (no ellipses)."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def show(items: list[Any]) -> None:
    """Print lines (rich markup) and tables, in order."""
    out = console()
    for item in items:
        out.print(item)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"ddor: {message}", err=True)
    sys.exit(code)


class Group(click.Group):
    """A command's :class:`~ddor.errors.Refusal` ends it with one line on stderr and its exit
    code, wherever in the command it was raised."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Refusal as refusal:
            fail(refusal.message, refusal.code)


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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    from ddor.views import crawl_once, cycle_lines

    result = crawl_once(obj.config, obj.store, obj.verbose, dry_run, not no_wait, trigger)
    for line in cycle_lines(result):
        click.echo(line, err=True)
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
    from ddor.views import parse_files, write_parsed
    from parsers.isolated import Limits

    # No config is needed to parse; when one is named, its parse limits apply.
    limits = obj.config.parse if obj.config_path or os.environ.get("DDOR_CONFIG") else Limits()
    parsed = parse_files(files, limits, in_process)
    for message in parsed.messages:
        click.echo(message, err=True)
    write_parsed(parsed.reports, fmt, len(files) == 1, sys.stdout)
    sys.exit(EXIT_FAILED if parsed.failed else 0)


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
    from ddor.config import default_config_path
    from ddor.views import run_daemon

    config_file = Path(obj.config_path) if obj.config_path else default_config_path(None)
    run_daemon(config_file, obj.config, obj.store(), obj.verbose, standby)


@cli.command()
@pass_ctx
def status(obj: Context) -> None:
    """Last runs and their outcome, latest report, alerts pending/sent/dead, health.

    Example: ddor status
    """
    from ddor.views import status_view

    show(status_view(obj.config, obj.store(write=False)))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def reports(obj: Context, fmt: str) -> None:
    """Stored reports: period, kind, pages, totals, sha256, status; and withdrawn links.

    Example: ddor reports --format json | jq '.[] | select(.status != "good")'
    """
    from ddor.views import reports_json, reports_view

    store = obj.store(write=False)
    if fmt == "json":
        click.echo(json.dumps(reports_json(store), indent=2))
        return
    show(reports_view(store))


@cli.command()
@click.argument("url")
@pass_ctx
def forget(obj: Context, url: str) -> None:
    """Acknowledge a report withdrawn from the page: its absence stops failing the crawl.

    Example: ddor forget https://www.ice.gov/doclib/ddor/ddor2017_02-11to02-17.pdf
    """
    from ddor.views import forget_report

    click.echo(forget_report(obj.store(), url))


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
    from ddor.views import diff_view

    view = diff_view(obj.store(write=False), a, b, obj.config.alerts, show_all)
    if fmt == "json":
        click.echo(json.dumps(view.to_json(), indent=2))
        return
    for line in view.lines():
        click.echo(line)


@cli.command()
@click.option("--from", "since", required=True, metavar="DATE", help="First report period start (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def replay(obj: Context, since: str, fmt: str) -> None:
    """Recompute, on the stored history, the alerts the current rules would have produced for
    each report from DATE on, without sending anything (judge a threshold change first).

    Example: ddor replay --from 2017-01-01 --format json
    """
    from ddor.views import replay_lines, replay_view

    produced = replay_view(obj.config, obj.store(write=False), since)
    if fmt == "json":
        click.echo(json.dumps(produced, indent=2, ensure_ascii=False))
        return
    for line in replay_lines(produced):
        click.echo(line)
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
    from ddor.views import send_test_alerts

    result = send_test_alerts(obj.config, dry_run, route_channel)
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
    from ddor.views import retry_dead_alerts

    outcome = retry_dead_alerts(obj.config, obj.store(), keys)
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
    from ddor.views import history_rows, history_table, jurisdiction_key_for

    key = jurisdiction_key_for(jurisdiction)
    rows = history_rows(obj.store(write=False), key)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    show([history_table(rows, key)])


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
    from ddor.views import export_reports

    export_reports(obj.store(write=False), fmt, which, out)


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

    from ddor.views import backfill_sources, backfill_totals

    config, store = obj.config, obj.store()
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("backfill", total=len(sources))

        def step(source: str) -> None:
            bar.update(task, advance=1, description=Path(source).name[:40])

        result = backfill_sources(config, store, sources, send_alerts, step)
    Console(stderr=True).print(backfill_totals(result))
    for source, reason in result.failed:
        click.echo(f"ddor: {source}: {reason}", err=True)
    sys.exit(EXIT_FAILED if result.failed else 0)


@cli.command()
@click.option("--workers", type=int, default=None, help="Parallel parses (default: the machine's cores).")
@pass_ctx
def reparse(obj: Context, workers: int | None) -> None:
    """Re-run the current parser over every archived report, in parallel, and update the stored
    data where it now reads differently; prints what changed.

    Example: ddor reparse --workers 2
    """
    from ddor.views import reparse_line, reparse_reports

    changes, failures = reparse_reports(obj.config, obj.store(), workers)
    for change in changes:
        click.echo(reparse_line(change))
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
