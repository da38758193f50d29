"""The two ways a parse child is made (fork when the caller is single-threaded, a preloaded
forkserver when it is not) keep the same guarantees: result, timeout, memory cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from parsers.errors import ParseError, ParseMemory, ParseTimeout
from parsers.isolated import Limits, parse_isolated, parse_isolated_many, start_method
from tests.conftest import REPORTS
from tests.parsers import hostile

REPORT = (REPORTS / "ddor2017_02-04to02-10.pdf").read_bytes()


@contextmanager
def start_method_of(param: str) -> Iterator[None]:
    """This process as the ``param`` start method sees it: alone (fork), or with another thread
    alive (forkserver) for as long as the block runs."""
    if param == "fork":
        assert start_method() == "fork"
        yield
        return
    release = threading.Event()
    holder = threading.Thread(target=release.wait)
    holder.start()
    try:
        assert start_method() == "forkserver"
        yield
    finally:
        release.set()
        holder.join()


@pytest.fixture(params=["fork", "forkserver"])
def run(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Calls parse_isolated from this thread (fork) or while another thread is alive (forkserver)."""
    with start_method_of(request.param):
        if request.param == "fork":
            yield parse_isolated
            return
        with ThreadPoolExecutor(1) as pool:
            yield lambda *args, **kwargs: pool.submit(parse_isolated, *args, **kwargs).result()


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


def hang_when_marked(data: bytes, max_pages: int) -> Any:
    """A stand-in parser: hangs on a document marked "hang", parses any other."""
    from parsers.ddor import parse_report

    if b"hang" in data[:32]:
        hostile.loop_forever(data, max_pages)
    return parse_report(data, max_pages)


def parse_when_all_met(data: bytes, max_pages: int) -> Any:
    """A stand-in parser that parses only once two children are running at the same time:
    each leaves its pid in the directory named on the document's first line and waits (up to
    its timeout) to see the other's."""
    import os

    meeting = Path(data.split(b"\n", 1)[0].split(b" ", 1)[1].decode())
    (meeting / str(os.getpid())).touch()
    while len(list(meeting.iterdir())) < 2:
        time.sleep(0.02)
    return hang_when_marked(data, max_pages)


@pytest.fixture(params=["fork", "forkserver"])
def many(request: pytest.FixtureRequest) -> Iterator[Callable[..., list[Any]]]:
    """Calls parse_isolated_many from this thread (fork) or while another thread is alive."""
    with start_method_of(request.param):
        yield lambda *args, **kwargs: list(parse_isolated_many(*args, **kwargs))


def test_many_documents_give_each_its_own_result_in_order(many: Callable[..., list[Any]]) -> None:
    from parsers.ddor import parse_report

    unreadable = ParseError("archive file unreadable: No such file or directory")
    hanging = b"%PDF-1.4 hang\n" + REPORT
    results = many(
        [REPORT, b"<html><body>503</body></html>", unreadable, hanging, REPORT],
        Limits(timeout_seconds=4),
        2,
        hang_when_marked,
    )
    expected = parse_report(REPORT).to_json()
    kinds = [type(result).__name__ for result in results]
    assert kinds == ["Report", "NotAPdf", "ParseError", "ParseTimeout", "Report"]
    assert results[0].to_json() == expected and results[4].to_json() == expected
    assert results[2] is unreadable


def test_many_documents_run_on_as_many_children_as_workers(many: Callable[..., list[Any]], tmp_path: Path) -> None:
    """Each child parses only when it sees the other one running: one at a time, both would
    time out."""
    marked = b"%PDF-1.4 " + str(tmp_path).encode() + b"\n" + REPORT
    results = many([marked, marked], Limits(timeout_seconds=20), 2, parse_when_all_met)
    assert [type(result).__name__ for result in results] == ["Report", "Report"]
    assert len(list(tmp_path.iterdir())) == 2
