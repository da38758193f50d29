"""``ddor reparse`` over 40 archived reports on 2 workers: wall time, and the one-worker time
beside it with ``--compare``.

Target (issue #14): ≤ 12 s on 2 workers (anchor 24.7 s, when every parse spawned a fresh
interpreter that re-imported pdfminer). Exits 1 when missed.

    python benchmarks/reparse.py [--reports 40] [--workers 2] [--compare]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.figures import Target, children_cpu, report  # noqa: E402
from ddor.backfill import reparse  # noqa: E402
from ddor.config import Config, StorageConfig  # noqa: E402
from parsers import parse_report  # noqa: E402
from parsers.models import Report  # noqa: E402
from storage import Archive, Store  # noqa: E402

PDFS = sorted((REPO / "ddor" / "demo_site" / "doclib" / "ddor").glob("*.pdf"))
TARGET_SECONDS = 12.0


def build_store(work: Path, count: int) -> Config:
    """``count`` distinct archived reports: the mirror's four, each re-saved with a trailing
    comment after %%EOF (other bytes and digest, same content: PDF readers ignore it)."""
    config = Config(storage=StorageConfig(url=f"sqlite:///{work}/ddor.sqlite3", archive_dir=str(work / "archive")))
    store, archive = Store(config.storage_url), Archive(config.archive_path)
    store.upgrade()
    parsed = {pdf: parse_report(pdf.read_bytes()) for pdf in PDFS}
    for index in range(count):
        pdf = PDFS[index % len(PDFS)]
        data = pdf.read_bytes() + f"\n% copy {index}\n".encode()
        sha = archive.write(data)
        original = parsed[pdf]
        report = Report(replace(original.report, sha256=sha), original.issued, original.declined, original.policies)
        with store.transaction() as connection:
            store.reports.add(connection, report, f"https://example.invalid/{index}.pdf", "good")
    store.close()
    return config


def timed(config: Config, workers: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one reparse; CPU counts this process and its parse children."""
    store = Store(config.storage_url)
    started, cpu = time.perf_counter(), time.process_time() + children_cpu()
    changes, failures = reparse(config, store, workers)
    elapsed, cpu = time.perf_counter() - started, time.process_time() + children_cpu() - cpu
    store.close()
    if failures:
        raise SystemExit(f"reparse failed: {failures[0]}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", action="store_true", help="also time one worker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        config = build_store(Path(work), args.reports)
        many, cpu = timed(config, args.workers)
        one = timed(config, 1)[0] if args.compare else None
    line = f"reparse of {args.reports} archived reports: {args.workers} workers {many:.1f} s"
    print(line + (f", 1 worker {one:.1f} s ({many / one:.2f}×)" if one else ""))
    # On a shared machine the wall figure is mostly the queue for a core; the CPU time over
    # the workers is what the reparse would take with its cores to itself.
    print(f"  CPU {cpu:.1f} s (this process and its parse children), {cpu / args.workers:.1f} s per worker")
    return report(
        [Target(f"reparse of {args.reports} reports, {args.workers} workers", many, TARGET_SECONDS, " s", "24.7 s")]
    )


if __name__ == "__main__":
    sys.exit(main())
