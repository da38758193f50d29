"""A desk told a number is told when ICE corrects it: a correction goes to each route whose
scope it touches, with that desk's rows only, threaded under the desk's digest when it had one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ddor.mirror import MirrorServer
from monitor.alerts import correction_alert, route_correction_alerts
from monitor.rules import Route
from parsers.models import IssuedRow, Report, ReportMeta
from tests.conftest import make_env
from tests.crawler.test_crawl import R1, _corrected_report_one
from tests.fakes.slack import FakeSlack

ROUTES = [{"channel": "#iowa", "states": ["IA"]}, {"channel": "#nevada", "states": ["NV"]}]


def _rows(message: dict[str, Any]) -> list[str]:
    text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    return sorted(line for line in text.splitlines() if line.startswith(("➖", "➕")))


def test_a_correction_reaches_the_desks_it_touches_with_their_rows(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack, {"source": {"recheck_hours": 0}, "alerts": {"routes": ROUTES}})
    assert env.run("crawl").returncode == 0
    mirror.replacements[R1] = _corrected_report_one()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    [main] = [m for m in slack.alerts() if m["channel"] == "#ddor-alerts" and ":correction:" in str(m["metadata"])]
    [iowa] = [m for m in slack.alerts() if m["channel"] == "#iowa"]
    assert [m for m in slack.alerts() if m["channel"] == "#nevada"] == []
    assert _rows(iowa) == ["➖ Section I: Franklin, IA — 5 issued", "➖ Section I: Montgomery, IA — 12 issued"]
    assert len(_rows(main)) == 4  # the main channel keeps every row
    assert iowa["metadata"]["event_payload"]["alert_key"].endswith(":route:#iowa")
    assert iowa.get("thread_ts") is None  # the baseline had no desk digest to thread under
    assert env.run("crawl").returncode == 0
    assert len([m for m in slack.alerts() if m["channel"] == "#iowa"]) == 1  # once


def _report(sha: str, issued: list[IssuedRow]) -> Report:
    meta = ReportMeta("weekly", "t", "2017-02-04", "2017-02-10", 1, None, sha)
    return Report(meta, tuple(issued), (), ())


def test_a_desk_correction_threads_under_the_desks_digest_of_the_original() -> None:
    original = _report("a" * 64, [IssuedRow("Clark", "NV", 3, 1), IssuedRow("Polk", "IA", 2, 1)])
    corrected = _report("b" * 64, [IssuedRow("Clark", "NV", 4, 1), IssuedRow("Polk", "IA", 2, 1)])
    correction = correction_alert(original, corrected, "u", "x")
    routes = [Route("#nevada", ("NV",), ()), Route("#iowa", ("IA",), ())]
    queued = {f"{'a' * 64}:route:#nevada"}
    [nevada] = route_correction_alerts(correction, routes, queued.__contains__)
    assert nevada.payload["channel"] == "#nevada" and nevada.thread_key == f"{'a' * 64}:route:#nevada"
    assert {row["row"]["county"] for row in nevada.payload["row_changes"]} == {"Clark"}
