"""Commands import only what they use: `ddor --help` and `ddor parse` start without the heavy
libraries the other commands need (issue #14: SQLAlchemy alone cost 0.2 s of every start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPORTS

HEAVY = ("sqlalchemy", "scrapy", "twisted", "slack_sdk", "matplotlib")

# Runs the real entry point, then lists every module the process imported (at exit, so
# imports made by the command itself are included), into a file: stdout is the command's.
PROBE = """
import json, sys
listing = sys.argv.pop(1)
from ddor.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(listing, "w") as out:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, out)
"""


def imported_by(args: list[str], tmp_path: Path) -> set[str]:
    listing = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *args], capture_output=True, text=True, timeout=120
    )
    assert listing.is_file(), result.stderr
    probe = json.loads(listing.read_text())
    assert probe["exit"] in (0, None), result.stderr  # the command itself must have worked
    return {name.split(".")[0] for name in probe["modules"]}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["parse", str(REPORTS / "ddor2017_02-04to02-10.pdf")], ["parse", "--help"]],
    ids=["help", "parse", "parse-help"],
)
def test_command_does_not_import_heavy_libraries(args: list[str], tmp_path: Path) -> None:
    assert imported_by(args, tmp_path) & set(HEAVY) == set()


def test_the_probe_sees_a_command_that_does_import_them(tmp_path: Path) -> None:
    """The guard can fail: `ddor db upgrade` opens the store, so SQLAlchemy must show up."""
    config = tmp_path / "config.yaml"
    config.write_text(f"storage:\n  url: sqlite:///{tmp_path}/ddor.sqlite3\n  archive_dir: {tmp_path}/archive\n")
    assert "sqlalchemy" in imported_by(["--config", str(config), "db", "upgrade"], tmp_path)
