"""Parse speed on the 35-page report #1, as a user meets it and in-process.

Whole processes (issue #14), median of interleaved rounds: ``ddor parse report1.pdf --format
json`` (isolated child included) against a bare ``python -c "…extract_pages…"`` pass, with
pdfplumber's ``extract_tables`` and pdftotext beside them; and ``ddor --help``. In-process
(best of N): our full parse against bare pdfminer, pdfplumber and pdftotext.

Targets: ``ddor parse`` ≤ 0.6× the bare pdfminer process; ``ddor --help`` ≤ 0.15 s; the
in-process parse ≤ 0.8× bare pdfminer. Exits 1 when one is missed.

    python benchmarks/parse.py [--rounds 5] [--runs 3]
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

from benchmarks.figures import Target, interleaved_medians, report  # noqa: E402
from parsers import parse_report  # noqa: E402

REPORT = REPO / "ddor" / "demo_site" / "doclib" / "ddor" / "ddor2017_01-28to02-03.pdf"
BARE = (
    "import logging, sys; logging.getLogger('pdfminer').setLevel(logging.ERROR)\n"
    "from pdfminer.high_level import extract_pages; list(extract_pages(sys.argv[1]))"
)
PLUMBER = (
    "import logging, sys, pdfplumber; logging.getLogger('pdfminer').setLevel(logging.ERROR)\n"
    "with pdfplumber.open(sys.argv[1]) as pdf: [page.extract_tables() for page in pdf.pages]"
)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def whole_process(rounds: int) -> list[Target]:
    python, pdf = sys.executable, str(REPORT)
    commands = {
        "ddor parse --format json": [python, "-m", "ddor", "parse", pdf, "--format", "json"],
        "bare pdfminer extract_pages": [python, "-c", BARE, pdf],
        "ddor --help": [python, "-m", "ddor", "--help"],
    }
    try:
        import pdfplumber  # noqa: F401

        commands["pdfplumber extract_tables"] = [python, "-c", PLUMBER, pdf]
    except ImportError:
        print("pdfplumber not installed: skipped")
    if shutil.which("pdftotext"):
        commands["pdftotext -layout"] = ["pdftotext", "-layout", pdf, "-"]
    medians = interleaved_medians(commands, rounds)
    bare, bare_cpu = medians["bare pdfminer extract_pages"]
    print(f"whole processes, {REPORT.name} (35 pages), median of {rounds} interleaved rounds (wall; CPU):")
    for name, (seconds, cpu) in medians.items():
        print(
            f"  {name:32s} {seconds:6.2f} s  {seconds / bare:5.2f}×   CPU {cpu:5.2f} s  {cpu / bare_cpu:5.2f}×"
            "  (× the bare pdfminer process)"
        )
    ours, ours_cpu = medians["ddor parse --format json"]
    print(f"  (CPU-time ratio, less sensitive to other load on the machine: {ours_cpu / bare_cpu:.2f}×)")
    return [
        Target("ddor parse, whole process, × bare pdfminer process", ours / bare, 0.6, "×", "1.08× (1.32 s vs 1.22 s)"),
        Target("ddor --help", medians["ddor --help"][0], 0.15, " s", "0.26 s"),
    ]


def in_process(runs: int) -> list[Target]:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # the measured 2.7× debug-logging trap
    data = REPORT.read_bytes()

    from pdfminer.high_level import extract_pages

    figures: dict[str, float] = {
        "ddor (full parse + validation)": best_of(runs, lambda: parse_report(data)),
        "pdfminer extract_pages (default LAParams)": best_of(runs, lambda: list(extract_pages(io.BytesIO(data)))),
    }
    try:
        import pdfplumber

        def plumber() -> None:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page.extract_tables()

        figures["pdfplumber extract_tables"] = best_of(runs, plumber)
    except ImportError:
        pass
    if shutil.which("pdftotext"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            figures["pdftotext -layout"] = best_of(
                runs, lambda: subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True)
            )
    bare = figures["pdfminer extract_pages (default LAParams)"]
    print(f"in-process, best of {runs}:")
    for name, seconds in figures.items():
        print(f"  {name:44s} {seconds * 1000:8.0f} ms   {seconds / bare:5.2f}× bare pdfminer")
    ours = figures["ddor (full parse + validation)"]
    return [Target("in-process parse × bare pdfminer", ours / bare, 0.8, "×", "0.64× (0.70 s)")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved whole-process rounds")
    parser.add_argument("--runs", type=int, default=3, help="in-process runs (best of)")
    args = parser.parse_args()
    targets = whole_process(args.rounds)
    targets += in_process(args.runs)
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
