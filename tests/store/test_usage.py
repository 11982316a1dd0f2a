from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from structlog.testing import capture_logs

from fased.canonical import Usage
from fased.store import OWNER_ID, Database, UsageRecord, UsageRecorder, UsageTotals
from fased.store.schema import usage_records


def rec(request_id: str, owner_id: str = OWNER_ID, **fields: object) -> UsageRecord:
    values: dict[str, object] = {
        "endpoint": "chat",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 10,
        "output_tokens": 5,
        **fields,
    }
    return UsageRecord(request_id, owner_id, **values)  # type: ignore[arg-type]


@pytest.fixture
async def recorder(db: Database) -> AsyncIterator[UsageRecorder]:
    usage = UsageRecorder(db, flush_interval=60, max_batch=3)
    yield usage
    await usage.close()


async def _rows(db: Database) -> list[str]:
    async with db.read() as conn:
        ids = await conn.scalars(sa.select(usage_records.c.request_id))
        return sorted(ids)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_records_are_validated_when_built() -> None:
    with pytest.raises(ValueError, match="request_id"):
        rec("")
    with pytest.raises(ValueError, match="status"):
        rec("r", status="done")


def test_a_record_is_built_from_canonical_usage() -> None:
    usage = Usage(input_tokens=7, output_tokens=3, cached_input_tokens=2, reasoning_tokens=1)
    record = UsageRecord.from_usage(
        usage,
        request_id="r1",
        owner_id=OWNER_ID,
        endpoint="messages",
        provider="anthropic",
        model="claude-sonnet-4-6",
        status="cancelled",
        session_key="s",
    )
    assert (record.input_tokens, record.output_tokens, record.cached_input_tokens) == (7, 3, 2)
    assert (record.reasoning_tokens, record.cost_usd, record.status) == (1, None, "cancelled")
    assert record.created_at == pytest.approx(time.time(), abs=5)


async def test_record_only_buffers(recorder: UsageRecorder, db: Database) -> None:
    recorder.record(rec("r1"))
    assert recorder.pending == 1
    assert await _rows(db) == []
    assert await recorder.flush() == 1
    assert recorder.pending == 0
    assert await _rows(db) == ["r1"]
    assert await recorder.flush() == 0


async def test_flush_writes_in_batches_one_transaction_each(
    recorder: UsageRecorder, db: Database
) -> None:
    commits: list[object] = []

    def listener(conn: object) -> None:
        commits.append(conn)

    for n in range(7):
        recorder.record(rec(f"r{n}"))
    event.listen(db.engine.sync_engine, "commit", listener)
    try:
        assert await recorder.flush() == 7
    finally:
        event.remove(db.engine.sync_engine, "commit", listener)
    assert len(commits) == 3  # batches of 3, 3, 1
    assert await _rows(db) == [f"r{n}" for n in range(7)]


async def test_a_record_is_written_exactly_once(recorder: UsageRecorder, db: Database) -> None:
    recorder.record(rec("dup"))
    await recorder.flush()
    recorder.record(rec("dup"))  # a flush that committed but is retried
    recorder.record(rec("other"))
    recorder.record(rec("other"))  # twice in one batch
    assert await recorder.flush() == 3
    assert await _rows(db) == ["dup", "other"]
    assert (await recorder.totals(OWNER_ID)).requests == 2


async def test_the_background_task_flushes_on_its_interval(db: Database) -> None:
    usage = UsageRecorder(db, flush_interval=0.05)
    await usage.start()
    try:
        usage.record(rec("tick"))
        await _eventually(lambda: _has(db, "tick"))
    finally:
        await usage.close()


async def test_a_full_batch_is_flushed_without_waiting_for_the_interval(db: Database) -> None:
    usage = UsageRecorder(db, flush_interval=60, max_batch=4)
    await usage.start()
    try:
        for n in range(4):
            usage.record(rec(f"b{n}"))
        await _eventually(lambda: _has(db, "b3"))
    finally:
        await usage.close()


async def _has(db: Database, request_id: str) -> bool:
    return request_id in await _rows(db)


async def test_close_flushes_everything(db: Database) -> None:
    usage = UsageRecorder(db, flush_interval=60, max_batch=500)
    await usage.start()
    for n in range(25):
        usage.record(rec(f"c{n:02}"))
    await usage.close()
    assert usage.pending == 0
    assert await _rows(db) == [f"c{n:02}" for n in range(25)]


async def _rename(db: Database, old: str, new: str) -> None:
    async with db.write() as conn:
        await conn.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_a_failed_flush_keeps_the_records_for_the_next_try(
    recorder: UsageRecorder, db: Database
) -> None:
    for n in range(5):
        recorder.record(rec(f"f{n}"))
    await _rename(db, "usage_records", "usage_records_away")
    try:
        with capture_logs() as logs:
            assert await recorder.flush() == 0  # does not raise
    finally:
        await _rename(db, "usage_records_away", "usage_records")
    assert [entry["event"] for entry in logs] == ["usage_flush_failed"]
    assert logs[0]["pending"] == 5
    assert "INSERT" not in logs[0]["error"]  # the driver message, not the statement
    assert recorder.pending == 5
    assert await recorder.flush() == 5
    assert await _rows(db) == [f"f{n}" for n in range(5)]


async def test_a_record_the_database_refuses_does_not_block_the_others(
    recorder: UsageRecorder, db: Database
) -> None:
    bad = rec("bad")
    object.__setattr__(bad, "status", "bogus")  # slipped past validation: CHECK refuses it
    for record in (rec("g1"), bad, rec("g2")):
        recorder.record(record)
    with capture_logs() as logs:
        await recorder.flush()
    assert [(e["event"], e["request_id"]) for e in logs] == [("usage_record_rejected", "bad")]
    assert recorder.pending == 0
    assert await _rows(db) == ["g1", "g2"]


async def test_the_buffer_is_bounded_while_the_database_is_away(db: Database) -> None:
    usage = UsageRecorder(db, max_buffered=2)
    for n in range(5):
        usage.record(rec(f"d{n}"))
    assert usage.pending == 2
    with capture_logs() as logs:
        await usage.close()
    assert {"event": "usage_records_dropped", "count": 3, "log_level": "error"} in logs
    assert await _rows(db) == ["d0", "d1"]


async def test_totals_sum_one_owners_usage(recorder: UsageRecorder) -> None:
    recorder.record(rec("t1", input_tokens=100, output_tokens=20, cost_usd=0.25, created_at=10))
    recorder.record(
        rec("t2", cached_input_tokens=4, reasoning_tokens=6, cost_usd=0.125, created_at=20)
    )
    recorder.record(rec("t3", cost_usd=None, status="error", created_at=30))
    recorder.record(rec("x1", owner_id="someone-else", cost_usd=9.0))
    await recorder.flush()
    totals = await recorder.totals(OWNER_ID)
    assert totals == UsageTotals(
        requests=3,
        input_tokens=120,
        output_tokens=30,
        cached_input_tokens=4,
        reasoning_tokens=6,
        cost_usd=0.375,
    )
    assert totals.total_tokens == 150
    assert (await recorder.totals(OWNER_ID, since=20)).requests == 2
    assert await recorder.totals("nobody") == UsageTotals()


async def test_cost_keeps_sub_cent_precision(recorder: UsageRecorder) -> None:
    for n in range(3):
        recorder.record(rec(f"p{n}", cost_usd=0.000000123))
    await recorder.flush()
    assert (await recorder.totals(OWNER_ID)).cost_usd == pytest.approx(0.000000369, abs=1e-12)
