"""Parse speed on the 35-page report #1: ours vs bare pdfminer, pdfplumber and pdftotext.

Prints each time (best of N) and the ratios; exits 1 when our full parse is slower than
0.8 × bare ``pdfminer.high_level.extract_pages`` with default LAParams.

    python benchmarks/parse.py [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from parsers import parse_report  # noqa: E402

REPORT = REPO / "tests" / "fixtures" / "ice-site" / "doclib" / "ddor" / "ddor2017_01-28to02-03.pdf"
TARGET = 0.8


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.WARNING)  # the measured 2.7× debug-logging trap
    data = REPORT.read_bytes()

    from pdfminer.high_level import extract_pages

    figures: dict[str, float] = {
        "ddor (full parse + validation)": best_of(args.runs, lambda: parse_report(data)),
        "pdfminer extract_pages (default LAParams)": best_of(args.runs, lambda: list(extract_pages(io.BytesIO(data)))),
    }
    try:
        import pdfplumber

        def plumber() -> None:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page.extract_tables()

        figures["pdfplumber extract_tables"] = best_of(args.runs, plumber)
    except ImportError:
        print("pdfplumber not installed: skipped")
    if shutil.which("pdftotext"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            figures["pdftotext -layout"] = best_of(
                args.runs, lambda: subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True)
            )
    else:
        print("pdftotext not installed (Debian: poppler-utils): skipped")

    bare = figures["pdfminer extract_pages (default LAParams)"]
    ours = figures["ddor (full parse + validation)"]
    print(f"report: {REPORT.name} (35 pages), best of {args.runs}")
    for name, seconds in figures.items():
        print(f"  {name:44s} {seconds * 1000:8.0f} ms   {seconds / bare:5.2f}× bare pdfminer")
    verdict = "OK" if ours <= TARGET * bare else "MISSED"
    print(f"target: ddor ≤ {TARGET}× bare pdfminer → {ours / bare:.2f}× {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
