from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from fased.canonical import Message, TextPart, ToolCallPart, ToolResultPart
from fased.store import OWNER_ID, Database, SessionStore, open_database
from fased.store.schema import session_turns
from tests.store.conftest import FakeClock

KEY = "agent:main:openai-user:alice"
OTHER = "user-b"


def user(text: str) -> Message:
    return Message("user", (TextPart(text),))


def assistant(text: str) -> Message:
    return Message("assistant", (TextPart(text),))


@pytest.fixture
def store(db: Database, clock: FakeClock) -> SessionStore:
    return SessionStore(db, clock=clock)


async def _stored_turns(db: Database, owner_id: str, key: str) -> list[tuple[int, str]]:
    async with db.read() as conn:
        rows = await conn.execute(
            sa.select(session_turns.c.seq, session_turns.c.role)
            .where(session_turns.c.owner_id == owner_id, session_turns.c.session_key == key)
            .order_by(session_turns.c.seq)
        )
        return [(row.seq, row.role) for row in rows]


async def test_unknown_session_loads_empty(store: SessionStore) -> None:
    assert await store.load(OWNER_ID, KEY) == []
    assert await store.list(OWNER_ID) == []


async def test_appended_turns_load_in_order(store: SessionStore, db: Database) -> None:
    call = ToolCallPart("c1", "lookup", '{"q": "x"}')
    first = [user("one"), Message("assistant", (TextPart("let me look"), call))]
    second = [Message("tool", (ToolResultPart("c1", "found"),)), assistant("two")]
    await store.append(OWNER_ID, KEY, "main", first, [3, 7])
    await store.append(OWNER_ID, KEY, "main", second, [2, 1])
    assert await store.load(OWNER_ID, KEY) == first + second
    assert await _stored_turns(db, OWNER_ID, KEY) == [
        (1, "user"),
        (2, "assistant"),
        (3, "tool"),
        (4, "assistant"),
    ]


async def test_append_validates_and_ignores_nothing(store: SessionStore) -> None:
    with pytest.raises(ValueError, match="one token estimate per message"):
        await store.append(OWNER_ID, KEY, "main", [user("x")], [])
    await store.append(OWNER_ID, KEY, "main", [], [])
    assert await store.list(OWNER_ID) == []


async def test_another_owner_cannot_see_or_touch_a_session(store: SessionStore) -> None:
    await store.append(OWNER_ID, KEY, "main", [user("secret plans")], [2])
    assert await store.load(OTHER, KEY) == []
    assert await store.preview(OTHER, KEY) is None
    assert await store.list(OTHER) == []
    assert await store.reset(OTHER, KEY) is False
    assert await store.delete(OTHER, KEY) is False
    # The same key under another owner is a different session.
    await store.append(OTHER, KEY, "main", [user("mine")], [1])
    assert await store.load(OTHER, KEY) == [user("mine")]
    assert await store.load(OWNER_ID, KEY) == [user("secret plans")]
    assert await store.delete(OTHER, KEY) is True
    assert await store.load(OWNER_ID, KEY) == [user("secret plans")]


async def test_idle_session_starts_fresh_and_forgets_old_turns(
    store: SessionStore, clock: FakeClock, db: Database
) -> None:
    await store.append(OWNER_ID, KEY, "main", [user("old"), assistant("reply")], [1, 1])
    clock.advance(30)
    assert await store.load(OWNER_ID, KEY, idle_after=60) == [user("old"), assistant("reply")]
    clock.advance(31)  # 61 s since the last append
    assert len(await store.load(OWNER_ID, KEY, idle_after=None)) == 2
    assert await store.load(OWNER_ID, KEY, idle_after=60) == []
    assert await _stored_turns(db, OWNER_ID, KEY) == []
    (info,) = await store.list(OWNER_ID)
    assert info.turns == 0
    await store.append(OWNER_ID, KEY, "main", [user("new")], [1])
    assert await store.load(OWNER_ID, KEY, idle_after=60) == [user("new")]


