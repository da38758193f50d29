"""Every rule and boundary, from data (tests/monitor/data/rules.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.diff import diff_reports
from monitor.rules import Thresholds, poisson_cdf, surprise, why_notable
from parsers.models import DeclinedRow, IssuedRow, Report, ReportMeta

CASES = yaml.safe_load((Path(__file__).parent / "data" / "rules.yaml").read_text(encoding="utf-8"))


def _report(section: str, counts: list[list[Any]]) -> Report:
    meta = ReportMeta("weekly", "Weekly Declined Detainer Outcome Report", "2017-01-28", "2017-02-03", 1, 1, "0" * 64)
    issued: list[IssuedRow] = []
    declined: list[DeclinedRow] = []
    for county, state, count in counts:
        if section == "issued":
            issued.append(IssuedRow(county, state, count, 2))
        else:
            declined += [
                DeclinedRow(state, county, "Jail", "Mexico", "Assault", "charged", None, "2017-02-01", 3)
            ] * count
    return Report(meta, tuple(issued), tuple(declined), ())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case: dict[str, Any]) -> None:
    rules = Thresholds(**{k: tuple(v) if k == "watch" else v for k, v in (case.get("rules") or {}).items()})
    changes = diff_reports(_report(case["section"], case["previous"]), _report(case["section"], case["current"]))
    got = [
        [c.key, c.old, c.new, reason]
        for c in changes
        if (reason := why_notable(c, rules)) and not c.key.endswith("new york city")
    ]
    assert got == case["notable"]


def test_poisson_tail_probabilities() -> None:
    assert poisson_cdf(0, 2.0) == pytest.approx(0.1353, abs=1e-4)
    assert poisson_cdf(3, 1.0) == pytest.approx(0.9810, abs=1e-4)
    assert surprise(3, 1) > 0.05 and surprise(41, 10) < 1e-6 and surprise(2, 142) < 1e-50
    assert 0 <= poisson_cdf(1000, 900.0) <= 1


def test_nyc_boroughs_roll_up_to_the_city() -> None:
    before = _report("declined", [["Kings County", "NY", 1], ["Queens County", "NY", 2], ["New York County", "NY", 1]])
    after = _report(
        "declined",
        [
            ["Kings County", "NY", 4],
            ["Queens County", "NY", 3],
            ["New York County", "NY", 3],
            ["Bronx County", "NY", 2],
        ],
    )
    [city] = [c for c in diff_reports(before, after) if c.key == "NY:new york city"]
    assert (city.old, city.new, city.label) == (4, 12, "New York City (5 boroughs), NY")
    assert why_notable(city, Thresholds()) == "significant"
