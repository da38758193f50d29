"""Cost of a poll: wall time (including process start) and bytes, for a poll that finds
nothing new and one that finds a new 35-page report. Exits 1 when the no-change poll takes
over 1.5 s or downloads any PDF byte.

    python benchmarks/poll.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ddor.mirror import MirrorServer, bundled_mirror  # noqa: E402

TARGET_SECONDS = 1.5


def poll(config: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ddor", "--config", str(config), "crawl"], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"poll failed: {result.stderr.strip()}")
    return time.perf_counter() - started


def pdf_bytes(server: MirrorServer) -> int:
    return sum(entry.sent_bytes for entry in server.log if entry.path.startswith("/doclib/"))


def main() -> int:
    server = MirrorServer(bundled_mirror()).start()
    try:
        with tempfile.TemporaryDirectory() as work:
            config = Path(work) / "config.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "source": {"url": server.listing_url, "download_delay_seconds": 0},
                        "storage": {"url": f"sqlite:///{work}/ddor.sqlite3", "archive_dir": "archive"},
                    }
                )
            )
            new_seconds = poll(config)
            new_bytes = pdf_bytes(server)
            server.log.clear()
            idle_seconds = poll(config)
            idle_bytes = pdf_bytes(server)
    finally:
        server.stop()
    print(f"poll that finds a new 35-page report: {new_seconds:.2f} s wall, {new_bytes:,} PDF bytes")
    print(f"poll with nothing new (304):          {idle_seconds:.2f} s wall, {idle_bytes:,} PDF bytes")
    ok = idle_seconds <= TARGET_SECONDS and idle_bytes == 0
    print(f"target: no-change poll ≤ {TARGET_SECONDS} s and 0 PDF bytes → {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