async def test_load_can_stop_at_a_token_budget(store: SessionStore) -> None:
    messages = [user("a"), assistant("b"), user("c"), assistant("d")]
    await store.append(OWNER_ID, KEY, "main", messages, [10, 20, 30, 40])
    assert await store.load(OWNER_ID, KEY, max_tokens=1000) == messages
    assert await store.load(OWNER_ID, KEY, max_tokens=70) == messages[2:]
    assert await store.load(OWNER_ID, KEY, max_tokens=69) == messages[3:]
    assert await store.load(OWNER_ID, KEY, max_tokens=39) == []


async def test_preview_returns_the_last_turns_oldest_first(
    store: SessionStore, clock: FakeClock
) -> None:
    await store.append(OWNER_ID, KEY, "main", [user("1"), assistant("2")], [1, 2])
    clock.advance(5)
    await store.append(OWNER_ID, KEY, "main", [user("3")], [3])
    turns = await store.preview(OWNER_ID, KEY, limit=2)
    assert turns is not None
    assert [(t.seq, t.message, t.tokens) for t in turns] == [
        (2, assistant("2"), 2),
        (3, user("3"), 3),
    ]
    assert turns[1].created_at == turns[0].created_at + 5
    assert await store.preview(OWNER_ID, "missing") is None


async def test_list_shows_sessions_newest_first(store: SessionStore, clock: FakeClock) -> None:
    await store.append(OWNER_ID, "a", "main", [user("x"), assistant("y")], [1, 1])
    clock.advance(1)
    await store.append(OWNER_ID, "b", "main", [user("z")], [1])
    clock.advance(1)
    await store.append(OWNER_ID, "a", "helper", [user("w")], [1])
    infos = await store.list(OWNER_ID)
    assert [(i.key, i.agent_id, i.turns) for i in infos] == [("a", "helper", 3), ("b", "main", 1)]
    a = infos[0]
    assert a.updated_at == a.created_at + 2
    assert [i.key for i in await store.list(OWNER_ID, limit=1)] == ["a"]


async def test_reset_keeps_the_session_and_drops_its_turns(
    store: SessionStore, db: Database
) -> None:
    await store.append(OWNER_ID, KEY, "main", [user("x")], [1])
    assert await store.reset(OWNER_ID, KEY) is True
    assert await store.load(OWNER_ID, KEY) == []
    assert [(i.key, i.turns) for i in await store.list(OWNER_ID)] == [(KEY, 0)]
    assert await store.preview(OWNER_ID, KEY) == []
    await store.append(OWNER_ID, KEY, "main", [user("again")], [1])
    assert await _stored_turns(db, OWNER_ID, KEY) == [(1, "user")]
    assert await store.reset(OWNER_ID, "missing") is False


async def test_delete_removes_the_session_and_its_turns(store: SessionStore, db: Database) -> None:
    await store.append(OWNER_ID, KEY, "main", [user("x"), assistant("y")], [1, 1])
    await store.append(OWNER_ID, "kept", "main", [user("z")], [1])
    assert await store.delete(OWNER_ID, KEY) is True
    assert await store.delete(OWNER_ID, KEY) is False
    assert await _stored_turns(db, OWNER_ID, KEY) == []  # ON DELETE CASCADE
    assert [i.key for i in await store.list(OWNER_ID)] == ["kept"]


async def test_concurrent_appends_to_one_session_keep_seq_unique_and_ordered(
    store: SessionStore, db: Database, db_url: str
) -> None:
    """Many requests of two gateway processes (two engines) append to one session at once."""
    writers = 40
    other_db = await open_database(db_url)
    stores = [store, SessionStore(other_db)]

    async def exchange(n: int) -> None:
        pair = [user(f"q{n}"), assistant(f"a{n}")]
        await stores[n % 2].append(OWNER_ID, KEY, "main", pair, [1, 1])

    try:
        await asyncio.gather(*(exchange(n) for n in range(writers)))
    finally:
        await other_db.close()
    turns = await _stored_turns(db, OWNER_ID, KEY)
    assert [seq for seq, _ in turns] == list(range(1, 2 * writers + 1))
    loaded = await store.load(OWNER_ID, KEY)
    # Each append's pair stays together, in the order it was committed.
    questions = [m.text() for m in loaded[0::2]]
    answers = [m.text() for m in loaded[1::2]]
    assert sorted(questions) == sorted(f"q{n}" for n in range(writers))
    assert answers == [q.replace("q", "a") for q in questions]
