"""Slack payloads are built by a pure function and pinned as golden JSON; every payload stays
within Slack's limits however large the change set; PDF text is escaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor import alerts as build
from monitor.render import MAX_BLOCKS, render_console, render_slack
from monitor.rules import Thresholds
from parsers.models import Report
from tests.conftest import expected

GOLDEN = Path(__file__).parent / "golden"
URL = "https://www.ice.gov/doclib/ddor/"


def _report(stem: str) -> Report:
    return Report.from_json(expected(stem))


def payloads() -> dict[str, dict[str, Any]]:
    r1, r2 = _report("ddor2017_01-28to02-03"), _report("ddor2017_02-04to02-10")
    corrected = Report(
        r1.report, tuple(r for r in r1.issued if r.county not in ("Franklin", "Montgomery")), r1.declined, r1.policies
    )
    context = build.SeriesContext(("2017-01-28", "2017-02-03"))
    return {
        "baseline": build.baseline_alert(r1, URL + "r1.pdf").payload,
        "digest": build.digest_alert(r2, URL + "r2.pdf", r1, URL + "r1.pdf", Thresholds(), context).payload,
        "correction": build.correction_alert(r1, corrected, URL + "r1.pdf", "x:baseline").payload,
        "ops_failure": build.ops_failure_alert("crawl", 2, "listing page: HTTP 500", "run1").payload,
        "ops_resolved": build.ops_resolved_alert("crawl", 3, "run2").payload,
        "note": build.note_alert("ICE remains committed to publishing …", "April 13, 2017", None).payload,
    }


@pytest.mark.parametrize("name", ["baseline", "digest", "correction", "ops_failure", "ops_resolved", "note"])
def test_golden_payload(name: str, update_golden: bool) -> None:
    message = render_slack(payloads()[name])
    path = GOLDEN / f"{name}.json"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(message, indent=1, ensure_ascii=False) + "\n")
    assert message == json.loads(path.read_text())


def _within_limits(message: dict[str, Any]) -> None:
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert len(message["text"]) <= 3000
    for block in message["blocks"]:
        text = block.get("text", {}).get("text") or block.get("elements", [{}])[0].get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)
    for reply in message["thread"]:
        assert len(reply) <= 3000


def test_ten_thousand_changes_stay_within_every_limit() -> None:
    digest = payloads()["digest"]
    digest["changes"] = [
        {
            "kind": "declined",
            "key": f"TX:county {i}",
            "label": f"County {i} " + "名" * 50 + "🚨" * 20 + ", TX",
            "old": i,
            "new": i + 50,
            "page": 3,
            "detail": "",
            "reason": "significant",
            "delta": 50,
        }
        for i in range(10_000)
    ]
    digest["all_changes"] = 10_000
    message = render_slack(digest)
    _within_limits(message)
    body = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "…and 9988 more — `ddor diff`" in body
    assert len(message["thread"]) > 1  # the rest goes to the thread, in pieces Slack accepts


def test_long_labels_are_cut_not_rejected() -> None:
    digest = payloads()["digest"]
    digest["changes"] = [{**digest["changes"][0], "label": "x" * 5000}]
    digest["report"]["period_start"] = "2017-01-28"
    _within_limits(render_slack(digest))


def test_facility_text_is_escaped_for_mrkdwn_but_stored_raw() -> None:
    correction = payloads()["correction"]
    correction["row_changes"] = [
        {
            "section": "declined",
            "change": "removed",
            "row": {
                "county": "Travis County",
                "state": "TX",
                "facility": "<!channel> *Jail*",
                "criminal_activity": "<@U123>",
                "detainer_declined": "2017-02-01",
            },
        }
    ]
    message = render_slack(correction)
    text = json.dumps(message)
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt; *Jail*" in message["blocks"][1]["text"]["text"]
    assert correction["row_changes"][0]["row"]["facility"] == "<!channel> *Jail*"
    assert "<!channel> *Jail*" in render_console(correction)  # the terminal shows the raw text


def test_watched_county_rows_go_to_the_thread() -> None:
    r1, r2 = _report("ddor2017_01-28to02-03"), _report("ddor2017_02-04to02-10")
    context = build.SeriesContext(("2017-01-28", "2017-02-03"))
    payload = build.digest_alert(r2, URL, r1, URL, Thresholds(watch=("TX:travis",)), context).payload
    travis = [r for r in expected("ddor2017_02-04to02-10")["declined"] if r["county"] == "Travis County"]
    assert len(payload["watched_rows"]["TX:travis"]) == len(travis) == 2
    thread = "\n".join(render_slack(payload)["thread"])
    assert f"Watched: Travis County, TX — every release this period ({len(travis)})" in thread
    assert thread.count("• ") >= 2 and f"(p. {travis[0]['page']})" in thread
