"""First run and read-only stores: a fresh clone works with the shipped config (directories are
created by the commands that write, and only by them); reading commands work on a store they
cannot write and migrate nothing; writing commands on such a store fail in one line naming
the file or the key."""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ddor.mirror import MirrorServer
from parsers.models import Report
from storage import StoreError
from storage import schema as t
from storage.store import Store, open_for_reading, open_for_writing
from tests.conftest import REPORT_STEMS, expected

REPO = Path(__file__).resolve().parents[2]
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _without_file_privileges() -> None:
    """In the child, before exec: drop the capabilities that let root ignore file modes, so a
    chmod'ed file or directory is as read-only for the test as it is for a reporter's account
    (root would otherwise write anyway, and proving nothing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop_file_privileges() -> bool:
    probe = subprocess.run(["true"], preexec_fn=_without_file_privileges, check=False)
    return probe.returncode == 0


def _ddor(cwd: Path, *args: str, confined: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "DDOR_CONFIG")}
    env["PYTHONPATH"] = str(REPO)  # the cwd is a temporary "clone" holding only config.yaml
    return subprocess.run(
        [sys.executable, "-m", "ddor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        preexec_fn=_without_file_privileges if confined and os.geteuid() == 0 else None,
    )


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))}


# --- first run ------------------------------------------------------------------------------


def test_fresh_clone_with_the_shipped_config(tmp_path: Path, mirror: MirrorServer) -> None:
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")

    for command in ("reports", "status"):
        result = _ddor(tmp_path, command)
        assert result.returncode == 0, result.stderr
    assert "not created yet" in _ddor(tmp_path, "status").stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"], "a read created files"

    # The same file pointed at the local mirror (the only change): the crawl creates data/.
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["source"].update(url=mirror.listing_url, download_delay_seconds=0, retries=1)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    crawl = _ddor(tmp_path, "crawl", "--dry-run", timeout=300)
    assert crawl.returncode == 0, crawl.stderr
    assert (tmp_path / "data" / "ddor.sqlite3").is_file() and (tmp_path / "data" / "archive").is_dir()
    reports = _ddor(tmp_path, "reports")
    assert reports.returncode == 0 and "weekly" in reports.stdout
    assert _ddor(tmp_path, "status").returncode == 0


@pytest.mark.parametrize(
    ("storage", "key"),
    [
        ({"archive_dir": "blocker/archive"}, "storage.archive_dir"),
        ({"url": "sqlite:///blocker/db/ddor.sqlite3"}, "storage.url"),
    ],
)
def test_a_directory_that_cannot_be_made_is_one_line_naming_the_key(storage: dict[str, str], key: str) -> None:
    # A short directory, not tmp_path: the message names the path whole only up to 80
    # characters, and pytest-xdist's workers make tmp_path longer than that.
    with tempfile.TemporaryDirectory(prefix="ddor-") as temporary:
        root = Path(temporary)
        (root / "blocker").write_text("a file where a directory should go\n")
        (root / "config.yaml").write_text(yaml.safe_dump({"storage": storage}))
        result = _ddor(root, "db", "upgrade")
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"ddor: config.yaml: {key}: cannot write in {root / 'blocker'}")


# --- read-only stores -----------------------------------------------------------------------


def _store_two_weeks(url: str) -> None:
    store = open_for_writing(url)
    with store.transaction() as connection:
        for stem in REPORT_STEMS[:2]:
            report = Report.from_json(expected(stem))
            store.reports.add(connection, report, f"https://www.ice.gov/doclib/ddor/{stem}.pdf", "good")
    store.close()


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A store with two weekly reports whose file and directory are read-only (mode 444 and
    555: SQLite cannot even create the WAL index beside it); the archive stays writable."""
    if os.geteuid() == 0 and not _can_drop_file_privileges():
        pytest.skip("running as root without CAP_SETPCAP: file modes cannot be enforced")
    database = tmp_path / "db"
    database.mkdir()
    _store_two_weeks(f"sqlite:///{database / 'ddor.sqlite3'}")
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump({"storage": {"url": "sqlite:///db/ddor.sqlite3", "archive_dir": "archive"}})
    )
    (database / "ddor.sqlite3").chmod(0o444)
    database.chmod(0o555)
    yield tmp_path
    database.chmod(0o755)


