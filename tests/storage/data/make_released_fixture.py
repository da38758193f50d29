"""Made the fixture of the schema ddor-watch released before Alembic (legacy schema v4), ONCE,
from that release's own code; kept so anyone can see (and re-make) how it was made:

    git worktree add /tmp/released 0a3fa73
    cd /tmp/released && PYTHONPATH=. python /path/to/this/file OUT_DIR

It writes, for each backend, the DDL that release's ``Store.upgrade()`` ran on a fresh
database (captured with SQLAlchemy's mock engine, so no server is needed), and one JSON file
of rows made through that release's own Store API: every table, every column filled where
the release fills it. Not run by the suite: the API it calls is the one being replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_mock_engine, select

from parsers.models import Report
from storage import NewAlert, Store, schema

EXPECTED = Path("ddor/demo_site/expected/ddor2017_01-28to02-03.json")


def ddl(dialect: str) -> str:
    statements: list[str] = []

    def collect(sql: Any, *_args: Any, **_kwargs: Any) -> None:
        statements.append(str(sql.compile(dialect=engine.dialect)).strip() + ";")

    engine = create_mock_engine(f"{dialect}://", collect)
    schema.metadata.create_all(engine, checkfirst=False)
    return "\n\n".join(statements) + "\n"


def rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    report = Report.from_json(json.loads(EXPECTED.read_text()))
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with store.transaction() as connection:
        store.set_validators(connection, "https://www.ice.gov/ddor", '"etag-1"', "Mon, 30 Nov 2026 09:00:00 GMT")
        sha = report.report.sha256
        store.record_document(connection, "https://www.ice.gov/r1.pdf", sha, 4242, "DDOR", "Feb 2017", "report")
        report_id = store.save_report(connection, report, "https://www.ice.gov/r1.pdf", "good")
        store.record_note(connection, "Note posted on ICE.gov: corrected.", "Mar 2017", "https://www.ice.gov/r1.pdf")
        store.quarantine(connection, "f" * 64, "https://www.ice.gov/bad.pdf", "timeout", "parse took too long")
        store.add_alerts(connection, [NewAlert("k:digest", "digest", "content", {"kind": "digest", "n": 1})], report_id)
        store.set_health(connection, "crawl", 2, True, "listing moved")
    store.acknowledge_withdrawn("https://www.ice.gov/gone.pdf")
    store.start_run("run-1", "cli")
    store.finish_run("run-1", "ok", {"fetched": 1}, None)
    alert = store.alerts()[0]
    store.claim_alert(alert.id, "#ddor", owner="host:1:tok", lease_until=at)
    store.record_attempt(alert.id, "host:1:tok", "#ddor", at, at)
    store.release_alert(alert.id, "host:1:tok", "ratelimited", at, channel_id="C123")
    out: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as connection:
        for table in schema.metadata.sorted_tables:
            query = select(table).limit(2 if table.name.endswith("_rows") else 100)
            out[table.name] = [
                {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
                for row in connection.execute(query).mappings()
            ]
    return out


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for dialect in ("sqlite", "postgresql"):
        (out_dir / f"released-v4.{dialect}.sql").write_text(ddl(dialect))
    with tempfile.TemporaryDirectory() as work:
        store = Store(f"sqlite:///{work}/released.sqlite3")
        store.upgrade()
        data = rows(store)
        store.close()
    (out_dir / "released-v4.rows.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
