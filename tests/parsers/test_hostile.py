"""Hostile and malformed PDFs: each is a typed error with a one-line reason, within the
timeout, with the parent's memory flat; a hanging or runaway parser is killed."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest

from parsers.errors import ParseError, ParseMemory, ParseTimeout
from parsers.isolated import Limits, parse_isolated
from tests.conftest import MIRROR, REPORTS
from tests.parsers import hostile

LIMITS = Limits(timeout_seconds=20, memory_mb=512, max_pages=500)
CORPUS = hostile.corpus(
    (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes(), (MIRROR / "doclib" / "forms" / "i247a.pdf").read_bytes()
)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_input_is_a_typed_error(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse_isolated(CORPUS[name], LIMITS)
    assert time.monotonic() - started < LIMITS.timeout_seconds + 5
    reason = caught.value.reason
    assert reason and "\n" not in reason and "Traceback" not in reason
    assert caught.value.kind != "unreadable" or name == "bytes-flipped-report"


def test_expected_kinds_for_the_obvious_cases() -> None:
    kinds = {}
    for name in ("zero-bytes", "html-saved-as-pdf", "encrypted-user-password", "unrelated-pdf", "5000-pages"):
        with pytest.raises(ParseError) as caught:
            parse_isolated(CORPUS[name], LIMITS)
        kinds[name] = caught.value.kind
    assert kinds == {
        "zero-bytes": "empty",
        "html-saved-as-pdf": "not_pdf",
        "encrypted-user-password": "encrypted",
        "unrelated-pdf": "not_report",
        "5000-pages": "too_many_pages",
    }


def test_flate_bomb_hits_the_memory_cap() -> None:
    with pytest.raises(ParseError) as caught:
        parse_isolated(hostile.flate_bomb_pdf(700), Limits(timeout_seconds=60, memory_mb=400))
    assert caught.value.kind in ("memory", "crashed")


def test_parser_that_loops_forever_is_killed_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(ParseTimeout):
        parse_isolated(CORPUS["plain-text-pdf"], Limits(timeout_seconds=2), entry=hostile.loop_forever)
    assert 2 <= time.monotonic() - started < 6


def test_parser_that_allocates_without_end_is_stopped_by_the_memory_cap() -> None:
    with pytest.raises(ParseMemory):
        parse_isolated(
            CORPUS["plain-text-pdf"], Limits(timeout_seconds=30, memory_mb=300), entry=hostile.allocate_forever
        )


def test_parent_memory_stays_flat_over_the_corpus() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for data in CORPUS.values():
        with pytest.raises(ParseError):
            parse_isolated(data, LIMITS)
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert growth_mb < 40


def test_cli_parse_reports_bad_files_and_still_parses_the_good_one(tmp_path) -> None:
    bad = tmp_path / "error-page.pdf"
    bad.write_bytes(CORPUS["html-saved-as-pdf"])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    good = REPORTS / "ddor2017_02-04to02-10.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "ddor", "parse", str(bad), str(good), str(empty)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("ddor: ") for line in errors)
    assert str(bad) in errors[0] and "not_pdf" in errors[0]
    assert str(empty) in errors[1] and "empty" in errors[1]
    import json

    parsed = json.loads(result.stdout)
    assert [len(r["declined"]) for r in parsed] == [47]
