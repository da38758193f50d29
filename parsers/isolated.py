"""Run ``parse_report`` in a child process with a wall-clock timeout and a memory cap.

pdfminer.six has no timeout and no cap on decompressed size, and open issues where it loops
or allocates without end; a hostile PDF must cost us one killed child, never the daemon.

How the child is made (issue #14: a spawned child re-imported the world, ~0.25 s, before it
read a byte, which was most of what ``ddor parse`` cost over the parse itself):

* ``fork`` when this process runs a single thread (``ddor parse``, a crawl cycle): the child
  starts in a millisecond with the parser already imported. With one thread no lock can be
  held by a thread that does not exist in the child, which is what makes fork unsafe.
* otherwise a ``forkserver`` preloaded with the parser (``ddor reparse``'s worker threads, a
  caller inside a scheduler): the server is a fresh single-threaded interpreter started once
  per process, and every parse is a fork of it, so the import is paid once, not per report.

Either way each parse is its own process with its own limits: killed at the timeout, capped
by ``RLIMIT_AS``, and a crash or a kill takes nothing else with it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
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


def parse_isolated(data: bytes, limits: Limits | None = None, entry: Entry | None = None) -> Report:
    """Parse in a child process; raises a typed ``ParseError`` on any failure or limit.

    ``entry`` (a module-level function, so a forkserver child can import it) lets tests stand
    in a parser that hangs or allocates without end: the boundary is what they test."""
    limits = limits or Limits()
    if entry is None:
        from parsers.ddor import parse_report as entry  # the child imports pdfminer, not us
    if len(data) > limits.max_bytes:
        raise TooLarge(f"{len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    check_magic(data)  # cheap refusals need no child
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, data, limits, entry, receiver), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_seconds):
            raise ParseTimeout(f"no result within {limits.timeout_seconds:g} s; parse killed")
        try:
            message = receiver.recv()
        except EOFError as exc:
            process.join(5)
            code = process.exitcode
            raise ParseCrashed(
                f"parser process died (exit code {code}); likely over the {limits.memory_mb} MiB memory limit"
            ) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
        process.close()
    if message[0] == "ok":
        return Report.from_json(message[1])
    raise ERROR_KINDS.get(message[1], ParseError)(message[2])
