"""Run ``parse_report`` in a spawned child with a wall-clock timeout and a memory cap.

pdfminer.six has no timeout and no cap on decompressed size, and open issues where it loops
or allocates without end; a hostile PDF must cost us one killed child, never the daemon.
``spawn`` (not fork) so the child inherits no threads or locks from the scheduler.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
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


def _child(conn: Connection, data: bytes, limits: Limits, entry: Entry) -> None:
    cap = limits.memory_mb * 1024 * 1024
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

    ``entry`` (a module-level function, so the spawned child can import it) lets tests stand
    in a parser that hangs or allocates without end: the boundary is what they test."""
    limits = limits or Limits()
    if entry is None:
        from parsers.ddor import parse_report as entry  # the child imports pdfminer, not us
    if len(data) > limits.max_bytes:
        raise TooLarge(f"{len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    check_magic(data)  # cheap refusals need no child
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, data, limits, entry), daemon=True)
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
