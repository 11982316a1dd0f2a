"""OpenAI Chat Completions as an upstream: OpenAI itself and every OpenAI-compatible server.

Requests and responses go through the pure translator in `fased.wire.openai_chat_upstream`;
the pooled session, the retry before the first byte and the failure vocabulary are the shared
`fased.providers.upstream.Upstream`. The API key goes into the `Authorization` header and
nowhere else: never into a log line or an error message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from yarl import URL

from fased.canonical import ChatRequest
from fased.config import ProviderSettings
from fased.errors import ConfigError
from fased.providers.catalog import CatalogEntry
from fased.providers.http_provider import HTTPProvider
from fased.providers.upstream import Wire, headers_by_streaming
from fased.wire.openai_chat_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
)


def openai_url(name: str, settings: ProviderSettings, path: str) -> URL:
    """`{baseUrl}/{path}`; the base URL is written as the OpenAI SDK takes it (…/v1)."""
    if not settings.base_url:
        raise ConfigError([f"providers.{name}.baseUrl: required for an OpenAI-compatible provider"])
    return URL(settings.base_url.rstrip("/") + "/" + path)


def bearer_headers(settings: ProviderSettings) -> dict[bool, dict[str, str]]:
    """JSON request headers with `Authorization: Bearer <key>` when the provider has a key."""
    common = {"Content-Type": "application/json"}
    if settings.api_key:
        common["Authorization"] = f"Bearer {settings.api_key}"
    return headers_by_streaming(common)


class OpenAIChatProvider(HTTPProvider):
    """Chat Completions over HTTP: streamed (SSE) or whole, with one retry before the first byte."""

    __slots__ = ()

    max_tokens_field: ClassVar[str] = "max_tokens"  # what OpenAI-compatible servers read

    @classmethod
    def wire(cls, name: str, settings: ProviderSettings) -> Wire:
        return Wire(
            openai_url(name, settings, "chat/completions"),
            bearer_headers(settings),
            parse_upstream_response,
            UpstreamStreamDecoder,
        )

    def body(self, request: ChatRequest, entry: CatalogEntry) -> dict[str, Any]:
        return build_upstream_request(
            request, entry.upstream_id, max_tokens_field=self.max_tokens_field
        )
