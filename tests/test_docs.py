"""The README is the user's manual: its command table lists exactly the commands ``ddor --help``
shows (groups expanded), and every command has help with an example (sqlite-utils' habit)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ddor.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if command is None or command.hidden:
            continue
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def _readme_commands() -> set[str]:
    """Commands named in the first cell of the README's command table rows (`ddor NAME ...`)."""
    names = set()
    for cell in re.findall(r"^\| `ddor ([a-z][a-z ]*?)(?: [\[A-Z\"-].*?)?` \|", README.read_text(), re.MULTILINE):
        names.add(cell.strip())
    return names


def test_readme_lists_exactly_the_commands_ddor_help_shows() -> None:
    assert _readme_commands() == set(_commands(cli))


def test_every_command_has_help_with_an_example() -> None:
    missing = [name for name, command in _commands(cli).items() if "Example:" not in (command.help or "")]
    assert missing == []
