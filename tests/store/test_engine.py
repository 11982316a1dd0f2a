from __future__ import annotations

import asyncio
import importlib.machinery
import sqlite3
import sys
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from fased.errors import StartupError
from fased.store import Database, open_database
from fased.store.engine import database_url

HOME = str(Path.home())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/var/lib/fased/fased.db", "sqlite+aiosqlite:////var/lib/fased/fased.db"),
        ("state/fased.db", "sqlite+aiosqlite:///state/fased.db"),
        ("~/.fased/fased.db", f"sqlite+aiosqlite:///{HOME}/.fased/fased.db"),
        ("sqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
    ],
)
def test_sqlite_urls_map_to_aiosqlite(given: str, expected: str) -> None:
    assert database_url(given).render_as_string(hide_password=False) == expected


@pytest.fixture
def asyncpg_present(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("asyncpg")
    module.__spec__ = importlib.machinery.ModuleSpec("asyncpg", None)
    monkeypatch.setitem(sys.modules, "asyncpg", module)


@pytest.mark.usefixtures("asyncpg_present")
@pytest.mark.parametrize(
    "given",
    [
        "postgresql://fased:pw@db.internal:5432/fased",
        "postgres://fased:pw@db.internal:5432/fased",
        "postgresql+asyncpg://fased:pw@db.internal:5432/fased",
    ],
)
def test_postgres_urls_map_to_asyncpg(given: str) -> None:
    url = database_url(given).render_as_string(hide_password=False)
    assert url == "postgresql+asyncpg://fased:pw@db.internal:5432/fased"


def test_missing_asyncpg_is_a_clear_startup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(StartupError, match=r"pip install 'fased\[postgres\]'"):
        database_url("postgresql://u@h/db")


@pytest.mark.usefixtures("asyncpg_present")
@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("mysql://u:secret@h/db", "unsupported database URL scheme 'mysql'"),
        (":memory:", "in-memory SQLite"),
        ("sqlite://", "in-memory SQLite"),
        ("postgresql://u:secret@h:notaport/db", "cannot parse"),
    ],
)
def test_unusable_urls_are_startup_errors_without_secrets(given: str, hint: str) -> None:
    with pytest.raises(StartupError, match=hint) as caught:
        database_url(given)
    assert "secret" not in str(caught.value)


async def test_open_creates_the_state_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "fased.db"
    db = await open_database(str(path))
    try:
        assert await db.ping()
        assert path.exists()
        assert db.dialect == "sqlite"
    finally:
        await db.close()


async def test_sqlite_connection_settings(tmp_path: Path) -> None:
    db = await open_database(str(tmp_path / "f.db"), busy_timeout=2.5)
    try:
        async with db.read() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await db.close()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 2500,
    }


async def _statements(db: Database, mode: str) -> list[str]:
    seen: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.write() if mode == "write" else db.read() as conn:
            await conn.execute(sa.text("SELECT 1"))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    return seen


async def test_writes_begin_immediate_and_reads_begin_deferred(sqlite_db: Database) -> None:
    assert await _statements(sqlite_db, "write") == ["BEGIN IMMEDIATE", "SELECT 1"]
    assert await _statements(sqlite_db, "read") == ["BEGIN", "SELECT 1"]


async def test_a_write_transaction_holds_the_write_lock_from_its_start(
    sqlite_db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "fased.db", timeout=0, isolation_level=None)
    try:
        async with sqlite_db.write():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # WAL: readers are not blocked by the writer.
            async with sqlite_db.read() as reader:
                assert (
                    await reader.execute(sa.text("SELECT count(*) FROM sessions"))
                ).scalar() == 0
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_write_commits_on_success_and_rolls_back_on_error(sqlite_db: Database) -> None:
    insert = sa.text(
        "INSERT INTO sessions (owner_id, session_key, agent_id, created_at, updated_at)"
        " VALUES ('owner', :key, 'main', 0, 0)"
    )
    async with sqlite_db.write() as conn:
        await conn.execute(insert, {"key": "kept"})
    with pytest.raises(RuntimeError):
        async with sqlite_db.write() as conn:
            await conn.execute(insert, {"key": "lost"})
            raise RuntimeError("boom")
    async with sqlite_db.read() as conn:
        keys = (await conn.execute(sa.text("SELECT session_key FROM sessions"))).scalars().all()
    assert keys == ["kept"]


async def test_foreign_keys_are_enforced(sqlite_db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with sqlite_db.write() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO session_turns"
                    " (owner_id, session_key, seq, role, message, tokens, created_at)"
                    " VALUES ('owner', 'nowhere', 1, 'user', '{}', 1, 0)"
                )
            )


async def test_ping_is_false_when_postgres_does_not_answer() -> None:
    pytest.importorskip("asyncpg")
    db = await open_database("postgresql://nobody@127.0.0.1:9/none")
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_ping_on_each_backend(db: Database) -> None:
    assert await db.ping() is True


async def test_read_modify_write_transactions_never_lose_updates(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Two processes' writers on one file. With a deferred BEGIN this fails: 'database is locked'
    (a reader's WAL snapshot went stale before it could write)."""
    async with sqlite_db.write() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO sessions (owner_id, session_key, agent_id, created_at, updated_at)"
                " VALUES ('owner', 'counter', 'main', 0, 0)"
            )
        )
    other_process = await open_database(str(tmp_path / "fased.db"))

    async def increment(db: Database) -> None:
        async with db.write() as conn:
            value = await conn.scalar(sa.text("SELECT updated_at FROM sessions"))
            await asyncio.sleep(0)
            await conn.execute(sa.text("UPDATE sessions SET updated_at = :v"), {"v": value + 1})

    try:
        await asyncio.gather(*(increment(db) for db in [sqlite_db, other_process] * 15))
    finally:
        await other_process.close()
    async with sqlite_db.read() as conn:
        assert await conn.scalar(sa.text("SELECT updated_at FROM sessions")) == 30


async def test_a_write_inside_a_write_fails_instead_of_hanging(tmp_path: Path) -> None:
    db = await open_database(str(tmp_path / "f.db"), busy_timeout=0.05)
    try:
        async with db.write():
            with pytest.raises(TimeoutError, match="database is locked"):
                async with db.write():
                    pass
        async with db.write():  # the lock was released
            pass
    finally:
        await db.close()
