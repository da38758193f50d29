"""What the research commands show from the stored history: the changes between two reports
(``ddor diff``) and the alerts today's rules would have produced (``ddor replay``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from monitor.alerts import new_report_outcome, notable_changes
from monitor.diff import diff_reports
from monitor.rules import Thresholds
from monitor.series import InSeries, series_before
from parsers.models import Report


class StoredInSeries(InSeries, Protocol):
    """A stored report as these functions read it (``storage.store.StoredReport``)."""

    @property
    def url(self) -> str: ...

    @property
    def report(self) -> Report: ...


def changes_between(old: Report, new: Report, rules: Thresholds, show_all: bool) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new`` as JSON: the notable ones, most important first, or
    with ``show_all`` every change (with its delta and an empty reason, as nothing was judged)."""
    if show_all:
        return [{**change.to_json(), "delta": change.delta, "reason": ""} for change in diff_reports(old, new)]
    notable, _ = notable_changes(old, new, rules)
    return notable


def replay_alerts(good: Sequence[StoredInSeries], since: str, rules: Thresholds, trailing: int) -> list[dict[str, Any]]:
    """The alerts ``rules`` would have produced for each good report starting on or after
    ``since`` (an ISO date), each against the series as it stood when the report joined it."""
    produced: list[dict[str, Any]] = []
    for stored in good:
        if stored.period_start < since:
            continue
        series = [(earlier.report, earlier.url) for earlier in series_before(good, stored)]
        # The decision a live run makes for a new report (ddor/ingest.py), so a replay shows
        # exactly what the current rules would have queued, withheld sections included.
        _, alerts = new_report_outcome(stored.report, stored.url, series, rules, trailing)
        for alert in alerts:
            produced.append({"key": alert.key, "kind": alert.kind, "payload": alert.payload})
    return produced
