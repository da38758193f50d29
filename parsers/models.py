"""Typed records a parse produces; their JSON form is ``docs/report-json.md``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["weekly", "quarterly"]
# Days between reports of each kind (weekly in 2017; quarterly from FY2018), for silences.
CADENCE_DAYS: dict[str, int] = {"weekly": 7, "quarterly": 92}
ConvictionStatus = Literal["convicted", "charged"] | None

# The parts of a report validation answers for: its three tables, and the report as a whole
# (title, period, page accounting) — a "report" problem means no section can be trusted.
SECTION_KEYS: tuple[str, ...] = ("issued", "declined", "policies")
REPORT_WIDE = "report"
_SECTION_OF_NUMBER = {"I": "issued", "II": "declined", "III": "policies"}
# Every section-level message begins with the section it names ("Section II p.4: …"); the
# scope is read back from that prefix so that problems stored before scopes existed (a flat
# list in the database) still say which section they belong to.
_SECTION_PREFIX = re.compile(r"^Section\s+(III|II|I)\b")


def problem_scope(problem: str) -> str:
    """``issued``, ``declined`` or ``policies`` for a message naming its section, else ``report``."""
    m = _SECTION_PREFIX.match(problem)
    return _SECTION_OF_NUMBER[m.group(1)] if m else REPORT_WIDE


@dataclass(frozen=True, slots=True)
class ReportMeta:
    kind: Kind
    title: str
    period_start: str
    period_end: str
    pages: int
    detainers_issued: int | None
    sha256: str


@dataclass(frozen=True, slots=True)
class IssuedRow:
    county: str
    state: str
    issued_detainers: int
    page: int


@dataclass(frozen=True, slots=True)
class DeclinedRow:
    state: str
    county: str
    facility: str
    citizenship: str
    criminal_activity: str
    conviction_status: ConvictionStatus
    detainer_issued: str | None
    detainer_declined: str | None
    page: int


@dataclass(frozen=True, slots=True)
class PolicyRow:
    jurisdiction: str
    state: str
    policy: str
    criteria: str
    date_enacted: str
    page: int


@dataclass(frozen=True, slots=True)
class Report:
    report: ReportMeta
    issued: tuple[IssuedRow, ...]
    declined: tuple[DeclinedRow, ...]
    policies: tuple[PolicyRow, ...]
    # Self-validation failures; a non-empty tuple marks the parse *suspect*.
    problems: tuple[str, ...] = field(default=())

    @property
    def suspect(self) -> bool:
        return bool(self.problems)

    def section_problems(self) -> dict[str, tuple[str, ...]]:
        """The problems keyed by ``issued``, ``declined``, ``policies`` and ``report`` (every key
        present, in that order; a key with no problem maps to an empty tuple)."""
        grouped: dict[str, list[str]] = {key: [] for key in (*SECTION_KEYS, REPORT_WIDE)}
        for problem in self.problems:
            grouped[problem_scope(problem)].append(problem)
        return {key: tuple(found) for key, found in grouped.items()}

    def unreadable_sections(self) -> frozenset[str]:
        """Sections whose rows cannot be trusted: those with a problem, or all three when the
        report as a whole has one."""
        grouped = self.section_problems()
        if grouped[REPORT_WIDE]:
            return frozenset(SECTION_KEYS)
        return frozenset(key for key in SECTION_KEYS if grouped[key])

    def to_json(self) -> dict[str, Any]:
        """The ``docs/report-json.md`` object, plus ``validation`` (allowed extra key)."""
        return {
            "report": asdict(self.report),
            "issued": [asdict(row) for row in self.issued],
            "declined": [asdict(row) for row in self.declined],
            "policies": [asdict(row) for row in self.policies],
            "validation": {
                "suspect": self.suspect,
                "problems": list(self.problems),
                "sections": self._sections_json(),
            },
        }

    def _sections_json(self) -> dict[str, dict[str, Any]]:
        unreadable = self.unreadable_sections()
        grouped = self.section_problems()
        return {key: {"ok": key not in unreadable, "problems": list(grouped[key])} for key in SECTION_KEYS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        validation = data.get("validation") or {}
        return cls(
            report=ReportMeta(**data["report"]),
            issued=tuple(IssuedRow(**row) for row in data["issued"]),
            declined=tuple(DeclinedRow(**row) for row in data["declined"]),
            policies=tuple(PolicyRow(**row) for row in data["policies"]),
            problems=tuple(validation.get("problems", ())),
        )
