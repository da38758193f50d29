"""Each mirror report parses to exactly its ground truth (every field of every row)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers import parse_report
from tests.conftest import REPORT_STEMS, REPORTS, expected

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    return {stem: parse_report((REPORTS / f"{stem}.pdf").read_bytes()).to_json() for stem in REPORT_STEMS}


@pytest.mark.parametrize("stem", REPORT_STEMS)
def test_parse_matches_ground_truth(parsed: dict[str, dict], stem: str) -> None:
    got, want = parsed[stem], expected(stem)
    assert got["report"] == want["report"]
    for section in ("issued", "declined", "policies"):
        assert len(got[section]) == len(want[section]), section
        for index, (row, truth) in enumerate(zip(got[section], want[section], strict=True)):
            assert row == truth, f"{section}[{index}]"
    assert got["validation"]["suspect"] is False and got["validation"]["problems"] == []


@pytest.mark.parametrize("stem", REPORT_STEMS)
def test_parse_matches_golden_output(parsed: dict[str, dict], stem: str, update_golden: bool) -> None:
    """What our output adds to the ground truth (``validation``) is pinned here; the rest is
    the ground truth itself (the test above), not a second copy of it. --update-golden
    rewrites it on purpose."""
    path = GOLDEN / f"{stem}.json"
    extra = {key: value for key, value in parsed[stem].items() if key not in expected(stem)}
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(extra, indent=1, ensure_ascii=False) + "\n")
    assert extra == json.loads(path.read_text())


def test_report_one_yields_the_seed_figures(parsed: dict[str, dict]) -> None:
    from monitor.summary import summarize
    from parsers.models import Report

    summary = summarize(Report.from_json(parsed["ddor2017_01-28to02-03"]))
    assert summary["issued"] == 3083
    assert summary["declined"] == 206
    assert summary["facilities"] == 46
    assert summary["states"] == 16
    assert summary["top"]["label"] == "Travis County, TX" and summary["top"]["declined"] == 142
    assert round(summary["top"]["share"] * 100) == 69
    assert summary["categories"]["traffic"] == 3 and summary["hit_and_run"] == 1
    assert summary["homicides"] == [{"county": "Philadelphia County", "state": "PA", "status": "charged", "page": 7}]
    assert (summary["convicted"], summary["charged"]) == (90, 116)


def test_copy_protected_report_still_parses() -> None:
    """Report #1 is RC4-encrypted with an owner password only, as the real one was."""
    data = (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes()
    assert b"/Encrypt" in data
    assert len(parse_report(data).declined) == 206
