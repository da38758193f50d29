"""Typed records a parse produces; their JSON form is ``report-json.md``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["weekly", "quarterly"]
ConvictionStatus = Literal["convicted", "charged"] | None


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

    def to_json(self) -> dict[str, Any]:
        """The ``report-json.md`` object, plus ``validation`` (allowed extra key)."""
        return {
            "report": asdict(self.report),
            "issued": [asdict(row) for row in self.issued],
            "declined": [asdict(row) for row in self.declined],
            "policies": [asdict(row) for row in self.policies],
            "validation": {"suspect": self.suspect, "problems": list(self.problems)},
        }

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
