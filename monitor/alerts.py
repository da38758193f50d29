"""Alerts are data: typed payloads with deterministic keys, built by pure functions.

Keys: ``<sha256>:baseline``, ``<sha256>:digest``, ``<sha256>:route:<channel>``, ``<sha256>:suspect``,
``<new sha256>:correction:<old sha256>`` (and ``…:route:<channel>`` for a desk it touches),
``note:<text digest>``, ``ops:<check>:<state>:<run>``.
A key is unique in the outbox, so re-running a cycle can never queue an alert twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from monitor import sections
from monitor.diff import ROLLUPS, Change, aggregate, diff_reports, diff_rows, section_row_key
from monitor.rules import Route, RouteScope, Thresholds, route_scopes, why_notable
from monitor.series import earlier_in_series
from monitor.summary import summarize
from parsers.jurisdictions import row_key
from parsers.models import CADENCE_DAYS, Report
from storage.store import NewAlert

_KIND_ORDER = {"declined": 0, "issued": 1, "policy_added": 2, "policy_removed": 3, "policy_changed": 4}


@dataclass(frozen=True)
class SeriesContext:
    """Where the new report sits in its series (weekly or quarterly)."""

    previous_period: tuple[str, str] | None
    missing_periods: tuple[tuple[str, str], ...] = ()
    out_of_order: bool = False
    later_period: tuple[str, str] | None = None


def report_ref(report: Report, url: str) -> dict[str, Any]:
    meta = report.report
    return {
        "period_start": meta.period_start,
        "period_end": meta.period_end,
        "kind": meta.kind,
        "title": meta.title,
        "url": url,
        "sha256": meta.sha256,
        "pages": meta.pages,
    }


def missing_periods(previous_end: str, new_start: str, kind: str) -> tuple[tuple[str, str], ...]:
    """Periods with no report between two consecutive reports of a series."""
    gap_start = dt.date.fromisoformat(previous_end) + dt.timedelta(days=1)
    new_first = dt.date.fromisoformat(new_start)
    if gap_start >= new_first:
        return ()
    if kind != "weekly":
        return ((gap_start.isoformat(), (new_first - dt.timedelta(days=1)).isoformat()),)
    gaps = []
    while gap_start < new_first:
        end = min(gap_start + dt.timedelta(days=CADENCE_DAYS["weekly"] - 1), new_first - dt.timedelta(days=1))
        gaps.append((gap_start.isoformat(), end.isoformat()))
        gap_start = end + dt.timedelta(days=1)
    return tuple(gaps)


def _order(change: Change) -> tuple[int, int, str]:
    return (_KIND_ORDER.get(change.kind, 9), -abs(change.delta), change.label)


def notable_changes(
    old: Report,
    new: Report,
    rules: Thresholds,
    history: dict[str, list[int]] | None = None,
    only: Collection[str] = sections.SECTIONS,
) -> tuple[list[dict[str, Any]], int]:
    """The notable changes as JSON (most important first) and the count of all changes, from
    the sections in ``only`` that both reports could read (a withheld section is never diffed)."""
    unread = [w["section"] for w in sections.withheld(old, new)]
    changes = sections.keep_readable(sections.only_sections(diff_reports(old, new), only), unread)
    notable = []
    for change in sorted(changes, key=_order):
        reason = why_notable(change, rules, (history or {}).get(f"{change.kind}:{change.key}", ()))
        if reason:
            notable.append({**change.to_json(), "reason": reason, "delta": change.delta})
    return notable, len(changes)


def _with_withheld(payload: dict[str, Any], previous: Report | None, report: Report) -> dict[str, Any]:
    """The payload plus the sections left out and why (the key only when there are some, so a
    fully readable report's payload is as it always was)."""
    left_out = sections.withheld(previous, report)
    return {**payload, "withheld": left_out} if left_out else payload


def baseline_alert(report: Report, url: str) -> NewAlert:
    return NewAlert(
        f"{report.report.sha256}:baseline",
        "baseline",
        "content",
        _with_withheld(
            {"kind": "baseline", "report": report_ref(report, url), "summary": summarize(report)}, None, report
        ),
    )


def withheld_alert(report: Report, url: str) -> NewAlert:
    """Ops: which sections of a new report could not be read, with every problem found."""
    problems = report.section_problems()
    unread = {section: list(problems[section]) for section in sections.unreadable(report)}
    return NewAlert(
        f"{report.report.sha256}:withheld",
        "withheld",
        "ops",
        {"kind": "withheld", "report": report_ref(report, url), "sections": unread},
    )


def recovered_alert(
    report: Report, url: str, previous: Report, sections_read: Collection[str], rules: Thresholds, digest_key: str
) -> NewAlert:
    """The changes of sections a new parser now reads, once, in the thread of the report's digest."""
    read = sorted(sections_read, key=sections.SECTIONS.index)
    notable, total = notable_changes(previous, report, rules, only=read)
    return NewAlert(
        f"{report.report.sha256}:recovered:{'+'.join(read)}",
        "recovered",
        "content",
        {
            "kind": "recovered",
            "report": report_ref(report, url),
            "sections": [sections.HEADINGS[s] for s in read],
            "changes": notable,
            "all_changes": total,
        },
        thread_key=digest_key,
    )


def digest_alert(
    report: Report,
    url: str,
    previous: Report,
    previous_url: str,
    rules: Thresholds,
    context: SeriesContext,
    history: dict[str, list[int]] | None = None,
) -> NewAlert:
    notable, total = notable_changes(previous, report, rules, history)
    return NewAlert(
        digest_key(report.report.sha256),
        "digest",
        "content",
        _with_withheld(
            {
                "kind": "digest",
                "report": report_ref(report, url),
                "previous": {**report_ref(previous, previous_url), "summary": summarize(previous)},
                "summary": summarize(report),
                "changes": notable,
                "all_changes": total,
                "missing_periods": [list(p) for p in context.missing_periods],
                "out_of_order": context.out_of_order,
                "later_period": list(context.later_period) if context.later_period else None,
                "watched_rows": watched_rows(report, rules.watch),
            },
            previous,
            report,
        ),
    )


def watched_rows(report: Report, watch: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every Section II row of each watched jurisdiction, for the digest's thread."""
    if not watch:
        return {}
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in report.declined:
        key = row_key(row.county, row.state)
        if key in watch:
            rows.setdefault(key, []).append(asdict(row))
    return rows


def correction_alert(original: Report, corrected: Report, url: str, original_key: str) -> NewAlert:
    unread = set(sections.unreadable(original)) | set(sections.unreadable(corrected))
    rows = [asdict(change) for change in diff_rows(original, corrected) if change.section not in unread]
    return NewAlert(
        f"{corrected.report.sha256}:correction:{original.report.sha256}",
        "correction",
        "content",
        {
            "kind": "correction",
            "report": report_ref(corrected, url),
            "original_sha256": original.report.sha256,
            "row_changes": rows,
            "summary": summarize(corrected),
            "original_summary": summarize(original),
        },
        thread_key=original_key,
    )


def route_correction_alerts(
    correction: NewAlert, routes: Sequence[Route], queued: Callable[[str], bool]
) -> list[NewAlert]:
    """A correction for each desk whose scope it touches, with only its rows, threaded under
    that desk's digest of the original when there was one: a desk that was told a number
    must be told when ICE corrects it. The key is one per (correction, channel)."""
    payload = correction.payload
    original = payload["original_sha256"]
    alerts = []
    for scope in route_scopes(routes):
        rows = [c for c in payload["row_changes"] if scope.covers(section_row_key(c["section"], c["row"]))]
        if not rows:
            continue
        desk_digest = f"{original}:route:{scope.channel}"
        alerts.append(
            NewAlert(
                f"{correction.key}:route:{scope.channel}",
                "correction",
                "content",
                {**payload, "channel": scope.channel, "row_changes": rows},
                thread_key=desk_digest if queued(desk_digest) else None,
            )
        )
    return alerts


def suspect_alert(report: Report, url: str) -> NewAlert:
    return NewAlert(
        f"{report.report.sha256}:suspect",
        "suspect",
        "ops",
        {"kind": "suspect", "report": report_ref(report, url), "problems": list(report.problems)},
    )


def note_alert(text: str, date_line: str | None, url: str | None) -> NewAlert:
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:32]
    return NewAlert(
        f"note:{digest}", "note", "content", {"kind": "note", "text": text, "date_line": date_line, "url": url}
    )


def ops_failure_alert(check: str, failures: int, error: str, run_id: str) -> NewAlert:
    return NewAlert(
        f"ops:{check}:failing:{run_id}",
        "ops_failure",
        "ops",
        {"kind": "ops_failure", "check": check, "failures": failures, "error": error},
    )


def ops_resolved_alert(check: str, failures: int, run_id: str) -> NewAlert:
    return NewAlert(
        f"ops:{check}:resolved:{run_id}",
        "ops_resolved",
        "ops",
        {"kind": "ops_resolved", "check": check, "failures": failures},
    )


def quarantine_alert(sha256: str, url: str, kind: str, message: str) -> NewAlert:
    return NewAlert(
        f"{sha256}:quarantined",
        "quarantined",
        "ops",
        {"kind": "quarantined", "sha256": sha256, "url": url, "error_kind": kind, "message": message},
    )


def silence_alert(last_period_end: str, days: int, kind: str) -> NewAlert:
    return NewAlert(
        f"silence:{kind}:{last_period_end}",
        "silence",
        "content",
        {"kind": "silence", "series": kind, "last_period_end": last_period_end, "days": days},
    )


def silence_alerts(
    latest: tuple[str, str, dt.datetime] | None, now: dt.datetime, after_cadences: float
) -> list[NewAlert]:
    """One informational alert when no new report arrived for ``after_cadences`` × the cadence
    since the latest good one (``latest``: its kind, period end and arrival); its key names
    that report, so one silence is told once."""
    if latest is None:
        return []
    kind, period_end, parsed_at = latest
    days = (now - parsed_at).days
    if days < after_cadences * CADENCE_DAYS.get(kind, CADENCE_DAYS["quarterly"]):
        return []
    return [silence_alert(period_end, days, kind)]


def history_by_key(reports: Sequence[Report], k: int) -> dict[str, list[int]]:
    """The last ``k`` values of each (kind, key) series, for the trailing-mean baseline."""
    series: dict[str, list[int]] = {}
    for report in reports[-k:]:
        aggregates = aggregate(report)
        for key, (count, _label, _page) in aggregates.declined.items():
            series.setdefault(f"declined:{key}", []).append(count)
        for key, (count, _label, _page) in aggregates.issued.items():
            series.setdefault(f"issued:{key}", []).append(count)
    return series


def alerts_for_new_report(
    report: Report, url: str, series: Sequence[tuple[Report, str]], rules: Thresholds, trailing: int
) -> list[NewAlert]:
    """The content alert for a report joining its series (the good reports of its kind):
    a baseline when nothing earlier exists, else a digest against the latest earlier one,
    saying which periods are missing and whether it arrived out of order."""
    start = report.report.period_start
    by_meta = {item[0].report: item for item in series}
    earlier = [by_meta[meta] for meta in earlier_in_series(by_meta, report.report)]
    later = sorted(
        (item for item in series if item[0].report.period_start > start), key=lambda item: item[0].report.period_start
    )
    if not earlier:
        return [baseline_alert(report, url)]
    previous, previous_url = earlier[-1]
    context = SeriesContext(
        previous_period=(previous.report.period_start, previous.report.period_end),
        missing_periods=missing_periods(previous.report.period_end, start, report.report.kind),
        out_of_order=bool(later),
        later_period=(later[0][0].report.period_start, later[0][0].report.period_end) if later else None,
    )
    history = history_by_key([r for r, _ in earlier], trailing)
    digest = digest_alert(report, url, previous, previous_url, rules, context, history)
    digest.payload["chart"] = top_series([r for r, _ in earlier] + [report])
    return [digest, *route_alerts(digest, rules.routes)]


def route_alerts(digest: NewAlert, routes: Sequence[Route]) -> list[NewAlert]:
    """One short digest per route whose scope has a notable change in ``digest``, in the
    order the routes are configured; a route with nothing in scope gets no alert."""
    alerts = []
    for scope in route_scopes(routes):
        changes = [change for change in digest.payload["changes"] if scope.covers(change["key"])]
        if changes:
            alerts.append(route_alert(digest, scope, changes))
    return alerts


def route_alert(digest: NewAlert, scope: RouteScope, changes: list[dict[str, Any]]) -> NewAlert:
    """The route's digest: the main digest's report and national summary (for the headline)
    and the in-scope changes. The channel travels in the payload, so the outbox delivers it
    there even after ``alerts.routes`` is edited; the key is one per (report, channel)."""
    payload = digest.payload
    previous = payload["previous"]
    return NewAlert(
        f"{payload['report']['sha256']}:route:{scope.channel}",
        "route_digest",
        "content",
        {
            "kind": "route_digest",
            "channel": scope.channel,
            "scope": {"states": sorted(scope.states), "jurisdictions": sorted(scope.keys)},
            "report": payload["report"],
            "previous": {"period_start": previous["period_start"], "period_end": previous["period_end"]},
            "summary": payload["summary"],
            "changes": changes,
        },
    )


def top_series(reports: Sequence[Report], top: int = 5) -> dict[str, Any]:
    """Declined counts of the latest report's top jurisdictions across ``reports`` (for the chart)."""
    aggregates = [aggregate(r).declined for r in reports]
    latest = aggregates[-1]
    keys = sorted((k for k in latest if k not in ROLLUPS), key=lambda k: (-latest[k][0], k))[:top]
    return {
        "periods": [r.report.period_end for r in reports],
        "lines": [{"label": latest[k][1], "values": [a.get(k, (0, "", 0))[0] for a in aggregates]} for k in keys],
    }


def sample_route_alert(sample_digest: NewAlert, routes: Sequence[Route], channel: str) -> NewAlert:
    """``ddor alert test --route CHANNEL``: that route's digest built from a sample digest —
    its in-scope changes, or all of them when none is in scope, so the test always shows a
    realistic message. A channel no route names is a ``LookupError``."""
    scopes = {scope.channel: scope for scope in route_scopes(routes)}
    scope = scopes.get(channel.strip())
    if scope is None:
        known = ", ".join(scopes) or "none"
        raise LookupError(f"no route in alerts.routes has channel {channel!r} (configured: {known})")
    changes = sample_digest.payload["changes"]
    return route_alert(sample_digest, scope, [c for c in changes if scope.covers(c["key"])] or list(changes))


def digest_key(sha256: str) -> str:
    return f"{sha256}:digest"


def thread_key(sha256: str, queued: Callable[[str], bool]) -> str:
    """The key a later message about this report threads under: its digest, or its baseline
    when it was the first of its series (``queued``: is a key in the outbox)."""
    baseline = f"{sha256}:baseline"
    return baseline if not queued(digest_key(sha256)) and queued(baseline) else digest_key(sha256)


def correction_outcome(
    original: Report, corrected: Report, url: str, rules: Thresholds, queued: Callable[[str], bool]
) -> tuple[str, list[NewAlert]]:
    """A correction's stored status and its alerts: as for a new report, held whole only when
    nothing in it can be trusted, an unreadable section withheld while the readable ones post.
    The main channel's correction threads under the original's first message; each desk in
    ``rules.routes`` that it touches gets its own (``queued``: is a key in the outbox)."""
    if sections.is_held(corrected):
        return "suspect", [suspect_alert(corrected, url)]
    correction = correction_alert(original, corrected, url, thread_key(original.report.sha256, queued))
    alerts = [correction, *route_correction_alerts(correction, rules.routes, queued)]
    if sections.unreadable(corrected):
        alerts.append(withheld_alert(corrected, url))
    return "good", alerts


def new_report_outcome(
    report: Report, url: str, series: Sequence[tuple[Report, str]], rules: Thresholds, trailing: int
) -> tuple[str, list[NewAlert]]:
    """A new report's stored status and its alerts. Held whole (nothing in it can be trusted):
    *suspect* and an ops alert only. Otherwise *good* and its content alert, plus an ops alert
    naming any section withheld from the diff."""
    if sections.is_held(report):
        return "suspect", [suspect_alert(report, url)]
    alerts = alerts_for_new_report(report, url, series, rules, trailing)
    if sections.unreadable(report):
        alerts.append(withheld_alert(report, url))
    return "good", alerts
