"""The outbox: alerts written with the data that caused them, then claimed, posted and marked
by drainers. Every state change is one conditional UPDATE in its own transaction, naming the
state (and the claim) it expects, so concurrent drainers never both win an alert."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from storage import schema as t
from storage.base import Repository, aware, insert_new, utcnow


@dataclass(frozen=True)
class OutboxAlert:
    id: int
    key: str
    kind: str
    audience: str
    payload: dict[str, Any]
    state: str
    attempts: int
    thread_key: str | None
    slack_ts: str | None
    channel: str | None
    last_error: str | None
    in_doubt: bool = False
    first_attempt_at: dt.datetime | None = None
    channel_id: str | None = None
    claimed_by: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class NewAlert:
    key: str
    kind: str
    audience: str
    payload: dict[str, Any]
    thread_key: str | None = None


def _same(column: Any, value: Any) -> Any:
    """``column = value`` that also matches NULL to None."""
    return column.is_(None) if value is None else column == value


def _outbox_alert(row: Any) -> OutboxAlert:
    return OutboxAlert(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        audience=row["audience"],
        payload=json.loads(row["payload"]),
        state=row["state"],
        attempts=row["attempts"],
        thread_key=row["thread_key"],
        slack_ts=row["slack_ts"],
        channel=row["channel"],
        last_error=row["last_error"],
        in_doubt=bool(row["in_doubt"]),
        first_attempt_at=aware(row["first_attempt_at"]),
        channel_id=row["channel_id"],
        claimed_by=row["claimed_by"],
        created_at=aware(row["created_at"]),
    )


class Outbox(Repository):
    def add(self, tx: Connection, new_alerts: Sequence[NewAlert], report_id: int | None = None) -> int:
        """Insert alerts whose key is new; returns how many were added."""
        added = 0
        for alert in new_alerts:
            values = {
                "key": alert.key,
                "kind": alert.kind,
                "audience": alert.audience,
                "report_id": report_id,
                "thread_key": alert.thread_key,
                "payload": json.dumps(alert.payload),
                "state": "pending",
                "attempts": 0,
                "created_at": utcnow(),
            }
            added += insert_new(tx, t.alerts, ["key"], values)
        return added

    def alerts(self, states: Sequence[str] | None = None) -> list[OutboxAlert]:
        query = select(t.alerts).order_by(t.alerts.c.id)
        if states:
            query = query.where(t.alerts.c.state.in_(list(states)))
        with self.database.read() as connection:
            return [_outbox_alert(r) for r in connection.execute(query).mappings()]

    def by_key(self, key: str) -> OutboxAlert | None:
        with self.database.read() as connection:
            row = connection.execute(select(t.alerts).where(t.alerts.c.key == key)).mappings().first()
            return _outbox_alert(row) if row else None

    def _by_id(self, alert_id: int) -> OutboxAlert:
        with self.database.read() as connection:
            row = connection.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).mappings().one()
            return _outbox_alert(row)

    def _update(self, alert_id: int, owner: str | None, **values: Any) -> bool:
        """One UPDATE of an alert, only while ``owner`` still holds its claim (None: any state);
        False when someone else holds it now."""
        query = update(t.alerts).where(t.alerts.c.id == alert_id)
        if owner is not None:
            query = query.where(t.alerts.c.state == "sending", t.alerts.c.claimed_by == owner)
        with self.database.transaction() as tx:
            return tx.execute(query.values(**values)).rowcount == 1

    def claim(
        self, alert_id: int, channel: str | None = None, owner: str = "", lease_until: dt.datetime | None = None
    ) -> bool:
        """pending → sending, as one conditional UPDATE: True for the one caller that won."""
        values: dict[str, Any] = {"state": "sending", "claimed_by": owner or None, "lease_until": lease_until}
        if channel is not None:
            values["channel"] = channel
        query = update(t.alerts).where(t.alerts.c.id == alert_id, t.alerts.c.state == "pending")
        with self.database.transaction() as tx:
            return tx.execute(query.values(**values)).rowcount == 1

    def claim_next(
        self, owner: str, now: dt.datetime, lease_seconds: float, owner_is_gone: Callable[[str], bool]
    ) -> OutboxAlert | None:
        """Claim the next deliverable alert for ``owner``, or None when there is none.

        Deliverable: sending under a claim that lapsed (its lease ran out, or ``owner_is_gone``
        says its drainer died) — those first, as their doubt is oldest — then the oldest pending
        alert past its backoff. Each claim is one conditional UPDATE naming the state (and the
        old claim) it expects, so when drainers race for a row exactly one UPDATE matches it;
        a loser looks again. Nothing is claimed from a list read before another claim."""
        alerts = t.alerts
        claim = {"state": "sending", "claimed_by": owner, "lease_until": now + dt.timedelta(seconds=lease_seconds)}
        with self.database.read() as connection:
            held = connection.execute(
                select(alerts.c.id, alerts.c.claimed_by, alerts.c.lease_until)
                .where(alerts.c.state == "sending")
                .order_by(alerts.c.id)
            ).all()
        for row in held:
            lease = aware(row.lease_until)
            if not (lease is None or lease < now or (row.claimed_by and owner_is_gone(row.claimed_by))):
                continue
            # The old claim exactly as read: a drainer that renewed its lease since keeps it.
            take_over = (
                update(alerts)
                .where(
                    alerts.c.id == row.id,
                    alerts.c.state == "sending",
                    _same(alerts.c.claimed_by, row.claimed_by),
                    _same(alerts.c.lease_until, row.lease_until),
                )
                .values(**claim)
            )
            with self.database.transaction() as tx:
                if tx.execute(take_over).rowcount == 1:
                    return self._by_id(row.id)
        due = and_(
            alerts.c.state == "pending", or_(alerts.c.next_attempt_at.is_(None), alerts.c.next_attempt_at <= now)
        )
        oldest_due = select(alerts.c.id).where(due).order_by(alerts.c.id).limit(1).scalar_subquery()
        take = update(alerts).where(alerts.c.id == oldest_due, due).values(**claim).returning(alerts.c.id)
        while True:
            with self.database.transaction() as tx:
                won = tx.execute(take).scalar()
                if won is None and tx.execute(select(alerts.c.id).where(due).limit(1)).first() is None:
                    return None
            if won is not None:
                return self._by_id(int(won))
            # PostgreSQL: another drainer took the same row first (ours re-checked and
            # matched nothing); SQLite's write lock makes this branch unreachable there.

    def renew_claim(self, alert_id: int, owner: str, lease_until: dt.datetime) -> bool:
        return self._update(alert_id, owner, lease_until=lease_until)

    def record_attempt(
        self, alert_id: int, owner: str, channel: str, now: dt.datetime, lease_until: dt.datetime
    ) -> bool:
        """Written *before* the post: from here until Slack's answer, the alert is in doubt.
        It renews the claim too (one commit fewer per post)."""
        return self._update(
            alert_id,
            owner,
            lease_until=lease_until,
            attempts=t.alerts.c.attempts + 1,
            in_doubt=1,
            channel=channel,
            first_attempt_at=func.coalesce(t.alerts.c.first_attempt_at, now),
        )

    def set_in_doubt(self, alert_id: int, owner: str, in_doubt: bool, error: str | None = None) -> bool:
        values: dict[str, Any] = {"in_doubt": int(in_doubt)}
        if error is not None:
            values["last_error"] = error
        return self._update(alert_id, owner, **values)

    def mark_sent(
        self, alert_id: int, slack_ts: str | None, channel_id: str | None = None, owner: str | None = None
    ) -> bool:
        return self._update(
            alert_id,
            owner,
            state="sent",
            slack_ts=slack_ts,
            channel_id=channel_id or t.alerts.c.channel_id,
            sent_at=utcnow(),
            last_error=None,
            in_doubt=0,
            claimed_by=None,
            lease_until=None,
        )

    def release(
        self,
        alert_id: int,
        owner: str,
        error: str | None,
        not_before: dt.datetime | None,
        channel_id: str | None = None,
    ) -> bool:
        """Back to pending for a later drain (its doubt, if any, is kept and resolved first)."""
        return self._update(
            alert_id,
            owner,
            state="pending",
            last_error=error,
            next_attempt_at=not_before,
            channel_id=channel_id or t.alerts.c.channel_id,
            claimed_by=None,
            lease_until=None,
        )

    def mark_failed(
        self, alert_id: int, error: str, dead: bool, owner: str | None = None, in_doubt: bool | None = None
    ) -> bool:
        values: dict[str, Any] = {
            "state": "dead" if dead else "pending",
            "last_error": error,
            "claimed_by": None,
            "lease_until": None,
        }
        if in_doubt is not None:
            values["in_doubt"] = int(in_doubt)
        return self._update(alert_id, owner, **values)

    def known_channel_id(self, channel: str) -> str | None:
        """The Slack ID a post to ``channel`` (a name) answered with before, if any."""
        query = (
            select(t.alerts.c.channel_id)
            .where(t.alerts.c.channel == channel, t.alerts.c.channel_id.is_not(None))
            .order_by(t.alerts.c.id.desc())
            .limit(1)
        )
        with self.database.read() as connection:
            value = connection.execute(query).scalar()
        return str(value) if value else None

    def requeue_dead(self, keys: Sequence[str] = ()) -> list[str]:
        """Dead alerts (all, or those keys) back to pending with a fresh time budget; returns
        the keys re-queued. Doubt is kept: an alert that died unsure whether Slack had it is
        looked up before it is posted again."""
        with self.database.transaction() as tx:
            query = select(t.alerts.c.key).where(t.alerts.c.state == "dead").order_by(t.alerts.c.id)
            if keys:
                query = query.where(t.alerts.c.key.in_(list(keys)))
            found = list(tx.execute(query).scalars())
            if found:
                tx.execute(
                    update(t.alerts)
                    .where(t.alerts.c.key.in_(found), t.alerts.c.state == "dead")
                    .values(state="pending", first_attempt_at=None, next_attempt_at=None, attempts=0)
                )
        return found

    def dead(self) -> list[OutboxAlert]:
        return self.alerts(states=("dead",))

    def counts(self) -> dict[str, int]:
        """How many alerts are in each state."""
        with self.database.read() as connection:
            rows = connection.execute(select(t.alerts.c.state, func.count()).group_by(t.alerts.c.state))
            return {state: int(count) for state, count in rows}
