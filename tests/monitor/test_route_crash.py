"""The crash matrix with routes: ``ddor crawl`` killed (SIGKILL) while the report that feeds two
desks is stored and while each desk's digest is being posted; after a restart every alert key
is in the fake Slack's ledger exactly once and each desk has its one digest.

Stage 2017-03-29 queues, in order: the main digest, #texas, #nyc, the ICE note; so the 2nd and
3rd passes of a delivery point are the two route digests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.fakes.slack import FakeSlack

ROUTES = [
    {"channel": "#texas", "states": ["TX"]},
    {"channel": "#nyc", "jurisdictions": ["NY:new york", "NY:kings", "NY:queens", "NY:bronx", "NY:richmond"]},
    {"channel": "#nevada", "states": ["NV"]},
]

# (where the crawl is killed, the route digest it is killed on and that digest's state then)
CASES = [
    ("before-commit", None, None),  # the report and its alerts are not stored yet
    ("after-commit", "#texas", "pending"),
    ("after-accept@2", "#texas", "sending"),  # Slack has it; our outbox does not know
    ("after-accept@3", "#nyc", "sending"),
    ("after-sent@2", "#texas", "sent"),
    ("after-sent@3", "#nyc", "sent"),
]


@pytest.mark.slow  # three crawls per case
@pytest.mark.parametrize(("point", "channel", "state"), CASES)
def test_kill_while_routing_then_restart_posts_each_route_exactly_once(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, point: str, channel: str | None, state: str | None
) -> None:
    env = make_env(tmp_path, mirror, slack, {"alerts": {"routes": ROUTES}})
    mirror.stage = "2017-03-20"
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    crashed = env.run("crawl", extra_env={"DDOR_CRASH_AT": point})
    assert crashed.returncode == -9, crashed.stderr

    store = env.store()
    routed = {a.payload["channel"]: a for a in store.outbox.alerts() if a.kind == "route_digest"}
    if channel is None:
        assert routed == {}
    else:
        assert routed[channel].state == state  # the kill happened where this case says
    store.close()

    resumed = env.run("crawl")
    assert resumed.returncode == 0, resumed.stderr
    keys = slack.alert_keys()
    assert len(keys) == len(set(keys)), f"{point}: a key was posted twice: {keys}"
    assert [len([m for m in slack.alerts() if m["channel"] == c]) for c in ("#texas", "#nyc", "#nevada")] == [1, 1, 0]
    kinds = sorted(key.split(":")[1] if not key.startswith("note:") else "note" for key in keys)
    assert kinds == ["baseline", "digest", "note", "route", "route"], f"{point}: {kinds}"
    store = env.store()
    assert {a.state for a in store.outbox.alerts()} == {"sent"}
    store.close()
