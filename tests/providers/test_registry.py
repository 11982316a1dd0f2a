from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from fased.canonical import ChatRequest, Message, TextDelta, TextPart
from fased.config import ProviderSettings, Settings, build_settings
from fased.errors import ConfigError, ProviderNotConfigured, ServiceUnavailable
from fased.metrics import Metrics
from fased.providers.anthropic import AnthropicProvider
from fased.providers.base import Provider
from fased.providers.catalog import Catalog, CatalogEntry
from fased.providers.echo import EchoProvider
from fased.providers.openai import OpenAIProvider
from fased.providers.registry import (
    ProviderKind,
    ProviderRegistry,
    builtin_kinds,
    declared_providers,
    open_providers,
)
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream
from tests.fakes.openai_upstream import FakeOpenAIUpstream, TextReply
from tests.fakes.responses_upstream import FakeResponsesUpstream


def settings(data: dict[str, Any] | None = None) -> Settings:
    return build_settings(data or {}, {}, {})


@asynccontextmanager
async def registry(
    data: dict[str, Any] | None = None, env: dict[str, str] | None = None, **kwargs: Any
) -> AsyncIterator[ProviderRegistry]:
    opened = await open_providers(settings(data), env or {}, **kwargs)
    try:
        yield opened
    finally:
        await opened.close()


def entry(model: str, data: dict[str, Any] | None = None) -> CatalogEntry:
    return Catalog.build(settings(data)).lookup(model) or pytest.fail(model)


async def text_of(provider: Provider, llm: CatalogEntry) -> str:
    request = ChatRequest(model=llm.id, messages=(Message("user", (TextPart("x"),)),))
    events = [event async for event in provider.stream(request, llm)]
    return "".join(event.text for event in events if isinstance(event, TextDelta))


async def test_no_config_and_no_env_serves_only_echo() -> None:
    async with registry() as providers:
        assert providers.configured() == ["echo"]
        assert providers.default_model(settings()) == "echo"
        assert isinstance(providers.for_entry(entry("echo")), EchoProvider)
        message = providers.default_model_message(settings())
        assert "OPENAI_API_KEY" in message and "providers.<name>" in message


async def test_openai_key_in_env_configures_openai() -> None:
    async with registry(env={"OPENAI_API_KEY": "sk-env"}) as providers:
        assert providers.configured() == ["openai", "echo"]
        assert providers.default_model(settings()) == "gpt-5.4"
        assert "openai" in providers.default_model_message(settings())
        assert isinstance(providers.for_entry(entry("gpt-4o")), OpenAIProvider)
        assert providers.for_entry(entry("gpt-5.4")) is providers.for_entry(entry("gpt-4o"))


def test_zero_config_uses_the_official_base_urls_and_env_keys() -> None:
    env = {"OPENAI_API_KEY": "sk-o", "ANTHROPIC_API_KEY": "sk-a"}
    declared = declared_providers(settings(), env)
    assert declared["openai"] == ProviderSettings(kind="openai", api_key="sk-o")
    assert declared["anthropic"] == ProviderSettings(kind="anthropic", api_key="sk-a")
    assert declared["echo"].kind == "echo"
    kinds = builtin_kinds()
    assert kinds["openai"].default_base_url == "https://api.openai.com/v1"
    assert kinds["anthropic"].default_base_url == "https://api.anthropic.com"


async def test_explicit_config_wins_over_the_environment(upstream: FakeOpenAIUpstream) -> None:
    config = {
        "providers": {
            "openai": {"kind": "openai", "apiKey": "sk-config", "baseUrl": upstream.base_url}
        }
    }
    upstream.queue(TextReply("hi"))
    async with registry(config, env={"OPENAI_API_KEY": "sk-env"}) as providers:
        provider = providers.for_entry(entry("gpt-4o"))
        request = ChatRequest(model="gpt-4o", messages=(Message("user", (TextPart("x"),)),))
        [event async for event in provider.stream(request, entry("gpt-4o"))]
    assert upstream.requests[0].headers["Authorization"] == "Bearer sk-config"
    assert upstream.requests[0].body["model"] == "gpt-4o"


async def test_anthropic_key_in_env_configures_anthropic_with_sonnet_as_default() -> None:
    async with registry(env={"ANTHROPIC_API_KEY": "sk-ant"}) as providers:
        assert providers.default_model(settings()) == "claude-sonnet-4-6"
        assert providers.configured() == ["anthropic", "echo"]
        assert isinstance(providers.for_entry(entry("claude-sonnet-4-6")), AnthropicProvider)
        assert not providers.can_serve(entry("gpt-4o"))


async def test_anthropic_routes_messages_models_to_its_base_url(
    anthropic_upstream: FakeAnthropicUpstream,
) -> None:
    config = {
        "providers": {
            "anthropic": {
                "kind": "anthropic",
                "apiKey": "sk-ant",
                "baseUrl": anthropic_upstream.base_url,
            }
        }
    }
    anthropic_upstream.queue(TextReply("hi"))
    claude = entry("claude-sonnet-4-6")
    async with registry(config) as providers:
        assert await text_of(providers.for_entry(claude), claude) == "hi"
    sent = anthropic_upstream.requests[0]
    assert (sent.path, sent.headers["x-api-key"]) == ("/v1/messages", "sk-ant")
    assert sent.body["max_tokens"] == claude.max_output


async def test_an_anthropic_base_url_with_v1_is_a_config_error() -> None:
    data = {
        "providers": {"anthropic": {"kind": "anthropic", "apiKey": "k", "baseUrl": "http://x/v1"}}
    }
    with pytest.raises(ConfigError, match=r"providers\.anthropic\.baseUrl: .*without /v1"):
        await open_providers(settings(data), {})


