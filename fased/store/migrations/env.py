"""Alembic environment: runs inside `fased.store.migrate`, on the connection it passes in.

There is no alembic.ini and no offline (SQL script) mode: the gateway migrates its own database
at every start, in one transaction it has already begun.
"""

from __future__ import annotations

from alembic import context

from fased.store.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("run migrations with fased.store.migrate(), which passes a connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
