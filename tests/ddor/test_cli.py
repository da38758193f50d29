"""The CLI surface users script against: help with an example on every command, the parse
CSV and JSON, the version; through click's CliRunner, and once through the real entry point in
a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ddor.cli import cli
from tests.conftest import REPORTS, expected
from tests.ddor.clirunner import invoke

STEMS = ["ddor2017_02-04to02-10", "ddor2017_02-11to02-17"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        elif not command.hidden:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(cli))
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example: ddor " in result.output, f"`ddor {' '.join(path)}` lacks an example in its help"


def test_interface_commands_exist() -> None:
    names = {" ".join(p) for p in _commands(cli)}
    assert {"crawl", "parse", "daemon", "status", "reports", "diff", "alert test", "demo"} <= names


def test_parse_csv_has_one_row_per_released_person() -> None:
    result = invoke("parse", "--format", "csv", str(REPORTS / "ddor2017_01-28to02-03.pdf"))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 206
    assert rows[0]["period_start"] == "2017-01-28" and rows[0]["jurisdiction_key"] == "CA:alameda"
    assert sum(1 for r in rows if r["county"] == "Travis County") == 142


def test_parse_json_is_an_object_for_one_file_and_an_array_for_several() -> None:
    one = invoke("parse", "--in-process", str(REPORTS / "ddor2017_02-04to02-10.pdf"))
    assert one.exit_code == 0, one.stderr
    parsed = json.loads(one.stdout)
    assert {key: value for key, value in parsed.items() if key != "validation"} == expected("ddor2017_02-04to02-10")
    assert parsed["validation"]["suspect"] is False
    two = invoke("parse", "--in-process", *(str(REPORTS / f"{stem}.pdf") for stem in STEMS))
    assert [r["report"]["period_start"] for r in json.loads(two.stdout)] == ["2017-02-04", "2017-02-11"]


def test_parse_reports_a_bad_file_in_one_line_and_still_parses_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-report.pdf"
    bad.write_bytes(b"<html>404</html>")
    missing = tmp_path / "missing.pdf"
    result = invoke("parse", str(bad), str(missing), str(REPORTS / "ddor2017_02-04to02-10.pdf"))
    assert result.exit_code == 1
    first, second = result.stderr.splitlines()
    assert first.startswith(f"ddor: {bad}: not_pdf: ")
    assert second == f"ddor: {missing}: cannot read: No such file or directory"
    assert [r["report"]["period_start"] for r in json.loads(result.stdout)] == ["2017-02-04"]


def test_the_entry_point_parses_in_a_subprocess() -> None:
    """End to end: ``python -m ddor`` with the parse isolated in its child, as users run it."""
    result = subprocess.run(
        [sys.executable, "-m", "ddor", "parse", "--format", "csv", str(REPORTS / "ddor2017_01-28to02-03.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 206 and rows[0]["jurisdiction_key"] == "CA:alameda"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "ddor, version" in result.output
