"""Usage records: one row per model call, written in the background, exactly once.

The hot path calls `UsageRecorder.record(rec)`, which only appends to an in-memory buffer. A
background task writes the buffer in batches, each batch in one transaction with
`INSERT … ON CONFLICT (request_id) DO NOTHING`, so a record that is written twice (a flush that
committed but looked failed, a retried request) is stored once. A flush that fails keeps its
records for the next try; `close()` writes whatever is left at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import DataError, IntegrityError

from fased.canonical import Usage
from fased.metrics import Metrics
from fased.store.engine import Database
from fased.store.schema import USAGE_STATUSES, usage_records

UsageStatus = Literal["ok", "cancelled", "error"]

_REFUSED: Final = (IntegrityError, DataError)  # the data is wrong: retrying will not help


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One model call: who made it, through what, and what it used and cost."""

    request_id: str
    owner_id: str
    endpoint: str
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None  # None: the model's price is unknown
    status: UsageStatus = "ok"
    key_id: str | None = None
    agent_id: str | None = None
    session_key: str | None = None
    created_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.request_id:
            raise ValueError("a usage record needs a request_id")
        if self.status not in USAGE_STATUSES:
            raise ValueError(f"usage status must be one of {USAGE_STATUSES}, not {self.status!r}")

    @classmethod
    def from_usage(
        cls,
        usage: Usage,
        *,
        request_id: str,
        owner_id: str,
        endpoint: str,
        provider: str,
        model: str,
        status: UsageStatus = "ok",
        key_id: str | None = None,
        agent_id: str | None = None,
        session_key: str | None = None,
    ) -> UsageRecord:
        return cls(
            request_id=request_id,
            owner_id=owner_id,
            endpoint=endpoint,
            provider=provider,
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=usage.cost_usd,
            status=status,
            key_id=key_id,
            agent_id=agent_id,
            session_key=session_key,
        )

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _COLUMNS}


_COLUMNS: Final = tuple(f.name for f in fields(UsageRecord))
_VALUES: Final = operator.attrgetter(*_COLUMNS)  # a record → its row, in _COLUMNS order


def insert_sql(dialect: str) -> str:
    """The batch insert, written once in the driver's own parameter style: executed with plain
    tuples it skips SQLAlchemy's per-row statement and parameter processing (about half the
    CPU per record; docs/performance.md)."""
    count = len(_COLUMNS)
    marks = [f"${n}" for n in range(1, count + 1)] if dialect == "postgresql" else ["?"] * count
    return (  # built from the schema's own names, never from data: no injection possible
        f"INSERT INTO {usage_records.name} ({', '.join(_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(marks)}) ON CONFLICT (request_id) DO NOTHING"
    )


@dataclass(frozen=True, slots=True)
class UsageTotals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class UsageRecorder:
    """Buffers usage records and writes them in batches from a background task.

    `max_buffered` bounds memory while the database is unreachable: past it, new records are
    dropped and counted, and the count is logged at the next flush. `metrics`, when given, counts
    every record's tokens and cost (dropped ones too: they were used).
    """

    def __init__(
        self,
        db: Database,
        *,
        flush_interval: float = 1.0,
        max_batch: int = 500,
        max_buffered: int = 100_000,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._sql = insert_sql(db.dialect)
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._max_buffered = max_buffered
        self._buffer: list[UsageRecord] = []
        self._dropped = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._log = structlog.get_logger(__name__)

    @property
    def pending(self) -> int:
        """Records waiting to be written."""
        return len(self._buffer)

    def record(self, rec: UsageRecord) -> None:
        """Queue a record. Never blocks, never touches the database, never raises."""
        if self._metrics is not None:
            self._metrics.usage(
                rec.provider,
                rec.model,
                tokens=(
                    rec.input_tokens,
                    rec.output_tokens,
                    rec.cached_input_tokens,
                    rec.reasoning_tokens,
                ),
                cost_usd=rec.cost_usd,
            )
        if len(self._buffer) >= self._max_buffered:
            self._dropped += 1
            return
        self._buffer.append(rec)
        if len(self._buffer) == self._max_batch:  # a full batch: write it now, not at the tick
            self._wake.set()

    async def start(self) -> None:
        """Start the background writer (idempotent)."""
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="fased-usage-recorder")

    async def flush(self) -> int:
        """Write the records buffered so far; returns how many were written.

        On a database error the unwritten records stay buffered (in order) and the error is
        logged; nothing is raised.
        """
        async with self._lock:
            self._report_dropped()
            target, written = len(self._buffer), 0
            while written < target and self._buffer:
                batch = self._buffer[: min(self._max_batch, target - written)]
                del self._buffer[: len(batch)]
                try:
                    await self._store(batch)
                except BaseException as exc:
                    self._buffer[:0] = batch
                    if not isinstance(exc, Exception):
                        raise
                    self._log.warning(
                        "usage_flush_failed", pending=len(self._buffer), error=_reason(exc)
                    )
                    break
                written += len(batch)
            return written

    async def close(self) -> None:
        """Stop the background writer and write everything still buffered."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            task, self._task = self._task, None
            await task
        await self.flush()
        if self._buffer:
            self._log.error("usage_records_unwritten", count=len(self._buffer))

    async def totals(self, owner_id: str, *, since: float | None = None) -> UsageTotals:
        """The owner's written usage (since an epoch time, if given); buffered records excluded."""
        u = usage_records.c
        query = sa.select(
            sa.func.count(),
            *(
                sa.func.coalesce(sa.func.sum(column), 0)
                for column in (
                    u.input_tokens,
                    u.output_tokens,
                    u.cached_input_tokens,
                    u.reasoning_tokens,
                    u.cost_usd,
                )
            ),
        ).where(u.owner_id == owner_id)
        if since is not None:
            query = query.where(u.created_at >= since)
        async with self._db.read() as conn:
            row = (await conn.execute(query)).one()
        requests, input_tokens, output_tokens, cached, reasoning, cost = row
        return UsageTotals(
            requests=int(requests),
            input_tokens=int(input_tokens),
            output_tokens=int(output_tokens),
            cached_input_tokens=int(cached),
            reasoning_tokens=int(reasoning),
            cost_usd=float(cost),
        )

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def _store(self, batch: Sequence[UsageRecord]) -> None:
        """Write one batch; a batch refused for its data is retried record by record."""
        try:
            await self._insert(batch)
        except _REFUSED:
            for rec in batch:
                await self._store_one(rec)

    async def _store_one(self, rec: UsageRecord) -> None:
        try:
            await self._insert((rec,))
        except _REFUSED as exc:
            self._log.error("usage_record_rejected", request_id=rec.request_id, error=str(exc.orig))

    async def _insert(self, batch: Sequence[UsageRecord]) -> None:
        async with self._db.write() as conn:
            await conn.exec_driver_sql(self._sql, [_VALUES(rec) for rec in batch])

    def _report_dropped(self) -> None:
        if self._dropped:
            self._log.error("usage_records_dropped", count=self._dropped)
            self._dropped = 0


def _reason(exc: Exception) -> str:
    """The driver's message, without the statement and its (possibly huge) parameters."""
    cause = getattr(exc, "orig", None) or exc
    return f"{type(cause).__name__}: {cause}"
