"""Schema upgrades with Alembic, on whichever backend the suite runs (SQLite, or PostgreSQL in
its second pass): a database made by the release before Alembic is upgraded by ``ddor db
upgrade`` with every row intact, a fresh one reaches the head, and the head's schema is the
one the code declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from storage import schema
from storage.migrate import head_revision
from storage.store import Store, create_store_engine
from tests.conftest import storage_url
from tests.storage.released import RELEASED_ROWS, make_released_database, reflected, utc

REPO = Path(__file__).resolve().parents[2]


def _ddor(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"url": url, "archive_dir": str(tmp_path / "archive")}}))
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "DDOR_CONFIG")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "ddor", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_a_released_database_is_upgraded_with_every_row_intact(tmp_path: Path, version: int) -> None:
    url = storage_url(tmp_path)
    released = make_released_database(url, version)

    upgraded = _ddor(tmp_path, url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().endswith(f"schema version {schema.LATEST}")

    engine = create_store_engine(url)
    with engine.connect() as connection:
        tables = reflected(connection)
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        assert set(tables.tables) >= set(RELEASED_ROWS)  # the tables a version lacked, added
        for name, rows in released.items():
            table = tables.tables[name]
            # The released columns, as released (later steps add columns and rows of their own).
            columns = [table.c[column] for column in rows[0]]
            order = [table.c[column.name] for column in table.primary_key.columns]
            found = [
                {k: utc(v) for k, v in row.items()}
                for row in connection.execute(select(*columns).order_by(*order)).mappings()
            ]
            assert found[: len(rows)] == rows, name
    engine.dispose()

    listed = _ddor(tmp_path, url, "reports", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [r["period_start"] for r in json.loads(listed.stdout)] == ["2017-01-28"]


def test_the_upgraded_release_keeps_working_for_writes(tmp_path: Path) -> None:
    url = storage_url(tmp_path)
    make_released_database(url)
    store = Store(url)
    # Legacy v4 already: stamped with the baseline, which does not run; later revisions do.
    assert store.upgrade() == list(range(5, schema.LATEST + 1))
    assert store.upgrade() == []
    from storage import NewAlert

    with store.transaction() as tx:
        assert store.outbox.add(tx, [NewAlert("k:digest", "digest", "content", {}), NewAlert("new", "note", "ops", {})])
        assert store.documents.record_note(tx, "A second note.", None, None)
    assert [a.key for a in store.outbox.alerts()] == ["k:digest", "new"]
    assert len(store.documents.notes()) == 2
    store.close()


def test_a_fresh_database_reaches_the_head_and_matches_the_declared_schema(tmp_path: Path) -> None:
    store = Store(storage_url(tmp_path))
    assert store.upgrade() == list(range(4, schema.LATEST + 1))  # from the baseline on
    assert store.schema_version() == schema.LATEST
    with store.read() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        # The legacy table says so too: a release from before Alembic must read the version.
        assert schema.legacy_version(connection) == schema.LATEST
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), schema.metadata
        )
    assert differences == []
    store.close()


def test_the_declared_schema_version_is_the_newest_revision() -> None:
    assert f"{schema.LATEST:04d}" == head_revision()
