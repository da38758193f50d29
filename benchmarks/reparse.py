"""``ddor reparse`` over 40 archived reports: wall time with one worker and with all cores.
Exits 1 when all cores take more than 0.65× the one-core time.

    python benchmarks/reparse.py [--reports 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ddor.backfill import reparse  # noqa: E402
from ddor.config import Config, StorageConfig  # noqa: E402
from parsers import parse_report  # noqa: E402
from parsers.models import Report  # noqa: E402
from storage import Archive, Store  # noqa: E402

PDFS = sorted((REPO / "tests" / "fixtures" / "ice-site" / "doclib" / "ddor").glob("*.pdf"))
TARGET = 0.65


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
            store.save_report(connection, report, f"https://example.invalid/{index}.pdf", "good")
    store.close()
    return config


def timed(config: Config, workers: int) -> float:
    store = Store(config.storage_url)
    started = time.perf_counter()
    changes, failures = reparse(config, store, workers)
    elapsed = time.perf_counter() - started
    store.close()
    if failures:
        raise SystemExit(f"reparse failed: {failures[0]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as work:
        config = build_store(Path(work), args.reports)
        one = timed(config, 1)
        many = timed(config, cores)
    ratio = many / one
    print(
        f"reparse of {args.reports} archived reports: 1 worker {one:.1f} s, {cores} workers {many:.1f} s ({ratio:.2f}×)"
    )
    verdict = "OK" if ratio <= TARGET else "MISSED"
    print(f"target: {cores} workers ≤ {TARGET}× one worker → {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
