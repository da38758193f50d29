"""The crash matrix: ``ddor crawl`` killed (SIGKILL) at each point of the alert's life, five
times each; after a restart every alert key is in the fake Slack's ledger exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.fakes.slack import FakeSlack

POINTS = ["before-commit", "after-commit", "after-accept", "after-sent"]


@pytest.mark.slow  # five kill-and-restart pairs of crawls per point
@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_point_then_restart_posts_each_alert_exactly_once(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, point: str
) -> None:
    for trial in range(5):
        slack.ledger.clear()
        env = make_env(tmp_path / f"{point}-{trial}", mirror, slack)
        mirror.stage = "2017-03-20"
        crashed = env.run("crawl", extra_env={"DDOR_CRASH_AT": point})
        assert crashed.returncode == -9, crashed.stderr
        mirror.stage = "2017-03-29"
        resumed = env.run("crawl")
        assert resumed.returncode == 0, resumed.stderr
        keys = slack.alert_keys()
        assert len(keys) == len(set(keys)), f"{point}: a key was posted twice: {keys}"
        kinds = sorted(key.split(":")[1] if not key.startswith("note:") else "note" for key in keys)
        assert kinds == ["baseline", "digest", "note"], f"{point}: {kinds}"
        store = env.store()
        assert {a.state for a in store.outbox.alerts()} == {"sent"}
        store.close()
