"""Documents (SPEC §7, §8.3): what was uploaded to a face; the ones `preparing` are the compile
jobs.

- A compile job is a document in `preparing`. A worker claims it (`claim_next`: `SELECT … FOR
  UPDATE SKIP LOCKED` on PostgreSQL, so several workers and processes share the queue; SQLite has
  one writer anyway) by setting `claimed_by`/`claimed_at`; `claimed_at` is the claim's heartbeat,
  renewed with every chunk, and a claim older than the lease is free to take again.
- `record_chunk` writes chunk i's claims and `chunks_completed = i + 1` in ONE transaction, and
  only while the worker still holds the claim at chunk i: a restart resumes exactly after the
  last chunk written, and a document deleted or restarted meanwhile is never written to.
- The face's `sync_status` follows its documents (an import is `synced`), recomputed in every
  transaction that changes a status: `syncing` while one is preparing, else `pending` while one
  waits, else `failed` if one failed, else `synced`; null without documents.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fased.store.claims import ClaimRecord, insert_claims
from fased.store.engine import Database
from fased.store.faces import bump_version
from fased.store.schema import claims, documents, faces


@dataclass(frozen=True, slots=True)
class DocumentDraft:
    face_id: str
    kind: str  # "document" | "thread" | "import"
    source: str  # JSON (the faces layer's encoding)
    label: str | None = None
    filename: str | None = None
    media_type: str | None = None
    blob: str | None = None
    perspective: str | None = None
    face_speaker: str | None = None
    prepare_status: str = "pending"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: str
    owner_id: str
    face_id: str
    kind: str
    label: str | None
    filename: str | None
    media_type: str | None
    blob: str | None
    perspective: str | None
    face_speaker: str | None
    chunk_tokens: int | None
    prepare_status: str
    chunks_total: int
    chunks_completed: int
    compile_tokens: int
    error: str | None
    claimed_by: str | None
    claimed_at: float | None
    created_at: float
    updated_at: float


_COLUMNS = tuple(documents.c[f.name] for f in fields(DocumentRecord))


def _record(row: sa.Row[Any]) -> DocumentRecord:
    return DocumentRecord(**row._asdict())


def _owned(owner_id: str, document_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(documents.c.owner_id == owner_id, documents.c.id == document_id)


def face_sync_status(statuses: set[str]) -> str | None:
    for status, shown in (("preparing", "syncing"), ("pending", "pending"), ("failed", "failed")):
        if status in statuses:
            return shown
    return "synced" if statuses else None


async def refresh_sync_status(conn: AsyncConnection, face_id: str, now: float) -> None:
    statuses = await conn.scalars(
        sa.select(documents.c.prepare_status).where(documents.c.face_id == face_id).distinct()
    )
    status = face_sync_status(set(statuses))
    await conn.execute(
        sa.update(faces)
        .where(faces.c.id == face_id, faces.c.sync_status.is_distinct_from(status))
        .values(sync_status=status, updated_at=now)
    )


class DocumentStore:
    """Documents and compile jobs. `clock` returns epoch seconds; `new_id` makes `doc_<hex>`."""

    __slots__ = ("_clock", "_db", "_new_id")

    def __init__(
        self, db: Database, *, new_id: Callable[[], str], clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._new_id = new_id
        self._clock = clock

    async def add(
        self, owner_id: str, draft: DocumentDraft, records: Sequence[ClaimRecord] = ()
    ) -> DocumentRecord:
        """Insert a document (an import: with the claims it brought, and a new face version)."""
        now = self._clock()
        row = {
            **{f.name: getattr(draft, f.name) for f in fields(DocumentDraft)},
            "id": self._new_id(),
            "owner_id": owner_id,
            "chunk_tokens": None,
            "chunks_total": 0,
            "chunks_completed": 0,
            "compile_tokens": 0,
            "error": None,
            "claimed_by": None,
            "claimed_at": None,
            "created_at": now,
            "updated_at": now,
        }
        async with self._db.write() as conn:
            await conn.execute(sa.insert(documents).values(row))
            if draft.kind == "import":
                claimed = [replace(record, document_id=row["id"]) for record in records]
                await insert_claims(conn, owner_id, draft.face_id, claimed)
                await bump_version(conn, draft.face_id, now)
            await refresh_sync_status(conn, draft.face_id, now)
        return DocumentRecord(**{c.name: row[c.name] for c in _COLUMNS})

    async def get(self, owner_id: str, document_id: str) -> DocumentRecord | None:
        query = sa.select(*_COLUMNS).where(_owned(owner_id, document_id))
        async with self._db.read() as conn:
            row = (await conn.execute(query)).one_or_none()
        return _record(row) if row else None

    async def list(self, owner_id: str, face_id: str) -> builtins.list[DocumentRecord]:
        query = (
            sa.select(*_COLUMNS)
            .where(documents.c.owner_id == owner_id, documents.c.face_id == face_id)
            .order_by(documents.c.created_at, documents.c.id)
        )
        async with self._db.read() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def source(self, owner_id: str, document_id: str) -> str | None:
        query = sa.select(documents.c.source).where(_owned(owner_id, document_id))
        async with self._db.read() as conn:
            text: str | None = await conn.scalar(query)
        return text

    async def import_sources(self, owner_id: str, face_id: str) -> builtins.list[tuple[str, str]]:
        """`(document id, source JSON)` of the face's imports, oldest first."""
        query = (
            sa.select(documents.c.id, documents.c.source)
            .where(
                documents.c.owner_id == owner_id,
                documents.c.face_id == face_id,
                documents.c.kind == "import",
            )
            .order_by(documents.c.created_at, documents.c.id)
        )
        async with self._db.read() as conn:
            return [(row.id, row.source) for row in await conn.execute(query)]

    async def delete(self, owner_id: str, document_id: str) -> DocumentRecord | None:
        """Delete a document and its claims at once (a new face version)."""
        now = self._clock()
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    sa.select(*_COLUMNS).where(_owned(owner_id, document_id)).with_for_update()
                )
            ).one_or_none()
            if row is None:
                return None
            await conn.execute(sa.delete(claims).where(claims.c.document_id == document_id))
            await conn.execute(sa.delete(documents).where(documents.c.id == document_id))
            await bump_version(conn, row.face_id, now)
            await refresh_sync_status(conn, row.face_id, now)
        return _record(row)

    async def blob_in_use(self, digest: str) -> bool:
        """Whether any document (of any owner) still refers to blob `digest`."""
        query = sa.select(documents.c.id).where(documents.c.blob == digest).limit(1)
        async with self._db.read() as conn:
            return (await conn.scalar(query)) is not None

    async def prepare(
        self, document: DocumentRecord, *, chunks_total: int, chunk_tokens: int
    ) -> DocumentRecord | None:
        """Make `document` a compile job, if its status is still the one read.

        From `pending` or `failed` it resumes after its last completed chunk; from `synced` it
        starts over (its claims deleted: a new face version). None: the status changed meanwhile.
        """
        now = self._clock()
        values: dict[str, Any] = {
            "prepare_status": "preparing",
            "chunks_total": chunks_total,
            "chunk_tokens": chunk_tokens,
            "error": None,
            "claimed_by": None,
            "claimed_at": None,
            "updated_at": now,
        }
        restart = document.prepare_status == "synced"
        if restart:
            values.update(chunks_completed=0, compile_tokens=0)
        async with self._db.write() as conn:
            updated = await conn.execute(
                sa.update(documents)
                .where(
                    _owned(document.owner_id, document.id),
                    documents.c.prepare_status == document.prepare_status,
                )
                .values(values)
                .returning(*_COLUMNS)
            )
            row = updated.one_or_none()
            if row is None:
                return None
            if restart:
                await conn.execute(sa.delete(claims).where(claims.c.document_id == document.id))
                await bump_version(conn, document.face_id, now)
            await refresh_sync_status(conn, document.face_id, now)
        return _record(row)

    async def to_compile(self, owner_id: str, face_id: str) -> builtins.list[DocumentRecord]:
        """The face's documents a sync compiles: those pending, and those that failed."""
        return [
            d
            for d in await self.list(owner_id, face_id)
            if d.kind != "import" and d.prepare_status in ("pending", "failed")
        ]

    async def claim_next(self, worker: str, *, lease_seconds: float) -> DocumentRecord | None:
        """Take the oldest compile job nobody holds (or whose holder's lease ran out)."""
        now = self._clock()
        free = sa.or_(
            documents.c.claimed_by.is_(None), documents.c.claimed_at < now - lease_seconds
        )
        pick = (
            sa.select(documents.c.id)
            .where(documents.c.prepare_status == "preparing", free)
            .order_by(documents.c.updated_at, documents.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        async with self._db.write() as conn:
            document_id = await conn.scalar(pick)
            if document_id is None:
                return None
            claimed = await conn.execute(
                sa.update(documents)
                .where(documents.c.id == document_id)
                .values(claimed_by=worker, claimed_at=now)
                .returning(*_COLUMNS)
            )
            return _record(claimed.one())

    async def record_chunk(
        self,
        document: DocumentRecord,
        worker: str,
        index: int,
        records: Sequence[ClaimRecord],
        tokens: int,
    ) -> DocumentRecord | None:
        """Chunk `index`'s claims and progress in one transaction; the document after it, or
        None (nothing written) when the worker no longer holds the job at that chunk."""
        now = self._clock()
        async with self._db.write() as conn:
            advanced = await conn.execute(
                sa.update(documents)
                .where(
                    documents.c.id == document.id,
                    documents.c.claimed_by == worker,
                    documents.c.chunks_completed == index,
                    documents.c.prepare_status == "preparing",
                )
                .values(
                    chunks_completed=index + 1,
                    compile_tokens=documents.c.compile_tokens + tokens,
                    claimed_at=now,
                    updated_at=now,
                )
                .returning(*_COLUMNS)
            )
            row = advanced.one_or_none()
            if row is None:
                return None
            claimed = [replace(record, document_id=document.id) for record in records]
            await insert_claims(conn, document.owner_id, document.face_id, claimed)
            await bump_version(
                conn, document.face_id, now, tokens_charged=tokens, step=1 if records else 0
            )
        return _record(row)

    async def finish(
        self, document: DocumentRecord, worker: str, *, error: str | None = None
    ) -> DocumentRecord | None:
        """The job is done (`synced`) or failed with `error`; None when the worker lost it."""
        now = self._clock()
        async with self._db.write() as conn:
            finished = await conn.execute(
                sa.update(documents)
                .where(
                    documents.c.id == document.id,
                    documents.c.claimed_by == worker,
                    documents.c.prepare_status == "preparing",
                )
                .values(
                    prepare_status="failed" if error else "synced",
                    error=error,
                    claimed_by=None,
                    claimed_at=None,
                    updated_at=now,
                )
                .returning(*_COLUMNS)
            )
            row = finished.one_or_none()
            if row is not None:
                await refresh_sync_status(conn, document.face_id, now)
        return _record(row) if row else None

    async def holders(self) -> builtins.list[str]:
        """The workers holding compile jobs now."""
        query = (
            sa.select(documents.c.claimed_by)
            .where(documents.c.prepare_status == "preparing", documents.c.claimed_by.is_not(None))
            .distinct()
        )
        async with self._db.read() as conn:
            return [str(holder) for holder in await conn.scalars(query)]

    async def release(self, worker: str | None = None) -> int:
        """Let go of the jobs `worker` holds (every job: None), so they are taken at once."""
        held = (
            documents.c.claimed_by.is_not(None)
            if worker is None
            else (documents.c.claimed_by == worker)
        )
        async with self._db.write() as conn:
            released = await conn.execute(
                sa.update(documents)
                .where(documents.c.prepare_status == "preparing", held)
                .values(claimed_by=None, claimed_at=None)
            )
        return int(released.rowcount)
