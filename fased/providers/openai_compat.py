"""OpenAI Chat Completions as an upstream: OpenAI itself and every OpenAI-compatible server.

One pooled `aiohttp.ClientSession` per provider, opened once by `OpenAIChatProvider.open` and
closed with the registry. Requests and responses go through the pure translator in
`fased.wire.openai_chat`; this module only moves bytes and maps HTTP failures to the error
vocabulary. The API key goes into the `Authorization` header and nowhere else: never into a log
line or an error message.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import aiohttp
import orjson
import structlog
from yarl import URL

from fased.canonical import ChatRequest, Event, StreamError
from fased.config import ProviderSettings
from fased.errors import (
    BadRequest,
    ConfigError,
    FasedError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)
from fased.providers.catalog import CatalogEntry
from fased.wire.openai_chat_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
)
from fased.wire.sse import SSEMessage, SSEParser

logger = structlog.get_logger(__name__)

POOL_LIMIT = 512  # concurrent upstream requests per provider; a stream holds one for its life
KEEPALIVE_SECONDS = 30.0
DNS_CACHE_SECONDS = 300
ERROR_MESSAGE_CHARS = 1000
DONE = "[DONE]"
INVALID_REQUEST_STATUSES = frozenset({400, 404, 413, 422})
CREDENTIAL_STATUSES = frozenset({401, 403})
FAILURES = (aiohttp.ClientError, TimeoutError, FasedError, orjson.JSONDecodeError)


def chat_completions_url(name: str, settings: ProviderSettings) -> URL:
    """`{baseUrl}/chat/completions`; the base URL is written as the OpenAI SDK takes it (…/v1)."""
    if not settings.base_url:
        raise ConfigError([f"providers.{name}.baseUrl: required for an OpenAI-compatible provider"])
    return URL(settings.base_url.rstrip("/") + "/chat/completions")


class OpenAIChatProvider:
    """Chat Completions over HTTP: streamed (SSE) or whole, with one retry before the first byte."""

    __slots__ = ("_headers", "_key", "_session", "_settings", "_url", "name")

    name: str

    def __init__(self, name: str, settings: ProviderSettings, session: aiohttp.ClientSession):
        self.name = name
        self._settings = settings
        self._session = session
        self._url = chat_completions_url(name, settings)
        self._key = settings.api_key
        common = {"Content-Type": "application/json"}
        if settings.api_key:
            common["Authorization"] = f"Bearer {settings.api_key}"
        self._headers = {  # by `streaming`, built once
            True: {**common, "Accept": "text/event-stream"},
            False: {**common, "Accept": "application/json"},
        }

    @classmethod
    async def open(cls, name: str, settings: ProviderSettings) -> OpenAIChatProvider:
        """The provider with its own pooled session (timeouts suited to long streams)."""
        chat_completions_url(name, settings)  # fail on a bad config before opening anything
        connector = aiohttp.TCPConnector(
            limit=POOL_LIMIT, keepalive_timeout=KEEPALIVE_SECONDS, ttl_dns_cache=DNS_CACHE_SECONDS
        )
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=settings.connect_timeout_seconds,
            sock_read=settings.timeout_seconds,
        )
        return cls(name, settings, aiohttp.ClientSession(connector=connector, timeout=timeout))

    async def close(self) -> None:
        await self._session.close()

    async def stream(
        self, request: ChatRequest, entry: CatalogEntry
    ) -> AsyncGenerator[Event, None]:
        payload = orjson.dumps(build_upstream_request(request, entry.upstream_id))
        started = False
        try:
            response = await self._send(payload, streaming=request.stream)
            async with aclosing(self._read(response, streaming=request.stream)) as events:
                async for event in events:
                    if not started and isinstance(event, StreamError):
                        raise UpstreamError(
                            f"provider {self.name}: {event.message}", code=event.code
                        )
                    started = True
                    yield event
        except FAILURES as exc:
            error = self._failure(exc)
            logger.info("upstream_failed", provider=self.name, code=error.code, started=started)
            if not started:
                raise error from None
            yield StreamError(error.status, error.code, error.message)

    async def _send(self, payload: bytes, *, streaming: bool) -> aiohttp.ClientResponse:
        """POST the request; a connection error before any response byte is retried once."""
        try:
            response = await self._post(payload, streaming)
        except aiohttp.ClientConnectionError as exc:
            if isinstance(exc, TimeoutError):
                raise
            logger.info("upstream_retry", provider=self.name, error=type(exc).__name__)
            response = await self._post(payload, streaming)
        if response.status >= 300:
            raise await self._status_error(response)
        return response

    async def _post(self, payload: bytes, streaming: bool) -> aiohttp.ClientResponse:
        return await self._session.post(self._url, data=payload, headers=self._headers[streaming])

    async def _read(
        self, response: aiohttp.ClientResponse, *, streaming: bool
    ) -> AsyncGenerator[Event, None]:
        """The response's events. The connection goes back to the pool only after a whole read;
        when the consumer stops early (client gone) it is closed, so the upstream sees it."""
        completed = False
        try:
            if streaming:
                chunks = ChunkStream()
                async for data in response.content.iter_any():
                    for event in chunks.feed(data):
                        yield event
                    if chunks.done:
                        break
                for event in chunks.close():
                    yield event
            else:
                for event in parse_upstream_response(orjson.loads(await response.read())):
                    yield event
            completed = True
        finally:
            if completed:
                response.release()
            else:
                response.close()

    async def _status_error(self, response: aiohttp.ClientResponse) -> FasedError:
        try:
            body = await response.read()
        finally:
            response.release()
        detail = self._redact(error_detail(body) or response.reason or "no details")
        status, name = response.status, self.name
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            message = f"provider {name} is rate limiting the gateway: {detail}"
            return RateLimited(message, retry_after=retry_after)
        if status in CREDENTIAL_STATUSES:
            return UpstreamError(
                f"provider {name} rejected the gateway's credentials; check providers.{name}.apiKey"
            )
        if status in INVALID_REQUEST_STATUSES:
            message = f"provider {name} rejected the request: {detail}"
            return BadRequest(message, code="upstream_invalid_request")
        return UpstreamError(f"provider {name} failed with HTTP {status}: {detail}")

    def _failure(self, exc: BaseException) -> FasedError:
        """The client-visible error for a failed upstream call (never naming the API key)."""
        name, url, settings = self.name, self._url, self._settings
        if isinstance(exc, FasedError):
            return exc
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return UpstreamTimeout(
                f"provider {name} at {url.host}:{url.port} did not accept a connection within "
                f"{settings.connect_timeout_seconds:g}s (providers.{name}.connectTimeoutSeconds)"
            )
        if isinstance(exc, TimeoutError):
            return UpstreamTimeout(
                f"provider {name} sent nothing for {settings.timeout_seconds:g}s; raise "
                f"providers.{name}.timeoutSeconds if the model is slow"
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            reason = exc.os_error.strerror or type(exc.os_error).__name__
            return UpstreamError(
                f"cannot connect to provider {name} at {url.host}:{url.port} ({reason}); "
                f"check providers.{name}.baseUrl and that the server is running"
            )
        if isinstance(exc, orjson.JSONDecodeError):
            return UpstreamError(f"provider {name} sent a response that is not valid JSON")
        return UpstreamError(
            f"provider {name} failed: {type(exc).__name__}: {self._redact(str(exc))}"
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


class ChunkStream:
    """SSE bytes of one `chat.completion.chunk` stream → canonical events; `done` after [DONE]."""

    __slots__ = ("_decoder", "_parser", "done")

    def __init__(self) -> None:
        self._parser = SSEParser()
        self._decoder = UpstreamStreamDecoder()
        self.done = False

    def feed(self, data: bytes) -> list[Event]:
        return self._events(self._parser.feed(data))

    def close(self) -> list[Event]:
        """End of the upstream body: an unterminated last event, then the decoder's closing events
        (a stream cut short of its finish still ends properly)."""
        events = [] if self.done else self._events(self._parser.flush())
        return events + self._decoder.close()

    def _events(self, messages: list[SSEMessage]) -> list[Event]:
        events: list[Event] = []
        for message in messages:
            if message.data == DONE:
                self.done = True
                break
            if not message.data:
                continue
            events.extend(self._decoder.feed(orjson.loads(message.data)))
        return events


def error_detail(body: bytes) -> str:
    """The message of an upstream error body (OpenAI's `{"error":{"message"}}` and kin)."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:ERROR_MESSAGE_CHARS]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            error = error.get("message") or error.get("detail") or ""
        if isinstance(error, str):
            return error[:ERROR_MESSAGE_CHARS]
    return body.decode("utf-8", "replace")[:ERROR_MESSAGE_CHARS]


def parse_retry_after(value: str | None) -> int | None:
    """Whole seconds from a `Retry-After` header (delay-seconds or an HTTP date), rounded up."""
    if not value:
        return None
    try:
        return max(0, math.ceil(float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, math.ceil(when.timestamp() - time.time()))
