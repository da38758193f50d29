"""Run ``parse_report`` in a child process with a wall-clock timeout and a memory cap.

pdfminer.six has no timeout and no cap on decompressed size, and open issues where it loops
or allocates without end; a hostile PDF must cost us one killed child, never the daemon.

How the child is made (issue #14: a spawned child re-imported the world, ~0.25 s, before it
read a byte, which was most of what ``ddor parse`` cost over the parse itself):

* ``fork`` when this process runs a single thread (``ddor parse``, a crawl cycle): the child
  starts in a millisecond with the parser already imported. With one thread no lock can be
  held by a thread that does not exist in the child, which is what makes fork unsafe.
* otherwise a ``forkserver`` preloaded with the parser (a caller inside a scheduler or a
  thread): the server is a fresh single-threaded interpreter started once per process, and
  every parse is a fork of it, so the import is paid once, not per report. (Each of its
  children still re-imports the caller's ``__main__``, which is why ``parse_isolated_many``
  runs several children from one thread rather than one per worker thread: ``ddor reparse``
  forks them all.)

Either way each parse is its own process with its own limits: killed at the timeout, capped
by ``RLIMIT_AS``, and a crash or a kill takes nothing else with it.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, ForkServerContext
from typing import Any

from parsers.errors import (
    ERROR_KINDS,
    ParseCrashed,
    ParseError,
    ParseMemory,
    ParseTimeout,
    TooLarge,
)
from parsers.magic import check_magic
from parsers.models import Report


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0
    memory_mb: int = 1024
    max_pages: int = 500
    max_bytes: int = 64 * 1024 * 1024


Entry = Callable[[bytes, int], Report]


# The forkserver imports these once, so its forks start with the parser loaded.
PRELOAD = ["parsers.ddor"]


def _address_space_bytes() -> int:
    """This process's current virtual size (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def start_method() -> str:
    """Python threads are what can hold a lock (logging, import, an allocator's) across a
    fork; none of our dependencies start native threads of their own."""
    return "fork" if threading.active_count() == 1 else "forkserver"


def _context() -> ForkContext | ForkServerContext:
    if start_method() == "fork":
        # The child then finds the parser imported; importing it here costs what a child would.
        import parsers.ddor  # noqa: F401

        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _die_with_parent() -> None:
    """SIGKILL this child when the process that forked it dies (Linux's PR_SET_PDEATHSIG).

    A cycle killed by the daemon mid-parse would otherwise leave its parse child behind,
    holding the inherited cycle lock and blocked for ever writing its result into a pipe
    nobody reads: every later cycle would wait for that lock."""
    parent = os.getppid()  # this process's or the forkserver's: either way, the one to outlive
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):  # not Linux: the read end is still closed below
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _child(conn: Connection, data: bytes, limits: Limits, entry: Entry, reader: Connection) -> None:
    # The read end came with the fork: holding it, a child whose parent died would block on a
    # full pipe instead of getting EPIPE.
    reader.close()
    # Everything the parent held is the parser's read-only context: leave it out of the
    # child's garbage collections (each would walk, and copy on write, the parent's heap).
    gc.freeze()
    _die_with_parent()
    # A forked child starts with its parent's mappings (shared copy-on-write, not allocated by
    # the parse), so the cap is what it inherited plus the parse's own budget: the budget
    # means the same whether the parent is a small CLI or a large test runner.
    cap = _address_space_bytes() + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = int(limits.timeout_seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        report = entry(data, limits.max_pages)
        message: tuple[Any, ...] = ("ok", report.to_json())
    except ParseError as exc:
        message = ("error", exc.kind, exc.reason)
    except MemoryError:
        message = ("error", ParseMemory.kind, f"over the memory limit of {limits.memory_mb} MiB")
    except RecursionError:
        message = ("error", ParseCrashed.kind, "structure nested too deeply (recursion limit)")
    except Exception as exc:  # noqa: BLE001 — pdfminer raises many types on bad input
        message = ("error", ParseCrashed.kind, f"unreadable PDF ({type(exc).__name__}: {str(exc)[:200]})")
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("error", ParseMemory.kind, f"over the memory limit of {limits.memory_mb} MiB"))
    conn.close()


def _parser() -> Entry:
    from parsers.ddor import parse_report  # imported when first needed: `ddor --help` skips pdfminer

    return parse_report


