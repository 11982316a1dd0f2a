"""What every provider is: a small class whose `stream()` is one async generator.

A provider turns one canonical `ChatRequest` into canonical events from its upstream. It knows
its wire format and its HTTP client; it knows nothing about faces, sessions, billing or the
format the request arrived in. Routing (which provider, which API) is the catalog's and the
registry's job; pricing is the caller's, with `CatalogEntry.cost`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Protocol

from fased.canonical import ChatRequest, Event
from fased.config import ProviderSettings
from fased.metrics import Metrics
from fased.providers.catalog import CatalogEntry


class Provider(Protocol):
    """An upstream LLM service under a configured name (`openai`, `ollama`, `echo`, …)."""

    name: str

    def stream(self, request: ChatRequest, entry: CatalogEntry) -> AsyncGenerator[Event, None]:
        """Call the upstream for `entry` and yield canonical events.

        `request.stream` False makes one non-streaming upstream call and yields the events of the
        whole response; True yields events as the upstream sends them. A failure before the first
        event raises a `FasedError`; after it, the stream ends with a `StreamError` event.
        Closing or cancelling the generator releases the upstream request (the upstream sees the
        disconnect); a caller that may stop early wraps it in `contextlib.aclosing` so that
        happens at once, not when the generator is garbage-collected.
        """
        ...

    async def close(self) -> None:
        """Release the provider's resources (its HTTP session)."""
        ...


ProviderFactory = Callable[[str, ProviderSettings, Metrics | None], Awaitable[Provider]]
"""Opens a provider from its configured name and settings (the kinds registry holds these);
an HTTP provider records its upstream calls into the metrics, when given."""
