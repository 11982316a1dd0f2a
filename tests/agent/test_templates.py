"""`${alias}` scanning and expansion over the canonical request (SPEC §9)."""

from __future__ import annotations

from fased.agent.templates import expand, referenced
from fased.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

DISPLAY = {"bob": "Bob", "carol": "Carol Danvers", "alice": "Alice"}


def request(*messages: Message, system: tuple[str, ...] = ()) -> ChatRequest:
    return ChatRequest(model="m", messages=messages, system=system)


def user(*texts: str) -> Message:
    return Message("user", tuple(TextPart(t) for t in texts))


def test_names_in_order_each_once_from_system_and_text_parts() -> None:
    chat = request(
        user("Debate ${bob} and ${carol}.", "Then ${bob} again."),
        system=("You moderate; ${alice} watches.",),
    )
    assert referenced(chat) == ["alice", "bob", "carol"]


def test_expansion_replaces_display_names_everywhere_it_scans() -> None:
    chat = request(user("Debate ${bob} and ${ carol }."), system=("${alice} watches.",))
    expanded = expand(chat, DISPLAY)
    assert expanded.system == ("Alice watches.",)
    assert expanded.messages[0].parts == (TextPart("Debate Bob and Carol Danvers."),)


def test_escaped_tokens_stay_literal_and_are_not_references() -> None:
    chat = request(user(r"Use \${name} to reference; ${bob} is real."))
    assert referenced(chat) == ["bob"]
    expanded = expand(chat, DISPLAY)
    assert expanded.messages[0].parts == (TextPart("Use ${name} to reference; Bob is real."),)


def test_only_text_parts_are_scanned() -> None:
    untouched = (
        ImagePart("https://example.com/${bob}.png"),
        ToolCallPart("call_1", "lookup", '{"who": "${bob}"}'),
    )
    result = Message("tool", (ToolResultPart("call_1", "${carol} said hi"),))
    chat = request(Message("assistant", untouched), result)
    assert referenced(chat) == []
    assert expand(chat, {}) == chat


def test_single_pass_never_rescans_replacements() -> None:
    chat = request(user("${bob}"))
    expanded = expand(chat, {"bob": "${carol}"})
    assert expanded.messages[0].parts == (TextPart("${carol}"),)


def test_a_request_without_tokens_is_returned_as_is() -> None:
    chat = request(user("plain text, no faces"))
    assert expand(chat, DISPLAY) is chat
