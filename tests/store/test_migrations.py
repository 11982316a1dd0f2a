from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fased.store import open_database
from fased.store.engine import migrate
from fased.store.migrate import SCRIPT_LOCATION, head_revision
from fased.store.schema import metadata

TABLES = {
    "alembic_version",
    "sessions",
    "session_turns",
    "usage_records",
    "responses",
    "faces",
    "documents",
    "claims",
}


def _diffs(target: sa.MetaData) -> Callable[[sa.Connection], list[object]]:
    def compare(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target))

    return compare


async def _table_names(url: str) -> set[str]:
    db = await open_database(url)
    try:
        async with db.read() as conn:
            return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    finally:
        await db.close()


def test_the_scripts_ship_inside_the_package() -> None:
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert (SCRIPT_LOCATION / "versions" / "0001_initial.py").is_file()
    assert not list(SCRIPT_LOCATION.glob("*.ini"))
    assert head_revision() == "0003"


async def test_a_fresh_database_migrates_to_head(db_url: str) -> None:
    db = await open_database(db_url)
    try:
        assert await db.revision() is None
        await migrate(db_url)
        assert await db.revision() == head_revision()
    finally:
        await db.close()
    assert await _table_names(db_url) == TABLES


async def test_a_second_start_is_a_no_op_and_keeps_data(db_url: str) -> None:
    await migrate(db_url)
    db = await open_database(db_url)
    try:
        async with db.write() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO sessions (owner_id, session_key, agent_id, created_at, updated_at)"
                    " VALUES ('owner', 'k', 'main', 1, 1)"
                )
            )
        await migrate(db_url)
        await db.migrate()
        assert await db.revision() == head_revision()
        async with db.read() as conn:
            count = await conn.scalar(sa.text("SELECT count(*) FROM sessions"))
    finally:
        await db.close()
    assert count == 1


async def test_processes_starting_together_both_succeed(db_url: str) -> None:
    await asyncio.gather(*(migrate(db_url) for _ in range(3)))
    assert await _table_names(db_url) == TABLES


async def test_the_migrated_schema_matches_schema_py(db_url: str) -> None:
    db = await open_database(db_url)
    try:
        await db.migrate()
        async with db.read() as conn:
            assert await conn.run_sync(_diffs(metadata)) == []
            # The comparison is not vacuous: a column the migrations lack is reported.
            changed = sa.MetaData()
            for table in metadata.sorted_tables:
                table.to_metadata(changed)
            sa.Table("sessions", changed, sa.Column("extra", sa.Text), extend_existing=True)
            assert [diff[0] for diff in await conn.run_sync(_diffs(changed))] == ["add_column"]
    finally:
        await db.close()
