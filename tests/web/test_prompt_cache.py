"""Prompt-cache breakpoints (pitfall 9) through the running app: an Anthropic client's
`cache_control` reaches an Anthropic upstream on the same blocks, after the persona the gateway
put in front; toward OpenAI it is not sent."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import orjson

from tests.conftest import TOKEN, ClientFactory
from tests.fakes.anthropic_upstream import serve_fake_anthropic
from tests.fakes.common import TextReply
from tests.fakes.openai_upstream import serve_fake_openai

EPHEMERAL: Any = {"type": "ephemeral"}


async def test_breakpoints_reach_anthropic_after_the_persona(
    gateway: ClientFactory, aiohttp_server: Any
) -> None:
    messages = await serve_fake_anthropic(aiohttp_server)
    chat = await serve_fake_openai(aiohttp_server)
    client = await gateway(
        {
            "gateway": {"http": {"endpoints": {"messages": {"enabled": True}}}},
            "providers": {
                "anthropic": {"kind": "anthropic", "baseUrl": messages.base_url, "apiKey": "k"},
                "local": {"kind": "openai-compatible", "baseUrl": chat.base_url, "apiKey": "k"},
            },
            "models": {"catalog": [{"id": "local-chat", "provider": "local", "api": "chat"}]},
            "agents": {"list": [{"id": "beta", "name": "Beta", "basic_facts": {"city": "Lisbon"}}]},
        }
    )
    sdk = anthropic.AsyncAnthropic(
        api_key=TOKEN, base_url=str(client.make_url("")).rstrip("/"), max_retries=0
    )
    system: Any = [{"type": "text", "text": "Long instructions.", "cache_control": EPHEMERAL}]
    turn: Any = [{"type": "text", "text": "hi", "cache_control": EPHEMERAL}]
    messages.queue(TextReply("hello"))
    await sdk.messages.create(
        model="beta@claude-sonnet-4-6",
        max_tokens=64,
        system=system,
        messages=[{"role": "user", "content": turn}],
    )
    sent = messages.requests[-1].body
    persona, own = sent["system"]
    assert "Lisbon" in persona["text"] and "cache_control" not in persona
    assert own == {"type": "text", "text": "Long instructions.", "cache_control": EPHEMERAL}
    assert sent["messages"][0]["content"][0]["cache_control"] == EPHEMERAL

    chat.queue(TextReply("hello"))
    await sdk.messages.create(
        model="local-chat",
        max_tokens=64,
        system=system,
        messages=[{"role": "user", "content": turn}],
    )
    assert b"cache_control" not in orjson.dumps(chat.requests[-1].body)
    await sdk.close()


async def test_openai_sdk_breakpoints_reach_claude(
    gateway: ClientFactory, aiohttp_server: Any
) -> None:
    """The OpenAI SDK talking to Claude through the gateway: `cache_control` on content parts
    (as OpenRouter and LiteLLM take it) lands on the same blocks upstream."""
    messages = await serve_fake_anthropic(aiohttp_server)
    client = await gateway(
        {
            "gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": True}}}},
            "providers": {
                "anthropic": {"kind": "anthropic", "baseUrl": messages.base_url, "apiKey": "k"}
            },
        }
    )
    sdk = openai.AsyncOpenAI(api_key=TOKEN, base_url=str(client.make_url("/v1")), max_retries=0)
    marked: Any = {"type": "text", "text": "Long instructions.", "cache_control": EPHEMERAL}
    messages.queue(TextReply("hello"))
    await sdk.chat.completions.create(
        model="claude-sonnet-4-6",
        messages=[
            {"role": "system", "content": [marked]},
            {"role": "user", "content": [{**marked, "text": "hi"}]},
        ],
    )
    sent = messages.requests[-1].body
    assert sent["system"] == [marked]
    assert sent["messages"][0]["content"][0]["cache_control"] == EPHEMERAL
    await sdk.close()
