"""The database: one async SQLAlchemy engine on SQLite (embedded) or PostgreSQL (scale-out).

`migrate(url)` upgrades the schema at start (alembic `upgrade head`, idempotent); the whole
upgrade runs in one write transaction, serialised between processes starting together by
`BEGIN IMMEDIATE` on SQLite and a transaction-scoped advisory lock on PostgreSQL, so the second
process finds the schema at head and does nothing.

SQLite runs in WAL mode with one writer at a time: the driver's own transaction handling is
switched off and every transaction is begun by us (SQLAlchemy's documented recipe), `BEGIN
IMMEDIATE` for writes so that a writer takes the write lock before it reads, and never fails
half-way with "database is locked" when it upgrades a read lock. Readers use a plain `BEGIN` and
are never blocked by the writer (WAL). On PostgreSQL both are ordinary READ COMMITTED
transactions; the repositories take row locks where they need them.

The SQLite write lock is never left behind by a connection SQLAlchemy throws away: a task
cancelled in the middle of a statement makes SQLAlchemy invalidate and close its connection
instead of rolling back, and closing a connection whose statement is still active (a RETURNING
row not yet fetched) leaves the transaction open, write lock included, until that statement is
garbage-collected. Our connections roll back in `close()` (`_SQLiteConnection`), in the driver's
thread, before anything else runs on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from fased.errors import StartupError
from fased.store.migrate import current_revision, upgrade_to_head

_WRITE_OPTION: Final = "fased_write"
_SQLITE_DRIVER: Final = "sqlite+aiosqlite"
_POSTGRES_DRIVER: Final = "postgresql+asyncpg"
_POSTGRES_SCHEMES: Final = ("postgresql", "postgres", _POSTGRES_DRIVER)
_SQLITE_SCHEMES: Final = ("sqlite", _SQLITE_DRIVER)
_PG_MIGRATION_LOCK: Final = 0x66A5ED  # advisory lock id for migrations; constant across releases

Insert = sqlite.Insert | postgresql.Insert


class Database:
    """An open database: the engine plus read and write transactions.

    `write()` and `read()` yield a connection inside a transaction that commits when the block
    ends normally and rolls back when it raises.
    """

    __slots__ = ("_busy_timeout", "_write_lock", "engine")

    def __init__(self, engine: AsyncEngine, *, busy_timeout: float = 5.0) -> None:
        self.engine = engine
        self._busy_timeout = busy_timeout
        # SQLite has one writer at a time: writers of this process queue here (FIFO, no
        # polling) instead of in SQLite's busy handler, which sleeps up to 100 ms per retry.
        # Other processes are still held off by BEGIN IMMEDIATE and the busy timeout.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (`BEGIN IMMEDIATE` on SQLite: the write lock is taken up front).

        On SQLite, waiting for the write lock is bounded by the busy timeout (`TimeoutError`):
        a write opened inside another write of the same process fails instead of hanging.
        """
        async with self._writer(), self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction: a consistent snapshot for every statement in the block."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        try:
            async with asyncio.timeout(self._busy_timeout):
                await self._write_lock.acquire()
        except TimeoutError:
            raise TimeoutError(
                f"database is locked: no write lock within {self._busy_timeout:g} s"
            ) from None
        try:
            yield
        finally:
            self._write_lock.release()

    def insert(self, table: sa.Table) -> Insert:
        """A dialect `INSERT` that supports `on_conflict_do_nothing/do_update` on both backends."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest revision; a no-op when it is already there."""
        async with self.write() as conn:
            if self.dialect == "postgresql":
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            await conn.run_sync(upgrade_to_head)

    async def revision(self) -> str | None:
        """The schema revision the database is at (None: never migrated)."""
        async with self.read() as conn:
            return await conn.run_sync(current_revision)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection; the object must not be used afterwards."""
        await self.engine.dispose()


async def open_database(url: str, *, busy_timeout: float = 5.0, echo: bool = False) -> Database:
    """Open the database named by `url`: a SQLite file path or URL, or `postgresql://…`.

    Nothing is connected until first use; call `ping()` to check the server answers.
    `busy_timeout` is how long (seconds) a SQLite writer waits for the write lock.
    """
    target = database_url(url)
    if target.get_backend_name() == "postgresql":
        return Database(create_async_engine(target, echo=echo, pool_pre_ping=True))
    Path(target.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(target, echo=echo, connect_args={"factory": _SQLiteConnection})
    _configure_sqlite(engine, busy_timeout)
    return Database(engine, busy_timeout=busy_timeout)


async def migrate(url: str) -> None:
    """Open the database at `url`, upgrade its schema to head and close it (run before serving)."""
    db = await open_database(url)
    try:
        await db.migrate()
    finally:
        await db.close()


def database_url(url: str) -> URL:
    """Map the configured `storage.database` value to the async driver's SQLAlchemy URL."""
    if "://" not in url:
        return _sqlite_url(url)
    scheme = url.split("://", 1)[0].lower()
    if scheme in _SQLITE_SCHEMES:
        return _sqlite_url(_parse(url).database or "")
    if scheme in _POSTGRES_SCHEMES:
        if importlib.util.find_spec("asyncpg") is None:
            raise StartupError(
                "storage.database is PostgreSQL but the asyncpg driver is not installed: "
                "pip install 'fased[postgres]'"
            )
        return _parse(url).set(drivername=_POSTGRES_DRIVER)
    raise StartupError(
        f"storage.database: unsupported database URL scheme {scheme!r}; "
        "use a SQLite file path or postgresql://user:password@host/dbname"
    )


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # the message may repeat the URL, password included
        raise StartupError(
            "storage.database: cannot parse the database URL; "
            "expected postgresql://user:password@host:port/dbname"
        ) from None


def _sqlite_url(path: str) -> URL:
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        raise StartupError(
            "storage.database: an in-memory SQLite database cannot be shared between "
            "connections; give a file path such as ~/.fased/fased.db"
        )
    return URL.create(_SQLITE_DRIVER, database=str(Path(path).expanduser()))


class _SQLiteConnection(sqlite3.Connection):
    """A driver connection that rolls back an open transaction before it closes.

    `sqlite3.Connection.close()` on a connection with a statement still active does not end its
    transaction: SQLite keeps the connection (a "zombie") and the write lock until the statement
    is finalized, i.e. until Python collects the cursor. That happens when SQLAlchemy closes a
    connection it invalidated because a task was cancelled while a statement ran.
    """

    def close(self) -> None:
        if self.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.rollback()
        super().close()


def _is_busy(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


def _switch_to_wal(cursor: Any, busy_timeout: float) -> None:
    """`PRAGMA journal_mode=WAL`, waiting within the busy timeout for a writer in the way.

    Switching a database that is not in WAL mode yet (a new file) takes a read lock, then
    upgrades it to the write lock; when another connection holds that (another process switching
    or migrating the same new file), SQLite answers SQLITE_BUSY at once instead of calling the
    busy handler, which would deadlock on an upgrade. So wait for that writer with `BEGIN
    IMMEDIATE`, which does wait in the busy handler, let go at once, and switch again (by then
    the other connection has usually switched the file already and there is nothing to write).
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:
            if not _is_busy(error) or time.monotonic() >= deadline:
                raise
        cursor.execute("BEGIN IMMEDIATE")  # bounded by the busy timeout
        cursor.execute("ROLLBACK")


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    pragmas = ("PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver from emitting BEGIN (and COMMIT before DDL) itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # The busy timeout first: switching to WAL can itself wait for a lock.
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            _switch_to_wal(cursor, busy_timeout)
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    def on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
