"""Shared fixtures: the ICE mirror and a fake Slack on 127.0.0.1, a config per test, and a
way to run the real ``ddor`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ddor.mirror import MirrorServer, bundled_mirror
from tests.fakes.slack import FakeSlack

FIXTURES = Path(__file__).parent / "fixtures"
MIRROR = bundled_mirror()
REPORTS = MIRROR / "doclib" / "ddor"
EXPECTED = MIRROR / "expected"
REPORT_STEMS = ["ddor2017_01-28to02-03", "ddor2017_02-04to02-10", "ddor2017_02-11to02-17", "ddor-fy18-q2"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files on purpose.")


# Started first of all: the longest single tests, minutes each.
LONGEST_FILES = ("test_soak.py", "test_install.py")
# Tests that need a process with no other thread: the parse child is forked only then (else a
# forkserver), and these check both ways. pytest-xdist's workers run an I/O thread, so make
# test runs them after the workers, in its own process (`-m single_threaded`).
SINGLE_THREADED_FILES = ("tests/parsers/test_isolated.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, the longest of them before the rest (a stable sort: otherwise in file
    order). Under pytest-xdist (make test) the long waits then overlap the many quick tests
    instead of running alone at the end with the other workers idle."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, item.path.name not in LONGEST_FILES))
    root = Path(__file__).parent.parent
    for item in items:
        if item.path.relative_to(root).as_posix() in SINGLE_THREADED_FILES:
            item.add_marker(pytest.mark.single_threaded)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def expected(stem: str) -> dict[str, Any]:
    return json.loads((EXPECTED / f"{stem}.json").read_text())


def travis_history() -> list[tuple[str, int | None, int]]:
    """Travis County's (period start, detainers issued, declined) in each mirror report, read
    from the ground truth: what ``ddor history "Travis County, TX"`` must show."""
    truth = []
    for stem in REPORT_STEMS:
        data = expected(stem)
        issued = [r["issued_detainers"] for r in data["issued"] if (r["county"], r["state"]) == ("Travis", "TX")]
        declined = sum(1 for r in data["declined"] if (r["county"], r["state"]) == ("Travis County", "TX"))
        truth.append((data["report"]["period_start"], issued[0] if issued else None, declined))
    return truth


def config_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Write ``text`` as a config.yaml and load it: its path and the error the load must raise."""
    from ddor.config import ConfigError, load_config

    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return path, str(caught.value)


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer(MIRROR).start()
    yield server
    server.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def storage_url(tmp_path: Path) -> str:
    """SQLite by default; PostgreSQL when DDOR_TEST_POSTGRES_URL names a server (a fresh
    schema per test, so the same suite runs on both backends)."""
    base = os.environ.get("DDOR_TEST_POSTGRES_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'ddor.sqlite3'}"
    import uuid

    import sqlalchemy

    name = f"t_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@dataclass
class Env:
    """A test's config file, store and the environment the ``ddor`` command runs in."""

    root: Path
    config_path: Path
    env: dict[str, str]

    def run(
        self, *args: str, timeout: float = 120, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ddor", "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            env={**self.env, **(extra_env or {})},
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def store(self) -> Any:
        from ddor.config import load_config
        from ddor.wiring import open_store

        return open_store(load_config(self.config_path))


def make_env(
    tmp_path: Path, mirror: MirrorServer | None, slack: FakeSlack | None, extra: dict[str, Any] | None = None
) -> Env:
    config: dict[str, Any] = {
        "source": {
            "url": mirror.listing_url if mirror else "http://127.0.0.1:9/declined-detainer-outcome-report",
            "download_delay_seconds": 0,
            "retries": 1,
            "request_timeout_seconds": 10,
        },
        "storage": {"url": storage_url(tmp_path), "archive_dir": "archive"},
        "slack": {
            "channel": "#ddor-alerts",
            "ops_channel": "#ddor-ops",
            "api_url": slack.base_url if slack else "http://127.0.0.1:9/api/",
            "min_seconds_between_posts": 0.0,
        },
    }
    for section, values in (extra or {}).items():
        config.setdefault(section, {}).update(values)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "DDOR_CONFIG")}
    if slack:
        env["SLACK_BOT_TOKEN"] = slack.token
    return Env(tmp_path, path, env)
