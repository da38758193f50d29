"""The idle daemon's memory and the per-run overhead of a scheduled cycle.

Runs ``ddor daemon`` (interval 2 s) against the bundled mirror for a number of no-change runs
and prints: the daemon's RSS after start and after the runs, and the mean wall time of a
run (child start + crawl + 304).

Targets (issue #14): idle RSS ≤ 60 MB, and flat (grown < 5 MB) over 100 no-change cycles.
Exits 1 when one is missed.

    python benchmarks/daemon.py [--runs 100]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.figures import Target, report  # noqa: E402
from ddor.mirror import MirrorServer, bundled_mirror  # noqa: E402
from storage.store import Store  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def finished_runs(url: str) -> list[tuple[float, str]]:
    store = Store(url)
    store.upgrade()  # idempotent; the daemon may not have created the schema yet
    try:
        return [
            ((r["finished_at"] - r["started_at"]).total_seconds(), r["outcome"])
            for r in store.runs.last(1000)
            if r["finished_at"]
        ]
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    server = MirrorServer(bundled_mirror()).start()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/ddor.sqlite3"
        config = Path(work) / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "source": {"url": server.listing_url, "download_delay_seconds": 0},
                    "storage": {"url": url, "archive_dir": "archive"},
                    "schedule": {"interval_seconds": 2},
                }
            )
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "ddor", "--config", str(config), "daemon"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while len(finished_runs(url)) < 2:
                time.sleep(0.2)
            start_rss = rss_mb(daemon.pid)
            while len(finished_runs(url)) < args.runs + 2:
                time.sleep(0.2)
            time.sleep(0.5)
            end_rss = rss_mb(daemon.pid)
            durations = [d for d, outcome in finished_runs(url)[: args.runs] if outcome == "not_modified"]
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(30)
            server.stop()
    mean = sum(durations) / max(1, len(durations))
    print(
        f"idle daemon RSS: {start_rss:.1f} MB after start, {end_rss:.1f} MB after {args.runs} more runs "
        f"({end_rss - start_rss:+.1f} MB)"
    )
    print(f"per-run overhead (no-change cycle, as recorded): mean {mean:.2f} s over {len(durations)} runs")
    return report(
        [
            Target("idle daemon RSS", max(start_rss, end_rss), 60.0, " MB", "not measured before"),
            Target(f"RSS growth over {args.runs} no-change cycles", end_rss - start_rss, 5.0, " MB", "< 5 MB"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
