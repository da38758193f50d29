"""Hostile config.yaml files: how long the loader takes to refuse (or load) each, and the
peak memory of a process doing only that. Exits 1 when one takes longer than TARGET seconds
or peaks past TARGET_MB (before the hardening an alias bomb ran 44 s to 1.6 GB, a 50 MB
file past 150 s and 2 GB).

    python benchmarks/config_load.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ddor.config import MAX_CONFIG_BYTES  # noqa: E402

TARGET = 2.0
TARGET_MB = 200.0
BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else '0'}]\n" for i in range(10))


def documents() -> dict[str, bytes]:
    cap = MAX_CONFIG_BYTES - 64
    return {
        "alias bomb (9^9)": (BOMB + "source:\n  user_agent: *l9\n").encode(),
        "50 MB file": b"# x\n" * (50 * 1024 * 1024 // 4),
        "1 MiB flow list": b"alerts:\n  watch: [" + b"'TX:a'," * (cap // 7) + b"]\n",
        "1 MiB block list": b"alerts:\n  watch:\n" + b"    - 'TX:a'\n" * (cap // 13),
        "1 MiB nesting": b"alerts:\n  watch: " + b"[" * (cap // 2) + b"]" * (cap // 2) + b"\n",
        "1 MiB scalar": b"source:\n  user_agent: '" + b"a" * cap + b"'\n",
        "1 MiB comments": b"#\n" * (cap // 2),
        "1 MiB of keys": b"alerts:\n" + b"".join(b"  k%06d: 1\n" % i for i in range(cap // 14)),
    }


# The child imports first, then times only the load, so the figures are the loader's own.
CHILD = """
import sys, time
from pathlib import Path
from ddor.config import ConfigError, load_config
started = time.perf_counter()
try:
    load_config(Path(sys.argv[1]))
    outcome = "loaded"
except ConfigError as exc:
    outcome = str(exc)
print(f"{time.perf_counter() - started:.3f} {outcome}")
"""


def load_in_child(path: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, outcome) of one load in a fresh interpreter."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO, env=os.environ.copy()
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped by wait4
    seconds, _, outcome = output.strip().partition(" ")
    return float(seconds or "nan"), usage.ru_maxrss / 1024, outcome


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "config.yaml"
        for name, content in documents().items():
            path.write_bytes(content)
            seconds, peak_mb, outcome = load_in_child(path)
            slow = not seconds <= TARGET or peak_mb > TARGET_MB
            failed |= slow
            shown = outcome.replace(str(path), "config.yaml")[:90]
            print(f"{'MISS' if slow else 'ok  '} {name:18} {seconds:6.2f} s {peak_mb:7.1f} MB  {shown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
