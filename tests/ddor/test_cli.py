"""The CLI surface users script against: help with an example on every command, the parse
CSV, the version."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from ddor.cli import cli
from tests.conftest import REPORTS


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
    result = subprocess.run(
        [sys.executable, "-m", "ddor", "parse", "--format", "csv", str(REPORTS / "ddor2017_01-28to02-03.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 206
    assert rows[0]["period_start"] == "2017-01-28" and rows[0]["jurisdiction_key"] == "CA:alameda"
    assert sum(1 for r in rows if r["county"] == "Travis County") == 142


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "ddor, version" in result.output
