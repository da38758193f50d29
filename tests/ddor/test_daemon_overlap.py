"""The catch-up job and the scheduled job are two APScheduler jobs, so max_instances=1 does not
keep them apart: the daemon itself runs one cycle at a time."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from ddor.config import load_config
from ddor.daemon import Daemon
from tests.conftest import make_env


class SlowCycleDaemon(Daemon):
    """A daemon whose cycle is a child that sleeps, counting the children it starts."""

    started_children = 0

    def command(self, trigger: str) -> list[str]:
        self.started_children += 1
        return [sys.executable, "-c", "import sys, time; sys.stdin.read(); time.sleep(1.5)"]


def test_a_second_job_firing_during_a_cycle_is_skipped_not_run_beside_it(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    config = load_config(env.config_path)
    daemon = SlowCycleDaemon(env.config_path, config, env.store(), verbose=False)
    codes: dict[str, int | None] = {}
    scheduled = threading.Thread(target=lambda: codes.update(scheduled=daemon.run_cycle("daemon")))
    scheduled.start()
    while daemon.child is None and scheduled.is_alive():
        threading.Event().wait(0.01)
    codes["catch-up"] = daemon.run_cycle("catch-up")
    scheduled.join(timeout=30)
    assert codes == {"scheduled": 0, "catch-up": None}
    assert daemon.started_children == 1
    assert daemon.run_cycle("daemon") == 0 and daemon.started_children == 2  # free again afterwards
