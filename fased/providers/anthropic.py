"""Anthropic Messages as an upstream (`POST {baseUrl}/v1/messages`).

Requests and responses go through the pure translator in `fased.wire.anthropic_messages_upstream`;
the pooled session, the retry before the first byte and the failure vocabulary are the shared
`fased.providers.upstream.Upstream`. The base URL is written as the Anthropic SDK takes it,
without `/v1`. The API key goes into the `x-api-key` header and nowhere else.

Anthropic's 529 `overloaded_error` becomes a 503 `upstream_overloaded` (with the upstream's
`Retry-After`), not the 502 of other upstream failures: the upstream is busy, not broken, a retry
is the fix, and the Messages endpoint renders a 503 as `overloaded_error`, so an Anthropic client
sees what Anthropic said.
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from fased.canonical import ChatRequest
from fased.config import ProviderSettings
from fased.errors import ConfigError
from fased.providers.catalog import CatalogEntry
from fased.providers.http_provider import HTTPProvider, log_dropped
from fased.providers.upstream import Wire, headers_by_streaming
from fased.wire.anthropic_messages_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # Anthropic requires max_tokens; used when the catalog has no max_output
OVERLOADED = frozenset({529})


def messages_url(name: str, settings: ProviderSettings) -> URL:
    """`{baseUrl}/v1/messages`; a base URL ending in `/v1` is a config mistake worth naming."""
    base = (settings.base_url or DEFAULT_BASE_URL).rstrip("/")
    if base.endswith("/v1"):
        raise ConfigError(
            [
                f"providers.{name}.baseUrl: write it as the Anthropic SDK takes it, without "
                f"/v1 (e.g. {DEFAULT_BASE_URL})"
            ]
        )
    return URL(base + "/v1/messages")


def anthropic_headers(settings: ProviderSettings) -> dict[bool, dict[str, str]]:
    common = {"content-type": "application/json", "anthropic-version": API_VERSION}
    if settings.api_key:
        common["x-api-key"] = settings.api_key
    return headers_by_streaming(common)


class AnthropicProvider(HTTPProvider):
    """Messages over HTTP: streamed (typed SSE events) or whole."""

    __slots__ = ()

    overloaded = OVERLOADED

    @classmethod
    def wire(cls, name: str, settings: ProviderSettings) -> Wire:
        return Wire(
            messages_url(name, settings),
            anthropic_headers(settings),
            parse_upstream_response,
            UpstreamStreamDecoder,
        )

    def body(self, request: ChatRequest, entry: CatalogEntry) -> dict[str, Any]:
        max_tokens = entry.max_output or DEFAULT_MAX_TOKENS
        built = build_upstream_request(request, entry.upstream_id, default_max_tokens=max_tokens)
        log_dropped(self.name, entry, built.dropped)
        return built.body
