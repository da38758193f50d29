"""Two reports → what changed, per jurisdiction (canonical key) and nationally. Pure.

Section I lists only the top jurisdictions, so a county missing from it is "not in the
table", never zero; Section II is the complete list of declines, so a county missing from it
declined none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from parsers.jurisdictions import display_name, row_key
from parsers.models import Report


@dataclass(frozen=True)
class Change:
    kind: str  # issued | declined | policy_added | policy_removed | policy_changed
    key: str
    label: str
    old: int | str | None
    new: int | str | None
    page: int | None = None
    detail: str = ""

    @property
    def delta(self) -> int:
        old = self.old if isinstance(self.old, int) else 0
        new = self.new if isinstance(self.new, int) else 0
        return new - old

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# Cities that span several counties. Section II lists each borough's county; readers (and
# Section III, which keys "New York City") think of the city. The roll-up is added beside
# the counties, never instead of them.
ROLLUPS: dict[str, tuple[str, frozenset[str]]] = {
    "NY:new york city": (
        "New York City (5 boroughs), NY",
        frozenset({"NY:new york", "NY:kings", "NY:queens", "NY:bronx", "NY:richmond"}),
    ),
}


@dataclass(frozen=True)
class Aggregates:
    issued: dict[str, tuple[int, str, int]]  # key → (count, label, page)
    declined: dict[str, tuple[int, str, int]]
    policies: dict[str, tuple[Counter[tuple[str, str, str]], str, int]]


def aggregate(report: Report) -> Aggregates:
    issued: dict[str, tuple[int, str, int]] = {}
    for row in report.issued:
        key = row_key(row.county, row.state, bare_county=True)
        count = issued.get(key, (0, "", row.page))[0] + row.issued_detainers
        issued[key] = (count, display_name(row.county, row.state, bare_county=True), row.page)
    declined: dict[str, tuple[int, str, int]] = {}
    for person in report.declined:
        key = row_key(person.county, person.state)
        previous = declined.get(key)
        declined[key] = (
            (previous[0] if previous else 0) + 1,
            display_name(person.county, person.state),
            previous[2] if previous else person.page,
        )
    for rollup, (label, members) in ROLLUPS.items():
        parts = [declined[key] for key in members if key in declined]
        if parts:
            declined[rollup] = (sum(p[0] for p in parts), label, min(p[2] for p in parts))
    policies: dict[str, tuple[Counter[tuple[str, str, str]], str, int]] = {}
    for policy in report.policies:
        key = row_key(policy.jurisdiction, policy.state)
        entry = policies.setdefault(key, (Counter(), display_name(policy.jurisdiction, policy.state), policy.page))
        entry[0][(policy.policy, policy.criteria, policy.date_enacted)] += 1
    return Aggregates(issued, declined, policies)


def diff_reports(old: Report, new: Report) -> list[Change]:
    """Every per-jurisdiction change from ``old`` to ``new`` (notability is decided later)."""
    before, after = aggregate(old), aggregate(new)
    changes: list[Change] = []
    for key in sorted(set(before.issued) | set(after.issued)):
        was, now = before.issued.get(key), after.issued.get(key)
        if (was[0] if was else None) != (now[0] if now else None):
            label = (now or was)[1]  # type: ignore[index]
            changes.append(
                Change("issued", key, label, was[0] if was else None, now[0] if now else None, now[2] if now else None)
            )
    for key in sorted(set(before.declined) | set(after.declined)):
        was_d, now_d = before.declined.get(key), after.declined.get(key)
        old_count, new_count = (was_d[0] if was_d else 0), (now_d[0] if now_d else 0)
        if old_count != new_count:
            label = (now_d or was_d)[1]  # type: ignore[index]
            changes.append(Change("declined", key, label, old_count, new_count, now_d[2] if now_d else None))
    for key in sorted(set(before.policies) | set(after.policies)):
        was_p, now_p = before.policies.get(key), after.policies.get(key)
        if was_p is None and now_p is not None:
            changes.append(Change("policy_added", key, now_p[1], None, _policy_text(now_p[0]), now_p[2]))
        elif now_p is None and was_p is not None:
            changes.append(Change("policy_removed", key, was_p[1], _policy_text(was_p[0]), None))
        elif was_p is not None and now_p is not None and was_p[0] != now_p[0]:
            changes.append(
                Change("policy_changed", key, now_p[1], _policy_text(was_p[0]), _policy_text(now_p[0]), now_p[2])
            )
    return changes


def _policy_text(rows: Counter[tuple[str, str, str]]) -> str:
    return " | ".join(policy for policy, _criteria, _date in sorted(rows))


@dataclass(frozen=True)
class RowChange:
    section: str
    change: str  # added | removed
    row: dict[str, Any]


def section_row_key(section: str, row: dict[str, Any]) -> str:
    """The jurisdiction key of a row of ``section`` (as ``RowChange.row`` holds it), the same
    key the aggregates use: Section I's rows are counties, Section II's name county and state,
    Section III's a jurisdiction."""
    if section == "issued":
        return row_key(row["county"], row["state"], bare_county=True)
    if section == "policies":
        return row_key(row["jurisdiction"], row["state"])
    return row_key(row["county"], row["state"])


def diff_rows(old: Report, new: Report) -> list[RowChange]:
    """Row-level differences between two parses of the *same* report (a correction)."""
    changes: list[RowChange] = []
    for section in ("issued", "declined", "policies"):

        def rows(report: Report, name: str = section) -> Counter[tuple[tuple[str, Any], ...]]:
            return Counter(tuple((k, v) for k, v in asdict(r).items() if k != "page") for r in getattr(report, name))

        before, after = rows(old), rows(new)
        for row, count in (before - after).items():
            changes.extend(RowChange(section, "removed", dict(row)) for _ in range(count))
        for row, count in (after - before).items():
            changes.extend(RowChange(section, "added", dict(row)) for _ in range(count))
    return changes
