"""Cost of a poll, process start included, against the bundled mirror and a fake Slack Web
API on 127.0.0.1, with the default politeness (one request at a time, the configured 2 s
delay between requests to the host):

* a no-change poll (the listing answers 304): requests on the wire and wall time;
* a poll when report 2 appears: from the start of ``ddor crawl`` to its digest accepted by
  the Slack API.

Targets (issues #13 and #14): the no-change poll is 1 request and ≤ 1.0 s (anchor 3.3 s);
the new report's digest is accepted ≤ 4 s after the poll starts (anchor 10.0 s). Medians of
``--rounds`` fresh stores. Exits 1 when one is missed.

    python benchmarks/poll.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.figures import Target, children_cpu, report  # noqa: E402
from ddor.mirror import MirrorServer, bundled_mirror  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402


def crawl(config: Path, slack: FakeSlack) -> float:
    """Runs one ``ddor crawl``; returns when it started (time.time(), as the Slack ledger)."""
    env = {**os.environ, "SLACK_BOT_TOKEN": slack.token}
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "ddor", "--config", str(config), "crawl"], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise SystemExit(f"poll failed: {result.stderr.strip()}")
    return started


def one_round(server: MirrorServer, slack: FakeSlack) -> tuple[float, float, int, float, float]:
    """(seconds to report 2's digest, no-change wall seconds, its requests, its PDF bytes,
    its CPU seconds over the whole process tree)."""
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "source": {"url": server.listing_url},  # default delay (2 s) and recheck_hours
                    "storage": {"url": f"sqlite:///{work}/ddor.sqlite3", "archive_dir": "archive"},
                    "slack": {"api_url": slack.base_url, "min_seconds_between_posts": 0.0},
                }
            )
        )
        server.stage = "2017-03-20"
        crawl(config, slack)  # the store starts tracking with report 1
        server.stage = "2017-03-29"
        before = len(slack.ledger)
        started = crawl(config, slack)
        digests = [m for m in slack.ledger[before:] if str(m.get("metadata", {})).find(":digest") >= 0]
        if not digests:
            raise SystemExit("report 2's digest was never posted")
        to_digest = digests[0]["at"] - started
        server.log.clear()
        began, cpu = time.perf_counter(), children_cpu()
        crawl(config, slack)
        idle, idle_cpu = time.perf_counter() - began, children_cpu() - cpu
        requests = len(server.log)
        pdf_bytes = sum(e.sent_bytes for e in server.log if e.path.startswith("/doclib/"))
    return to_digest, idle, requests, pdf_bytes, idle_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server, slack = MirrorServer(bundled_mirror()).start(), FakeSlack().start()
    try:
        rounds = [one_round(server, slack) for _ in range(args.rounds)]
    finally:
        server.stop()
        slack.stop()
    to_digest = statistics.median(r[0] for r in rounds)
    idle = statistics.median(r[1] for r in rounds)
    requests = max(r[2] for r in rounds)
    pdf_bytes = max(r[3] for r in rounds)
    idle_cpu = statistics.median(r[4] for r in rounds)
    print(f"median of {args.rounds} rounds, download delay 2 s (the default):")
    print(f"  report 2 appears: poll start → digest accepted by Slack   {to_digest:5.2f} s")
    print(f"  nothing new (304): wall {idle:.2f} s, {requests} request(s), {pdf_bytes:,} PDF bytes")
    print(f"  (its CPU time, both processes, less sensitive to other load on the machine: {idle_cpu:.2f} s)")
    return report(
        [
            Target("new report: poll start → digest accepted", to_digest, 4.0, " s", "10.0 s"),
            Target("no-change poll wall time", idle, 1.0, " s", "3.3 s"),
            Target("no-change poll requests on the wire (most in any round)", requests, 1, "", "2 requests"),
            Target("no-change poll PDF bytes", pdf_bytes, 0, "", "0"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
