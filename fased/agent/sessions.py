"""Session keys and history (SPEC §4.2): which transcript a request belongs to, and what of it
goes upstream. Pure functions; the transcript itself lives in the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fased.canonical import InboundFormat, Message

USER_KEY_KINDS: dict[InboundFormat, str] = {
    "chat": "openai-user",
    "responses": "openresponses-user",
    "messages": "messages-user",
}


@dataclass(frozen=True, slots=True)
class SessionKey:
    key: str
    keyed: bool  # False: a fresh, stateless key; nothing but usage is kept


def session_key(
    agent_id: str,
    endpoint: InboundFormat,
    header: str | None,
    user: str | None,
    fresh: str | None = None,
) -> SessionKey:
    """The request's transcript key; with neither a header nor a `user`, a fresh stateless key
    made of `fresh` (the run passes its request id, unique already) or a new UUID."""
    if header:
        return SessionKey(header, keyed=True)
    if user:
        kind = USER_KEY_KINDS.get(endpoint, "openai-user")
        return SessionKey(f"agent:{agent_id}:{kind}:{user.lower()}", keyed=True)
    return SessionKey(f"agent:{agent_id}:openai:{fresh or uuid.uuid4()}", keyed=False)


def overlap(stored: Sequence[Message], incoming: Sequence[Message]) -> int:
    """Length of the longest suffix of `stored` that `incoming` starts with."""
    longest = min(len(stored), len(incoming))
    for size in range(longest, 0, -1):
        if list(stored[len(stored) - size :]) == list(incoming[:size]):
            return size
    return 0


@dataclass(frozen=True, slots=True)
class MergedHistory:
    messages: tuple[Message, ...]  # what goes upstream
    new: tuple[Message, ...]  # the request's turns the transcript does not have yet


def merge_history(stored: Sequence[Message], incoming: Sequence[Message]) -> MergedHistory:
    """Stored turns the request does not carry go first; nothing is duplicated.

    A client may send its full history (which then starts with the transcript), only the new
    message, or a tail of the transcript plus the new message.
    """
    if not stored:
        return MergedHistory(tuple(incoming), tuple(incoming))
    if list(incoming[: len(stored)]) == list(stored):
        return MergedHistory(tuple(incoming), tuple(incoming[len(stored) :]))
    shared = overlap(stored, incoming)
    new = tuple(incoming[shared:])
    return MergedHistory((*stored, *new), new)


def window(
    messages: Sequence[Message], budget: int, measure: Callable[[Message], int]
) -> tuple[Message, ...]:
    """Cut oldest first to `budget` tokens, keeping the last turn, starting on a user turn.

    A conversation must not open with an assistant turn or an orphaned tool result (its call
    was cut), which upstream APIs reject.
    """
    kept: list[Message] = []
    total = 0
    for message in reversed(messages):
        cost = measure(message)
        if kept and total + cost > budget:
            break
        kept.append(message)
        total += cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "user":
        kept.pop(0)
    return tuple(kept)
