"""The fake upstream speaks what the official openai SDK parses, so tests against it count."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from tests.fakes.openai_upstream import (
    ErrorReply,
    FakeOpenAIUpstream,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
)

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def sdk(upstream: FakeOpenAIUpstream) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(base_url=upstream.base_url, api_key="sk-sdk", max_retries=0)
    yield client
    await client.close()


async def test_sdk_parses_a_whole_completion(
    sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(TextReply("Hello there world"))
    result = await sdk.chat.completions.create(model="m1", messages=MESSAGES)
    assert result.choices[0].message.content == "Hello there world"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 7)
    assert result.usage.prompt_tokens_details is not None
    assert result.usage.prompt_tokens_details.cached_tokens == 3
    assert upstream.requests[0].headers["Authorization"] == "Bearer sk-sdk"
    assert upstream.requests[0].body["model"] == "m1"


async def test_sdk_parses_a_stream_with_usage(
    sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(TextReply("Hello there world"))
    stream = await sdk.chat.completions.create(
        model="m1",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there world"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18


async def test_sdk_stream_without_usage_has_no_usage_chunk(
    sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(TextReply("Hi"))
    stream = await sdk.chat.completions.create(model="m1", messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


async def test_sdk_assembles_streamed_tool_calls(
    sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream
) -> None:
    calls = (
        ToolCall("get_weather", '{"city": "Paris"}'),
        ToolCall("get_time", '{"tz": "UTC"}', id="call_2"),
    )
    upstream.queue(ToolCallsReply(calls, fragments=4))
    async with sdk.chat.completions.stream(model="m1", messages=MESSAGES) as stream:
        final = await stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls]
    assert got == [
        ("call_fake_0", "get_weather", {"city": "Paris"}),
        ("call_2", "get_time", {"tz": "UTC"}),
    ]


async def test_sdk_parses_whole_tool_calls(sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream) -> None:
    upstream.queue(ToolCallsReply((ToolCall("lookup", '{"q": 1}'),)))
    result = await sdk.chat.completions.create(model="m1", messages=MESSAGES)
    message = result.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.arguments == '{"q": 1}'  # type: ignore[union-attr]


async def test_sdk_sees_errors_with_retry_after(
    sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(ErrorReply(429, "slow down", retry_after="7"))
    with pytest.raises(openai.RateLimitError) as caught:
        await sdk.chat.completions.create(model="m1", messages=MESSAGES)
    assert caught.value.response.headers["retry-after"] == "7"
    assert "slow down" in str(caught.value)


async def test_sdk_raises_on_an_error_frame(sdk: AsyncOpenAI, upstream: FakeOpenAIUpstream) -> None:
    upstream.queue(StreamErrorReply(chunks=1, message="overloaded"))
    stream = await sdk.chat.completions.create(model="m1", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError, match="overloaded"):
        async for _ in stream:
            pass