@dataclass
class _Child:
    """One running parse: its process, the read end of its result pipe, when it is overdue."""

    process: Any
    receiver: Connection
    deadline: float


def _launch(context: ForkContext | ForkServerContext, data: bytes, limits: Limits, entry: Entry) -> _Child:
    """Refuse what needs no child (size, magic bytes: raises), else start the parse child."""
    if len(data) > limits.max_bytes:
        raise TooLarge(f"{len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    check_magic(data)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, data, limits, entry, receiver), daemon=True)
    process.start()
    sender.close()
    return _Child(process, receiver, time.monotonic() + limits.timeout_seconds)


def _collect(child: _Child, limits: Limits) -> Report | ParseError:
    """The child's result once its pipe is readable or its time is up; the child is gone after."""
    try:
        if not child.receiver.poll(max(0.0, child.deadline - time.monotonic())):
            return ParseTimeout(f"no result within {limits.timeout_seconds:g} s; parse killed")
        try:
            message = child.receiver.recv()
        except EOFError:
            child.process.join(5)
            code = child.process.exitcode
            return ParseCrashed(
                f"parser process died (exit code {code}); likely over the {limits.memory_mb} MiB memory limit"
            )
    finally:
        if child.process.is_alive():
            child.process.kill()
        child.process.join(5)
        child.receiver.close()
        child.process.close()
    if message[0] == "ok":
        return Report.from_json(message[1])
    return ERROR_KINDS.get(message[1], ParseError)(message[2])


def parse_isolated(data: bytes, limits: Limits | None = None, entry: Entry | None = None) -> Report:
    """Parse in a child process; raises a typed ``ParseError`` on any failure or limit.

    ``entry`` (a module-level function, so a forkserver child can import it) lets tests stand
    in a parser that hangs or allocates without end: the boundary is what they test."""
    limits = limits or Limits()
    result = _collect(_launch(_context(), data, limits, entry or _parser()), limits)
    if isinstance(result, ParseError):
        raise result
    return result


def parse_isolated_many(
    items: Iterable[bytes | ParseError], limits: Limits | None = None, workers: int = 2, entry: Entry | None = None
) -> Iterator[Report | ParseError]:
    """``parse_isolated`` over many documents, ``workers`` children at a time: each result (a
    ``Report``, or the ``ParseError`` that document raised) in the order of ``items``. An item
    that already is a ``ParseError`` (its bytes could not be read) is passed through.

    Run from a single-threaded process, this forks every child from the calling thread and
    waits on their pipes here, rather than from worker threads: threads would force the
    forkserver, whose children re-import the caller's ``__main__`` before parsing (``ddor
    reparse`` of 40 reports: ~1 s a child). Each child keeps its own timeout and memory cap.
    ``items`` is read lazily: at most ``workers`` documents are held at once."""
    limits, entry = limits or Limits(), entry or _parser()
    if start_method() != "fork":  # called from a thread: one parse_isolated per worker thread
        yield from _many_in_threads(items, limits, workers, entry)
        return
    context = _context()
    pending = enumerate(items)
    running: dict[Connection, tuple[int, _Child]] = {}
    done: dict[int, Report | ParseError] = {}
    next_index, exhausted = 0, False
    while True:
        while not exhausted and len(running) < max(1, workers):
            item = next(pending, None)
            if item is None:
                exhausted = True
                break
            index, data = item
            if isinstance(data, ParseError):
                done[index] = data
                continue
            try:
                child = _launch(context, data, limits, entry)
            except ParseError as exc:
                done[index] = exc
                continue
            running[child.receiver] = (index, child)
        while next_index in done:
            yield done.pop(next_index)
            next_index += 1
        if not running:
            if exhausted:
                return
            continue
        first_deadline = min(child.deadline for _, child in running.values())
        ready = set(wait(list(running), timeout=max(0.0, first_deadline - time.monotonic())))
        now = time.monotonic()
        for receiver in list(running):
            index, child = running[receiver]
            if receiver in ready or child.deadline <= now:
                del running[receiver]
                done[index] = _collect(child, limits)


def _many_in_threads(
    items: Iterable[bytes | ParseError], limits: Limits, workers: int, entry: Entry
) -> Iterator[Report | ParseError]:
    def parse_one(item: bytes | ParseError) -> Report | ParseError:
        if isinstance(item, ParseError):
            return item
        try:
            return parse_isolated(item, limits, entry)
        except ParseError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(parse_one, items)
