"""Where a report stands in its series: weekly and quarterly reports are separate series, and
a report is compared with the latest one of its kind that ended before it started.

Pure functions over anything that has a kind and a period (a stored report, a parsed report's
metadata), so the CLI, the cycle, backfill and the site all make the same choice."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class InSeries(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def period_start(self) -> str: ...

    @property
    def period_end(self) -> str: ...


R = TypeVar("R", bound=InSeries)


def earlier_in_series(reports: Iterable[R], report: InSeries) -> list[R]:
    """The reports of ``report``'s kind whose period ended before it started, oldest first.
    (Never ``report`` itself: a period ends on or after the day it starts.)"""
    return sorted(
        (r for r in reports if r.kind == report.kind and r.period_end < report.period_start),
        key=lambda r: r.period_start,
    )


def previous_in_series(reports: Iterable[R], report: InSeries) -> R | None:
    """The report ``report`` is compared with: the latest of its kind that ended before it
    started (of two with the same start, the one listed last), or None for a baseline."""
    earlier = earlier_in_series(reports, report)
    return earlier[-1] if earlier else None


def series_before(reports: Iterable[R], report: InSeries) -> list[R]:
    """What the series held when ``report`` joined it, for a replay of the stored history:
    the reports of its kind that start before it, oldest first. Unlike
    :func:`earlier_in_series` this keeps an overlapping earlier report, as a live run had it."""
    return sorted(
        (r for r in reports if r.kind == report.kind and r.period_start < report.period_start),
        key=lambda r: r.period_start,
    )
