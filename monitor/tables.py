"""Research tables from the stored series (pure): release cases, per-jurisdiction series,
the policy table with first/last seen. The CLI's ``export`` and ``history`` print them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.diff import aggregate
from parsers.jurisdictions import row_key
from parsers.models import Report

RELEASE_COLUMNS = [
    "period_start",
    "period_end",
    "kind",
    "jurisdiction_key",
    "state",
    "county",
    "facility",
    "citizenship",
    "criminal_activity",
    "conviction_status",
    "detainer_issued",
    "detainer_declined",
    "page",
    "report_sha256",
]
SERIES_COLUMNS = ["jurisdiction_key", "label", "kind", "period_start", "period_end", "issued", "declined", "has_policy"]
POLICY_COLUMNS = [
    "jurisdiction_key",
    "jurisdiction",
    "state",
    "policy",
    "criteria",
    "date_enacted",
    "first_seen",
    "last_seen",
    "reports",
]


def release_rows(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """One row per released person (Section II record), with its report's period."""
    rows = []
    for report in reports:
        meta = report.report
        for row in report.declined:
            rows.append(
                {
                    "period_start": meta.period_start,
                    "period_end": meta.period_end,
                    "kind": meta.kind,
                    "jurisdiction_key": row_key(row.county, row.state),
                    "state": row.state,
                    "county": row.county,
                    "facility": row.facility,
                    "citizenship": row.citizenship,
                    "criminal_activity": row.criminal_activity,
                    "conviction_status": row.conviction_status or "",
                    "detainer_issued": row.detainer_issued or "",
                    "detainer_declined": row.detainer_declined or "",
                    "page": row.page,
                    "report_sha256": meta.sha256,
                }
            )
    return rows


def series_rows(reports: Sequence[Report], only_key: str | None = None) -> list[dict[str, Any]]:
    """Per jurisdiction and report: issued (None when not in Section I's top list), declined
    (0 when absent: Section II is complete) and whether Section III lists a policy."""
    aggregates = [(report, aggregate(report)) for report in reports]
    keys = sorted({k for _, a in aggregates for k in (*a.issued, *a.declined, *a.policies)})
    labels: dict[str, str] = {}
    for _, a in aggregates:
        for table in (a.issued, a.declined, a.policies):
            for key, value in table.items():
                labels.setdefault(key, value[1])
    rows = []
    for key in keys:
        if only_key and key != only_key:
            continue
        for report, a in aggregates:
            rows.append(
                {
                    "jurisdiction_key": key,
                    "label": labels[key],
                    "kind": report.report.kind,
                    "period_start": report.report.period_start,
                    "period_end": report.report.period_end,
                    "issued": a.issued[key][0] if key in a.issued else None,
                    "declined": a.declined[key][0] if key in a.declined else 0,
                    "has_policy": key in a.policies,
                }
            )
    return rows


def policy_rows(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Each distinct policy row with the first and last report periods that listed it."""
    seen: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for report in sorted(reports, key=lambda r: r.report.period_start):
        for row in report.policies:
            ident = (row_key(row.jurisdiction, row.state), row.state, row.policy, row.criteria, row.date_enacted)
            entry = seen.setdefault(
                ident,
                {
                    "jurisdiction_key": ident[0],
                    "jurisdiction": row.jurisdiction,
                    "state": row.state,
                    "policy": row.policy,
                    "criteria": row.criteria,
                    "date_enacted": row.date_enacted,
                    "first_seen": report.report.period_start,
                    "last_seen": report.report.period_end,
                    "reports": 0,
                },
            )
            if entry["last_seen"] != report.report.period_end or entry["reports"] == 0:
                entry["reports"] += 1
            entry["last_seen"] = report.report.period_end
    return list(seen.values())
