"""OpenAI Responses as an upstream (`POST {baseUrl}/responses`): GPT-5-class and codex models.

Requests and responses go through the pure translator in `fased.wire.openai_responses_upstream`;
the pooled session, the retry before the first byte and the failure vocabulary are the shared
`fased.providers.upstream.Upstream`. The base URL ends in `/v1`, as the OpenAI SDK takes it; the
API key goes into the `Authorization` header and nowhere else.

Output items the canonical model cannot carry (built-in tool calls and the like) are not dropped
silently (pitfall 5): the translator lists them and they are logged as
`upstream_output_skipped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import structlog

from fased.canonical import ChatRequest, Event
from fased.config import ProviderSettings
from fased.providers.catalog import CatalogEntry
from fased.providers.http_provider import HTTPProvider, log_dropped
from fased.providers.openai_compat import bearer_headers, openai_url
from fased.providers.upstream import Wire
from fased.wire.openai_responses_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
    skipped_output_types,
)

logger = structlog.get_logger(__name__)


class OpenAIResponsesProvider(HTTPProvider):
    """Responses over HTTP: streamed (typed SSE events) or whole."""

    __slots__ = ()

    @classmethod
    def wire(cls, name: str, settings: ProviderSettings) -> Wire:
        return Wire(
            openai_url(name, settings, "responses"),
            bearer_headers(settings),
            partial(parse_reporting, name),
            partial(ReportingDecoder, name),
        )

    def body(self, request: ChatRequest, entry: CatalogEntry) -> dict[str, Any]:
        built = build_upstream_request(request, entry.upstream_id)
        log_dropped(self.name, entry, built.dropped)
        return built.body


def log_skipped(provider: str, types: Sequence[str]) -> None:
    if types:
        logger.info("upstream_output_skipped", provider=provider, item_types=list(types))


def parse_reporting(provider: str, body: Any) -> list[Event]:
    """The translator's whole-response parser, logging what it had to skip."""
    events = parse_upstream_response(body)
    log_skipped(provider, skipped_output_types(body))
    return events


class ReportingDecoder:
    """The translator's stream decoder, logging at the end what it had to skip."""

    __slots__ = ("_decoder", "_provider")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._decoder = UpstreamStreamDecoder()

    def feed(self, data: Any) -> list[Event]:
        return self._decoder.feed(data)

    def close(self) -> list[Event]:
        events = self._decoder.close()
        log_skipped(self._provider, self._decoder.skipped)
        return events
