"""Alembic's entry point. ddor runs it with the connection of its own write transaction
(``config.attributes["connection"]``, see storage/migrate.py); the ``alembic`` command, for a
developer writing the next revision, runs it against ``sqlalchemy.url``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite's ALTER TABLE cannot change or drop a column; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transactional_ddl=True,  # both SQLite and PostgreSQL roll DDL back with the rest
    )
    with context.begin_transaction():  # a no-op inside ddor's transaction, which commits it
        context.run_migrations()


def run_standalone(url: str) -> None:
    from storage.store import create_store_engine

    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
            connection.commit()
    finally:
        engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    run_standalone(context.config.get_main_option("sqlalchemy.url") or "sqlite:///ddor.sqlite3")
