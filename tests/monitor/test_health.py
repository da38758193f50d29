"""The health check's outcome as a unit (monitor/health.py): N failures in a row raise one
ops alert, recovery one "resolved" note; delivery is unhealthy while an alert is dead or a
drain left alerts undelivered after failures. The same runs end to end in
tests/monitor/test_delivery_health.py; here each rule is checked on its own, on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.health import delivery_problem, record_delivery, record_outcome
from monitor.notify import DrainResult
from storage import NewAlert, Store
from tests.conftest import storage_url


@pytest.fixture
def store(tmp_path: Path) -> Store:
    result = Store(storage_url(tmp_path))
    result.upgrade()
    return result


def outcome(store: Store, ok: bool, run_id: str, threshold: int = 2, error: str | None = "HTTP 500") -> list[str]:
    """Record one run's outcome of the ``crawl`` check; the keys of the ops alerts it raises."""
    with store.transaction() as connection:
        alerts = record_outcome(store, connection, "crawl", ok, None if ok else error, run_id, threshold)
    return [alert.key for alert in alerts]


def test_failures_below_the_threshold_raise_nothing_but_are_counted(store: Store) -> None:
    assert outcome(store, False, "r1", threshold=3) == []
    assert outcome(store, False, "r2", threshold=3, error="listing page: timeout") == []
    state = store.runs.health("crawl")
    assert state["consecutive_failures"] == 2 and not state["alerting"]
    assert state["last_error"] == "listing page: timeout"


def test_the_nth_failure_in_a_row_raises_one_alert_and_later_failures_none(store: Store) -> None:
    assert outcome(store, False, "r1") == []
    assert outcome(store, False, "r2") == ["ops:crawl:failing:r2"]
    assert outcome(store, False, "r3") == [], "one alert per outage, not one per failed run"
    state = store.runs.health("crawl")
    assert state["consecutive_failures"] == 3 and state["alerting"]


def test_the_alert_carries_the_count_and_the_error(store: Store) -> None:
    with store.transaction() as connection:
        [alert] = record_outcome(store, connection, "parse", False, "bad table", "r1", 1)
    assert (alert.kind, alert.audience) == ("ops_failure", "ops")
    assert alert.payload == {"kind": "ops_failure", "check": "parse", "failures": 1, "error": "bad table"}


def test_a_failure_without_a_message_still_says_something(store: Store) -> None:
    with store.transaction() as connection:
        [alert] = record_outcome(store, connection, "crawl", False, None, "r1", 1)
    assert alert.payload["error"] == "unknown error"


def test_recovery_after_an_alert_is_one_resolved_note_and_resets_the_count(store: Store) -> None:
    outcome(store, False, "r1")
    outcome(store, False, "r2")
    outcome(store, False, "r3")
    with store.transaction() as connection:
        [resolved] = record_outcome(store, connection, "crawl", True, None, "r4", 2)
    assert resolved.key == "ops:crawl:resolved:r4" and resolved.payload["failures"] == 3
    assert outcome(store, True, "r5") == []
    state = store.runs.health("crawl")
    assert state["consecutive_failures"] == 0 and not state["alerting"] and state["last_error"] is None


def test_recovery_before_the_threshold_is_silent_and_starts_the_count_again(store: Store) -> None:
    assert outcome(store, False, "r1", threshold=2) == []
    assert outcome(store, True, "r2", threshold=2) == [], "nobody was told of a failure, so no 'resolved'"
    assert outcome(store, False, "r3", threshold=2) == [], "the earlier failure no longer counts"
    assert outcome(store, False, "r4", threshold=2) == ["ops:crawl:failing:r4"]


def test_checks_are_counted_separately(store: Store) -> None:
    with store.transaction() as connection:
        record_outcome(store, connection, "crawl", False, "x", "r1", 2)
        assert record_outcome(store, connection, "parse", False, "y", "r1", 2) == []
    assert store.runs.health("crawl")["consecutive_failures"] == 1
    assert store.runs.health("parse")["consecutive_failures"] == 1
    assert store.runs.health("delivery")["consecutive_failures"] == 0


def queue(store: Store, *keys: str) -> None:
    with store.transaction() as connection:
        store.outbox.add(connection, [NewAlert(key, "note", "content", {"kind": "note", "text": key}) for key in keys])


def test_delivery_is_healthy_with_nothing_dead_and_nothing_left_over(store: Store) -> None:
    queue(store, "a")
    assert delivery_problem(store, None) is None
    assert delivery_problem(store, DrainResult(sent=1)) is None


def test_a_dead_alert_makes_delivery_unhealthy_naming_it_and_its_error(store: Store) -> None:
    queue(store, "a", "b")
    first, second = store.outbox.alerts()
    store.outbox.mark_failed(first.id, "channel_not_found", dead=True)
    store.outbox.mark_failed(second.id, "invalid_auth", dead=True)
    assert delivery_problem(store, None) == "2 alert(s) dead, e.g. b: invalid_auth"


def test_alerts_a_drain_left_after_failures_make_delivery_unhealthy(store: Store) -> None:
    queue(store, "a")
    [alert] = store.outbox.alerts()
    store.outbox.mark_failed(alert.id, "internal_error", dead=False)
    assert delivery_problem(store, DrainResult(pending=1)) == "1 alert(s) not delivered yet, e.g. a: internal_error"
    # Without a drain this run (nothing tried), a waiting alert is not a delivery failure.
    assert delivery_problem(store, None) is None


def test_record_delivery_raises_the_ops_alert_after_the_threshold_and_resolves(store: Store) -> None:
    queue(store, "a")
    [alert] = store.outbox.alerts()
    store.outbox.mark_failed(alert.id, "invalid_auth", dead=True)
    assert record_delivery(store, None, "r1", 2) == "1 alert(s) dead, e.g. a: invalid_auth"
    assert record_delivery(store, None, "r2", 2) is not None
    store.outbox.mark_sent(alert.id, "1800000000.000001")  # `ddor alert retry` delivered it
    assert record_delivery(store, DrainResult(sent=1), "r3", 2) is None
    ops = [a.key for a in store.outbox.alerts() if a.audience == "ops"]
    assert ops == ["ops:delivery:failing:r2", "ops:delivery:resolved:r3"]
