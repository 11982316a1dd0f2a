"""Claims (SPEC §8.1): what extraction found, one row per claim, with its provenance.

Claims are immutable: written with the chunk they came from (`documents.record_chunk`, one
transaction) and deleted only with their document. Primitives are not stored; the faces layer
derives them from `for_face`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from fased.store.engine import Database
from fased.store.schema import claims


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    document_id: str
    chunk_index: int
    key: str
    component: str
    statement: str
    quote: str
    span_start: int
    span_end: int
    extractor: str
    confidence: float
    fact_name: str | None = None
    fact_value: str | None = None


_COLUMNS = tuple(f.name for f in fields(ClaimRecord))
_ORDER = (claims.c.document_id, claims.c.chunk_index, claims.c.id)


def _record(row: sa.Row[Any]) -> ClaimRecord:
    return ClaimRecord(**row._asdict())


async def insert_claims(
    conn: AsyncConnection, owner_id: str, face_id: str, records: Sequence[ClaimRecord]
) -> None:
    """Add claims inside the caller's transaction."""
    if records:
        rows = [
            {"owner_id": owner_id, "face_id": face_id, **{c: getattr(r, c) for c in _COLUMNS}}
            for r in records
        ]
        await conn.execute(sa.insert(claims), rows)


class ClaimStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def for_face(self, owner_id: str, face_id: str) -> list[ClaimRecord]:
        """Every claim of the face's documents, by document, chunk and insertion order."""
        query = (
            sa.select(*(claims.c[c] for c in _COLUMNS))
            .where(claims.c.owner_id == owner_id, claims.c.face_id == face_id)
            .order_by(*_ORDER)
        )
        async with self._db.read() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def keys(self, owner_id: str, document_id: str) -> set[tuple[str, str]]:
        """The distinct `(component, key)` of a document's claims."""
        query = (
            sa.select(claims.c.component, claims.c.key)
            .where(claims.c.owner_id == owner_id, claims.c.document_id == document_id)
            .distinct()
        )
        async with self._db.read() as conn:
            return {(component, key) for component, key in await conn.execute(query)}

    async def component_counts(self, owner_id: str, document_id: str) -> dict[str, int]:
        """Distinct claim keys per component among a document's claims (its primitives so far)."""
        query = (
            sa.select(claims.c.component, sa.func.count(sa.distinct(claims.c.key)))
            .where(claims.c.owner_id == owner_id, claims.c.document_id == document_id)
            .group_by(claims.c.component)
        )
        async with self._db.read() as conn:
            return {component: count for component, count in await conn.execute(query)}
