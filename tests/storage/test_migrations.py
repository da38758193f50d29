"""Schema upgrades with Alembic, on whichever backend the suite runs (SQLite, or PostgreSQL in
its second pass): a database made by the release before Alembic is upgraded by ``ddor db
upgrade`` with every row intact, a fresh one reaches the head, and the head's schema is the
one the code declares."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, select
from sqlalchemy.types import DateTime

from storage import schema
from storage.migrate import head_revision
from storage.store import Store, create_store_engine
from tests.conftest import storage_url

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
RELEASED_ROWS: dict[str, list[dict[str, Any]]] = json.loads((DATA / "released-v4.rows.json").read_text())


def _utc(value: Any) -> Any:
    """Timestamps compared as instants: SQLite hands them back without their zone (UTC)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _reflected(connection: Connection) -> MetaData:
    tables = MetaData()
    tables.reflect(connection)
    return tables


def _make_released_database(url: str) -> None:
    """The database as the release before Alembic left it: its DDL, then its rows."""
    engine = create_store_engine(url)
    dialect = engine.dialect.name
    ddl = (DATA / f"released-v4.{dialect}.sql").read_text()
    with engine.begin() as connection:
        for statement in re.split(r";\n(?:\n|$)", ddl):
            if statement.strip():
                connection.exec_driver_sql(statement)
        tables = _reflected(connection)
        for table in tables.sorted_tables:
            dates = {c.name for c in table.columns if isinstance(c.type, DateTime)}
            rows = [
                {k: _utc(dt.datetime.fromisoformat(v)) if k in dates and v else v for k, v in row.items()}
                for row in RELEASED_ROWS[table.name]
            ]
            connection.execute(table.insert(), rows)
            if dialect == "postgresql" and "id" in table.c and table.name != "schema_version":
                # Rows went in with their ids: move each sequence past them, as the release's inserts did.
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"
                )
    engine.dispose()


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


def test_a_released_database_is_upgraded_with_every_row_intact(tmp_path: Path) -> None:
    url = storage_url(tmp_path)
    _make_released_database(url)

    upgraded = _ddor(tmp_path, url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().endswith(f"schema version {schema.LATEST}")

    engine = create_store_engine(url)
    with engine.connect() as connection:
        tables = _reflected(connection)
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        for name, released in RELEASED_ROWS.items():
            table = tables.tables[name]
            order = [table.c[column.name] for column in table.primary_key.columns]
            rows = [dict(row) for row in connection.execute(select(table).order_by(*order)).mappings()]
            expected = [
                {
                    k: _utc(dt.datetime.fromisoformat(v))
                    if isinstance(v, str) and isinstance(table.c[k].type, DateTime)
                    else v
                    for k, v in row.items()
                }
                for row in released
            ]
            assert [{k: _utc(v) for k, v in row.items()} for row in rows] == expected, name
    engine.dispose()

    listed = _ddor(tmp_path, url, "reports", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [r["period_start"] for r in json.loads(listed.stdout)] == ["2017-01-28"]


def test_the_upgraded_release_keeps_working_for_writes(tmp_path: Path) -> None:
    url = storage_url(tmp_path)
    _make_released_database(url)
    store = Store(url)
    assert store.upgrade() == []  # v4 already: stamped with the baseline, nothing run
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
    assert store.upgrade() == [schema.LATEST]
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
