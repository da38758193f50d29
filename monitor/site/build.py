"""The stored good reports → a static, self-contained site: an index, a page per report (headline
figures, notable changes as in the digest, the county map, Sections I–III, downloads) and a
page per jurisdiction (its series as a chart and a table).

Every figure comes from the functions the bot already uses (the digest's ``digest_alert`` with
its ``summarize``, ``aggregate``, ``series_rows``); this module only arranges them.
Nothing on a page is fetched at view time: CSS and the small table script are files of the
site, the map and charts are inline SVG, and links between pages are relative.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.alerts import SeriesContext, baseline_alert, digest_alert, history_by_key
from monitor.diff import ROLLUPS, aggregate
from monitor.render import fmt_period
from monitor.rules import Thresholds
from monitor.series import earlier_in_series
from monitor.site import urls
from monitor.site.downloads import write_report_downloads
from monitor.site.geo import Atlas, atlas, match_keys
from monitor.site.svg import MapValue, SeriesPoint, county_map, legend, series_chart
from monitor.tables import series_rows
from parsers.jurisdictions import row_key
from storage.store import Store, StoredReport

ASSETS = ("site.css", "site.js")


@dataclass(frozen=True)
class SiteBuild:
    """What a build wrote: for the command's one-line summary and the benchmark."""

    out_dir: Path
    reports: int
    jurisdictions: int
    files: int
    total_bytes: int
    seconds: float
    unmatched: dict[str, tuple[str, ...]] = field(default_factory=dict)  # report stem → keys with no shape


@dataclass(frozen=True)
class ReportContext:
    """One report with what its page and the index show."""

    stored: StoredReport
    stem: str
    page: str
    period: str
    summary: dict[str, Any]
    changes: list[dict[str, Any]]
    previous: dict[str, Any] | None  # the report it is compared with (digest payload's "previous")


def build_site(store: Store, out_dir: Path, rules: Thresholds | None = None, trailing_reports: int = 4) -> SiteBuild:
    """Write the site for every good report in ``store`` into ``out_dir`` (created if needed).

    ``rules`` and ``trailing_reports`` are the alert settings (``config.alerts``), so a
    report page's notable changes are the ones its digest listed."""
    started = time.perf_counter()
    rules = rules or Thresholds()
    stored = store.reports.good()
    contexts = [_report_context(report, stored, rules, trailing_reports) for report in stored]
    series = _series_by_key([c.stored for c in contexts])
    env = _environment()
    writer = _Writer(out_dir)
    for asset in ASSETS:
        writer.write(f"assets/{asset}", resources.files("monitor.site").joinpath("static", asset).read_bytes())
    shapes = atlas()
    unmatched: dict[str, tuple[str, ...]] = {}
    for context in contexts:
        downloads = write_report_downloads(context.stored.report, writer.directory("reports"), context.stem)
        html, missing = _report_page(env, context, shapes, set(series), downloads)
        writer.write(context.page, html.encode())
        unmatched[context.stem] = missing
    for key, rows in series.items():
        writer.write(urls.jurisdiction_page(key), _jurisdiction_page(env, key, rows, contexts).encode())
    newest_first = sorted(contexts, key=lambda c: (c.stored.period_start, c.stored.id), reverse=True)
    writer.write(urls.INDEX, _index_page(env, newest_first, series).encode())
    return SiteBuild(
        out_dir=out_dir,
        reports=len(contexts),
        jurisdictions=len(series),
        files=writer.files + 2 * len(contexts),
        total_bytes=site_size(out_dir),
        seconds=time.perf_counter() - started,
        unmatched=unmatched,
    )


def site_size(out_dir: Path) -> int:
    return sum(path.stat().st_size for path in out_dir.rglob("*") if path.is_file())


# --- data ---------------------------------------------------------------------------------------


def _report_context(
    stored: StoredReport, everything: Sequence[StoredReport], rules: Thresholds, trailing: int
) -> ReportContext:
    meta = stored.report.report
    payload = digest_payload(
        stored, [r for r in everything if r.kind == stored.kind and r.id != stored.id], rules, trailing
    )
    return ReportContext(
        stored=stored,
        stem=urls.report_stem(meta),
        page=urls.report_page(meta),
        period=fmt_period(meta.period_start, meta.period_end),
        summary=payload["summary"],  # summarize(), as the digest and baseline carry it
        changes=list(payload.get("changes", [])),
        previous=payload.get("previous"),
    )


def digest_payload(
    stored: StoredReport, series: Sequence[StoredReport], rules: Thresholds, trailing: int
) -> dict[str, Any]:
    """The payload of the report's digest (or baseline), as ``alerts_for_new_report`` builds it
    — same previous report, same trailing history, same rules — without what a page does not
    show: the missing/out-of-order context and the chart series, which reads every earlier
    report again for each report (quadratic over a site rebuild: 40 reports took 5 s of CPU
    with it, measured). A test holds the shown parts equal to ``alerts_for_new_report``'s."""
    earlier = earlier_in_series(series, stored)
    if not earlier:
        return baseline_alert(stored.report, stored.url).payload
    previous = earlier[-1]
    context = SeriesContext(previous_period=(previous.period_start, previous.period_end))
    history = history_by_key([r.report for r in earlier], trailing)
    return digest_alert(stored.report, stored.url, previous.report, previous.url, rules, context, history).payload


