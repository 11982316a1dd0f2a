"""OpenAIChatProvider against the fake upstream on 127.0.0.1: the wire, the errors, the cancel."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    Message,
    MessageStart,
    ReplyBuilder,
    StreamError,
    TextDelta,
    TextPart,
    ToolCallPart,
    Usage,
)
from fased.config import ProviderSettings
from fased.errors import BadRequest, RateLimited, UpstreamError, UpstreamTimeout
from fased.providers.catalog import CatalogEntry
from fased.providers.openai_compat import OpenAIChatProvider, parse_retry_after
from tests.fakes.openai_upstream import (
    DropReply,
    ErrorReply,
    FakeOpenAIUpstream,
    HangReply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
)
from tests.providers.conftest import API_KEY

ENTRY = CatalogEntry("local/m1", "local", "chat", "m1")
USAGE = Usage(input_tokens=11, output_tokens=7, cached_input_tokens=3)


def chat(*, stream: bool = False) -> ChatRequest:
    return ChatRequest(
        model="local/m1", messages=(Message("user", (TextPart("hi"),)),), stream=stream
    )


@pytest.fixture
async def provider(upstream_settings: ProviderSettings) -> AsyncIterator[OpenAIChatProvider]:
    opened = await OpenAIChatProvider.open("local", upstream_settings)
    yield opened
    await opened.close()


@pytest.fixture
async def impatient(upstream_settings: ProviderSettings) -> AsyncIterator[OpenAIChatProvider]:
    """The same provider with a 0.3 s read timeout."""
    settings = upstream_settings.model_copy(update={"timeout_seconds": 0.3})
    opened = await OpenAIChatProvider.open("local", settings)
    yield opened
    await opened.close()


async def collect(provider: OpenAIChatProvider, request: ChatRequest) -> list[Event]:
    return [event async for event in provider.stream(request, ENTRY)]


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_whole_reply(provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream) -> None:
    upstream.queue(TextReply("Hello there world"))
    events = await collect(provider, chat())
    assert events == [
        MessageStart("chatcmpl-fake", "m1"),
        TextDelta("Hello there world"),
        Finish("stop"),
        USAGE,
    ]
    sent = upstream.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body["model"] == "m1"
    assert sent.body["messages"] == [{"role": "user", "content": "hi"}]
    assert sent.body["stream"] is False


async def test_streamed_reply(provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream) -> None:
    upstream.queue(TextReply("Hello there world"))
    events = await collect(provider, chat(stream=True))
    assert events[0] == MessageStart("chatcmpl-fake", "m1")
    assert [e for e in events if isinstance(e, TextDelta)] == [
        TextDelta("Hello"),
        TextDelta(" there"),
        TextDelta(" world"),
    ]
    assert events[-2:] == [Finish("stop"), USAGE]
    assert upstream.requests[0].body["stream"] is True
    assert upstream.requests[0].body["stream_options"] == {"include_usage": True}


async def test_the_upstream_model_id_is_sent(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(TextReply("ok"))
    entry = CatalogEntry("ollama/llama3", "local", "chat", "llama3")
    [event async for event in provider.stream(chat(), entry)]
    assert upstream.requests[0].body["model"] == "llama3"


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream, stream: bool
) -> None:
    calls = (
        ToolCall("get_weather", '{"city": "Paris"}'),
        ToolCall("get_time", '{"tz": "UTC"}', id="call_t"),
    )
    upstream.queue(ToolCallsReply(calls, text="Checking.", fragments=3))
    builder = ReplyBuilder()
    for event in await collect(provider, chat(stream=stream)):
        builder.add(event)
    reply = builder.build()
    assert reply.text == "Checking."
    assert reply.finish == "tool_calls"
    assert reply.tool_calls == [
        ToolCallPart("call_fake_0", "get_weather", '{"city": "Paris"}'),
        ToolCallPart("call_t", "get_time", '{"tz": "UTC"}'),
    ]
    assert reply.usage == USAGE


# --- upstream errors: raised before the first event -----------------------------------------


async def test_429_passes_retry_after(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(ErrorReply(429, "Rate limit reached", retry_after="7"))
    with pytest.raises(RateLimited) as caught:
        await collect(provider, chat(stream=True))
    assert (caught.value.status, caught.value.retry_after) == (429, 7)
    assert "Rate limit reached" in caught.value.message


def test_retry_after_forms() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("1.2") == 2
    assert 28 <= (parse_retry_after(later) or 0) <= 30
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


@pytest.mark.parametrize("status", [400, 404, 413, 422])
async def test_invalid_request_carries_the_upstream_message(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream, status: int
) -> None:
    upstream.queue(ErrorReply(status, "max_tokens is too large"))
    with pytest.raises(BadRequest) as caught:
        await collect(provider, chat())
    assert (caught.value.status, caught.value.code) == (400, "upstream_invalid_request")
    assert "max_tokens is too large" in caught.value.message


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream, status: int
) -> None:
    upstream.queue(ErrorReply(status, f"Incorrect API key provided: {API_KEY}"))
    with pytest.raises(UpstreamError) as caught:
        await collect(provider, chat())
    assert caught.value.status == 502
    assert caught.value.message == (
        "provider local rejected the gateway's credentials; check providers.local.apiKey"
    )


async def test_an_echoed_key_is_redacted(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(ErrorReply(400, f"bad header Bearer {API_KEY}"))
    with pytest.raises(BadRequest) as caught:
        await collect(provider, chat())
    assert API_KEY not in caught.value.message
    assert "***" in caught.value.message


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_502(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream, status: int
) -> None:
    upstream.queue(ErrorReply(status, body=b"<html>Bad Gateway</html>"))
    with pytest.raises(UpstreamError) as caught:
        await collect(provider, chat(stream=True))
    assert caught.value.status == 502
    assert f"HTTP {status}" in caught.value.message
    assert len(upstream.requests) == 1  # no retry once the upstream answered


async def test_malformed_body_is_502(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(ErrorReply(200, body=b"not json"))
    with pytest.raises(UpstreamError, match="not valid JSON"):
        await collect(provider, chat())


async def test_hang_is_504_and_the_upstream_sees_the_client_leave(
    impatient: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(HangReply())
    with pytest.raises(UpstreamTimeout) as caught:
        await collect(impatient, chat(stream=True))
    assert caught.value.status == 504
    assert "providers.local.timeoutSeconds" in caught.value.message
    await asyncio.wait_for(upstream.disconnected.wait(), 2)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_connection_refused_is_502_naming_host_not_key() -> None:
    port = closed_port()
    settings = ProviderSettings(
        kind="openai-compatible", api_key=API_KEY, base_url=f"http://127.0.0.1:{port}/v1"
    )
    provider = await OpenAIChatProvider.open("local", settings)
    try:
        with pytest.raises(UpstreamError) as caught:
            await collect(provider, chat())
    finally:
        await provider.close()
    assert caught.value.status == 502
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "provider local" in caught.value.message
    assert API_KEY not in caught.value.message
    assert API_KEY not in repr(caught.value.__cause__) + repr(caught.value.__context__)


# --- retry before the first byte ---------------------------------------------------------


async def test_a_dropped_connection_is_retried_once(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(DropReply(), TextReply("second try"))
    assert text_of(await collect(provider, chat(stream=True))) == "second try"
    assert len(upstream.requests) == 2


async def test_only_one_retry(provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream) -> None:
    upstream.queue(DropReply(), DropReply(), TextReply("never"))
    with pytest.raises(UpstreamError) as caught:
        await collect(provider, chat())
    assert caught.value.status == 502
    assert len(upstream.requests) == 2


# --- after the first event: a StreamError, and cancellation --------------------------------


async def test_a_stall_mid_stream_ends_with_a_504_stream_error(
    impatient: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(StallReply(chunks=2))
    events = await collect(impatient, chat(stream=True))
    assert text_of(events) == "part0 part1 "
    assert isinstance(events[-1], StreamError)
    assert (events[-1].status, events[-1].code) == (504, "upstream_timeout")


async def test_an_error_frame_mid_stream_ends_with_a_502_stream_error(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(StreamErrorReply(chunks=1, message="overloaded"))
    events = await collect(provider, chat(stream=True))
    assert text_of(events) == "part0 "
    assert isinstance(events[-1], StreamError)
    assert events[-1].status == 502 and "overloaded" in events[-1].message


async def test_an_error_frame_before_any_chunk_is_raised(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(StreamErrorReply(chunks=0, message="overloaded"))
    with pytest.raises(UpstreamError, match="overloaded") as caught:
        await collect(provider, chat(stream=True))
    assert caught.value.status == 502


async def test_closing_the_stream_closes_the_upstream_request(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(StallReply(chunks=2))
    async with aclosing(provider.stream(chat(stream=True), ENTRY)) as events:
        seen = [await anext(events) for _ in range(3)]  # MessageStart and two text deltas
    assert text_of(seen) == "part0 part1 "
    await asyncio.wait_for(upstream.disconnected.wait(), 2)


async def test_cancelling_the_consumer_closes_the_upstream_request(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(StallReply(chunks=1))
    received = asyncio.Event()

    async def consume() -> None:
        async for event in provider.stream(chat(stream=True), ENTRY):
            if isinstance(event, TextDelta):
                received.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(received.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(upstream.disconnected.wait(), 2)


async def test_connections_are_reused(
    provider: OpenAIChatProvider, upstream: FakeOpenAIUpstream
) -> None:
    upstream.queue(TextReply("one"), TextReply("two"), TextReply("three"))
    await collect(provider, chat(stream=True))
    await collect(provider, chat())
    await collect(provider, chat(stream=True))
    assert len({r.peer for r in upstream.requests}) == 1