async def test_models_default_wins() -> None:
    data = {"models": {"default": "gpt-4o-mini"}}
    async with registry(data, env={"OPENAI_API_KEY": "sk"}) as providers:
        assert providers.default_model(settings(data)) == "gpt-4o-mini"
        assert "models.default" in providers.default_model_message(settings(data))


async def test_a_provider_that_is_not_configured_is_a_503_saying_how_to_add_it() -> None:
    fireworks = entry("accounts/fireworks/models/llama-v3p1-8b-instruct")
    async with registry() as providers:
        assert not providers.can_serve(fireworks)
        with pytest.raises(ProviderNotConfigured) as caught:
            providers.for_entry(fireworks)
    assert caught.value.status == 503
    assert caught.value.message == (
        "provider fireworks is not configured; add providers.fireworks to the config "
        "(see config/fased.example.json5)"
    )


async def test_openai_kind_without_a_key_is_not_configured() -> None:
    async with registry({"providers": {"openai": {"kind": "openai"}}}) as providers:
        with pytest.raises(ProviderNotConfigured, match=r"providers\.openai\.apiKey"):
            providers.get("openai")
        assert providers.default_model(settings()) == "echo"


async def test_openai_routes_by_the_catalog_api_over_one_session(aiohttp_server: Any) -> None:
    """gpt-5.4 (api "responses") goes to /responses, gpt-4o (api "chat") to /chat/completions,
    both on the one configured provider and its pooled connection."""
    chat, responses = FakeOpenAIUpstream(), FakeResponsesUpstream()
    app = web.Application()
    app.router.add_post(chat.PATH, chat.handle)
    app.router.add_post(responses.PATH, responses.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    config = {
        "providers": {
            "openai": {"kind": "openai", "apiKey": "sk-o", "baseUrl": str(server.make_url("/v1"))}
        }
    }
    chat.queue(TextReply("from chat"))
    responses.queue(TextReply("from responses"))
    async with registry(config) as providers:
        assert providers.can_serve(entry("gpt-5.4")) and providers.can_serve(entry("gpt-4o"))
        assert not providers.can_serve(entry("claude-sonnet-4-6"))
        gpt5, gpt4o = entry("gpt-5.4"), entry("gpt-4o")
        assert await text_of(providers.for_entry(gpt5), gpt5) == "from responses"
        assert await text_of(providers.for_entry(gpt4o), gpt4o) == "from chat"
    assert [r.body["model"] for r in responses.requests] == ["gpt-5.4"]
    assert [r.body["model"] for r in chat.requests] == ["gpt-4o"]
    assert responses.requests[0].headers["Authorization"] == "Bearer sk-o"
    assert responses.requests[0].peer == chat.requests[0].peer  # one pooled session


async def test_openai_compatible_serves_only_chat_completions() -> None:
    data = {
        "providers": {
            "ollama": {
                "kind": "openai-compatible",
                "baseUrl": "http://127.0.0.1:9/v1",
                "models": "ollama/*",
            }
        },
        "models": {"catalog": [{"id": "odd", "provider": "ollama", "api": "messages"}]},
    }
    async with registry(data) as providers:
        assert providers.can_serve(entry("ollama/llama3", data))
        with pytest.raises(ServiceUnavailable, match="Anthropic Messages"):
            providers.for_entry(entry("odd", data))


async def test_echo_cannot_serve_other_apis() -> None:
    async with registry() as providers:
        wrong = CatalogEntry("fake", "echo", "chat", "fake")
        assert not providers.can_serve(wrong)
        with pytest.raises(ServiceUnavailable):
            providers.for_entry(wrong)


async def test_openai_compatible_without_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"providers\.local\.baseUrl"):
        await open_providers(settings({"providers": {"local": {"kind": "openai-compatible"}}}), {})


async def test_a_kind_is_added_through_the_same_registry_an_extension_would_use() -> None:
    opened: list[str] = []

    async def open_custom(
        name: str, provider_settings: ProviderSettings, metrics: Metrics | None
    ) -> EchoProvider:
        opened.append(name)
        return EchoProvider(name)

    kinds = {**builtin_kinds(), "openai-compatible": ProviderKind(frozenset({"chat"}), open_custom)}
    data = {"providers": {"mine": {"kind": "openai-compatible", "baseUrl": "http://x/v1"}}}
    async with registry(data, kinds=kinds) as providers:
        assert providers.get("mine").name == "mine"
    assert opened == ["mine"]


async def test_opening_fails_cleanly_when_a_factory_fails() -> None:
    closed: list[str] = []

    class Tracked(EchoProvider):
        async def close(self) -> None:
            closed.append(self.name)

    async def open_tracked(
        name: str, provider_settings: ProviderSettings, metrics: Metrics | None
    ) -> EchoProvider:
        return Tracked(name)

    async def fail(
        name: str, provider_settings: ProviderSettings, metrics: Metrics | None
    ) -> EchoProvider:
        raise RuntimeError("boom")

    kinds: dict[str, ProviderKind] = {
        **builtin_kinds(),
        "echo": ProviderKind(frozenset({"echo"}), open_tracked),
        "openai-compatible": ProviderKind(frozenset({"chat"}), fail),
    }
    data = {"providers": {"echo": {"kind": "echo"}, "bad": {"kind": "openai-compatible"}}}
    with pytest.raises(RuntimeError):
        await open_providers(settings(data), {}, kinds=kinds)
    assert closed == ["echo"]
