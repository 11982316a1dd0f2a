"""The fake Responses upstream speaks what the official openai SDK parses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI

from tests.fakes.common import (
    ErrorReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    typed_events,
)
from tests.fakes.responses_upstream import FakeResponsesUpstream

CALLS = (
    ToolCall("get_weather", '{"city": "Paris"}'),
    ToolCall("get_time", '{"tz": "UTC"}', id="call_2"),
)
CALLED = [
    ("call_fake_0", "get_weather", {"city": "Paris"}),
    ("call_2", "get_time", {"tz": "UTC"}),
]


def calls_of(output: Sequence[Any]) -> list[tuple[str, str, Any]]:
    return [
        (o.call_id, o.name, json.loads(o.arguments)) for o in output if o.type == "function_call"
    ]


@pytest.fixture
async def sdk(responses_upstream: FakeResponsesUpstream) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(base_url=responses_upstream.base_url, api_key="sk-sdk", max_retries=0)
    yield client
    await client.close()


async def test_sdk_parses_a_whole_response(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(TextReply("Hello there world"))
    result = await sdk.responses.create(model="gpt-x", input="hi")
    assert result.output_text == "Hello there world"
    assert result.status == "completed"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 7)
    assert result.usage.input_tokens_details.cached_tokens == 3
    sent = responses_upstream.requests[0]
    assert sent.path == "/v1/responses"
    assert sent.headers["Authorization"] == "Bearer sk-sdk"
    assert sent.body == {"model": "gpt-x", "input": "hi"}


async def test_the_stream_is_typed_and_numbered_in_order(
    responses_upstream: FakeResponsesUpstream,
) -> None:
    responses_upstream.queue(TextReply("Hello there"))
    body = {"model": "gpt-x", "input": "hi", "stream": True}
    events = await typed_events(responses_upstream.base_url + "/responses", body)
    assert [event["type"] for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))


async def test_sdk_accumulates_a_streamed_response(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(TextReply("Hello there world"))
    async with sdk.responses.stream(model="gpt-x", input="hi") as stream:
        deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(deltas) == "Hello there world"
    assert final.output_text == "Hello there world"
    assert final.usage is not None and final.usage.input_tokens_details.cached_tokens == 3


@pytest.mark.parametrize("deltas", [True, False])
async def test_sdk_assembles_streamed_function_calls(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream, deltas: bool
) -> None:
    responses_upstream.queue(ToolCallsReply(CALLS, text="Checking.", fragments=4, deltas=deltas))
    async with sdk.responses.stream(model="gpt-x", input="hi") as stream:
        types = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert ("response.function_call_arguments.delta" in types) is deltas
    assert final.output_text == "Checking."
    assert calls_of(final.output) == CALLED


async def test_sdk_parses_whole_function_calls_without_a_message(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(ToolCallsReply(CALLS))
    result = await sdk.responses.create(model="gpt-x", input="hi")
    assert [item.type for item in result.output] == ["function_call", "function_call"]
    assert calls_of(result.output) == CALLED


async def test_a_length_finish_is_an_incomplete_response(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(TextReply("cut", finish_reason="length"))
    stream = await sdk.responses.create(model="gpt-x", input="hi", stream=True)
    last = [event async for event in stream][-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "max_output_tokens"


async def test_sdk_sees_errors_with_retry_after(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(ErrorReply(429, "slow down", retry_after="7"))
    with pytest.raises(openai.RateLimitError) as caught:
        await sdk.responses.create(model="gpt-x", input="hi")
    assert caught.value.response.headers["retry-after"] == "7"
    assert "slow down" in str(caught.value)


async def test_sdk_reads_a_failed_response_mid_stream(
    sdk: AsyncOpenAI, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(StreamErrorReply(chunks=1, message="overloaded"))
    stream = await sdk.responses.create(model="gpt-x", input="hi", stream=True)
    events = [event async for event in stream]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    last = events[-1]
    assert last.type == "response.failed"
    assert last.response.status == "failed"
    assert last.response.error is not None and last.response.error.message == "overloaded"
