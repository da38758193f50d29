"""Run ``ddor`` in this process with click's CliRunner: output and exit code, without the
second or so a subprocess spends starting Python and importing the packages.

The group callback sets up logging on the root logger (a handler on the runner's stderr, which
closes when the command returns), so the root logger is put back after each command."""

from __future__ import annotations

import logging
from pathlib import Path

from click.testing import CliRunner, Result

from ddor.cli import cli
from parsers.models import Report
from tests.conftest import REPORT_STEMS, Env, expected, make_env

# Environment the command must not see: a token from the developer's shell would send for real.
CLEAN_ENV: dict[str, str | None] = {"SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None, "DDOR_CONFIG": None}


def invoke(*args: str, config: Path | None = None, env: dict[str, str | None] | None = None) -> Result:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        prefix = ["--config", str(config)] if config else []
        return CliRunner(env={**CLEAN_ENV, **(env or {})}).invoke(cli, [*prefix, *args])
    finally:
        root.handlers[:], root.level = handlers, level


def url_of(stem: str) -> str:
    return f"https://www.ice.gov/doclib/ddor/{stem}.pdf"


def env_with_reports(tmp_path: Path, stems: list[str] = REPORT_STEMS, status: str = "good") -> Env:
    """A config and a store holding the bundled reports as the parser reads them (the golden
    files), ids 1, 2, … in the order given, each downloaded from its ICE URL, without
    crawling or parsing anything."""
    env = make_env(tmp_path, None, None)
    store = env.store()
    with store.transaction() as connection:
        for stem in stems:
            report = Report.from_json(expected(stem))
            store.documents.record(connection, url_of(stem), report.report.sha256, 0, None, None, "report")
            store.reports.add(connection, report, url_of(stem), status)
    store.close()
    return env


def run(env: Env, *args: str) -> Result:
    """``env.run`` in this process: the command with the test's config and environment."""
    return invoke(*args, config=env.config_path, env={**CLEAN_ENV, **env.env})
