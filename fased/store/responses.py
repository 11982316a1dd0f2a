"""Stored Responses (SPEC §5.3): what `previous_response_id` continues, per owner.

A stored response keeps the conversation through it (canonical messages, without system
text: OpenAI does not carry `instructions` over to the next response) and the Response object
as it was returned. Lookups filter by owner: another owner's response id is not found.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from fased.canonical import Message
from fased.store.codec import message_from_dict, message_to_dict
from fased.store.engine import Database
from fased.store.schema import responses


class ResponseStore:
    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(
        self,
        owner_id: str,
        response_id: str,
        *,
        model: str,
        previous_response_id: str | None,
        messages: Sequence[Message],
        body: dict[str, Any],
    ) -> None:
        row = {
            "id": response_id,
            "owner_id": owner_id,
            "model": model,
            "previous_response_id": previous_response_id,
            "messages": orjson.dumps([message_to_dict(m) for m in messages]).decode(),
            "body": orjson.dumps(body).decode(),
            "created_at": time.time(),
        }
        async with self._db.write() as conn:
            await conn.execute(self._db.insert(responses).values(row).on_conflict_do_nothing())

    async def conversation(self, owner_id: str, response_id: str) -> list[Message] | None:
        """The messages through `response_id`, or None when the owner has no such response."""
        query = sa.select(responses.c.messages).where(
            responses.c.owner_id == owner_id, responses.c.id == response_id
        )
        async with self._db.read() as conn:
            text = (await conn.execute(query)).scalar_one_or_none()
        if text is None:
            return None
        return [message_from_dict(item) for item in orjson.loads(text)]

    async def get(self, owner_id: str, response_id: str) -> dict[str, Any] | None:
        query = sa.select(responses.c.body).where(
            responses.c.owner_id == owner_id, responses.c.id == response_id
        )
        async with self._db.read() as conn:
            text = (await conn.execute(query)).scalar_one_or_none()
        body: dict[str, Any] | None = None if text is None else orjson.loads(text)
        return body

    async def delete(self, owner_id: str, response_id: str) -> bool:
        query = sa.delete(responses).where(
            responses.c.owner_id == owner_id, responses.c.id == response_id
        )
        async with self._db.write() as conn:
            result = await conn.execute(query)
        return bool(result.rowcount)
