"""Consecutive failures per check → one ops alert after N, one "resolved" note on recovery.
Modelled on urlwatch/changedetection.io: errors alert only after N failures in a row.

Checks: crawl, parse, and delivery — healthy when no alert is dead and the last drain left
nothing undelivered after failures; it resolves with the drain that delivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

from monitor.alerts import ops_failure_alert, ops_resolved_alert
from storage.store import NewAlert, Store

if TYPE_CHECKING:
    from monitor.notify import DrainResult


def record_outcome(
    store: Store, connection: Connection, check: str, ok: bool, error: str | None, run_id: str, threshold: int
) -> list[NewAlert]:
    state = store.runs.health(check, connection)
    failures, alerting = int(state["consecutive_failures"]), bool(state["alerting"])
    if ok:
        store.runs.set_health(connection, check, 0, False, None)
        return [ops_resolved_alert(check, failures, run_id)] if alerting else []
    failures += 1
    raise_alert = failures >= threshold and not alerting
    store.runs.set_health(connection, check, failures, alerting or raise_alert, error)
    return [ops_failure_alert(check, failures, error or "unknown error", run_id)] if raise_alert else []


def delivery_problem(store: Store, drain: DrainResult | None) -> str | None:
    """Why delivery is unhealthy (one line naming an alert and its error), or None."""
    dead = store.outbox.dead()
    if dead:
        return f"{len(dead)} alert(s) dead, e.g. {dead[-1].key}: {dead[-1].last_error}"
    if drain is not None and drain.pending:
        waiting = [a for a in store.outbox.alerts(states=("pending",)) if a.last_error]
        example = f", e.g. {waiting[-1].key}: {waiting[-1].last_error}" if waiting else ""
        return f"{drain.pending} alert(s) not delivered yet{example}"
    return None


def record_delivery(store: Store, drain: DrainResult | None, run_id: str, threshold: int) -> str | None:
    """Record the delivery check after a drain (ops alert after ``threshold`` failing runs,
    "resolved" when it recovers); returns the problem, or None when healthy."""
    problem = delivery_problem(store, drain)
    with store.transaction() as connection:
        alerts = record_outcome(store, connection, "delivery", problem is None, problem, run_id, threshold)
        store.outbox.add(connection, alerts)
    return problem
