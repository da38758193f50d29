"""`ddor daemon` as users run it: a real process, real schedule, signals and restarts,
against the mirror, a fake Slack and a heartbeat server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from ddor.mirror import LISTING_PATH, MirrorServer
from tests.conftest import Env, make_env
from tests.fakes.slack import FakeSlack

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]  # real schedules: seconds per test


class Heartbeat:
    def __init__(self) -> None:
        self.pings = 0
        heart = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802
                heart.pings += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ping/abc"


@pytest.fixture
def heartbeat() -> Iterator[Heartbeat]:
    beat = Heartbeat()
    yield beat
    beat.server.shutdown()


def start(env: Env) -> subprocess.Popen[bytes]:
    log = open(env.root / "daemon.log", "ab")  # noqa: SIM115 — handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", "ddor", "--config", str(env.config_path), "daemon"],
        env=env.env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def runs(env: Env) -> list[dict[str, Any]]:
    store = env.store()
    try:
        return list(reversed(store.runs.last(1000)))
    finally:
        store.close()


def finished(env: Env) -> list[dict[str, Any]]:
    return [r for r in runs(env) if r["finished_at"]]


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found.append(int(child))
            found += descendants(int(child))
    return found


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def hang_for(seconds: float) -> Callable[[BaseHTTPRequestHandler], bool]:
    def hang(request: BaseHTTPRequestHandler) -> bool:
        time.sleep(seconds)
        return False

    return hang


def test_schedule_posts_a_digest_within_one_interval_and_pings_per_success(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, heartbeat: Heartbeat
) -> None:
    env = make_env(tmp_path, mirror, slack, {"schedule": {"interval_seconds": 2, "heartbeat_url": heartbeat.url}})
    daemon = start(env)
    try:
        assert wait_for(lambda: len(slack.alerts()) == 1, 15), "no baseline from the catch-up run at start"
        mirror.stage = "2017-03-29"
        switched = time.monotonic()
        assert wait_for(lambda: any(k.endswith(":digest") for k in slack.alert_keys()), 10)
        assert time.monotonic() - switched < 2 + 3.5  # one interval plus one cycle
        status = env.run("status")
        assert "running (pid" in status.stdout and "next run" in status.stdout
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    good = [r for r in runs(env) if r["outcome"] in ("ok", "not_modified")]
    assert heartbeat.pings == len(good) >= 2


def test_thirty_idle_runs_send_nothing_and_leak_nothing(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack, {"schedule": {"interval_seconds": 2}})
    daemon = start(env)
    try:
        assert wait_for(lambda: len(finished(env)) >= 5, 30)
        sent = len(slack.ledger)

        def idle_sample() -> tuple[int, int, int]:
            wait_for(lambda: not descendants(daemon.pid), 5)  # between runs
            status = Path(f"/proc/{daemon.pid}/status").read_text().splitlines()
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
            return rss, len(os.listdir(f"/proc/{daemon.pid}/fd")), len(descendants(daemon.pid))

        rss0, fds0, kids0 = idle_sample()
        assert wait_for(lambda: len(finished(env)) >= 35, 100)
        rss1, fds1, kids1 = idle_sample()
        assert len(slack.ledger) == sent
        assert fds1 <= fds0 and kids1 == kids0 == 0
        assert (rss1 - rss0) / 1024 < 5, f"RSS grew {(rss1 - rss0) / 1024:.1f} MB over 30 runs"
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()


def test_catch_up_after_a_kill_and_no_duplicates_on_quick_restarts(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None, {"schedule": {"interval_seconds": 6}})

    def succeeded() -> list[dict[str, Any]]:
        return [r for r in runs(env) if r["outcome"] in ("ok", "not_modified")]

    daemon = start(env)
    try:
        # Killed between runs: a cycle runs in its own session and would outlive the daemon.
        # (Generous waits: a cycle takes several seconds on a busy machine; passing costs none.)
        assert wait_for(lambda: len(succeeded()) == 1 and not descendants(daemon.pid), 60)
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
        time.sleep(6.5)  # a scheduled slot passes while the daemon is dead
        daemon = start(env)
        assert wait_for(lambda: len(succeeded()) == 2, 60)
        assert [r["trigger"] for r in succeeded()] == ["catch-up", "catch-up"]
        # A cycle caught by the kill (a slow machine) is closed as failed, never left running.
        assert all(r["finished_at"] for r in runs(env))
        assert stop(daemon) == 0
        before = len(runs(env))
        # Restarts well within one interval of the last run (60 s: on a busy machine five
        # restarts can take longer than 6 s, and then a catch-up is rightly due).
        config = yaml.safe_load(env.config_path.read_text())
        config["schedule"]["interval_seconds"] = 60
        env.config_path.write_text(yaml.safe_dump(config))
        started = env.root / ".ddor-daemon.json"  # written once its scheduler (and signal handlers) run
        for _ in range(5):  # quick restarts: the last run is recent, so no catch-up is due
            daemon = start(env)
            # On a busy machine a fixed 0.8 s could end before the daemon handles SIGTERM.
            assert wait_for(started.exists, 20)
            time.sleep(0.8)  # time enough for a catch-up run to start, were one due
            assert stop(daemon) == 0
        assert len(runs(env)) == before
    finally:
        if daemon.poll() is None:  # a failed assertion must not leave a daemon polling forever
            os.killpg(daemon.pid, signal.SIGKILL)


def test_second_daemon_refuses_and_crawl_no_wait_refuses_during_a_run(tmp_path: Path, mirror: MirrorServer) -> None:
    mirror.overrides[LISTING_PATH] = hang_for(8)
    env = make_env(tmp_path, mirror, None, {"schedule": {"interval_seconds": 60, "stop_grace_seconds": 1}})
    daemon = start(env)
    try:
        assert wait_for(lambda: bool(runs(env)), 20)  # the catch-up run is in progress (hanging)
        second = env.run("daemon")
        assert second.returncode == 2 and "refusing to start a second daemon" in second.stderr
        refused = env.run("crawl", "--no-wait")
        assert refused.returncode == 2 and "another ddor cycle is running" in refused.stderr
    finally:
        stop(daemon)


def test_hanging_cycle_is_killed_at_the_timeout_and_the_next_run_is_on_time(
    tmp_path: Path, mirror: MirrorServer, heartbeat: Heartbeat
) -> None:
    mirror.overrides[LISTING_PATH] = hang_for(30)
    schedule = {"interval_seconds": 6, "run_timeout_seconds": 3, "heartbeat_url": heartbeat.url}
    env = make_env(tmp_path, mirror, None, {"schedule": schedule})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env.env["TMPDIR"] = str(scratch)
    daemon = start(env)
    try:
        assert wait_for(lambda: any(r["outcome"] == "killed" for r in runs(env)), 15)
        mirror.overrides.clear()
        assert wait_for(lambda: any(r["outcome"] == "ok" for r in runs(env)), 20)
        wait_for(lambda: heartbeat.pings > 0, 5)  # the ping follows the child's exit
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert heartbeat.pings == 1  # none for the killed run
    # The killed cycle's own run row says so (not "running" forever), and its crawl work
    # directory was removed by the next cycle.
    outcomes = [r["outcome"] for r in runs(env)]
    assert outcomes[-1] == "ok" and set(outcomes[:-1]) == {"killed"}, outcomes
    assert all(r["finished_at"] is not None for r in runs(env))
    assert list(scratch.glob("ddor-crawl-*")) == []


def test_sigterm_during_a_run_exits_0_within_grace_and_leaves_no_orphans(tmp_path: Path, mirror: MirrorServer) -> None:
    mirror.overrides[LISTING_PATH] = hang_for(30)
    env = make_env(tmp_path, mirror, None, {"schedule": {"interval_seconds": 60, "stop_grace_seconds": 2}})
    daemon = start(env)
    assert wait_for(lambda: len(descendants(daemon.pid)) >= 2, 15)  # the cycle and its crawl child
    children = descendants(daemon.pid)
    started = time.monotonic()
    assert stop(daemon, timeout=15) == 0
    assert time.monotonic() - started < 2 + 3
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "(zombie)" in Path(f"/proc/{pid}/status").read_text()
    assert runs(env)[-1]["outcome"] == "killed"


def test_sighup_reloads_and_refuses_a_bad_config(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None, {"schedule": {"interval_seconds": 60}})
    good = env.config_path.read_text()
    store = env.store()  # opened with the good config: the test's own view of the outbox
    daemon = start(env)
    try:
        assert wait_for(lambda: len(finished(env)) == 1, 20)
        env.config_path.write_text(good + "alerts:\n  floor: many\n")
        daemon.send_signal(signal.SIGHUP)

        assert wait_for(lambda: any(a.key.startswith("ops:config:failing") for a in store.outbox.alerts()), 10)
        assert daemon.poll() is None  # the old configuration stays in force
        env.config_path.write_text(good)
        daemon.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert daemon.poll() is None
        assert "configuration reloaded" in (env.root / "daemon.log").read_text()
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()


def test_a_refused_edit_keeps_the_old_config_for_the_next_cycles_and_is_reported(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack, {"schedule": {"interval_seconds": 2}})
    good = env.config_path.read_text()
    store = env.store()  # opened with the good config: the file is about to go bad

    def finished() -> list[dict[str, Any]]:
        return [r for r in reversed(store.runs.last(1000)) if r["finished_at"]]

    daemon = start(env)
    try:
        assert wait_for(lambda: len(finished()) >= 1, 20)
        env.config_path.write_text(good + "alerts:\n  floor: many\n")
        daemon.send_signal(signal.SIGHUP)
        done = len(finished())
        assert wait_for(lambda: len(finished()) >= done + 2, 20)
        # Both cycles after the refused edit ran with the configuration the daemon kept ...
        assert [r["outcome"] for r in finished()[done:]][:2] == ["not_modified", "not_modified"]
        # ... and the first of them delivered the ops alert about the refused edit.
        assert wait_for(lambda: any("alerts.floor" in m["text"] for m in slack.messages("#ddor-ops")), 10)
        assert daemon.poll() is None
        # A schedule APScheduler cannot parse is refused too, and the daemon keeps running.
        bad_cron = yaml.safe_load(good)
        bad_cron["schedule"] = {"cron": "61 * * * *"}
        env.config_path.write_text(yaml.safe_dump(bad_cron))
        daemon.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "new config refused" in (env.root / "daemon.log").read_text().split("floor")[-1], 10)
        assert daemon.poll() is None
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
