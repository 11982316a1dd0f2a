"""The conversion matrix (issue 4): 3 inbound APIs x 3 upstream APIs x {whole, streamed} x
{text reply, tool call} = 36 cases through the running app, each driven and parsed by the
official SDK of the inbound API; plus a tool-call round trip and a mid-stream error per pair,
and the reasoning setting carried across formats (pitfall 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest

from fased.canonical import Usage
from fased.keys import DEPS
from tests.conftest import ClientFactory
from tests.fakes.anthropic_upstream import serve_fake_anthropic
from tests.fakes.common import FakeUpstream, StreamErrorReply, TextReply, ToolCall, ToolCallsReply
from tests.fakes.openai_upstream import serve_fake_openai
from tests.fakes.responses_upstream import serve_fake_responses
from tests.web.matrix import (
    ANSWER,
    ARGS,
    QUESTION,
    TOOL_RESULT,
    WEATHER,
    ChatClient,
    Client,
    MessagesClient,
    ResponsesClient,
    tool_result_sent,
)

INBOUND = {"chat": ChatClient, "responses": ResponsesClient, "messages": MessagesClient}
UPSTREAM_MODELS = {"chat": "local-chat", "responses": "gpt-5.4", "messages": "claude-sonnet-4-6"}
FAKE_USAGE = Usage(input_tokens=11, output_tokens=7, cached_input_tokens=3)


@dataclass
class Matrix:
    upstreams: dict[str, FakeUpstream]
    clients: dict[str, Client]
    app: Any

    def expected_cost(self, model: str) -> float:
        entry = self.app[DEPS].catalog.lookup(model)
        assert entry is not None
        return float(entry.cost(FAKE_USAGE))


@pytest.fixture
async def matrix(gateway: ClientFactory, aiohttp_server: Any) -> AsyncIterator[Matrix]:
    chat = await serve_fake_openai(aiohttp_server)
    responses = await serve_fake_responses(aiohttp_server)
    messages = await serve_fake_anthropic(aiohttp_server)
    on = {"enabled": True}
    client = await gateway(
        {
            "gateway": {"http": {"endpoints": {"messages": on, "responses": on}}},
            "providers": {
                "local": {"kind": "openai-compatible", "baseUrl": chat.base_url, "apiKey": "k1"},
                "openai": {"kind": "openai", "baseUrl": responses.base_url, "apiKey": "k2"},
                "anthropic": {"kind": "anthropic", "baseUrl": messages.base_url, "apiKey": "k3"},
            },
            "models": {
                "catalog": [
                    {
                        "id": "local-chat",
                        "provider": "local",
                        "api": "chat",
                        "input": 1.0,
                        "output": 2.0,
                        "cachedInput": 0.5,
                    },
                ]
            },
        }
    )
    base = str(client.make_url("")).rstrip("/")
    clients: dict[str, Client] = {name: make(base) for name, make in INBOUND.items()}
    yield Matrix({"chat": chat, "responses": responses, "messages": messages}, clients, client.app)
    for each in clients.values():
        await each.close()


CASES = [
    (inbound, upstream, stream, kind)
    for inbound in INBOUND
    for upstream in UPSTREAM_MODELS
    for stream in (False, True)
    for kind in ("text", "tool")
]


@pytest.mark.parametrize(("inbound", "upstream", "stream", "kind"), CASES)
async def test_conversion_matrix(
    matrix: Matrix, inbound: str, upstream: str, stream: bool, kind: str
) -> None:
    fake = matrix.upstreams[upstream]
    model = UPSTREAM_MODELS[upstream]
    call = ToolCall(WEATHER, '{"city": "Paris", "unit": "celsius"}', id="call_w1")
    fake.queue(TextReply(ANSWER) if kind == "text" else ToolCallsReply((call,), fragments=4))
    outcome = await matrix.clients[inbound].ask(model, stream=stream, tools=kind == "tool")
    assert len(fake.requests) == 1 and bool(fake.requests[0].body.get("stream")) == stream
    if kind == "text":
        assert (outcome.text, outcome.calls, outcome.finish) == (ANSWER, [], "stop")
    else:
        assert outcome.finish == "tool_calls"
        assert [(name, args) for _, name, args in outcome.calls] == [(WEATHER, ARGS)]
        assert outcome.calls[0][0] == "call_w1"  # ids pass through (pitfall 6)
    assert (outcome.input_tokens, outcome.output_tokens) == (11, 7)
    assert outcome.cost_usd == pytest.approx(matrix.expected_cost(model))


ROUND_TRIPS = [(i, u, s) for i in INBOUND for u in UPSTREAM_MODELS for s in (False, True)]


@pytest.mark.parametrize(("inbound", "upstream", "stream"), ROUND_TRIPS)
async def test_tool_result_round_trip(
    matrix: Matrix, inbound: str, upstream: str, stream: bool
) -> None:
    fake = matrix.upstreams[upstream]
    model = UPSTREAM_MODELS[upstream]
    fake.queue(ToolCallsReply((ToolCall(WEATHER, '{"city": "Paris", "unit": "celsius"}'),)))
    first = await matrix.clients[inbound].ask(model, stream=stream, tools=True)
    call_id = first.calls[0][0]
    fake.queue(TextReply(ANSWER))
    second = await matrix.clients[inbound].follow_up(model, call_id, stream=stream)
    assert second.text == ANSWER
    assert tool_result_sent(upstream, fake.requests[-1].body) == (call_id, TOOL_RESULT)
    sent = str(fake.requests[-1].body)
    assert QUESTION in sent and WEATHER in sent


ERRORS = {
    "chat": openai.APIError,
    "responses": openai.APIError,
    "messages": anthropic.APIError,
}


@pytest.mark.parametrize(
    ("inbound", "upstream"), [(i, u) for i in INBOUND for u in UPSTREAM_MODELS]
)
async def test_error_mid_stream_is_an_error_to_the_sdk(
    matrix: Matrix, inbound: str, upstream: str
) -> None:
    matrix.upstreams[upstream].queue(StreamErrorReply(chunks=2))
    with pytest.raises(ERRORS[inbound]):
        await matrix.clients[inbound].ask(UPSTREAM_MODELS[upstream], stream=True, tools=False)


# --- reasoning settings across formats (pitfall 12) -------------------------------------------


async def test_chat_reasoning_effort_reaches_anthropic_as_a_thinking_budget(matrix: Matrix) -> None:
    fake = matrix.upstreams["messages"]
    fake.queue(TextReply(ANSWER))
    chat = matrix.clients["chat"]
    assert isinstance(chat, ChatClient)
    completion = await chat.sdk.chat.completions.create(
        model="claude-sonnet-4-6",
        messages=[{"role": "user", "content": QUESTION}],
        reasoning_effort="high",
    )
    assert completion.choices[0].message.content == ANSWER
    sent = fake.requests[-1].body
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 32000}
    assert sent["max_tokens"] == 64000  # the catalog's max output: room for the answer


async def test_messages_thinking_reaches_responses_as_an_effort(matrix: Matrix) -> None:
    fake = matrix.upstreams["responses"]
    fake.queue(TextReply(ANSWER))
    messages = matrix.clients["messages"]
    assert isinstance(messages, MessagesClient)
    reply = await messages.sdk.messages.create(
        model="gpt-5.4",
        max_tokens=16000,
        thinking={"type": "enabled", "budget_tokens": 10000},
        messages=[{"role": "user", "content": QUESTION}],
    )
    assert reply.content[0].type == "text" and reply.content[0].text == ANSWER
    assert fake.requests[-1].body["reasoning"] == {"effort": "medium"}


async def test_an_unknown_reasoning_effort_is_a_400_naming_the_allowed_values(
    matrix: Matrix,
) -> None:
    chat = matrix.clients["chat"]
    assert isinstance(chat, ChatClient)
    with pytest.raises(openai.BadRequestError) as caught:
        await chat.sdk.chat.completions.create(
            model="claude-sonnet-4-6",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"reasoning_effort": "extreme"},
        )
    assert (caught.value.status_code, caught.value.param) == (400, "reasoning_effort")
    assert "'low', 'medium', 'high'" in caught.value.message
    assert not matrix.upstreams["messages"].requests
