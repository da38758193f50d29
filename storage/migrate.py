"""Schema upgrades with Alembic, from the baseline revision "0004" (the schema released before
Alembic, with its legacy ``schema_version`` table at 4).

Configured here, in code: no alembic.ini for a user to find. The scripts ship inside the
package (storage/migrations). Revision IDs are schema version numbers, zero-padded, so
``ddor status`` keeps showing one number across the switch. Alembic is imported only when
there is something to apply: an up-to-date store (every poll) never pays for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert

from storage import schema as t

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).parent / "migrations"
BASELINE = "0004"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations has no revision"
    return head


def upgrade(connection: Connection) -> list[int]:
    """Bring the database on ``connection`` (inside the caller's write transaction) to the
    newest revision; returns the schema versions applied, legacy steps included.

    A database from before Alembic is first finished with the released legacy steps (up to 4),
    then stamped with the baseline it now equals, so the baseline never runs over its tables."""
    # Alembic's plugin set-up (logged on import) says nothing an operator needs; "Running
    # upgrade ..." stays at INFO.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic import command

    applied: list[int] = []
    config = alembic_config(connection)
    if not t.has_alembic_version(connection):
        legacy = t.legacy_version(connection)
        if legacy:
            applied += _finish_legacy(connection, legacy)
            command.stamp(config, BASELINE)
    before = t.current_version(connection) if t.has_alembic_version(connection) else 0
    command.upgrade(config, "head")
    after = t.current_version(connection)
    return applied + _versions_between(before, after)


def _finish_legacy(connection: Connection, version: int) -> list[int]:
    applied = []
    for number, migrate in t.MIGRATIONS:
        if number > version:
            migrate(connection)
            connection.execute(insert(t.schema_version).values(version=number, applied_at=dt.datetime.now(dt.UTC)))
            applied.append(number)
    return applied


def _versions_between(before: int, after: int) -> list[int]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    numbers = {int(revision.revision) for revision in script.walk_revisions()}
    return sorted(number for number in numbers if before < number <= after)


def write_revision(message: str) -> Path:
    """Write the next revision (``python -m storage.migrate "add X"``): numbered after
    LATEST, its operations generated from how the declared schema (storage/schema.py)
    differs from a scratch SQLite database brought to the current head. Review it, then
    raise LATEST to its number."""
    import tempfile

    from alembic import command

    from storage.store import Store

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/head.sqlite3"
        Store(url).upgrade()
        script = command.revision(
            alembic_config(url=url), message=message, autogenerate=True, rev_id=f"{t.LATEST + 1:04d}"
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


if __name__ == "__main__":
    import sys

    print(write_revision(" ".join(sys.argv[1:]) or "schema change"))
