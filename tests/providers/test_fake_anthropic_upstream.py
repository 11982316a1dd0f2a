"""The fake Messages upstream speaks what the official anthropic SDK parses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest
from anthropic import AsyncAnthropic
from anthropic.types import MessageParam

from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.common import (
    ErrorReply,
    FakeUsage,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    typed_events,
)

MESSAGES: list[MessageParam] = [{"role": "user", "content": "hi"}]
CALLS = (
    ToolCall("get_weather", '{"city": "Paris"}'),
    ToolCall("get_time", '{"tz": "UTC"}', id="toolu_2"),
)
CALLED = [
    ("toolu_fake_0", "get_weather", {"city": "Paris"}),
    ("toolu_2", "get_time", {"tz": "UTC"}),
]


@pytest.fixture
async def sdk(anthropic_upstream: FakeAnthropicUpstream) -> AsyncIterator[AsyncAnthropic]:
    client = AsyncAnthropic(base_url=anthropic_upstream.base_url, api_key="sk-ant", max_retries=0)
    yield client
    await client.close()


async def test_sdk_parses_a_whole_message(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(TextReply("Hello there world", usage=FakeUsage(cache_write_tokens=2)))
    message = await sdk.messages.create(model="claude-x", max_tokens=64, messages=MESSAGES)
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Hello there world"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (6, 7)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (3, 2)
    sent = anthropic_upstream.requests[0]
    assert sent.path == "/v1/messages"
    # the docs ask for `x-api-key`; this SDK release sends the key as a bearer token
    keys = (sent.headers.get("x-api-key"), sent.headers.get("Authorization"))
    assert keys in {("sk-ant", None), (None, "Bearer sk-ant")}
    assert sent.headers["anthropic-version"]  # this SDK release pins a later version
    assert sent.body["model"] == "claude-x"


async def test_sdk_reads_the_stream_events_in_order(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(TextReply("Hello there"))
    stream = await sdk.messages.create(
        model="claude-x", max_tokens=64, messages=MESSAGES, stream=True
    )
    events = [event async for event in stream]
    assert [event.type for event in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]  # the SDK skips `ping`
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and start.message.usage.input_tokens == 8
    assert start.message.usage.output_tokens == 1  # a placeholder until message_delta
    assert delta.type == "message_delta"
    assert (delta.usage.output_tokens, delta.usage.input_tokens) == (7, 8)  # cumulative


async def test_the_raw_stream_names_each_event_and_pings(
    anthropic_upstream: FakeAnthropicUpstream,
) -> None:
    anthropic_upstream.queue(TextReply("Hi"))
    body = {"model": "claude-x", "max_tokens": 8, "messages": MESSAGES, "stream": True}
    events = await typed_events(anthropic_upstream.base_url + "/v1/messages", body)
    assert [event["type"] for event in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


async def test_sdk_accumulates_a_streamed_message(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(TextReply("Hello there world"))
    async with sdk.messages.stream(model="claude-x", max_tokens=64, messages=MESSAGES) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Hello there world"
    assert final.content[0].text == "Hello there world"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (8, 7)
    assert final.usage.cache_read_input_tokens == 3


@pytest.mark.parametrize("deltas", [True, False])
async def test_sdk_assembles_streamed_tool_use(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream, deltas: bool
) -> None:
    anthropic_upstream.queue(ToolCallsReply(CALLS, text="Checking.", fragments=4, deltas=deltas))
    async with sdk.messages.stream(model="claude-x", max_tokens=64, messages=MESSAGES) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "text" and final.content[0].text == "Checking."
    uses = [(b.id, b.name, b.input) for b in final.content if b.type == "tool_use"]
    assert uses == CALLED


async def test_sdk_parses_whole_tool_use_without_an_empty_text_block(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(ToolCallsReply(CALLS))
    message = await sdk.messages.create(model="claude-x", max_tokens=64, messages=MESSAGES)
    assert message.stop_reason == "tool_use"
    assert [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"] == CALLED
    assert [b.type for b in message.content] == ["tool_use", "tool_use"]


async def test_sdk_sees_errors_with_retry_after(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(ErrorReply(429, "slow down", retry_after="7"), ErrorReply(529))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await sdk.messages.create(model="claude-x", max_tokens=64, messages=MESSAGES)
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "slow down"},
        "request_id": "req_fake",
    }
    with pytest.raises(anthropic.OverloadedError):
        await sdk.messages.create(model="claude-x", max_tokens=64, messages=MESSAGES)


async def test_sdk_raises_on_an_error_event(
    sdk: AsyncAnthropic, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(StreamErrorReply(chunks=1, message="Overloaded"))
    stream = await sdk.messages.create(
        model="claude-x", max_tokens=64, messages=MESSAGES, stream=True
    )
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"):
        async for event in stream:
            seen.append(event.type)
    assert seen[:2] == ["message_start", "content_block_start"]
