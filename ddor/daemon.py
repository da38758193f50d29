"""``ddor daemon``: APScheduler 3.x in the foreground; each run is ``ddor crawl`` in a child.

It never imports Scrapy (its reactor cannot restart, and fails on signals outside the main
thread). Missed runs while down: one catch-up run at start (coalesced). SIGTERM/SIGINT:
stop scheduling, let a running cycle finish within ``stop_grace_seconds`` or kill it, exit 0.
SIGHUP: reload config.yaml; a bad new config is refused with an ops alert, the old one stays.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ddor.config import Config, ConfigError, config_to_json, load_config
from ddor.locks import Lock, LockBusy
from monitor.alerts import ops_failure_alert
from storage import Store

log = logging.getLogger("ddor.daemon")
JOB_ID = "ddor-cycle"


def make_trigger(config: Config) -> Any:
    schedule = config.schedule
    jitter = schedule.jitter_seconds or None
    if schedule.interval_seconds:
        return IntervalTrigger(seconds=schedule.interval_seconds, jitter=jitter)
    return CronTrigger(**_cron_fields(schedule.cron or "17 * * * *"), timezone=schedule.timezone, jitter=jitter)


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, day_of_week = expression.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": day_of_week}


def state_path(config: Config) -> Path:
    return config.archive_path.parent / ".ddor-daemon.json"


def read_state(config: Config) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(state_path(config).read_text())
    except (OSError, ValueError):
        return None
    return state


def interval_seconds(config: Config, trigger: Any) -> float:
    if config.schedule.interval_seconds:
        return float(config.schedule.interval_seconds)
    now = dt.datetime.now(dt.UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + dt.timedelta(seconds=1))
    return max(60.0, (second - first).total_seconds()) if first and second else 3600.0


def catch_up_due(config: Config, trigger: Any, last_success: dt.datetime | None, now: dt.datetime) -> bool:
    """True when a scheduled slot passed since the last successful run (or none ever ran)."""
    if last_success is None:
        return True
    if config.schedule.interval_seconds:
        # An interval trigger counts from the daemon's start; what matters is the gap.
        return (now - last_success).total_seconds() >= config.schedule.interval_seconds
    slot = trigger.get_next_fire_time(None, last_success)
    return slot is not None and slot <= now


class Daemon:
    def __init__(self, config_path: Path | None, config: Config, store: Store, verbose: bool) -> None:
        self.config_path = config_path
        self.config = config
        self.store = store
        self.verbose = verbose
        self.scheduler = BlockingScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        # One cycle at a time across jobs: max_instances holds per job only, and the catch-up
        # job can fire while the scheduled one runs. A second cycle would replace self.child,
        # so a shutdown could no longer kill the first.
        self.cycle_running = threading.Lock()
        self.started = dt.datetime.now(dt.UTC)
        self.state_path = state_path(config)

    def command(self, trigger: str) -> list[str]:
        # The cycle runs with the configuration this daemon validated (on stdin), never with
        # whatever the file holds now: a bad edit is refused here and must not reach a cycle.
        args = [sys.executable, "-m", "ddor", "--config-from-stdin"]
        return [*args, *(["-v"] if self.verbose else []), "crawl", "--trigger", trigger]

    def run_cycle(self, trigger: str = "daemon") -> int | None:
        """One cycle in a child process with a wall-clock limit; returns its exit code."""
        if self.stopping.is_set():
            return None
        if not self.cycle_running.acquire(blocking=False):
            log.warning("%s run skipped: a cycle is still running", trigger)
            return None
        try:
            return self._run_child(trigger)
        finally:
            self.cycle_running.release()

    def _run_child(self, trigger: str) -> int | None:
        started = time.monotonic()
        with self.lock:
            self.child = subprocess.Popen(self.command(trigger), start_new_session=True, stdin=subprocess.PIPE)
            assert self.child.stdin is not None
            self.child.stdin.write(config_to_json(self.config).encode())
            self.child.stdin.close()
        try:
            code = self.child.wait(timeout=self.config.schedule.run_timeout_seconds)
        except subprocess.TimeoutExpired:
            self._kill_child()
            log.error(
                "cycle killed after %.0f s (schedule.run_timeout_seconds)", self.config.schedule.run_timeout_seconds
            )
            self._record_killed(f"killed after {self.config.schedule.run_timeout_seconds:g} s")
            code = None
        finally:
            with self.lock:
                self.child = None
        if code is not None and code < 0:
            # Killed by a signal from outside (an operator, the OOM killer): the child could not
            # close its own run row, so say here how it ended.
            log.error("cycle killed by signal %d", -code)
            self.store.runs.close_unfinished("killed", f"killed by signal {-code}")
        log.info("cycle finished with exit code %s in %.1f s", code, time.monotonic() - started)
        if code == 0:
            self.heartbeat()
        self.write_state()
        return code

    def _kill_child(self) -> None:
        with self.lock:
            if self.child is not None and self.child.poll() is None:
                os.killpg(self.child.pid, signal.SIGKILL)
                self.child.wait()

    def _record_killed(self, reason: str) -> None:
        """The killed child cannot close its own run row: close it here, or record one."""
        if not self.store.runs.close_unfinished("killed", reason):
            run_id = f"killed-{int(time.time())}"
            self.store.runs.start(run_id, "daemon")
            self.store.runs.finish(run_id, "killed", {}, reason)

    def heartbeat(self) -> None:
        url = self.config.schedule.heartbeat_url
        if not url:
            return
        import requests  # ~5 MB of the idle daemon's memory, only for those who set a heartbeat

        try:
            requests.get(url, timeout=5)
        except requests.RequestException as exc:
            log.warning("heartbeat ping failed: %s", type(exc).__name__)

    def catch_up_due(self, trigger: Any) -> bool:
        return catch_up_due(self.config, trigger, self.store.runs.last_success(), dt.datetime.now(dt.UTC))

    def write_state(self) -> None:
        """pid, start and next run time, for `ddor status` (written atomically)."""
        job = self.scheduler.get_job(JOB_ID)
        next_run = job.next_run_time.isoformat() if job and job.next_run_time else None
        state = {"pid": os.getpid(), "since": self.started.isoformat(), "next_run": next_run}
        temp = self.state_path.with_suffix(".tmp")
        temp.write_text(json.dumps(state))
        temp.replace(self.state_path)

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %s: stopping (grace %.0f s)", signum, self.config.schedule.stop_grace_seconds)
        self.stopping.set()
        threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.config.schedule.stop_grace_seconds
        while time.monotonic() < deadline:
            with self.lock:
                if self.child is None or self.child.poll() is not None:
                    break
            time.sleep(0.1)
        else:
            self._kill_child()
            self._record_killed("killed at shutdown (grace period over)")
        self.scheduler.shutdown(wait=False)

    def reload(self, _signum: int, _frame: FrameType | None) -> None:
        try:
            new = load_config(self.config_path) if self.config_path else self.config
            trigger = make_trigger(new)
        except (ConfigError, ValueError) as exc:  # ValueError: a schedule APScheduler refuses
            log.error("SIGHUP: new config refused, keeping the old one: %s", exc)
            with self.store.transaction() as connection:
                self.store.outbox.add(connection, [ops_failure_alert("config", 1, str(exc), f"hup-{int(time.time())}")])
            return
        self.config = new
        self.scheduler.reschedule_job(JOB_ID, trigger=trigger)
        log.warning("SIGHUP: configuration reloaded")

    def run(self) -> None:
        trigger = make_trigger(self.config)
        grace = int(max(60, interval_seconds(self.config, trigger) / 2))
        self.scheduler.add_job(
            self.run_cycle,
            trigger,
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=grace,
            coalesce=True,
            max_instances=1,
        )
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.reload)
        if self.catch_up_due(trigger):
            log.warning("a scheduled run was missed while the daemon was down: one catch-up run now")
            self.scheduler.add_job(self.run_cycle, id="catch-up", kwargs={"trigger": "catch-up"})
        self.scheduler.add_listener(lambda _event: self.write_state(), EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        log.warning("daemon started (pid %d)", os.getpid())
        try:
            self.scheduler.start()
        finally:
            self.state_path.unlink(missing_ok=True)
        log.warning("daemon stopped")

    def _missed(self, event: Any) -> None:
        # Misses are otherwise silent (APScheduler only logs them at its own level).
        log.warning("scheduled run skipped (%s)", "missed" if event.code == EVENT_JOB_MISSED else "still running")


def take_daemon_lock(lock: Lock, standby: bool) -> None:
    """Become the store's one daemon. When another daemon holds ``lock``: raise
    :class:`LockBusy` without ``standby``; with it, wait as a hot spare until the holder dies
    (a SIGTERM meanwhile exits 0 — a spare has no cycle to finish), then carry on as the
    active daemon."""
    try:
        lock.acquire(wait=False)
    except LockBusy as exc:
        if not standby:
            raise
        log.warning("standby: %s; taking over when it stops", exc)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        lock.acquire(wait=True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        log.warning("standby: lock acquired, now the active daemon")
