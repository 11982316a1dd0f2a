"""SQLite's write lock is never left behind: not by a write cancelled mid-statement, not by a
connection that finds another one switching a new database to WAL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa

from fased.store import Database, open_database

# A statement that keeps the driver's thread busy for a while (a few hundred milliseconds) and
# leaves a RETURNING row pending: cancelling the task meanwhile lets SQLAlchemy invalidate and
# close the connection while its statement is still active.
SLOW_UPDATE = sa.text(
    "UPDATE counters SET n = n + 1 WHERE (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
    "SELECT i + 1 FROM c WHERE i < 2000000) SELECT count(*) FROM c) > 0 RETURNING n"
)


async def _counters(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.text("CREATE TABLE counters (n INTEGER NOT NULL)"))
        await conn.execute(sa.text("INSERT INTO counters (n) VALUES (0)"))


async def test_a_write_cancelled_mid_statement_rolls_back_and_frees_the_lock(
    tmp_path: Path,
) -> None:
    db = await open_database(str(tmp_path / "f.db"), busy_timeout=1.0)
    try:
        await _counters(db)
        started = asyncio.Event()

        async def interrupted() -> None:
            async with db.write() as conn:
                await conn.execute(sa.text("UPDATE counters SET n = n + 100"))
                started.set()
                await conn.execute(SLOW_UPDATE)

        task = asyncio.create_task(interrupted())
        await started.wait()
        await asyncio.sleep(0.02)  # the slow statement is running in the driver's thread
        task.cancel()
        results = await asyncio.gather(task, return_exceptions=True)  # kept: the traceback too
        assert isinstance(results[0], asyncio.CancelledError)
        async with db.write() as conn:  # not "database is locked" after the busy timeout
            n = await conn.scalar(sa.text("UPDATE counters SET n = n + 1 RETURNING n"))
        assert n == 1  # nothing of the cancelled transaction was written
    finally:
        await db.close()


async def test_opening_while_another_connection_switches_to_wal_waits_for_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("CREATE TABLE t (x)")  # a rollback-journal database, not WAL yet
        # Another process is writing to it: a connection that switches it to WAL has to upgrade
        # its read lock to the write lock, and SQLite answers SQLITE_BUSY at once for that
        # (no busy handler) instead of waiting.
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        commit = threading.Timer(0.2, other.execute, ("COMMIT",))
        commit.start()
        db = await open_database(str(path), busy_timeout=5.0)
        try:
            async with db.read() as conn:
                mode = await conn.scalar(sa.text("PRAGMA journal_mode"))
                rows = await conn.scalar(sa.text("SELECT count(*) FROM t"))
        finally:
            await db.close()
            commit.cancel()
            commit.join()
    finally:
        other.close()
    assert (mode, rows) == ("wal", 1)


async def test_connections_opening_a_new_database_together_all_succeed(tmp_path: Path) -> None:
    for attempt in range(20):
        url = str(tmp_path / f"f{attempt}.db")
        dbs = [await open_database(url) for _ in range(3)]
        try:
            modes = await asyncio.gather(*(_journal_mode(db) for db in dbs))
        finally:
            for db in dbs:
                await db.close()
        assert modes == ["wal"] * 3


async def _journal_mode(db: Database) -> str:
    async with db.read() as conn:
        return str(await conn.scalar(sa.text("PRAGMA journal_mode")))
