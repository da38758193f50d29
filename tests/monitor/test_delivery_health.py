"""Delivery is a health check like crawl and parse (issue #13, item 3): a dead alert fails the
cycle (exit 1, so the daemon's heartbeat is not pinged), ``ddor status`` shows it, and it
resolves when ``ddor alert retry`` delivers — each alert exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.ddor.test_daemon import Heartbeat, runs, start, stop, wait_for
from tests.fakes.slack import FakeSlack

REVOKED = {"SLACK_BOT_TOKEN": "xoxb-revoked-0123456789"}


def test_revoked_then_fixed_token_then_alert_retry_delivers_each_alert_once(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)
    mirror.stage = "2017-03-20"
    first = env.run("crawl", extra_env=REVOKED)
    assert first.returncode == 1, first.stderr
    assert "invalid_auth" in first.stderr and REVOKED["SLACK_BOT_TOKEN"] not in first.stderr
    second = env.run("crawl", extra_env=REVOKED)  # nothing new on the page, still failing
    assert second.returncode == 1 and "alert(s) dead" in second.stderr
    assert slack.alert_keys() == []

    status = env.run("status")
    assert "dead 1" in status.stdout and "invalid_auth" in status.stdout
    assert "delivery: 2 consecutive failures" in status.stdout
    # The runs table agrees with the exit code: a run whose delivery failed is a failed run.
    assert [r["outcome"] for r in env.store().runs.last(2)] == ["failed", "failed"]

    # The operator fixes the token. A crawl posts the ops alert that delivery is failing, but
    # does not resend the dead baseline …
    fixed = env.run("crawl")
    assert fixed.returncode == 1
    assert [k.rsplit(":", 1)[0] for k in slack.alert_keys()] == ["ops:delivery:failing"]
    # … `ddor alert retry` does, once, and delivery is healthy again (and says so).
    retried = env.run("alert", "retry")
    assert retried.returncode == 0, retried.stderr
    assert "re-queued 1" in retried.stderr
    keys = slack.alert_keys()
    assert len(keys) == len(set(keys)) == 3
    assert keys[1].endswith(":baseline") and keys[2].startswith("ops:delivery:resolved:")
    assert "delivery: 0 consecutive failures" in env.run("status").stdout

    assert env.run("crawl").returncode == 0
    assert env.run("alert", "retry").returncode == 0  # nothing dead: nothing to do
    assert sorted(slack.alert_keys()) == sorted(keys), "nothing was posted twice"
    store = env.store()
    assert {a.state for a in store.outbox.alerts()} == {"sent"}
    store.close()


def test_alert_retry_names_a_key_that_is_not_dead(tmp_path: Path, slack: FakeSlack) -> None:
    env = make_env(tmp_path, None, slack)
    result = env.run("alert", "retry", "no-such:key")
    assert result.returncode == 1 and "no-such:key: no dead alert with that key" in result.stderr


@pytest.fixture
def heartbeat() -> Iterator[Heartbeat]:
    beat = Heartbeat()
    yield beat
    beat.server.shutdown()


@pytest.mark.sqlite_only
@pytest.mark.slow  # a daemon on a 2 s schedule
def test_no_heartbeat_while_an_alert_is_dead(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, heartbeat: Heartbeat
) -> None:
    env = make_env(tmp_path, mirror, slack, {"schedule": {"interval_seconds": 2, "heartbeat_url": heartbeat.url}})
    env.env.update(REVOKED)
    daemon = start(env)
    try:
        assert wait_for(lambda: len([r for r in runs(env) if r["finished_at"]]) >= 2, 30)
        assert stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert heartbeat.pings == 0, "the dead-man's switch must not hear 'all is well'"
