"""Per-desk routes (``alerts.routes``): scopes normalised like the reports' own names, config
errors naming the exact key, one short digest per route with something in scope, keyed per
(report, channel), rendered as golden JSON and delivered to the route's channel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ddor.cli import cli
from ddor.config import load_config
from monitor import alerts as build
from monitor.render import MAX_BLOCKS, national_headline, render_console, render_slack
from monitor.rules import Route, RouteError, Thresholds, canonical_jurisdiction, route_scope, route_scopes
from monitor.samples import sample_alerts
from parsers.models import Report
from storage import NewAlert
from tests.conftest import config_error, expected

GOLDEN = Path(__file__).parent / "golden"
URL = "https://www.ice.gov/doclib/ddor/"
NYC_BOROUGHS = ("NY:New York County", "NY:Kings", "NY:Queens", "NY:Bronx", "NY:Richmond")
ROUTES = (
    Route("#texas", states=("TX",)),
    Route("#nyc", jurisdictions=NYC_BOROUGHS),
    Route("#nevada", states=("NV",)),  # Clark County changes, but by less than the rules call news
)


def _report(stem: str) -> Report:
    return Report.from_json(expected(stem))


def _alerts(old: str, new: str, routes: tuple[Route, ...] = ROUTES) -> list[NewAlert]:
    series = [(_report(old), URL + "old.pdf")]
    return build.alerts_for_new_report(_report(new), URL + "new.pdf", series, Thresholds(routes=routes), 4)


def _routed(alerts: list[NewAlert]) -> dict[str, NewAlert]:
    return {a.payload["channel"]: a for a in alerts if a.kind == "route_digest"}


WEEK1, WEEK2, WEEK3 = "ddor2017_01-28to02-03", "ddor2017_02-04to02-10", "ddor2017_02-11to02-17"


# --- scopes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("NY:kings", "NY:kings"),
        ("ny:Kings", "NY:kings"),
        ("NY:Kings County", "NY:kings"),
        (" NY : kings county ", "NY:kings"),
        ("New York:Kings", "NY:kings"),
        ("NY:New York", "NY:new york"),  # the county (Manhattan), never the whole state
        ("NY:New York City", "NY:new york city"),
        ("MD:Baltimore City", "MD:baltimore city"),  # "City" is not dropped: a different place
        ("MD:Baltimore County", "MD:baltimore"),
        ("CA:*", "CA:*"),
        ("TX:Doña Ana", "TX:dona ana"),
    ],
)
def test_a_jurisdiction_is_keyed_as_the_reports_key_it(written: str, key: str) -> None:
    assert canonical_jurisdiction(written) == key


@pytest.mark.parametrize("written", ["kings", "Kings County, NY", "NY:", "NY:kings:queens", "NY:---", ""])
def test_a_malformed_jurisdiction_is_refused_not_guessed(written: str) -> None:
    with pytest.raises(ValueError, match="not a key like 'NY:kings'|names no county"):
        canonical_jurisdiction(written)


def test_states_are_codes_whatever_the_spelling() -> None:
    scope = route_scope(Route("#south", states=("tx", "Louisiana", "NM")))
    assert scope.states == {"TX", "LA", "NM"}
    assert scope.covers("TX:travis") and scope.covers("LA:*") and not scope.covers("OK:tulsa")


def test_all_five_boroughs_bring_the_new_york_city_rollup_and_the_city_brings_its_boroughs() -> None:
    boroughs = route_scope(Route("#nyc", jurisdictions=NYC_BOROUGHS))
    assert boroughs.covers("NY:new york city") and not boroughs.covers("NY:nassau")
    city = route_scope(Route("#nyc", jurisdictions=("NY:New York City",)))
    assert city.covers("NY:kings") and city.covers("NY:richmond") and city.covers("NY:new york city")
    brooklyn = route_scope(Route("#brooklyn", jurisdictions=("NY:kings",)))
    assert not brooklyn.covers("NY:new york city")  # one borough is not the city


@pytest.mark.parametrize(
    ("routes", "where", "problem"),
    [
        ((Route("", states=("TX",)),), "[0].channel", "a channel is required"),
        ((Route("#texas"),), "[0]", "give states and/or jurisdictions"),
        ((Route("#a", states=("TX",)), Route("#b", states=("TX", "XX"))), "[1].states[1]", "unknown state 'XX'"),
        ((Route("#a", jurisdictions=("ZZ:kings",)),), "[0].jurisdictions[0]", "unknown state 'ZZ'"),
        ((Route("#a", jurisdictions=("Kings, NY",)),), "[0].jurisdictions[0]", "not a key like"),
        ((Route("#a", states=("TX",)), Route("#a", states=("NY",))), "[1].channel", "already the channel"),
    ],
)
def test_a_bad_route_names_where_it_is(routes: tuple[Route, ...], where: str, problem: str) -> None:
    with pytest.raises(RouteError) as caught:
        route_scopes(routes)
    assert caught.value.where == where and problem in caught.value.problem


# --- config.yaml ------------------------------------------------------------------------


def test_routes_load_from_config_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "alerts:\n  routes:\n"
        "    - {channel: '#texas', states: [TX]}\n"
        "    - {channel: '#nyc', jurisdictions: ['NY:kings', 'NY:Queens County']}\n"
    )
    config = load_config(path)
    assert config.alerts.routes == (
        Route("#texas", states=("TX",)),
        Route("#nyc", jurisdictions=("NY:kings", "NY:Queens County")),
    )


@pytest.mark.parametrize(
    ("routes_yaml", "message"),
    [
        ("[{channel: '#tx', states: [TX]}, {channel: '#x', states: [TX, XX]}]", "alerts.routes[1].states[1]: unknown"),
        ("[{channel: '#nyc', jurisdictions: [NY:kings, 'Queens, NY']}]", "alerts.routes[0].jurisdictions[1]: "),
        ("[{channel: '#tx', state: [TX]}]", "alerts.routes[0].state: unknown key"),
        ("[{channel: '#tx', states: TX}]", "alerts.routes[0].states: expected a list"),
        ("[{channel: 5, states: [TX]}]", "alerts.routes[0].channel: expected a string"),
        ("['#texas']", "alerts.routes[0]: expected a mapping"),
        ("[{states: [TX]}]", "alerts.routes[0].channel: a channel is required"),
    ],
)
def test_a_bad_route_in_config_yaml_is_one_line_naming_the_key(tmp_path: Path, routes_yaml: str, message: str) -> None:
    path, error = config_error(tmp_path, f"alerts:\n  routes: {routes_yaml}\n")
    assert error.startswith(f"{path}: ")
    assert message in error and "\n" not in error


# --- which routes get what --------------------------------------------------------------


def test_week_two_gives_texas_travis_nyc_the_city_and_nevada_nothing() -> None:
    alerts = _alerts(WEEK1, WEEK2)
    routed = _routed(alerts)
    assert list(routed) == ["#texas", "#nyc"]  # configured order; no alert for #nevada
    texas = routed["#texas"].payload["changes"]
    assert {c["key"] for c in texas} == {"TX:travis"}
    assert {(c["kind"], c["old"], c["new"]) for c in texas} == {("declined", 142, 2), ("issued", None, 23)}
    nyc = {c["key"]: c for c in routed["#nyc"].payload["changes"]}
    assert (nyc["NY:new york city"]["old"], nyc["NY:new york city"]["new"]) == (4, 12)
    assert set(nyc) <= {"NY:new york city", "NY:new york", "NY:kings", "NY:queens", "NY:bronx", "NY:richmond"}
    digest = alerts[0]
    in_scope = [c for c in digest.payload["changes"] if c["key"] in nyc]
    assert routed["#nyc"].payload["changes"] == in_scope  # the digest's own changes, same order
    nevada = [c for c in digest.payload["changes"] if c["key"].startswith("NV:")]
    assert nevada == []  # so "nothing for #nevada" is the rules' verdict, not a lost alert


def test_week_three_gives_texas_travis_again_and_nyc_nothing() -> None:
    routed = _routed(_alerts(WEEK2, WEEK3))
    assert list(routed) == ["#texas"]
    [travis] = routed["#texas"].payload["changes"]
    assert (travis["key"], travis["old"], travis["new"]) == ("TX:travis", 2, 10)


def test_keys_are_deterministic_and_one_per_report_and_channel() -> None:
    first, again = _alerts(WEEK1, WEEK2), _alerts(WEEK1, WEEK2)
    assert [a.key for a in first] == [a.key for a in again]
    sha = _report(WEEK2).report.sha256
    assert [a.key for a in first] == [f"{sha}:digest", f"{sha}:route:#texas", f"{sha}:route:#nyc"]
    later = _routed(_alerts(WEEK2, WEEK3))["#texas"]
    assert later.key == f"{_report(WEEK3).report.sha256}:route:#texas" != first[1].key


def test_a_baseline_has_no_route_digest() -> None:
    first = build.alerts_for_new_report(_report(WEEK1), URL, [], Thresholds(routes=ROUTES), 4)
    assert [a.kind for a in first] == ["baseline"]


def test_watched_keys_reach_a_route_like_any_notable_change() -> None:
    # Clark County's change is below the thresholds; on the watch list it is news, for its desk too.
    series = [(_report(WEEK1), URL)]
    rules = Thresholds(watch=("NV:clark",), routes=ROUTES)
    routed = _routed(build.alerts_for_new_report(_report(WEEK2), URL, series, rules, 4))
    assert {(c["key"], c["reason"]) for c in routed["#nevada"].payload["changes"]} == {("NV:clark", "watched")}


# --- the message ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["#texas", "#nyc"])
def test_golden_route_digest(channel: str, update_golden: bool) -> None:
    message = render_slack(_routed(_alerts(WEEK1, WEEK2))[channel].payload)
    path = GOLDEN / f"route_{channel.lstrip('#')}.json"
    if update_golden:
        path.write_text(json.dumps(message, indent=1, ensure_ascii=False) + "\n")
    assert message == json.loads(path.read_text())


def test_a_route_digest_opens_with_the_main_digests_headline() -> None:
    digest, texas, _nyc = _alerts(WEEK1, WEEK2)
    headline = national_headline(digest.payload["report"], digest.payload["summary"])
    assert headline == "DDOR Feb 4 – Feb 10, 2017: 47 declined, 2,825 issued"
    assert render_slack(digest.payload)["blocks"][0]["text"]["text"] == headline
    message = render_slack(texas.payload)
    assert message["blocks"][0]["text"]["text"] == headline and message["text"].startswith(headline)
    assert "Travis County, TX — declined 142 → 2" in render_console(texas.payload)


def test_a_huge_route_stays_within_slacks_limits() -> None:
    payload: dict[str, Any] = _routed(_alerts(WEEK1, WEEK2))["#texas"].payload
    change = payload["changes"][0]
    payload["changes"] = [{**change, "label": f"County {i} " + "名" * 80 + ", TX"} for i in range(5000)]
    message = render_slack(payload)
    assert len(message["blocks"]) <= MAX_BLOCKS and len(message["text"]) <= 3000
    for block in message["blocks"]:
        text = block.get("text", {}).get("text") or block["elements"][0]["text"]
        assert len(text) <= (150 if block["type"] == "header" else 3000)
    assert "…and 4988 more" in "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert message["thread"] and all(len(reply) <= 3000 for reply in message["thread"])


def test_channel_and_labels_from_the_pdf_are_escaped() -> None:
    payload = _routed(_alerts(WEEK1, WEEK2))["#texas"].payload
    payload["changes"] = [{**payload["changes"][0], "label": "<!channel> Travis"}]
    assert "<!channel>" not in json.dumps(render_slack(payload))


# --- ddor alert test --route ------------------------------------------------------------


def test_sample_route_alert_keeps_the_routes_scope_or_shows_every_sample() -> None:
    digest = sample_alerts()[0]
    texas = build.sample_route_alert(digest, ROUTES, "#texas")
    assert texas.payload["channel"] == "#texas" and {c["key"] for c in texas.payload["changes"]} == {"TX:travis"}
    nevada = build.sample_route_alert(digest, ROUTES, " #nevada ")
    assert nevada.payload["channel"] == "#nevada" and nevada.payload["changes"] == digest.payload["changes"]
    with pytest.raises(LookupError, match="configured: #texas, #nyc, #nevada"):
        build.sample_route_alert(digest, ROUTES, "#florida")


def test_alert_test_route_prints_only_that_routes_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.yaml"
    path.write_text("alerts:\n  routes: [{channel: '#texas', states: [TX]}]\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "alert", "test", "--route", "#texas", "--dry-run"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["channel"] == "#texas" and payload["metadata"]["event_payload"]["alert_key"].endswith(
        ":route:#texas"
    )
    assert "Travis County, TX" in payload["text"] and "Nassau" not in payload["text"]
    missing = CliRunner().invoke(cli, ["--config", str(path), "alert", "test", "--route", "#nyc"])
    assert missing.exit_code == 2 and "no route in alerts.routes has channel '#nyc'" in missing.output