@pytest.mark.sqlite_only
def test_read_commands_work_on_a_store_they_cannot_write(read_only_store: Path) -> None:
    before = _tree(read_only_store / "db")
    assert list(before) == ["ddor.sqlite3"], "the hard case: no WAL index beside the file, none creatable"
    commands = [
        ("reports",),
        ("status",),
        ("export", "--format", "csv"),
        ("export", "--format", "json", "--table", "series"),
        ("history", "Travis County, TX"),
        ("diff", "--all"),
    ]
    outputs = {}
    for command in commands:
        result = _ddor(read_only_store, *command, confined=True)
        assert result.returncode == 0, (command, result.stderr)
        outputs[command[0]] = result.stdout
    assert "2017-01-28..2017-02-03" in outputs["reports"] and "2017-02-04..2017-02-10" in outputs["reports"]
    assert f"schema v{t.LATEST}" in outputs["status"]
    assert len(outputs["export"].splitlines()) > 200
    assert "142" in outputs["history"]
    assert outputs["diff"].startswith("2017-01-28..2017-02-03 → 2017-02-04..2017-02-10")
    assert _tree(read_only_store / "db") == before, "a read command wrote beside the database"


@pytest.mark.sqlite_only
def test_write_commands_on_a_read_only_store_fail_in_one_line_naming_the_key(read_only_store: Path) -> None:
    for command in (("crawl", "--dry-run"), ("db", "upgrade"), ("reparse",)):
        result = _ddor(read_only_store, *command, confined=True)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.strip() == (
            f"ddor: config.yaml: storage.url: cannot write in {read_only_store / 'db'}: Permission denied"
        )


def test_a_read_only_file_in_a_writable_directory_refuses_writes_up_front(tmp_path: Path) -> None:
    """The case that used to end in a traceback mid-crawl: nothing to migrate, so the store
    opened, and the first INSERT failed. Here the write is proven possible at open."""
    if os.geteuid() == 0 and not _can_drop_file_privileges():
        pytest.skip("running as root without CAP_SETPCAP: file modes cannot be enforced")
    _store_two_weeks(f"sqlite:///{tmp_path / 'ddor.sqlite3'}")
    (tmp_path / "ddor.sqlite3").chmod(0o444)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"storage": {"url": "sqlite:///ddor.sqlite3"}}))
    assert _ddor(tmp_path, "reports", confined=True).returncode == 0
    crawl = _ddor(tmp_path, "crawl", "--dry-run", confined=True)
    assert crawl.returncode == 2
    assert (
        crawl.stderr.strip() == f"ddor: {tmp_path / 'ddor.sqlite3'}: cannot write: attempt to write a readonly database"
    )


# --- the read path, in process ----------------------------------------------------------------


def test_reading_migrates_nothing_and_a_stale_schema_asks_for_db_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ddor.sqlite3'}"
    _store_two_weeks(url)

    def add_a_column(connection: object) -> None:  # pragma: no cover — must never run on read
        raise AssertionError("a read applied a migration")

    stored, newer = t.LATEST, t.LATEST + 1
    monkeypatch.setattr(t, "MIGRATIONS", [*t.MIGRATIONS, (newer, add_a_column)])
    monkeypatch.setattr(t, "LATEST", newer)
    expected_error = rf"schema version {stored} is older than this ddor's \({newer}\): run `ddor db upgrade`"
    with pytest.raises(StoreError, match=expected_error):
        open_for_reading(url)
    assert Store(url).schema_version() == stored


def test_an_up_to_date_store_is_read_as_is_and_refuses_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ddor.sqlite3'}"
    _store_two_weeks(url)
    store = open_for_reading(url)
    assert [r.period_start for r in store.reports.all()] == ["2017-01-28", "2017-02-04"]
    with pytest.raises(StoreError, match="cannot write"):
        store.check_writable()


def test_a_store_not_created_yet_reads_as_empty_and_stays_absent(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "ddor.sqlite3"
    store = open_for_reading(f"sqlite:///{path}")
    assert (store.created, store.reports.all(), store.runs.last()) == (False, [], [])
    assert not path.parent.exists()


def test_sqlite_paths_with_uri_characters_open_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "a ?#% b"
    folder.mkdir()
    url = f"sqlite:///{folder / 'ddor.sqlite3'}"
    _store_two_weeks(url)
    assert len(open_for_reading(url).reports.all()) == 2


def test_file_modes_are_enforced_for_the_confined_child(tmp_path: Path) -> None:
    """The other tests rely on it: a confined ``ddor`` cannot write a 444 file even as root."""
    target = tmp_path / "locked"
    target.write_text("x")
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    if os.geteuid() == 0 and not _can_drop_file_privileges():
        pytest.skip("running as root without CAP_SETPCAP")
    result = subprocess.run(
        [sys.executable, "-c", f"open({str(target)!r}, 'a')"],
        preexec_fn=_without_file_privileges if os.geteuid() == 0 else None,
        capture_output=True,
        text=True,
    )
    assert "PermissionError" in result.stderr
