"""Faces (SPEC §4, §7): one row per face, per owner; every query filters on `owner_id`.

- `alias` is unique per owner (a unique index); `create`/`update` raise `AliasTaken` on a clash.
- `version` is bumped by every change to what the persona is rendered from: the face's own
  fields here, its claims in `documents.py`. Caches key on (face id, version).
- `origin` says who manages the row: `"api"` (created through the API or imported) or
  `"config"` (declared in `agents.list`): `sync_config` only ever touches `"config"` rows.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from fased.store.engine import Database
from fased.store.schema import documents, faces

UPDATABLE: Final = frozenset(
    {"alias", "name", "basic_facts", "default_model", "formula", "description", "profile_addendum"}
)
CONFIG_FIELDS: Final = ("name", "basic_facts", "default_model", "profile_addendum")


class AliasTaken(Exception):
    """The owner already has a face with this alias."""


@dataclass(frozen=True, slots=True)
class FactRecord:
    name: str
    value: str
    status: str = "stated"
    identification: str = "user-provided"


@dataclass(frozen=True, slots=True)
class FaceDraft:
    """What a new face is made of (and what `agents.list` declares)."""

    alias: str
    name: str
    basic_facts: tuple[FactRecord, ...] = ()
    default_model: str | None = None
    formula: str | None = None
    description: str | None = None
    profile_addendum: str | None = None
    origin: str = "api"


@dataclass(frozen=True, slots=True)
class FaceRecord:
    id: str
    owner_id: str
    alias: str
    name: str
    basic_facts: tuple[FactRecord, ...]
    default_model: str | None
    formula: str | None
    description: str | None
    profile_addendum: str | None
    origin: str
    sync_status: str | None
    version: int
    tokens_charged: int
    created_at: float
    updated_at: float


def encode_facts(facts: Iterable[FactRecord]) -> str:
    """`{name: {value, status, identification}}`, in the given order."""
    data = {
        f.name: {"value": f.value, "status": f.status, "identification": f.identification}
        for f in facts
    }
    return orjson.dumps(data).decode()


def decode_facts(text: str) -> tuple[FactRecord, ...]:
    data: dict[str, dict[str, str]] = orjson.loads(text)
    return tuple(FactRecord(name, **details) for name, details in data.items())


def _record(row: sa.Row[Any]) -> FaceRecord:
    values = row._asdict()
    values["basic_facts"] = decode_facts(values["basic_facts"])
    return FaceRecord(**{f.name: values[f.name] for f in fields(FaceRecord)})


def _owned(owner_id: str) -> sa.ColumnElement[bool]:
    return faces.c.owner_id == owner_id


def _columns(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    values = dict(changes)
    if "basic_facts" in values:
        values["basic_facts"] = encode_facts(values["basic_facts"])
    return values


async def bump_version(
    conn: AsyncConnection, face_id: str, now: float, *, tokens_charged: int = 0, step: int = 1
) -> None:
    """The face's content changed (claims added or removed): a new version (`step` 0: only
    count compile tokens charged)."""
    await conn.execute(
        sa.update(faces)
        .where(faces.c.id == face_id)
        .values(
            version=faces.c.version + step,
            tokens_charged=faces.c.tokens_charged + tokens_charged,
            updated_at=now,
        )
    )


class FaceStore:
    """Faces in the database. `clock` returns epoch seconds; `new_id` makes `face_<hex>` ids."""

    __slots__ = ("_clock", "_db", "_new_id")

    def __init__(
        self,
        db: Database,
        *,
        new_id: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._new_id = new_id
        self._clock = clock

    async def create(self, owner_id: str, draft: FaceDraft) -> FaceRecord:
        """Insert a face; `AliasTaken` when the owner already has the alias."""
        now = self._clock()
        row = self._row(owner_id, draft, now)
        try:
            async with self._db.write() as conn:
                await conn.execute(sa.insert(faces).values(row))
        except IntegrityError:
            raise AliasTaken(draft.alias) from None
        return FaceRecord(**{**row, "basic_facts": draft.basic_facts})

    async def get(self, owner_id: str, ref: str) -> FaceRecord | None:
        """The face whose id, else alias, is `ref`."""
        query = sa.select(faces).where(
            _owned(owner_id), sa.or_(faces.c.id == ref, faces.c.alias == ref)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        found = sorted(rows, key=lambda r: r.id != ref)  # an id match wins over an alias match
        return _record(found[0]) if found else None

    async def list(self, owner_id: str) -> builtins.list[FaceRecord]:
        """The owner's faces, oldest first."""
        query = sa.select(faces).where(_owned(owner_id)).order_by(faces.c.created_at, faces.c.id)
        async with self._db.read() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def update(
        self, owner_id: str, face_id: str, changes: Mapping[str, Any]
    ) -> FaceRecord | None:
        """Change fields (a new version); None when the owner has no such face."""
        values = _columns(changes)
        stmt = (
            sa.update(faces)
            .where(_owned(owner_id), faces.c.id == face_id)
            .values(**values, version=faces.c.version + 1, updated_at=self._clock())
            .returning(*faces.c)
        )
        try:
            async with self._db.write() as conn:
                row = (await conn.execute(stmt)).one_or_none()
        except IntegrityError:
            raise AliasTaken(str(changes.get("alias"))) from None
        return _record(row) if row else None

    async def delete(self, owner_id: str, face_id: str) -> builtins.list[str] | None:
        """Delete the face with its documents and claims; the blob digests its documents used
        (None: no such face)."""
        async with self._db.write() as conn:
            blobs = await conn.scalars(
                sa.select(documents.c.blob).where(
                    documents.c.owner_id == owner_id, documents.c.face_id == face_id
                )
            )
            digests = [digest for digest in blobs if digest]
            deleted = await conn.execute(
                sa.delete(faces).where(_owned(owner_id), faces.c.id == face_id)
            )
        return digests if deleted.rowcount else None

    async def documents_count(self, owner_id: str) -> dict[str, int]:
        """Documents per face id, for the owner's faces that have any."""
        query = (
            sa.select(documents.c.face_id, sa.func.count())
            .where(documents.c.owner_id == owner_id)
            .group_by(documents.c.face_id)
        )
        async with self._db.read() as conn:
            return {face_id: count for face_id, count in await conn.execute(query)}

    async def compile_tokens(self, owner_id: str) -> dict[str, tuple[int, int]]:
        """Per face id: (tokens in the graph: the sum over its documents now, tokens charged
        all time), for the compile quota (SPEC §10.2)."""
        in_graph = (
            sa.select(sa.func.coalesce(sa.func.sum(documents.c.compile_tokens), 0))
            .where(documents.c.face_id == faces.c.id)
            .scalar_subquery()
        )
        query = sa.select(faces.c.id, in_graph, faces.c.tokens_charged).where(_owned(owner_id))
        async with self._db.read() as conn:
            return {
                face_id: (int(graph), int(charged))
                for face_id, graph, charged in await conn.execute(query)
            }

    async def sync_config(self, owner_id: str, drafts: Sequence[FaceDraft]) -> builtins.list[str]:
        """Upsert `agents.list` by alias into `"config"` faces; returns the aliases skipped
        because a face created through the API holds them (those are never touched)."""
        skipped: builtins.list[str] = []
        async with self._db.write() as conn:
            for draft in drafts:
                if not await self._sync_one(conn, owner_id, draft):
                    skipped.append(draft.alias)
        return skipped

    async def _sync_one(self, conn: AsyncConnection, owner_id: str, draft: FaceDraft) -> bool:
        now = self._clock()
        current = (
            await conn.execute(
                sa.select(faces).where(_owned(owner_id), faces.c.alias == draft.alias)
            )
        ).one_or_none()
        if current is None:
            row = self._row(owner_id, draft, now)
            insert = self._db.insert(faces).values(row).on_conflict_do_nothing()
            await conn.execute(insert)
            return True
        if current.origin != "config":
            return False
        wanted = {name: getattr(draft, name) for name in CONFIG_FIELDS}
        record = _record(current)
        if any(getattr(record, name) != value for name, value in wanted.items()):
            await conn.execute(
                sa.update(faces)
                .where(faces.c.id == current.id)
                .values(**_columns(wanted), version=faces.c.version + 1, updated_at=now)
            )
        return True

    def _row(self, owner_id: str, draft: FaceDraft, now: float) -> dict[str, Any]:
        return {
            "id": self._new_id(),
            "owner_id": owner_id,
            "alias": draft.alias,
            "name": draft.name,
            "basic_facts": encode_facts(draft.basic_facts),
            "default_model": draft.default_model,
            "formula": draft.formula,
            "description": draft.description,
            "profile_addendum": draft.profile_addendum,
            "origin": draft.origin,
            "sync_status": None,
            "version": 1,
            "tokens_charged": 0,
            "created_at": now,
            "updated_at": now,
        }
