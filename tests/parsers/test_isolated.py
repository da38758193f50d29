"""The two ways a parse child is made (fork when the caller is single-threaded, a preloaded
forkserver when it is not) keep the same guarantees: result, timeout, memory cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
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


def pid_then_sleep(data: bytes, max_pages: int) -> Any:
    """A stand-in parser that says who it is, then outlives any sane parent."""
    import os
    from pathlib import Path

    Path(os.environ["DDOR_TEST_PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(60)
    raise AssertionError("never reached: the child dies with its parent")


def test_a_parse_child_dies_with_the_cycle_that_started_it(tmp_path: Any) -> None:
    """A cycle killed mid-parse (the daemon's run timeout) must not leave its parse child
    behind: it would hold the inherited cycle lock and block every later cycle (found by the
    soak test)."""
    import os
    import signal
    import subprocess
    import sys

    pid_file = tmp_path / "child.pid"
    code = (
        "from parsers.isolated import Limits, parse_isolated\n"
        "from tests.parsers.test_isolated import REPORT, pid_then_sleep\n"
        "parse_isolated(REPORT, Limits(timeout_seconds=120), pid_then_sleep)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "DDOR_TEST_PID_FILE": str(pid_file)})
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
    finally:
        parent.kill()
        parent.wait()

    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return False
        return state != "Z"

    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail(f"parse child {child} outlived its killed parent")
