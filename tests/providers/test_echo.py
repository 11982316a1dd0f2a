from __future__ import annotations

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    ImagePart,
    Message,
    MessageStart,
    ReplyBuilder,
    TextDelta,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from fased.providers.catalog import CatalogEntry
from fased.providers.echo import EchoProvider
from fased.providers.tokens import estimate_message_tokens, estimate_tokens

ECHO = CatalogEntry("echo", "echo", "echo", "echo")


def user(text: str) -> Message:
    return Message("user", (TextPart(text),))


async def run(request: ChatRequest) -> list[Event]:
    provider = EchoProvider()
    events = [event async for event in provider.stream(request, ECHO)]
    await provider.close()
    return events


async def test_echo_streams_the_last_user_message_word_by_word() -> None:
    request = ChatRequest(
        model="echo",
        messages=(user("first"), Message("assistant", (TextPart("ok"),)), user("hello  big world")),
        stream=True,
    )
    events = await run(request)
    assert isinstance(events[0], MessageStart) and events[0].model == "echo"
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert deltas == ["Echo: ", "hello  ", "big ", "world"]
    assert isinstance(events[-2], Finish) and events[-2].reason == "stop"
    assert isinstance(events[-1], Usage)
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    assert builder.build().text == "Echo: hello  big world"


async def test_echo_is_deterministic() -> None:
    request = ChatRequest(model="echo", messages=(user("same input"),), system=("persona",))
    assert await run(request) == await run(request)
    other = await run(ChatRequest(model="echo", messages=(user("other input"),)))
    assert other[0] != (await run(request))[0]


async def test_echo_usage_is_the_token_estimate_and_costs_nothing() -> None:
    request = ChatRequest(model="echo", messages=(user("abcdefgh"),), system=("sys!",))
    usage = (await run(request))[-1]
    assert usage == Usage(input_tokens=1 + (4 + 2), output_tokens=estimate_tokens("Echo: abcdefgh"))
    assert ECHO.cost(usage) == 0.0


async def test_echo_without_user_text() -> None:
    request = ChatRequest(model="echo", messages=(Message("user", (ImagePart("data:,"),)),))
    text = "".join(e.text for e in await run(request) if isinstance(e, TextDelta))
    assert text == "Echo: (no text)"
    empty = ChatRequest(model="echo", messages=())
    assert (
        "".join(e.text for e in await run(empty) if isinstance(e, TextDelta)) == "Echo: (no text)"
    )


def test_estimate_tokens_is_about_four_characters_a_token() -> None:
    assert [estimate_tokens(t) for t in ("", "a", "abcd", "abcde", "x" * 400)] == [0, 1, 1, 2, 100]


def test_estimate_message_tokens_counts_every_part_plus_overhead() -> None:
    message = Message(
        "assistant",
        (
            TextPart("abcd"),
            ToolCallPart("call_1", "lookup", '{"q":1}'),
            ImagePart("http://x/i.png"),
        ),
    )
    assert estimate_message_tokens(message) == 4 + 1 + (2 + 2) + 85
    result = Message("tool", (ToolResultPart("call_1", "12345678"),))
    assert estimate_message_tokens(result) == 4 + 2
