"""Parsed reports and their section rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from parsers.jurisdictions import row_key
from parsers.models import Report
from storage import schema as t
from storage.base import Repository, aware, utcnow


@dataclass(frozen=True)
class StoredReport:
    id: int
    sha256: str
    url: str
    kind: str
    period_start: str
    period_end: str
    status: str
    supersedes: int | None
    report: Report
    parsed_at: dt.datetime


def _report_values(report: Report, status: str) -> dict[str, Any]:
    """The ``reports`` columns that come from a parse (shared by insert and re-parse)."""
    meta = report.report
    return {
        "kind": meta.kind,
        "title": meta.title,
        "period_start": meta.period_start,
        "period_end": meta.period_end,
        "pages": meta.pages,
        "detainers_issued": meta.detainers_issued,
        "status": status,
        "problems": json.dumps(list(report.problems)),
        "data": json.dumps(report.to_json()),
        "parsed_at": utcnow(),
    }


def _stored(row: Any) -> StoredReport:
    return StoredReport(
        id=row["id"],
        sha256=row["sha256"],
        url=row["url"],
        kind=row["kind"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        status=row["status"],
        supersedes=row["supersedes"],
        report=Report.from_json(json.loads(row["data"])),
        parsed_at=row["parsed_at"],
    )


def _save_rows(tx: Connection, report_id: int, report: Report) -> None:
    """Each section's rows; the columns are the record's fields plus the report and key."""
    sections: list[tuple[Table, list[tuple[Any, str]]]] = [
        (t.issued_rows, [(r, row_key(r.county, r.state, True)) for r in report.issued]),
        (t.declined_rows, [(r, row_key(r.county, r.state)) for r in report.declined]),
        (t.policy_rows, [(r, row_key(r.jurisdiction, r.state)) for r in report.policies]),
    ]
    for table, keyed_rows in sections:
        if keyed_rows:
            values = [
                {**asdict(row), "report_id": report_id, "seq": seq, "jurisdiction_key": key}
                for seq, (row, key) in enumerate(keyed_rows)
            ]
            tx.execute(insert(table), values)


class Reports(Repository):
    def add(self, tx: Connection, report: Report, url: str, status: str, supersedes: int | None = None) -> int:
        """A new report row with its section rows; the report it corrects becomes superseded."""
        meta = report.report
        report_id = tx.execute(
            insert(t.reports)
            .values(sha256=meta.sha256, url=url, supersedes=supersedes, **_report_values(report, status))
            .returning(t.reports.c.id)
        ).scalar_one()
        if supersedes is not None:
            tx.execute(update(t.reports).where(t.reports.c.id == supersedes).values(status="superseded"))
        _save_rows(tx, report_id, report)
        return int(report_id)

    def replace(self, tx: Connection, report_id: int, report: Report, status: str) -> None:
        """A re-parse of the same bytes: new data and rows for an existing report row."""
        tx.execute(update(t.reports).where(t.reports.c.id == report_id).values(**_report_values(report, status)))
        for table in (t.issued_rows, t.declined_rows, t.policy_rows):
            tx.execute(delete(table).where(table.c.report_id == report_id))
        _save_rows(tx, report_id, report)

    def latest_good_arrival(self) -> tuple[str, str, dt.datetime] | None:
        """(kind, period_end, parsed_at) of the good report parsed last, without loading any
        report's data: every poll asks, including the many that find nothing new."""
        query = (
            select(t.reports.c.kind, t.reports.c.period_end, t.reports.c.parsed_at)
            .where(t.reports.c.status == "good")
            .order_by(t.reports.c.parsed_at.desc())
            .limit(1)
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        parsed_at = aware(row.parsed_at)
        assert parsed_at is not None  # NOT NULL
        return row.kind, row.period_end, parsed_at

    def by_sha(self, sha256: str) -> StoredReport | None:
        with self.database.read() as connection:
            row = connection.execute(select(t.reports).where(t.reports.c.sha256 == sha256)).mappings().first()
            return _stored(row) if row else None

    def by_id(self, report_id: int) -> StoredReport | None:
        with self.database.read() as connection:
            row = connection.execute(select(t.reports).where(t.reports.c.id == report_id)).mappings().first()
            return _stored(row) if row else None

    def all(self, kind: str | None = None, statuses: Sequence[str] | None = None) -> list[StoredReport]:
        """Reports in period order (then parse order)."""
        query = select(t.reports).order_by(t.reports.c.period_start, t.reports.c.id)
        if kind:
            query = query.where(t.reports.c.kind == kind)
        if statuses:
            query = query.where(t.reports.c.status.in_(list(statuses)))
        with self.database.read() as connection:
            return [_stored(r) for r in connection.execute(query).mappings()]

    def good(self, kind: str | None = None) -> list[StoredReport]:
        """The series: reports neither suspect nor superseded, in period order."""
        return self.all(kind, statuses=("good",))
