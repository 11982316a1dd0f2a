"""Alembic, driven from code: the packaged scripts, no alembic.ini on disk.

These functions take a synchronous SQLAlchemy connection (inside `AsyncConnection.run_sync`)
that is already in the transaction the upgrade should run in; `Database.migrate()` and
`fased.store.engine.migrate(url)` are the entry points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

SCRIPT_LOCATION: Final = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An alembic configuration pointing at the packaged scripts (and a connection to use)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: sa.Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def current_revision(connection: sa.Connection) -> str | None:
    """The schema revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest schema revision this release ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
