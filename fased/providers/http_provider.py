"""`HTTPProvider`: a provider that is one upstream API spoken over the shared `Upstream`.

A subclass says where the API lives and how it is written: `wire` (URL, headers, the
translator's parser and stream decoder) and `body` (the canonical request in its format).
Opening, closing and streaming are the same for every such API (Chat Completions, Responses,
Messages); a provider that serves several APIs under one name (`OpenAIProvider`) builds one
subclass instance per API over a single `Upstream`, so they share its pooled session.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar, Self

import structlog

from fased.canonical import ChatRequest, Event
from fased.config import ProviderSettings
from fased.metrics import Metrics
from fased.providers.catalog import CatalogEntry
from fased.providers.upstream import Upstream, Wire

logger = structlog.get_logger(__name__)


class HTTPProvider:
    """One upstream API over HTTP; see the module docstring for what a subclass supplies."""

    __slots__ = ("_upstream", "_wire", "name")

    overloaded: ClassVar[frozenset[int]] = frozenset()  # statuses meaning "busy, retry later"
    name: str

    def __init__(self, upstream: Upstream) -> None:
        self.name = upstream.name
        self._upstream = upstream
        self._wire = self.wire(upstream.name, upstream.settings)

    @classmethod
    def wire(cls, name: str, settings: ProviderSettings) -> Wire:
        """Where the API lives and its translator; raises `ConfigError` on a bad config."""
        raise NotImplementedError

    def body(self, request: ChatRequest, entry: CatalogEntry) -> dict[str, Any]:
        """The request body in the API's format."""
        raise NotImplementedError

    @classmethod
    async def open(
        cls, name: str, settings: ProviderSettings, metrics: Metrics | None = None
    ) -> Self:
        """The provider with its own pooled session (timeouts suited to long streams)."""
        cls.wire(name, settings)  # fail on a bad config before opening anything
        return cls(Upstream.open(name, settings, overloaded=cls.overloaded, metrics=metrics))

    async def close(self) -> None:
        await self._upstream.close()

    def stream(self, request: ChatRequest, entry: CatalogEntry) -> AsyncGenerator[Event, None]:
        if request.reasoning is not None and entry.reasoning is False:
            # a model known not to reason: OpenAI refuses `reasoning_effort` for gpt-4o
            request = replace(request, reasoning=None)
            log_dropped(self.name, entry, ("reasoning",))
        body = partial(self.body, request, entry)
        return self._upstream.exchange(self._wire, body, streaming=request.stream)


def log_dropped(provider: str, entry: CatalogEntry, dropped: Sequence[str]) -> None:
    """Log what a translator could not send as given (SPEC §6.1: dropped and listed, not an
    error). Names only, never values."""
    if dropped:
        logger.info(
            "upstream_params_dropped",
            provider=provider,
            model=entry.id,
            api=entry.api,
            params=list(dropped),
        )
