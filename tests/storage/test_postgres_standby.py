"""Two daemons on one PostgreSQL: one runs, the other waits and takes over when it dies, and
no alert is ever sent twice. Runs in the suite's PostgreSQL pass."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.ddor.test_daemon import finished, start, stop, wait_for
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.skipif(
    not os.environ.get("DDOR_TEST_POSTGRES_URL"),
    reason="needs PostgreSQL (scripts/test.sh starts one for its second pass)",
)


def test_standby_takes_over_and_each_alert_is_sent_once(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack, {"schedule": {"interval_seconds": 3}})
    leader = start(env)
    standby = None
    try:
        assert wait_for(lambda: len(finished(env)) >= 1, 20)
        standby = start(env)
        time.sleep(4)  # the standby waits: runs keep coming from the leader only
        assert standby.poll() is None
        os.killpg(leader.pid, signal.SIGKILL)  # its database session ends, and the advisory lock with it
        leader.wait()
        mirror.stage = "2017-03-29"
        assert wait_for(lambda: any(k.endswith(":digest") for k in slack.alert_keys()), 3 + 10)
        keys = slack.alert_keys()
        assert len(keys) == len(set(keys))
        assert [k.split(":")[1] for k in keys if not k.startswith("note:")] == ["baseline", "digest"]
        assert stop(standby) == 0
    finally:  # a failed assertion must not leave a daemon polling forever
        for daemon in (leader, standby):
            if daemon is not None and daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
