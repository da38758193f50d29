"""Consecutive failures per check → one ops alert after N, one "resolved" note on recovery.
Modelled on urlwatch/changedetection.io: errors alert only after N failures in a row."""

from __future__ import annotations

from sqlalchemy import Connection

from monitor.alerts import ops_failure_alert, ops_resolved_alert
from storage.store import NewAlert, Store


def record_outcome(
    store: Store, connection: Connection, check: str, ok: bool, error: str | None, run_id: str, threshold: int
) -> list[NewAlert]:
    state = store.health(check, connection)
    failures, alerting = int(state["consecutive_failures"]), bool(state["alerting"])
    if ok:
        store.set_health(connection, check, 0, False, None)
        return [ops_resolved_alert(check, failures, run_id)] if alerting else []
    failures += 1
    raise_alert = failures >= threshold and not alerting
    store.set_health(connection, check, failures, alerting or raise_alert, error)
    return [ops_failure_alert(check, failures, error or "unknown error", run_id)] if raise_alert else []
