"""Stored responses: round trip of the conversation, owner isolation, idempotent save."""

from __future__ import annotations

from fased.canonical import Message, TextPart, ToolCallPart
from fased.store.engine import Database
from fased.store.responses import ResponseStore

TURNS = [
    Message("user", (TextPart("weather?"),)),
    Message("assistant", (ToolCallPart("call_1", "weather", '{"city":"Oslo"}'),)),
]


async def test_conversation_round_trips_and_is_owner_filtered(db: Database) -> None:
    store = ResponseStore(db)
    body = {"id": "resp_1", "object": "response", "output": []}
    await store.save(
        "owner", "resp_1", model="m", previous_response_id=None, messages=TURNS, body=body
    )
    assert await store.conversation("owner", "resp_1") == TURNS
    assert await store.get("owner", "resp_1") == body
    assert await store.conversation("someone-else", "resp_1") is None
    assert await store.get("someone-else", "resp_1") is None
    assert not await store.delete("someone-else", "resp_1")
    assert await store.delete("owner", "resp_1")
    assert await store.conversation("owner", "resp_1") is None


async def test_saving_twice_keeps_the_first(db: Database) -> None:
    store = ResponseStore(db)
    for text in ("first", "second"):
        await store.save(
            "owner",
            "resp_2",
            model="m",
            previous_response_id=None,
            messages=[Message("user", (TextPart(text),))],
            body={"text": text},
        )
    assert await store.get("owner", "resp_2") == {"text": "first"}
