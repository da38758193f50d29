"""The daemon's schedule decisions as units (ddor/daemon.py), at an explicit ``now``: whether a
catch-up run is due at start, the interval it assumes, the trigger it builds. The real daemon
process is in tests/ddor/test_daemon.py (one end-to-end catch-up after a kill)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ddor import daemon
from ddor.config import Config, ScheduleConfig, StorageConfig
from ddor.daemon import interval_seconds, make_trigger

UTC = dt.UTC


def config(tmp_path: Path, **schedule: Any) -> Config:
    return Config(
        schedule=ScheduleConfig(**schedule),
        storage=dataclasses.replace(StorageConfig(), archive_dir=str(tmp_path / "archive")),
    )


def catch_up_due(cfg: Config, last: dt.datetime | None, now: dt.datetime) -> bool:
    return daemon.catch_up_due(cfg, make_trigger(cfg), last, now)


def test_a_daemon_that_never_ran_a_cycle_catches_up_at_once(tmp_path: Path) -> None:
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert catch_up_due(config(tmp_path, interval_seconds=3600), None, now)
    assert catch_up_due(config(tmp_path, cron="17 * * * *"), None, now)


@pytest.mark.parametrize(
    ("seconds_since_last", "due"),
    [(0, False), (3599, False), (3600, True), (7 * 86400, True)],
)
def test_on_an_interval_a_catch_up_is_due_once_a_whole_interval_passed(
    tmp_path: Path, seconds_since_last: int, due: bool
) -> None:
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    last = now - dt.timedelta(seconds=seconds_since_last)
    assert catch_up_due(config(tmp_path, interval_seconds=3600), last, now) is due


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        # Hourly at :17 (UTC): last success 12:20, so the next slot is 13:17.
        ("12:20", "13:16", False),
        ("12:20", "13:17", True),
        ("12:20", "15:00", True),
        # A success just before a slot: that slot was missed only once it has passed.
        ("12:16", "12:16", False),
        ("12:16", "12:18", True),
    ],
)
def test_on_a_cron_a_catch_up_is_due_when_a_slot_passed_since_the_last_success(
    tmp_path: Path, last: str, now: str, due: bool
) -> None:
    def at(clock: str) -> dt.datetime:
        hour, minute = map(int, clock.split(":"))
        return dt.datetime(2026, 3, 2, hour, minute, tzinfo=UTC)

    cfg = config(tmp_path, cron="17 * * * *", timezone="UTC")
    assert catch_up_due(cfg, at(last), at(now)) is due


def test_a_daily_cron_in_new_york_counts_slots_in_new_york_time(tmp_path: Path) -> None:
    cfg = config(tmp_path, cron="0 9 * * *", timezone="America/New_York")  # 09:00 EST = 14:00 UTC
    last = dt.datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    assert not catch_up_due(cfg, last, dt.datetime(2026, 3, 3, 13, 59, tzinfo=UTC))
    assert catch_up_due(cfg, last, dt.datetime(2026, 3, 3, 14, 0, tzinfo=UTC))


def test_the_trigger_is_an_interval_when_one_is_set_else_the_cron(tmp_path: Path) -> None:
    assert isinstance(make_trigger(config(tmp_path, interval_seconds=60)), IntervalTrigger)
    assert isinstance(make_trigger(config(tmp_path, cron="*/5 * * * *")), CronTrigger)
    assert isinstance(make_trigger(config(tmp_path)), CronTrigger), "hourly at :17 by default"


def test_a_cron_the_scheduler_refuses_raises_value_error(tmp_path: Path) -> None:
    # SIGHUP reload relies on this to refuse the edit and keep the old schedule.
    with pytest.raises(ValueError):
        make_trigger(config(tmp_path, cron="61 * * * *"))


def test_the_assumed_interval_comes_from_the_schedule(tmp_path: Path) -> None:
    cfg = config(tmp_path, interval_seconds=90)
    assert interval_seconds(cfg, make_trigger(cfg)) == 90.0
    hourly = config(tmp_path, cron="17 * * * *", timezone="UTC")
    assert interval_seconds(hourly, make_trigger(hourly)) == 3600.0
    # Never below a minute, however dense the cron (it sizes the misfire grace time).
    dense = config(tmp_path, cron="* * * * *", timezone="UTC")
    assert interval_seconds(dense, make_trigger(dense)) == 60.0
