"""Session transcripts (SPEC §4.2): the turns of a keyed session, per owner.

- Every query filters on `owner_id`: another owner's session is simply not found.
- `append` runs in one write transaction (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL the
  session-row upsert takes the row lock), so concurrent appends to one session get unique,
  contiguous `seq` numbers in commit order (also enforced by a unique index).
- Idle cut-off: `load(…, idle_after=s)` on a session whose last append is older than `s` seconds
  **deletes** the old turns (as `reset` would) and returns `[]`. Deleting rather than hiding keeps
  `load`, `preview` and `list` consistent and the table bounded by live transcripts; the session
  row stays, so the session keeps its key and creation time.
"""

from __future__ import annotations

import builtins
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fased.canonical import Message
from fased.store.codec import dumps_message, loads_message
from fased.store.engine import Database
from fased.store.schema import session_turns as turns
from fased.store.schema import sessions


@dataclass(frozen=True, slots=True)
class SessionInfo:
    key: str
    agent_id: str
    turns: int
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Turn:
    seq: int
    message: Message
    tokens: int
    created_at: float


def _session(owner_id: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(sessions.c.owner_id == owner_id, sessions.c.session_key == key)


def _turns_of(owner_id: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(turns.c.owner_id == owner_id, turns.c.session_key == key)


class SessionStore:
    """Session transcripts in the database. `clock` returns epoch seconds (tests pass a fake)."""

    __slots__ = ("_clock", "_db")

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def load(
        self,
        owner_id: str,
        session_key: str,
        *,
        idle_after: float | None = None,
        max_tokens: int | None = None,
    ) -> builtins.list[Message]:
        """The session's messages, oldest first; `[]` for an unknown or idle-expired session.

        `max_tokens` keeps only the newest turns whose stored token estimates fit in it (the
        caller still cuts the merged history; this only avoids reading what would be cut).
        """
        cutoff = -math.inf if idle_after is None else self._clock() - idle_after
        async with self._db.read() as conn:
            updated_at = await conn.scalar(
                sa.select(sessions.c.updated_at).where(_session(owner_id, session_key))
            )
            if updated_at is None:
                return []
            if updated_at >= cutoff:
                texts = await conn.scalars(_history(owner_id, session_key, max_tokens))
                return [loads_message(text) for text in texts]
        await self._expire(owner_id, session_key, cutoff)
        return []

    async def append(
        self,
        owner_id: str,
        session_key: str,
        agent_id: str,
        messages: Sequence[Message],
        tokens: Sequence[int],
    ) -> None:
        """Add turns at the end of the session, creating it if needed (one transaction).

        `tokens[i]` is the token estimate of `messages[i]`. The session's `agent_id` becomes the
        one given (the agent that last used it).
        """
        if len(messages) != len(tokens):
            raise ValueError("append needs one token estimate per message")
        if not messages:
            return
        now = self._clock()
        encoded = [(m.role, dumps_message(m), n) for m, n in zip(messages, tokens, strict=True)]
        async with self._db.write() as conn:  # hold the (SQLite: only) write lock briefly
            await conn.execute(self._upsert(owner_id, session_key, agent_id, now))
            last = await conn.scalar(
                sa.select(sa.func.max(turns.c.seq)).where(_turns_of(owner_id, session_key))
            )
            rows = [
                {
                    "owner_id": owner_id,
                    "session_key": session_key,
                    "seq": (last or 0) + offset,
                    "role": role,
                    "message": text,
                    "tokens": count,
                    "created_at": now,
                }
                for offset, (role, text, count) in enumerate(encoded, 1)
            ]
            await conn.execute(sa.insert(turns), rows)

    async def preview(
        self, owner_id: str, session_key: str, limit: int = 20
    ) -> builtins.list[Turn] | None:
        """The last `limit` turns, oldest first; None when the owner has no such session."""
        async with self._db.read() as conn:
            found = await conn.scalar(
                sa.select(sessions.c.updated_at).where(_session(owner_id, session_key))
            )
            if found is None:
                return None
            result = await conn.execute(
                sa.select(turns.c.seq, turns.c.message, turns.c.tokens, turns.c.created_at)
                .where(_turns_of(owner_id, session_key))
                .order_by(turns.c.seq.desc())
                .limit(limit)
            )
            rows = result.all()
        return [
            Turn(row.seq, loads_message(row.message), row.tokens, row.created_at)
            for row in reversed(rows)
        ]

    async def reset(self, owner_id: str, session_key: str) -> bool:
        """Drop the session's turns but keep the session; False when there is no such session."""
        async with self._db.write() as conn:
            touched = await conn.execute(
                sa.update(sessions)
                .where(_session(owner_id, session_key))
                .values(updated_at=self._clock())
            )
            if touched.rowcount == 0:
                return False
            await conn.execute(sa.delete(turns).where(_turns_of(owner_id, session_key)))
        return True

    async def delete(self, owner_id: str, session_key: str) -> bool:
        """Delete the session and (by cascade) its turns; False when there is no such session."""
        async with self._db.write() as conn:
            deleted = await conn.execute(sa.delete(sessions).where(_session(owner_id, session_key)))
        return deleted.rowcount > 0

    async def list(self, owner_id: str, *, limit: int | None = None) -> builtins.list[SessionInfo]:
        """The owner's sessions, most recently updated first."""
        count = sa.func.count(turns.c.id)
        query = (
            sa.select(
                sessions.c.session_key,
                sessions.c.agent_id,
                count,
                sessions.c.created_at,
                sessions.c.updated_at,
            )
            .select_from(sessions.outerjoin(turns))
            .where(sessions.c.owner_id == owner_id)
            .group_by(*sessions.c)
            .order_by(sessions.c.updated_at.desc(), sessions.c.session_key)
            .limit(limit)
        )
        async with self._db.read() as conn:
            result = await conn.execute(query)
            return [SessionInfo(*row) for row in result]

    def _upsert(self, owner_id: str, session_key: str, agent_id: str, now: float) -> sa.Executable:
        stmt = self._db.insert(sessions).values(
            owner_id=owner_id,
            session_key=session_key,
            agent_id=agent_id,
            created_at=now,
            updated_at=now,
        )
        return stmt.on_conflict_do_update(
            index_elements=[sessions.c.owner_id, sessions.c.session_key],
            set_={"agent_id": stmt.excluded.agent_id, "updated_at": stmt.excluded.updated_at},
        )

    async def _expire(self, owner_id: str, session_key: str, cutoff: float) -> None:
        """Delete the turns of a session that is (still) idle since before `cutoff`."""
        async with self._db.write() as conn:
            still_idle = await conn.scalar(
                sa.select(sessions.c.updated_at)
                .where(_session(owner_id, session_key), sessions.c.updated_at < cutoff)
                .with_for_update()
            )
            if still_idle is not None:
                await conn.execute(sa.delete(turns).where(_turns_of(owner_id, session_key)))


def _history(owner_id: str, session_key: str, max_tokens: int | None) -> sa.Select[Any]:
    """The stored message texts, oldest first, cut to the newest `max_tokens` if given."""
    if max_tokens is None:
        return (
            sa.select(turns.c.message).where(_turns_of(owner_id, session_key)).order_by(turns.c.seq)
        )
    newest_first = sa.func.sum(turns.c.tokens).over(order_by=turns.c.seq.desc(), rows=(None, 0))
    ranked = (
        sa.select(turns.c.seq, turns.c.message, newest_first.label("running"))
        .where(_turns_of(owner_id, session_key))
        .subquery()
    )
    return sa.select(ranked.c.message).where(ranked.c.running <= max_tokens).order_by(ranked.c.seq)