def _series_by_key(reports: Sequence[StoredReport]) -> dict[str, list[dict[str, Any]]]:
    """Each jurisdiction's rows of ``series_rows``, in report order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in series_rows([r.report for r in reports]):
        grouped.setdefault(row["jurisdiction_key"], []).append(row)
    return grouped


def map_values(stored: StoredReport, href_prefix: str) -> dict[str, MapValue]:
    """Declined count per jurisdiction (Section II), without the city roll-ups: their
    boroughs' counties carry the same people on the map."""
    return {
        key: MapValue(key, label, count, page, href_prefix + urls.jurisdiction_page(key))
        for key, (count, label, page) in aggregate(stored.report).declined.items()
        if key not in ROLLUPS
    }


@lru_cache(maxsize=4096)
def _row_key(county: str, state: str, bare_county: bool = False) -> str:
    """A table row's jurisdiction key, for its link (cached: a report repeats a few places many times)."""
    return row_key(county, state, bare_county)


def _pdf_link(url: str, page: int | None) -> str:
    return f"{url}#page={page}" if page else url


# --- pages --------------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.site", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda value: "n/a" if value is None else f"{value:,}"
    env.filters["pct"] = lambda value: f"{value * 100:.0f}%"
    env.filters["signed"] = lambda value: f"+{value:,}" if value > 0 else f"{value:,}".replace("-", "−")
    env.globals["pdf_link"] = _pdf_link
    env.globals["jurisdiction_page"] = urls.jurisdiction_page
    env.globals["row_key"] = _row_key
    env.globals["fmt_period"] = fmt_period
    return env


def _report_page(
    env: Environment,
    context: ReportContext,
    shapes: Atlas,
    known_keys: set[str],
    downloads: tuple[str, str],
) -> tuple[str, tuple[str, ...]]:
    stored = context.stored
    previous = context.previous
    values = map_values(stored, "../")
    matching = match_keys(values, shapes)
    by_count = sorted(values.values(), key=lambda v: (-v.declined, v.label))
    svg = county_map(shapes, values, matching, f"Declined detainers by county, {context.period}")
    html = env.get_template("report.html").render(
        root="../",
        title=f"DDOR {context.period}",
        context=context,
        meta=stored.report.report,
        report=stored.report,
        url=stored.url,
        summary=context.summary,
        previous=context.previous,
        previous_page=urls.page_for(previous["kind"], previous["period_start"]) if previous else None,
        changes=context.changes,
        map_svg=svg,
        legend=legend(),
        by_count=by_count,
        unmatched=[values[key] for key in matching.unmatched],
        statewide=[values[key] for key in matching.states],
        known_keys=known_keys,
        csv_name=downloads[0],
        xlsx_name=downloads[1],
    )
    return html, matching.unmatched


def _jurisdiction_page(
    env: Environment, key: str, rows: list[dict[str, Any]], contexts: Sequence[ReportContext]
) -> str:
    pages = {(c.stored.kind, c.stored.period_start): c for c in contexts}
    points = [
        SeriesPoint(
            label=fmt_period(row["period_start"], row["period_end"]),
            short=row["period_start"],
            issued=row["issued"],
            declined=row["declined"],
            has_policy=row["has_policy"],
        )
        for row in rows
    ]
    label = rows[0]["label"]
    return env.get_template("jurisdiction.html").render(
        root="../",
        title=label,
        label=label,
        key=key,
        rows=rows,
        report_for=lambda row: pages.get((row["kind"], row["period_start"])),
        chart=series_chart(points, f"{label}: detainers issued and declined per report"),
    )


def _index_page(env: Environment, contexts: Sequence[ReportContext], series: dict[str, list[dict[str, Any]]]) -> str:
    jurisdictions = sorted(
        (
            {
                "key": key,
                "label": rows[0]["label"],
                "declined": sum(row["declined"] for row in rows),
                "issued_reports": sum(1 for row in rows if row["issued"] is not None),
                "policy_reports": sum(1 for row in rows if row["has_policy"]),
            }
            for key, rows in series.items()
        ),
        key=lambda j: (-j["declined"], j["label"]),
    )
    return env.get_template("index.html").render(
        root="", title="Declined Detainer Outcome Reports", contexts=contexts, jurisdictions=jurisdictions
    )


# --- writing ------------------------------------------------------------------------------------


class _Writer:
    """Writes each file atomically (temp file + rename), so a host serving ``out_dir`` during a
    rebuild never sends a half-written page."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files = 0

    def directory(self, relative: str) -> Path:
        path = self.out_dir / relative
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, relative: str, data: bytes) -> None:
        target = self.out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the page from a web server's user
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self.files += 1
