"""`/v1/messages` and `/v1/responses` specifics: opt-in, error shapes, `store` and
`previous_response_id` per owner."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from openai import AsyncOpenAI

from tests.conftest import AUTH, TOKEN, ClientFactory
from tests.fakes.common import TextReply
from tests.fakes.responses_upstream import serve_fake_responses

ON = {"enabled": True}


async def test_endpoints_are_opt_in(gateway: ClientFactory) -> None:
    client = await gateway()
    for path in ("/v1/messages", "/v1/responses"):
        response = await client.post(path, json={}, headers=AUTH)
        assert response.status == 404
    messages = await client.post("/v1/messages", json={})
    assert (await messages.json())["type"] == "error"  # Anthropic's shape on its path


async def test_messages_errors_use_anthropic_shapes(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"http": {"endpoints": {"messages": ON}}}})
    headers = {"x-api-key": "wrong", "anthropic-version": "2023-06-01"}
    denied = await client.post("/v1/messages", json={}, headers=headers)
    assert denied.status == 401
    assert await denied.json() == {
        "type": "error",
        "error": {
            "type": "authentication_error",
            "message": (await denied.json())["error"]["message"],
        },
    }
    good = {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"}
    no_max = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}
    missing = await client.post("/v1/messages", json=no_max, headers=good)
    assert missing.status == 400
    body = await missing.json()
    assert (
        body["error"]["type"] == "invalid_request_error"
        and "max_tokens" in body["error"]["message"]
    )


async def test_messages_through_the_anthropic_sdk_on_echo(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"http": {"endpoints": {"messages": ON}}}})
    sdk = anthropic.AsyncAnthropic(api_key=TOKEN, base_url=str(client.make_url("")).rstrip("/"))
    message = await sdk.messages.create(
        model="fased", max_tokens=64, messages=[{"role": "user", "content": "hello there"}]
    )
    assert "hello there" in message.content[0].text  # type: ignore[union-attr]
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.create(
            model="fased:nobody", max_tokens=64, messages=[{"role": "user", "content": "x"}]
        )
    await sdk.close()


async def test_unconfigured_anthropic_is_503_with_the_fix(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"http": {"endpoints": {"messages": ON}}}})
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x"}],
    }
    response = await client.post("/v1/messages", json=body, headers=AUTH)
    assert response.status == 503
    assert "providers.anthropic" in (await response.json())["error"]["message"]


@pytest.fixture
async def responses_rig(gateway: ClientFactory, aiohttp_server: Any) -> Any:
    upstream = await serve_fake_responses(aiohttp_server)
    client = await gateway(
        {
            "gateway": {"http": {"endpoints": {"responses": ON}}},
            "providers": {
                "openai": {"kind": "openai", "baseUrl": upstream.base_url, "apiKey": "k"}
            },
        }
    )
    sdk = AsyncOpenAI(api_key=TOKEN, base_url=str(client.make_url("/v1")), max_retries=0)
    yield client, upstream, sdk
    await sdk.close()


async def test_previous_response_id_continues_the_conversation(responses_rig: Any) -> None:
    _client, upstream, sdk = responses_rig
    upstream.queue(TextReply("Hi Ana."), TextReply("You are Ana."))
    first = await sdk.responses.create(model="gpt-5.4", input="I am Ana.", instructions="Be brief.")
    second = await sdk.responses.create(
        model="gpt-5.4", input="Who am I?", previous_response_id=first.id
    )
    assert second.output_text == "You are Ana."
    sent = upstream.requests[-1].body
    texts = [part["text"] for item in sent["input"] for part in item.get("content", [])]
    assert texts == ["I am Ana.", "Hi Ana.", "Who am I?"]
    assert "instructions" not in sent  # instructions are not carried over, as OpenAI does


async def test_streamed_responses_are_stored_too(responses_rig: Any) -> None:
    _client, upstream, sdk = responses_rig
    upstream.queue(TextReply("Noted."), TextReply("Blue."))
    async with sdk.responses.stream(model="gpt-5.4", input="My colour is blue.") as events:
        first = await events.get_final_response()
    await sdk.responses.create(model="gpt-5.4", input="Colour?", previous_response_id=first.id)
    sent = upstream.requests[-1].body["input"]
    assert [item["role"] for item in sent] == ["user", "assistant", "user"]


async def test_unknown_or_unstored_previous_response_is_404(responses_rig: Any) -> None:
    _client, upstream, sdk = responses_rig
    upstream.queue(TextReply("not kept"))
    unstored = await sdk.responses.create(model="gpt-5.4", input="x", store=False)
    for previous in ("resp_nope", unstored.id):
        with pytest.raises(openai.NotFoundError) as caught:
            await sdk.responses.create(model="gpt-5.4", input="y", previous_response_id=previous)
        assert caught.value.body["code"] == "response_not_found"  # type: ignore[index]
