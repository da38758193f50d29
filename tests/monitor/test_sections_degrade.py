"""Degrade by section, not by report: an unreadable Section III withholds only itself; the
news in Sections I and II is posted, and a fixed parser later posts the withheld changes once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ddor.backfill import reparse
from ddor.config import load_config
from ddor.cycle import Cycle
from ddor.mirror import MirrorServer
from ddor.wiring import make_destination
from parsers.ddor import parse_report
from parsers.models import PolicyRow, Report
from tests.conftest import expected, make_env
from tests.fakes.slack import FakeSlack
from tests.parsers.variant_pdf import Variant, render

R2_STEM = "ddor2017_02-04to02-10"
R2 = f"/doclib/ddor/{R2_STEM}.pdf"


def fixed_parser(data: bytes, max_pages: int) -> Report:
    """A stand-in for a parser that has learnt to read the headerless Section III: the real
    parse, with Section III's rows as the report prints them."""
    report = parse_report(data, max_pages)
    if "policies" not in report.unreadable_sections():
        return report
    policies = tuple(PolicyRow(**row) for row in expected(R2_STEM)["policies"])
    kept = tuple(p for p in report.problems if not p.startswith("Section III"))
    return dataclasses.replace(report, policies=policies, problems=kept)


def _keyed(slack: FakeSlack, suffix: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(suffix)]


def test_an_unreadable_section_withholds_only_itself_until_a_reparse_reads_it(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path, mirror, slack)
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    mirror.replacements[R2] = render(expected(R2_STEM), Variant(policy_header=False))
    crawl = env.run("crawl")
    assert crawl.returncode == 0, crawl.stderr

    [digest] = _keyed(slack, ":digest")
    text = " ".join(b["text"]["text"] for b in digest["blocks"] if b["type"] == "section")
    assert "Travis County, TX — declined 142 → 2" in text  # Sections I and II: posted as usual
    assert "Section III could not be read (Section III: table header not found)" in text
    assert "policy" not in text  # no false "policy removed" for every jurisdiction
    [ops] = [m for m in slack.messages("#ddor-ops") if "withheld" in m["text"]]
    assert "table header not found" in ops["text"]
    rows = env.run("reports", "--format", "json")
    sections = [r["sections"] for r in json.loads(rows.stdout)]
    assert sections[1]["policies"].startswith("withheld") and sections[1]["declined"] == "ok"

    store = env.store()
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)  # the reparse below runs in this process
    config = load_config(env.config_path)
    changes, failures = reparse(config, store, 1, entry=fixed_parser)
    assert failures == [] and [(c.period, c.alerts) for c in changes] == [("2017-02-04..2017-02-10", 1)]
    Cycle(config, store, make_destination(config)).drainer().drain()
    [recovered] = _keyed(slack, ":recovered:policies")
    assert recovered["thread_ts"] == digest["ts"]
    assert "California — policy added" in recovered["text"] or "California" in str(recovered["blocks"])

    again, _ = reparse(config, store, 1, entry=fixed_parser)
    Cycle(config, store, make_destination(config)).drainer().drain()
    assert again == [] and len(_keyed(slack, ":recovered:policies")) == 1
