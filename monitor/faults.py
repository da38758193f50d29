"""Fault injection for the crash tests: with ``DDOR_CRASH_AT=<point>`` in the environment the
process kills itself (SIGKILL, no clean-up) when it reaches that point; ``<point>@<n>`` waits
for the n-th time the point is reached, so a test can kill the drain at a later alert (a route
digest queued after the main one). Unset, it costs one dictionary lookup. Points:
before-commit, after-commit, after-accept, after-sent."""

from __future__ import annotations

import os
import signal

_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    wanted = os.environ.get("DDOR_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
