"""AnthropicProvider specifics (the shared behaviour is in test_http_providers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs
from yarl import URL

from fased.canonical import ChatRequest, Event, Usage
from fased.config import ProviderSettings
from fased.errors import ServiceUnavailable
from fased.providers.anthropic import AnthropicProvider, messages_url
from fased.providers.catalog import CatalogEntry
from fased.wire.anthropic_messages_upstream import build_upstream_request
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.common import ErrorReply, FakeUsage, StreamErrorReply, TextReply
from tests.providers.rigs import API_KEY, NAME, RIGS, chat, settings_for

ENTRY = RIGS["messages"].entry
CACHED = FakeUsage(prompt_tokens=11, completion_tokens=7, cached_tokens=3, cache_write_tokens=2)


@pytest.fixture
async def provider(anthropic_upstream: FakeAnthropicUpstream) -> AsyncIterator[AnthropicProvider]:
    opened = await AnthropicProvider.open(NAME, settings_for(RIGS["messages"], anthropic_upstream))
    yield opened
    await opened.close()


async def collect(
    provider: AnthropicProvider, request: ChatRequest, entry: CatalogEntry = ENTRY
) -> list[Event]:
    return [event async for event in provider.stream(request, entry)]


@pytest.mark.parametrize("stream", [False, True])
async def test_the_request_on_the_wire(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream, stream: bool
) -> None:
    anthropic_upstream.queue(TextReply("ok"))
    await collect(provider, chat(stream=stream))
    sent = anthropic_upstream.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == API_KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == ("text/event-stream" if stream else "application/json")
    assert "Authorization" not in sent.headers
    assert (sent.body["model"], sent.body["stream"]) == (ENTRY.upstream_id, stream)
    assert sent.body["max_tokens"] == ENTRY.max_output


async def test_max_tokens_comes_from_the_request_else_the_catalog_else_4096(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(TextReply("a"), TextReply("b"))
    await collect(provider, chat(max_tokens=50))
    await collect(provider, chat(), CatalogEntry("c", NAME, "messages", "c-1"))
    assert [r.body["max_tokens"] for r in anthropic_upstream.requests] == [50, 4096]


@pytest.mark.parametrize("stream", [False, True])
async def test_usage_adds_cache_reads_and_writes_to_the_input(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream, stream: bool
) -> None:
    anthropic_upstream.queue(TextReply("ok", usage=CACHED))
    events = await collect(provider, chat(stream=stream))
    assert events[-1] == Usage(
        input_tokens=11, output_tokens=7, cached_input_tokens=3, cache_write_input_tokens=2
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_overloaded_is_a_503_with_retry_after(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream, stream: bool
) -> None:
    anthropic_upstream.queue(ErrorReply(529, "Overloaded", retry_after="3"))
    with pytest.raises(ServiceUnavailable) as caught:
        await collect(provider, chat(stream=stream))
    error = caught.value
    assert (error.status, error.code, error.retry_after) == (503, "upstream_overloaded", 3)
    assert "Overloaded" in error.message and f"provider {NAME}" in error.message


async def test_an_overloaded_event_before_any_text_is_a_503(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(StreamErrorReply(chunks=0, message="Overloaded"))
    with pytest.raises(ServiceUnavailable) as caught:
        await collect(provider, chat(stream=True))
    assert (caught.value.status, caught.value.code) == (503, "upstream_overloaded")


async def test_dropped_parameters_are_logged_by_name(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    """What the translator could not send is logged, names only; which names is its business."""
    anthropic_upstream.queue(TextReply("ok"))
    request = chat(temperature=0.5, top_p=0.9)
    expected = build_upstream_request(request, ENTRY.upstream_id, default_max_tokens=1).dropped
    assert "top_p" in expected
    with capture_logs() as logs:
        await collect(provider, request)
    assert "top_p" not in anthropic_upstream.requests[0].body
    dropped = [log for log in logs if log["event"] == "upstream_params_dropped"]
    assert dropped == [
        {
            "event": "upstream_params_dropped",
            "log_level": "info",
            "provider": NAME,
            "model": ENTRY.id,
            "api": "messages",
            "params": list(expected),
        }
    ]


async def test_no_log_line_carries_the_key(
    provider: AnthropicProvider, anthropic_upstream: FakeAnthropicUpstream
) -> None:
    anthropic_upstream.queue(ErrorReply(401, f"invalid x-api-key: {API_KEY}"))
    with capture_logs() as logs, pytest.raises(Exception) as caught:
        await collect(provider, chat())
    assert logs and API_KEY not in repr(logs)
    assert API_KEY not in caught.value.args[0]


def test_the_base_url_is_written_without_v1() -> None:
    default = ProviderSettings(kind="anthropic", api_key="k")
    assert messages_url("a", default) == URL("https://api.anthropic.com/v1/messages")
    proxy = ProviderSettings(kind="anthropic", api_key="k", base_url="http://proxy:8080/")
    assert messages_url("a", proxy) == URL("http://proxy:8080/v1/messages")
