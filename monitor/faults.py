"""Fault injection for the crash tests: with ``DDOR_CRASH_AT=<point>`` in the environment the
process kills itself (SIGKILL, no clean-up) when it reaches that point. Unset, it costs one
dictionary lookup. Points: before-commit, after-commit, after-accept, after-sent."""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    if os.environ.get("DDOR_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
