"""OpenAIChatProvider specifics: the Chat Completions request and reply on the wire.

What every HTTP provider does (errors, retries, timeouts, cancellation, tool calls, usage) is
checked for this one too, in test_http_providers.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    MessageStart,
    Reasoning,
    TextDelta,
    Usage,
)
from fased.config import ProviderSettings
from fased.providers.catalog import CatalogEntry
from fased.providers.openai import OpenAIProvider
from fased.providers.openai_compat import OpenAIChatProvider
from tests.fakes.openai_upstream import FakeOpenAIUpstream, TextReply
from tests.providers.rigs import API_KEY, chat

ENTRY = CatalogEntry("local/m1", "local", "chat", "m1")
USAGE = Usage(input_tokens=11, output_tokens=7, cached_input_tokens=3)


@pytest.fixture
async def provider(upstream_settings: ProviderSettings) -> AsyncIterator[OpenAIChatProvider]:
    opened = await OpenAIChatProvider.open("local", upstream_settings)
    yield opened
    await opened.close()


async def collect(provider: OpenAIChatProvider, request: ChatRequest) -> list[Event]:
    return [event async for event in provider.stream(request, ENTRY)]


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


async def test_a_server_without_a_key_gets_no_authorization_header(
    upstream: FakeOpenAIUpstream, upstream_settings: ProviderSettings
) -> None:
    keyless = await OpenAIChatProvider.open(
        "local", upstream_settings.model_copy(update={"api_key": None})
    )
    upstream.queue(TextReply("ok"))
    try:
        await collect(keyless, chat())
    finally:
        await keyless.close()
    assert "Authorization" not in upstream.requests[0].headers


async def test_openai_itself_gets_max_completion_tokens(
    upstream_settings: ProviderSettings, upstream: FakeOpenAIUpstream
) -> None:
    """An OpenAI-compatible server reads `max_tokens`; OpenAI's reasoning models refuse it and
    want `max_completion_tokens` (pitfall: the deprecated name)."""
    compat = await OpenAIChatProvider.open("local", upstream_settings)
    own = await OpenAIProvider.open("openai", upstream_settings)
    upstream.queue(TextReply("a"), TextReply("b"))
    try:
        await collect(compat, chat(max_tokens=50))
        async for _ in own.stream(
            chat(max_tokens=60), CatalogEntry("gpt-4.1", "openai", "chat", "gpt-4.1")
        ):
            pass
    finally:
        await compat.close()
        await own.close()
    first, second = (request.body for request in upstream.requests)
    assert first["max_tokens"] == 50 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 60 and "max_tokens" not in second


@pytest.mark.parametrize(("reasoning", "sent"), [(False, None), (None, "high"), (True, "high")])
async def test_reasoning_reaches_only_models_that_may_reason(
    provider: OpenAIChatProvider,
    upstream: FakeOpenAIUpstream,
    reasoning: bool | None,
    sent: str | None,
) -> None:
    """The catalog's `reasoning: false` (gpt-4o, gpt-4.1) drops the setting, which OpenAI
    would refuse; unknown (None) sends it for the upstream to decide."""
    upstream.queue(TextReply("ok"))
    entry = dataclasses.replace(ENTRY, reasoning=reasoning)
    request = chat(reasoning=Reasoning(effort="high"))
    events = [event async for event in provider.stream(request, entry)]
    assert isinstance(events[-1], Usage)
    assert upstream.requests[0].body.get("reasoning_effort") == sent
