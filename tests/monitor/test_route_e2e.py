"""Routes end to end: the real ``ddor crawl`` over the ICE mirror with three desks configured,
posting through slack-sdk to the fake Slack on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.fakes.slack import FakeSlack

ROUTES = [
    {"channel": "#texas", "states": ["TX"]},
    # What a city desk would write: the five boroughs' counties, as people spell them.
    {"channel": "#nyc", "jurisdictions": ["NY:New York", "NY:Kings County", "ny:queens", "NY:Bronx", "NY:Richmond"]},
    {"channel": "#nevada", "states": ["NV"]},
]


def _alerts_in(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in slack.alerts() if m["channel"] == channel]


def _body(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] in ("header", "section"))


def test_each_desk_gets_its_own_changes_once_per_report(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack, {"alerts": {"routes": ROUTES}})

    mirror.stage = "2017-03-20"
    assert env.run("crawl").returncode == 0
    assert [m["channel"] for m in slack.alerts()] == ["#ddor-alerts"]  # a baseline: nothing to route yet

    mirror.stage = "2017-03-29"
    second = env.run("crawl")
    assert second.returncode == 0, second.stderr
    [digest] = [
        m for m in _alerts_in(slack, "#ddor-alerts") if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")
    ]
    [texas] = _alerts_in(slack, "#texas")
    [nyc] = _alerts_in(slack, "#nyc")
    assert _alerts_in(slack, "#nevada") == []
    headline = digest["blocks"][0]["text"]["text"]
    assert texas["blocks"][0]["text"]["text"] == headline == nyc["blocks"][0]["text"]["text"]
    assert "Travis County, TX — declined 142 → 2" in _body(texas)
    assert "New York" not in _body(texas).replace(headline, "")
    assert "New York City (5 boroughs), NY — declined 4 → 12" in _body(nyc)
    assert "Travis" not in _body(nyc) and "Nassau" not in _body(nyc)
    sha = texas["metadata"]["event_payload"]["alert_key"].split(":")[0]
    assert nyc["metadata"]["event_payload"]["alert_key"] == f"{sha}:route:#nyc"

    before = len(slack.ledger)
    assert env.run("crawl").returncode == 0
    assert len(slack.ledger) == before  # nothing new, nothing re-sent

    mirror.stage = "2017-04-06"
    third = env.run("crawl")
    assert third.returncode == 0, third.stderr
    assert len(_alerts_in(slack, "#texas")) == 2
    assert "Travis County, TX — declined 2 → 10" in _body(_alerts_in(slack, "#texas")[1])
    assert len(_alerts_in(slack, "#nyc")) == 1  # week 3 changes nothing notable in the city
    assert _alerts_in(slack, "#nevada") == []
    keys = slack.alert_keys()
    assert len(keys) == len(set(keys)) and not slack.violations
    store = env.store()
    assert {a.state for a in store.outbox.alerts()} == {"sent"}
    assert {a.channel for a in store.outbox.alerts() if a.kind == "route_digest"} == {"#texas", "#nyc"}
    store.close()
