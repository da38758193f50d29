"""Monitoring cycles (runs) and the consecutive-failure counts behind ops alerts (health)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from storage import schema as t
from storage.base import Repository, aware, upsert, utcnow


class Runs(Repository):
    def start(self, run_id: str, trigger: str) -> None:
        with self.database.transaction() as tx:
            tx.execute(insert(t.runs).values(run_id=run_id, trigger=trigger, started_at=utcnow()))

    def finish(self, run_id: str, outcome: str, stats: dict[str, Any], error: str | None = None) -> None:
        with self.database.transaction() as tx:
            tx.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(finished_at=utcnow(), outcome=outcome, stats=json.dumps(stats), error=error)
            )

    def close_unfinished(self, outcome: str, error: str) -> list[str]:
        """Mark every run still open as ended (a cycle killed before it could say so itself).
        Only call this holding the cycle lock, when no cycle can be running; returns their ids."""
        with self.database.transaction() as tx:
            open_runs = t.runs.c.finished_at.is_(None)
            ids = [row[0] for row in tx.execute(select(t.runs.c.run_id).where(open_runs))]
            ended = {"finished_at": utcnow(), "outcome": outcome, "error": error}
            tx.execute(update(t.runs).where(open_runs).values(**ended))
        return ids

    def last(self, limit: int = 10) -> list[dict[str, Any]]:
        """The newest runs first."""
        with self.database.read() as connection:
            rows = connection.execute(select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)).mappings()
            return [dict(r) for r in rows]

    def last_success(self) -> dt.datetime | None:
        with self.database.read() as connection:
            value = connection.execute(
                select(func.max(t.runs.c.started_at)).where(t.runs.c.outcome.in_(["ok", "not_modified"]))
            ).scalar()
        return aware(value)

    # --- health -------------------------------------------------------------------------------
    def health(self, check: str, tx: Connection | None = None) -> dict[str, Any]:
        """The check's failure count and alerting flag; inside ``tx`` when the caller is about
        to update it (so the count it reads is the one it replaces)."""
        if tx is None:
            with self.database.read() as connection:
                return self.health(check, connection)
        row = tx.execute(select(t.health).where(t.health.c.check_name == check)).mappings().first()
        return dict(row) if row else {"check_name": check, "consecutive_failures": 0, "alerting": 0, "last_error": None}

    def set_health(self, tx: Connection, check: str, failures: int, alerting: bool, error: str | None) -> None:
        values = {"check_name": check, "consecutive_failures": failures, "alerting": int(alerting), "last_error": error}
        upsert(tx, t.health, ["check_name"], values)
