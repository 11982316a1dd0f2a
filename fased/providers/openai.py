"""Kind `openai`: OpenAI's own API, one provider name serving two upstream APIs (SPEC §6.2).

The catalog says which API a model needs: GPT-5-class and codex models go to Responses,
`gpt-4o*` and `gpt-4.1*` to Chat Completions. `OpenAIProvider` holds one pooled session and a
client for each, and sends a request to the one its catalog entry names. (An
`openai-compatible` server speaks Chat Completions only and gets `OpenAIChatProvider` alone:
pitfall 18.)
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import ClassVar

from fased.canonical import ChatRequest, Event
from fased.config import ProviderSettings
from fased.errors import ServiceUnavailable
from fased.metrics import Metrics
from fased.providers.base import Provider
from fased.providers.catalog import Api, CatalogEntry
from fased.providers.openai_compat import OpenAIChatProvider, openai_url
from fased.providers.openai_responses import OpenAIResponsesProvider
from fased.providers.upstream import Upstream


class OpenAIChat(OpenAIChatProvider):
    """Chat Completions at OpenAI itself: the output limit is `max_completion_tokens`, which
    OpenAI's reasoning models require (they refuse the deprecated `max_tokens`)."""

    __slots__ = ()

    max_tokens_field: ClassVar[str] = "max_completion_tokens"


class OpenAIProvider:
    """Chat Completions and Responses clients over one session, chosen by `entry.api`."""

    __slots__ = ("_clients", "_upstream", "name")

    name: str

    def __init__(self, upstream: Upstream) -> None:
        self.name = upstream.name
        self._upstream = upstream
        self._clients: Mapping[Api, Provider] = {
            "chat": OpenAIChat(upstream),
            "responses": OpenAIResponsesProvider(upstream),
        }

    @classmethod
    async def open(
        cls, name: str, settings: ProviderSettings, metrics: Metrics | None = None
    ) -> OpenAIProvider:
        openai_url(name, settings, "")  # fail on a bad config before opening anything
        return cls(Upstream.open(name, settings, metrics=metrics))

    async def close(self) -> None:
        await self._upstream.close()

    def stream(self, request: ChatRequest, entry: CatalogEntry) -> AsyncGenerator[Event, None]:
        client = self._clients.get(entry.api)
        if client is None:
            return _unsupported(self.name, entry)
        return client.stream(request, entry)


async def _unsupported(name: str, entry: CatalogEntry) -> AsyncGenerator[Event, None]:
    """Fails as a stream does before its first event (the registry checks this first)."""
    raise ServiceUnavailable(
        f"provider {name} (kind openai) cannot serve {entry.id}: it speaks Chat Completions "
        f"and Responses, and the catalog says {entry.id} needs the {entry.api!r} API",
        code="provider_unsupported",
    )
    yield  # pragma: no cover - makes this an async generator
