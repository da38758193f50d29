"""The Store on whichever backend the suite runs (SQLite, or PostgreSQL in the second pass)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from parsers.models import Report
from storage import Archive, NewAlert, Store, schema
from tests.conftest import expected, storage_url
from tests.storage.released import make_released_database


@pytest.fixture
def store(tmp_path: Path) -> Store:
    result = Store(storage_url(tmp_path))
    result.upgrade()
    return result


def test_migrations_apply_once(store: Store) -> None:
    assert store.schema_version() == schema.LATEST
    assert store.upgrade() == []


def test_a_version_1_database_gains_the_withdrawn_table(tmp_path: Path) -> None:
    url = storage_url(tmp_path)
    make_released_database(url, version=1)  # as v1 released it, before Alembic
    store = Store(url)
    assert store.upgrade() == [2, 3, 4, *range(5, schema.LATEST + 1)]
    assert store.upgrade() == []  # stamped with the baseline it then equals: nothing runs twice
    withdraw = store.documents.acknowledge_withdrawn
    assert withdraw("http://x/r1.pdf") and not withdraw("http://x/r1.pdf")
    assert list(store.documents.withdrawn()) == ["http://x/r1.pdf"]
    store.close()


def test_report_round_trips_with_its_rows(store: Store) -> None:
    report = Report.from_json(expected("ddor2017_01-28to02-03"))
    with store.transaction() as connection:
        report_id = store.reports.add(connection, report, "http://x/r1.pdf", "good")
    stored = store.reports.by_id(report_id)
    assert stored is not None and stored.report == report
    assert store.reports.by_sha(report.report.sha256).id == report_id  # type: ignore[union-attr]


def test_an_alert_key_is_queued_once(store: Store) -> None:
    alert = NewAlert("abc:digest", "digest", "content", {"kind": "note", "text": "x", "date_line": None, "url": None})
    with store.transaction() as connection:
        assert store.outbox.add(connection, [alert, alert]) == 1
    with store.transaction() as connection:
        assert store.outbox.add(connection, [alert]) == 0
    assert [a.key for a in store.outbox.alerts()] == ["abc:digest"]


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    report = Report.from_json(expected("ddor2017_02-04to02-10"))
    with pytest.raises(RuntimeError), store.transaction() as connection:
        store.reports.add(connection, report, "http://x/r2.pdf", "good")
        store.outbox.add(connection, [NewAlert("k", "digest", "content", {})])
        raise RuntimeError("crash between the report and its alert")
    assert store.reports.all() == [] and store.outbox.alerts() == []


def test_outbox_states(store: Store) -> None:
    with store.transaction() as connection:
        store.outbox.add(connection, [NewAlert("k1", "note", "content", {}), NewAlert("k2", "note", "ops", {})])
    first, second = store.outbox.alerts()
    store.outbox.claim(first.id, "#c")
    assert store.outbox.by_key("k1").state == "sending"  # type: ignore[union-attr]
    store.outbox.mark_sent(first.id, "123.456")
    store.outbox.mark_failed(second.id, "channel_not_found", dead=True)
    assert store.outbox.counts() == {"sent": 1, "dead": 1}
    assert store.outbox.by_key("k1").slack_ts == "123.456"  # type: ignore[union-attr]


def test_archive_is_content_addressed_and_atomic(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    data = b"%PDF-1.4 report bytes"
    digest = archive.write(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert archive.write(data) == digest and archive.read(digest) == data and archive.verify(digest)
    stale = archive.path_for(digest).parent / ".part-leftover"
    stale.write_bytes(b"half a file")
    assert archive.clean_stale() == 1 and not stale.exists()
    with pytest.raises(ValueError):
        archive.path_for("../../etc/passwd")


def test_datasette_metadata_describes_every_table() -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ddor", "db", "metadata"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    tables = json.loads(result.stdout)["databases"]["ddor"]["tables"]
    assert {"reports", "declined_rows", "issued_rows", "policy_rows", "alerts", "runs"} <= set(tables)
    assert all(table["description"] for table in tables.values())
    assert "Convicted/Charged" in tables["declined_rows"]["columns"]["criminal_activity"]
