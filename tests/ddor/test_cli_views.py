"""The wiring the commands call (ddor/views.py) and the daemon's standby, without the CLI."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

import pytest

from ddor.backfill import ReparseChange
from ddor.cycle import CycleResult
from ddor.daemon import take_daemon_lock
from ddor.errors import Refusal
from ddor.locks import LockBusy
from ddor.views import cycle_lines, jurisdiction_key_for, reparse_line
from monitor.notify import DrainResult


@dataclass
class HeldElsewhere:
    """A lock another daemon holds until ``frees_on_wait``: records how it was asked for."""

    frees_on_wait: bool = True
    calls: list[bool] = field(default_factory=list)
    sigterm_while_waiting: object = None

    def acquire(self, wait: bool, timeout: float | None = None) -> None:
        self.calls.append(wait)
        if wait and self.frees_on_wait:
            self.sigterm_while_waiting = signal.getsignal(signal.SIGTERM)
            return
        raise LockBusy("daemon lock held by pid 4242")


class Free:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def acquire(self, wait: bool, timeout: float | None = None) -> None:
        self.calls.append(wait)


def test_a_free_lock_is_taken_without_waiting() -> None:
    lock = Free()
    take_daemon_lock(lock, standby=False)  # type: ignore[arg-type]
    assert lock.calls == [False]


def test_without_standby_a_held_lock_is_refused() -> None:
    lock = HeldElsewhere()
    with pytest.raises(LockBusy, match="pid 4242"):
        take_daemon_lock(lock, standby=False)  # type: ignore[arg-type]
    assert lock.calls == [False]


def test_a_standby_waits_for_the_lock_and_exits_cleanly_on_sigterm_meanwhile() -> None:
    lock = HeldElsewhere()
    before = signal.getsignal(signal.SIGTERM)
    try:
        take_daemon_lock(lock, standby=True)  # type: ignore[arg-type]
        assert lock.calls == [False, True]
        handler = lock.sigterm_while_waiting
        assert callable(handler)
        with pytest.raises(SystemExit) as stopped:
            handler(signal.SIGTERM, None)
        assert stopped.value.code == 0
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the active daemon sets its own
    finally:
        signal.signal(signal.SIGTERM, before)


def test_cycle_lines_summarise_the_run_then_each_error() -> None:
    quiet = CycleResult("r1", "not_modified")
    assert cycle_lines(quiet) == ["run r1: not_modified; new reports 0, corrections 0, quarantined 0"]
    busy = CycleResult(
        "r2", "failed", new_reports=["a", "b"], errors=["crawl: timeout"], delivery=DrainResult(sent=2, reconciled=1)
    )
    assert cycle_lines(busy) == [
        "run r2: failed; new reports 2, corrections 0, quarantined 0; alerts sent 3, dead 0",
        "ddor: crawl: timeout",
    ]


@pytest.mark.parametrize(
    "typed", ["Travis County, TX", "Travis County, Texas", "travis, tx", "TX:travis"], ids=lambda t: t
)
def test_a_jurisdiction_in_any_spelling_is_one_key(typed: str) -> None:
    assert jurisdiction_key_for(typed) == "TX:travis"


def test_a_jurisdiction_without_its_state_is_refused_as_usage() -> None:
    with pytest.raises(Refusal) as refused:
        jurisdiction_key_for("Travis")
    assert refused.value.code == 2 and "give the state too" in refused.value.message


def test_a_reparse_change_is_one_line_naming_what_changed() -> None:
    rows_only = ReparseChange(1, "2017-02-04..2017-02-10", 1, 0, [], [])
    assert reparse_line(rows_only) == "report 1 (2017-02-04..2017-02-10): +1 −0 rows"
    everything = ReparseChange(2, "2017-02-11..2017-02-17", 0, 3, ["pages", "title"], ["sum mismatch", "other"])
    assert reparse_line(everything) == (
        "report 2 (2017-02-11..2017-02-17): +0 −3 rows; changed pages, title; now suspect: sum mismatch"
    )
