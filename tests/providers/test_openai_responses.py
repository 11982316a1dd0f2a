"""OpenAIResponsesProvider and the kind-`openai` dispatcher specifics (the shared behaviour is in
test_http_providers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
from structlog.testing import capture_logs

from fased.canonical import ChatRequest, Event, TextDelta
from fased.config import ProviderSettings
from fased.errors import ServiceUnavailable
from fased.providers.catalog import CatalogEntry
from fased.providers.openai import OpenAIProvider
from fased.providers.openai_responses import OpenAIResponsesProvider
from tests.fakes.common import ErrorReply, TextReply
from tests.fakes.responses_upstream import FakeResponsesUpstream, response_object
from tests.providers.rigs import API_KEY, NAME, RIGS, chat, settings_for

ENTRY = RIGS["responses"].entry


@pytest.fixture
def settings(responses_upstream: FakeResponsesUpstream) -> ProviderSettings:
    return settings_for(RIGS["responses"], responses_upstream)


@pytest.fixture
async def provider(settings: ProviderSettings) -> AsyncIterator[OpenAIResponsesProvider]:
    opened = await OpenAIResponsesProvider.open(NAME, settings)
    yield opened
    await opened.close()


async def collect(provider: OpenAIResponsesProvider, request: ChatRequest) -> list[Event]:
    return [event async for event in provider.stream(request, ENTRY)]


@pytest.mark.parametrize("stream", [False, True])
async def test_the_request_on_the_wire(
    provider: OpenAIResponsesProvider, responses_upstream: FakeResponsesUpstream, stream: bool
) -> None:
    responses_upstream.queue(TextReply("ok"))
    await collect(provider, chat(stream=stream, system=("Be brief.",)))
    sent = responses_upstream.requests[0]
    assert sent.path == "/v1/responses"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == ("text/event-stream" if stream else "application/json")
    body = sent.body
    assert (body["model"], body["stream"], body["store"]) == (ENTRY.upstream_id, stream, False)
    assert body["instructions"] == "Be brief."


async def test_dropped_parameters_are_logged_by_name(
    provider: OpenAIResponsesProvider, responses_upstream: FakeResponsesUpstream
) -> None:
    responses_upstream.queue(TextReply("ok"))
    with capture_logs() as logs:
        await collect(provider, chat(stop=("END",)))
    assert "stop" not in responses_upstream.requests[0].body
    dropped = [log for log in logs if log["event"] == "upstream_params_dropped"]
    assert [(log["provider"], log["api"], log["params"]) for log in dropped] == [
        (NAME, "responses", ["stop"])
    ]


async def test_output_items_it_cannot_carry_are_logged(
    provider: OpenAIResponsesProvider, responses_upstream: FakeResponsesUpstream
) -> None:
    """Pitfall 5: an unknown output item is reported, never silently dropped."""
    search = {"id": "ws_1", "type": "web_search_call", "status": "completed"}
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "found", "annotations": []}],
    }
    body = response_object(ENTRY.upstream_id, "completed", [search, message])
    responses_upstream.queue(ErrorReply(200, body=orjson.dumps(body)))
    with capture_logs() as logs:
        events = await collect(provider, chat())
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "found"
    skipped = [log for log in logs if log["event"] == "upstream_output_skipped"]
    assert [(log["provider"], log["item_types"]) for log in skipped] == [
        (NAME, ["web_search_call"])
    ]


async def test_the_openai_kind_refuses_an_api_it_does_not_speak(
    settings: ProviderSettings,
) -> None:
    provider = await OpenAIProvider.open(NAME, settings)
    try:
        wrong = CatalogEntry("odd", NAME, "messages", "odd")
        with pytest.raises(ServiceUnavailable, match="'messages' API"):
            [event async for event in provider.stream(chat(), wrong)]
    finally:
        await provider.close()
