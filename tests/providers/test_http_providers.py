"""What every HTTP provider does: Chat Completions, Messages and Responses against their fakes.

Each provider speaks its own wire format to a fake upstream on 127.0.0.1; the canonical events
it yields, and the errors it raises, are the same for all of them. What only one provider does
is in its own module (test_openai_compat, test_anthropic, test_openai_responses).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
from yarl import URL

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    MessageStart,
    Reply,
    ReplyBuilder,
    StreamError,
    TextDelta,
    Usage,
)
from fased.errors import BadRequest, FasedError, RateLimited, UpstreamError, UpstreamTimeout
from fased.providers.base import Provider
from fased.providers.catalog import CatalogEntry
from tests.fakes.common import (
    DropReply,
    ErrorReply,
    FakeUpstream,
    FakeUsage,
    HangReply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
)
from tests.providers.rigs import API_KEY, DEFAULT_USAGE, NAME, RIGS, Rig, chat, settings_for

CALLS = (
    ToolCall("get_weather", '{"city": "Paris"}', id="call_w"),
    ToolCall("get_time", '{"tz": "UTC"}', id="call_t"),
)


@pytest.fixture(params=sorted(RIGS))
def rig(request: pytest.FixtureRequest) -> Rig:
    return RIGS[request.param]


@pytest.fixture
async def fake(rig: Rig, aiohttp_server: Any) -> FakeUpstream:
    return await rig.serve(aiohttp_server)


async def opened(rig: Rig, fake: FakeUpstream, **changes: Any) -> AsyncIterator[Provider]:
    provider = await rig.open(NAME, settings_for(rig, fake, **changes))
    try:
        yield provider
    finally:
        await provider.close()


@pytest.fixture
async def provider(rig: Rig, fake: FakeUpstream) -> AsyncIterator[Provider]:
    async for provider in opened(rig, fake):
        yield provider


@pytest.fixture
async def impatient(rig: Rig, fake: FakeUpstream) -> AsyncIterator[Provider]:
    """The same provider with a 0.3 s read timeout."""
    async for provider in opened(rig, fake, timeout_seconds=0.3):
        yield provider


async def collect(provider: Provider, entry: CatalogEntry, request: ChatRequest) -> list[Event]:
    return [event async for event in provider.stream(request, entry)]


def reply_of(events: list[Event]) -> Reply:
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def failure(provider: Provider, rig: Rig, *, stream: bool = False) -> FasedError:
    with pytest.raises(FasedError) as caught:
        await collect(provider, rig.entry, chat(stream=stream))
    assert API_KEY not in caught.value.message
    return caught.value


# --- replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_text(provider: Provider, rig: Rig, fake: FakeUpstream, stream: bool) -> None:
    fake.queue(TextReply("Hello there world"))
    events = await collect(provider, rig.entry, chat(stream=stream))
    assert events[0] == MessageStart(rig.message_id, rig.entry.upstream_id)
    assert events[-2:] == [Finish("stop"), DEFAULT_USAGE]
    assert text_of(events) == "Hello there world"
    assert fake.requests[0].body["model"] == rig.entry.upstream_id
    assert fake.requests[0].body["stream"] is stream


async def test_a_stream_arrives_word_by_word(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(TextReply("Hello there world"))
    events = await collect(provider, rig.entry, chat(stream=True))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas == [TextDelta("Hello"), TextDelta(" there"), TextDelta(" world")]


async def test_a_length_finish(provider: Provider, rig: Rig, fake: FakeUpstream) -> None:
    fake.queue(TextReply("cut", finish_reason="length"))
    events = await collect(provider, rig.entry, chat(stream=True))
    assert Finish("length") in events


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("deltas", [True, False], ids=["deltas", "whole-args"])
async def test_tool_calls(
    provider: Provider, rig: Rig, fake: FakeUpstream, stream: bool, deltas: bool
) -> None:
    """With `deltas=False` the arguments arrive only whole, never as fragments (pitfall 1)."""
    fake.queue(ToolCallsReply(CALLS, text="Checking.", fragments=3, deltas=deltas))
    reply = reply_of(await collect(provider, rig.entry, chat(stream=stream)))
    assert reply.text == "Checking."
    assert reply.finish == "tool_calls"
    calls = [(c.id, c.name, json.loads(c.arguments)) for c in reply.tool_calls]
    assert calls == [
        ("call_w", "get_weather", {"city": "Paris"}),
        ("call_t", "get_time", {"tz": "UTC"}),
    ]
    assert reply.usage == DEFAULT_USAGE


@pytest.mark.parametrize("stream", [False, True])
async def test_usage_counts_cache_reads_and_writes_as_input(
    provider: Provider, rig: Rig, fake: FakeUpstream, stream: bool
) -> None:
    usage = FakeUsage(
        prompt_tokens=100, completion_tokens=20, cached_tokens=60, cache_write_tokens=30
    )
    fake.queue(TextReply("ok", usage=usage))
    events = await collect(provider, rig.entry, chat(stream=stream))
    got = events[-1]
    assert isinstance(got, Usage)
    assert (got.input_tokens, got.output_tokens, got.cached_input_tokens) == (100, 20, 60)


# --- upstream errors: raised before the first event ---------------------------------------


async def test_429_passes_retry_after(provider: Provider, rig: Rig, fake: FakeUpstream) -> None:
    fake.queue(ErrorReply(429, "Rate limit reached", retry_after="7"))
    error = await failure(provider, rig, stream=True)
    assert isinstance(error, RateLimited)
    assert (error.status, error.retry_after) == (429, 7)
    assert "Rate limit reached" in error.message


@pytest.mark.parametrize("status", [400, 404, 413, 422])
async def test_invalid_request_carries_the_upstream_message(
    provider: Provider, rig: Rig, fake: FakeUpstream, status: int
) -> None:
    fake.queue(ErrorReply(status, f"max_tokens is too large for {API_KEY}"))
    error = await failure(provider, rig)
    assert isinstance(error, BadRequest)
    assert (error.status, error.code) == (400, "upstream_invalid_request")
    assert "max_tokens is too large for ***" in error.message


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_name_the_setting(
    provider: Provider, rig: Rig, fake: FakeUpstream, status: int
) -> None:
    fake.queue(ErrorReply(status, f"invalid x-api-key {API_KEY}"))
    error = await failure(provider, rig)
    assert error.status == 502
    assert error.message == (
        f"provider {NAME} rejected the gateway's credentials; check providers.{NAME}.apiKey"
    )


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_502(
    provider: Provider, rig: Rig, fake: FakeUpstream, status: int
) -> None:
    fake.queue(ErrorReply(status, body=b"<html>Bad Gateway</html>"))
    error = await failure(provider, rig, stream=True)
    assert isinstance(error, UpstreamError)
    assert error.status == 502 and f"HTTP {status}" in error.message
    assert len(fake.requests) == 1  # no retry once the upstream answered


async def test_hang_is_504_and_the_upstream_sees_the_client_leave(
    impatient: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(HangReply())
    error = await failure(impatient, rig, stream=True)
    assert isinstance(error, UpstreamTimeout)
    assert f"providers.{NAME}.timeoutSeconds" in error.message
    await asyncio.wait_for(fake.disconnected.wait(), 2)


async def test_a_dropped_connection_is_retried_once(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(DropReply(), TextReply("second try"))
    assert text_of(await collect(provider, rig.entry, chat(stream=True))) == "second try"
    assert len(fake.requests) == 2


async def test_only_one_retry(provider: Provider, rig: Rig, fake: FakeUpstream) -> None:
    fake.queue(DropReply(), DropReply(), TextReply("never"))
    error = await failure(provider, rig)
    assert isinstance(error, UpstreamError) and error.status == 502
    assert len(fake.requests) == 2


async def test_a_body_that_is_not_json_is_502(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(ErrorReply(200, body=b"not json"))
    error = await failure(provider, rig)
    assert isinstance(error, UpstreamError) and "not valid JSON" in error.message


async def test_connection_refused_is_502_naming_host_not_key(rig: Rig, fake: FakeUpstream) -> None:
    port = closed_port()
    base_url = fake.base_url.replace(f":{URL(fake.base_url).port}", f":{port}")
    async for provider in opened(rig, fake, base_url=base_url):
        with pytest.raises(UpstreamError) as caught:
            await collect(provider, rig.entry, chat())
    error = caught.value
    assert error.status == 502
    assert f"127.0.0.1:{port}" in error.message and f"provider {NAME}" in error.message
    assert f"providers.{NAME}.baseUrl" in error.message
    assert API_KEY not in error.message + repr(error.__cause__) + repr(error.__context__)


async def test_an_error_event_before_any_text_is_raised(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(StreamErrorReply(chunks=0, message="overloaded"))
    error = await failure(provider, rig, stream=True)
    assert type(error) is rig.early_error
    assert "overloaded" in error.message and f"provider {NAME}" in error.message


# --- after the first event: a StreamError, and cancellation --------------------------------


async def test_a_stall_mid_stream_ends_with_a_504_stream_error(
    impatient: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(StallReply(chunks=2))
    events = await collect(impatient, rig.entry, chat(stream=True))
    assert text_of(events) == "part0 part1 "
    assert isinstance(events[-1], StreamError)
    assert (events[-1].status, events[-1].code) == (504, "upstream_timeout")


async def test_an_error_event_mid_stream_ends_with_a_stream_error(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(StreamErrorReply(chunks=1, message="overloaded"))
    events = await collect(provider, rig.entry, chat(stream=True))
    assert text_of(events) == "part0 "
    assert isinstance(events[-1], StreamError)
    assert events[-1].status == rig.stream_error_status
    assert "overloaded" in events[-1].message


async def test_closing_the_stream_closes_the_upstream_request(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(StallReply(chunks=2))
    async with aclosing(provider.stream(chat(stream=True), rig.entry)) as events:
        seen = [await anext(events) for _ in range(3)]  # MessageStart and two text deltas
    assert text_of(seen) == "part0 part1 "
    await asyncio.wait_for(fake.disconnected.wait(), 2)


async def test_cancelling_the_consumer_closes_the_upstream_request(
    provider: Provider, rig: Rig, fake: FakeUpstream
) -> None:
    fake.queue(StallReply(chunks=1))
    received = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(chat(stream=True), rig.entry):
            if isinstance(event, TextDelta):
                received.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(received.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(fake.disconnected.wait(), 2)


async def test_connections_are_reused(provider: Provider, rig: Rig, fake: FakeUpstream) -> None:
    fake.queue(TextReply("one"), TextReply("two"), TextReply("three"))
    await collect(provider, rig.entry, chat(stream=True))
    await collect(provider, rig.entry, chat())
    await collect(provider, rig.entry, chat(stream=True))
    assert len({r.peer for r in fake.requests}) == 1
