"""Session keys, history dedupe and the token window (SPEC §4.2)."""

from __future__ import annotations

from fased.agent.sessions import merge_history, session_key, window
from fased.canonical import Message, TextPart, ToolCallPart, ToolResultPart


def say(role: str, text: str) -> Message:
    return Message(role, (TextPart(text),))  # type: ignore[arg-type]


A, B, C, D = say("user", "a"), say("assistant", "b"), say("user", "c"), say("assistant", "d")


def test_the_three_key_forms() -> None:
    assert session_key("main", "chat", "mine", "Ana").key == "mine"
    keyed = session_key("main", "responses", None, "Ana")
    assert (keyed.key, keyed.keyed) == ("agent:main:openresponses-user:ana", True)
    assert session_key("beta", "messages", None, "X").key == "agent:beta:messages-user:x"
    fresh = session_key("main", "chat", None, None)
    assert fresh.key.startswith("agent:main:openai:") and not fresh.keyed


def test_full_history_only_new_or_a_tail_never_duplicate() -> None:
    stored = [A, B]
    for incoming in ([A, B, C], [C], [B, C]):
        merged = merge_history(stored, incoming)
        assert merged.messages == (A, B, C)
        assert merged.new == (C,)


def test_window_cuts_oldest_first_and_starts_on_a_user_turn() -> None:
    messages = [A, B, C, D, say("user", "e")]
    kept = window(messages, budget=3, measure=lambda _m: 1)
    assert [m.text() for m in kept] == ["c", "d", "e"]
    kept = window(messages, budget=2, measure=lambda _m: 1)
    assert [m.text() for m in kept] == ["e"]  # "d" would open with an assistant turn


def test_window_never_opens_on_an_orphaned_tool_result() -> None:
    call = Message("assistant", (ToolCallPart("c1", "f", "{}"),))
    result = Message("tool", (ToolResultPart("c1", "ok"),))
    kept = window([A, call, result, C], budget=2, measure=lambda _m: 1)
    assert kept == (C,)


def test_window_keeps_the_newest_turn_even_over_budget() -> None:
    assert window([A, C], budget=0, measure=lambda _m: 10) == (C,)
