"""Store fixtures: a real SQLite file per test, and the same tests on PostgreSQL when reachable.

PostgreSQL: `$FASED_TEST_POSTGRES` (an admin DSN), else `postgres@` or `root@` on
127.0.0.1:5432/test with trust auth. Each test gets a scratch database, dropped afterwards.
Without asyncpg or a server, the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from fased.store import Database, open_database

PG_CANDIDATES = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


async def _first_answering(candidates: list[str]) -> str | None:
    import asyncpg

    for dsn in candidates:
        try:
            conn = await asyncpg.connect(dsn, timeout=3)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            continue
        await conn.close()
        return dsn
    return None


@pytest.fixture(scope="session")
def postgres_admin() -> str | None:
    """A DSN with the right to create databases, or None."""
    if importlib.util.find_spec("asyncpg") is None:
        return None
    override = os.environ.get("FASED_TEST_POSTGRES")
    return asyncio.run(_first_answering([override] if override else list(PG_CANDIDATES)))


async def _admin_execute(admin_dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def postgres_url(postgres_admin: str | None) -> AsyncIterator[str]:
    if postgres_admin is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (or asyncpg is missing)")
    name = f"fased_store_{uuid.uuid4().hex[:16]}"
    await _admin_execute(postgres_admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "fased.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    database = await open_database(db_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file (for SQLite-specific behaviour)."""
    database = await open_database(str(tmp_path / "fased.db"))
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
