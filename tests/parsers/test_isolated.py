"""The two ways a parse child is made (fork when the caller is single-threaded, a preloaded
forkserver when it is not) keep the same guarantees: result, timeout, memory cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from parsers.errors import ParseMemory, ParseTimeout
from parsers.isolated import Limits, parse_isolated, start_method
from tests.conftest import REPORTS
from tests.parsers import hostile

REPORT = (REPORTS / "ddor2017_02-04to02-10.pdf").read_bytes()


@pytest.fixture(params=["fork", "forkserver"])
def run(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Calls parse_isolated from this thread (fork) or while another thread is alive (forkserver)."""
    if request.param == "fork":
        assert start_method() == "fork"
        yield parse_isolated
        return
    release = threading.Event()
    holder = threading.Thread(target=release.wait)
    holder.start()
    try:
        assert start_method() == "forkserver"
        with ThreadPoolExecutor(1) as pool:
            yield lambda *args, **kwargs: pool.submit(parse_isolated, *args, **kwargs).result()
    finally:
        release.set()
        holder.join()


def test_a_report_parses_the_same_either_way(run: Callable[..., Any]) -> None:
    from parsers.ddor import parse_report

    assert run(REPORT).to_json() == parse_report(REPORT).to_json()


def test_a_hung_parser_is_killed_at_the_timeout(run: Callable[..., Any]) -> None:
    started = time.monotonic()
    with pytest.raises(ParseTimeout):
        run(REPORT, Limits(timeout_seconds=2), entry=hostile.loop_forever)
    assert 2 <= time.monotonic() - started < 6


def test_a_runaway_allocation_stops_at_the_memory_cap(run: Callable[..., Any]) -> None:
    with pytest.raises(ParseMemory):
        run(REPORT, Limits(timeout_seconds=30, memory_mb=300), entry=hostile.allocate_forever)
