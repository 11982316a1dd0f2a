"""The HTTP side every upstream client shares (SPEC §6.3).

One pooled `aiohttp.ClientSession` per provider with timeouts that suit long streams; a POST
retried once when the connection fails before any response byte; upstream HTTP failures mapped
to the error vocabulary; the response read whole (JSON) or as Server-Sent Events, through the
client's pure translator. A client (Chat Completions, Responses, Messages) supplies only its URL,
headers, body and translator, as a `Wire`, and calls `Upstream.exchange`.

The API key lives in the client's headers and in `Upstream` only to be redacted: an upstream
that echoes it back never gets it into a log line or an error message.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import orjson
import structlog
from yarl import URL

from fased.canonical import Event, MessageStart, StreamError
from fased.config import ProviderSettings
from fased.errors import (
    BadRequest,
    FasedError,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
    UpstreamTimeout,
)
from fased.metrics import Metrics
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
# a stream that fails before its first event fails the request: with the status it reported
EARLY_ERRORS: Mapping[int, type[FasedError]] = {
    429: RateLimited,
    503: ServiceUnavailable,
    504: UpstreamTimeout,
}


class StreamDecoder(Protocol):
    """A translator's incremental stream decoder: parsed SSE data in, canonical events out."""

    def feed(self, data: Any) -> list[Event]: ...

    def close(self) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class Wire:
    """One upstream call: where it goes, what it sends, and the translator that reads the answer.

    `headers` are by `streaming` (the `Accept` differs); `parse` reads a whole JSON body and
    `decoder` makes a fresh stream decoder for each streamed response.
    """

    url: URL
    headers: Mapping[bool, Mapping[str, str]]
    parse: Callable[[Any], list[Event]]
    decoder: Callable[[], StreamDecoder]


def headers_by_streaming(common: Mapping[str, str]) -> dict[bool, dict[str, str]]:
    """The request headers for a streamed (SSE) and a whole (JSON) call, built once."""
    return {
        True: {**common, "Accept": "text/event-stream"},
        False: {**common, "Accept": "application/json"},
    }


def open_session(settings: ProviderSettings) -> aiohttp.ClientSession:
    """A pooled session: no total timeout (streams are long), a connect and a per-read one."""
    connector = aiohttp.TCPConnector(
        limit=POOL_LIMIT, keepalive_timeout=KEEPALIVE_SECONDS, ttl_dns_cache=DNS_CACHE_SECONDS
    )
    timeout = aiohttp.ClientTimeout(
        total=None, connect=settings.connect_timeout_seconds, sock_read=settings.timeout_seconds
    )
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


class Upstream:
    """One provider's pooled session and how its failures read; shared by its API clients.

    `overloaded` lists the statuses that mean "the upstream is over capacity, retry later"
    (Anthropic's 529): they become a 503 with the upstream's `Retry-After`, not a 502.
    `metrics`, when given, times each call to its response headers and counts the failures.
    """

    __slots__ = ("_key", "_latency", "_metrics", "_overloaded", "_session", "name", "settings")

    def __init__(
        self,
        name: str,
        settings: ProviderSettings,
        session: aiohttp.ClientSession,
        *,
        overloaded: frozenset[int] = frozenset(),
        metrics: Metrics | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._session = session
        self._key = settings.api_key
        self._overloaded = overloaded
        self._metrics = metrics
        self._latency = None if metrics is None else metrics.upstream_latency(name)

    @classmethod
    def open(
        cls,
        name: str,
        settings: ProviderSettings,
        *,
        overloaded: frozenset[int] = frozenset(),
        metrics: Metrics | None = None,
    ) -> Upstream:
        return cls(name, settings, open_session(settings), overloaded=overloaded, metrics=metrics)

    async def close(self) -> None:
        await self._session.close()

    async def exchange(
        self, wire: Wire, body: Callable[[], Any], *, streaming: bool
    ) -> AsyncGenerator[Event, None]:
        """POST `body()` as JSON and yield the answer's canonical events (as `Provider.stream`).

        `body` runs when iteration starts, so a translator's error surfaces there, as every
        other failure does. A failure before the first event raises a `FasedError` (so does an
        upstream whose first decoded event, after at most a `MessageStart`, is an error); after
        it, the events end with a `StreamError`. Closing the generator closes the response.
        """
        payload = orjson.dumps(body())
        started = False
        try:
            response = await self._send(wire, payload, streaming)
            async with aclosing(self._read(response, wire, streaming)) as batches:
                async for batch in batches:
                    if not started:
                        self._raise_early_error(batch)
                        started = True
                    for event in batch:
                        yield event
        except FAILURES as exc:
            error = self.failure(exc, wire.url)
            logger.info("upstream_failed", provider=self.name, code=error.code, started=started)
            if self._metrics is not None:
                self._metrics.upstream_error(self.name, error.code)
            if not started:
                raise error from None
            yield StreamError(error.status, error.code, error.message)

    def _raise_early_error(self, batch: list[Event]) -> None:
        """An upstream that fails before saying anything fails the request, with its status."""
        first = next((event for event in batch if not isinstance(event, MessageStart)), None)
        if isinstance(first, StreamError):
            early = EARLY_ERRORS.get(first.status, UpstreamError)
            raise early(f"provider {self.name}: {first.message}", code=first.code)

    async def _send(self, wire: Wire, payload: bytes, streaming: bool) -> aiohttp.ClientResponse:
        """POST the request; a connection error before any response byte is retried once.
        Timed from the first attempt to the response headers, whatever their status."""
        sent = time.perf_counter()
        try:
            response = await self._post(wire, payload, streaming)
        except aiohttp.ClientConnectionError as exc:
            if isinstance(exc, TimeoutError):
                raise
            logger.info("upstream_retry", provider=self.name, error=type(exc).__name__)
            response = await self._post(wire, payload, streaming)
        if self._latency is not None:
            self._latency.observe(time.perf_counter() - sent)
        if response.status >= 300:
            raise await self._status_error(response)
        return response

    async def _post(self, wire: Wire, payload: bytes, streaming: bool) -> aiohttp.ClientResponse:
        return await self._session.post(wire.url, data=payload, headers=wire.headers[streaming])

    async def _read(
        self, response: aiohttp.ClientResponse, wire: Wire, streaming: bool
    ) -> AsyncGenerator[list[Event], None]:
        """The response's events, a non-empty batch per read from the network. The connection
        goes back to the pool only after a whole read; when the consumer stops early (client
        gone) it is closed, so the upstream sees it."""
        completed = False
        try:
            if streaming:
                stream = SSEEvents(wire.decoder())
                async for data in response.content.iter_any():
                    if batch := stream.feed(data):
                        yield batch
                    if stream.done:
                        break
                if batch := stream.close():
                    yield batch
            else:
                yield wire.parse(orjson.loads(await response.read()))
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
        detail = self.redact(error_detail(body) or response.reason or "no details")
        status, name = response.status, self.name
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            message = f"provider {name} is rate limiting the gateway: {detail}"
            return RateLimited(message, retry_after=retry_after)
        if status in self._overloaded:
            message = f"provider {name} is overloaded (HTTP {status}); retry later: {detail}"
            return ServiceUnavailable(message, code="upstream_overloaded", retry_after=retry_after)
        if status in CREDENTIAL_STATUSES:
            return UpstreamError(
                f"provider {name} rejected the gateway's credentials; check providers.{name}.apiKey"
            )
        if status in INVALID_REQUEST_STATUSES:
            message = f"provider {name} rejected the request: {detail}"
            return BadRequest(message, code="upstream_invalid_request")
        return UpstreamError(f"provider {name} failed with HTTP {status}: {detail}")

    def failure(self, exc: BaseException, url: URL) -> FasedError:
        """The client-visible error for a failed upstream call (never naming the API key)."""
        name, settings = self.name, self.settings
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
            f"provider {name} failed: {type(exc).__name__}: {self.redact(str(exc))}"
        )

    def redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


class SSEEvents:
    """SSE bytes of one upstream stream → canonical events; `done` after a `[DONE]` message.

    Every `data:` is one JSON object for the decoder; typed streams (Messages, Responses) carry
    their event name in it as `type`, so the `event:` line is not needed.
    """

    __slots__ = ("_decoder", "_parser", "done")

    def __init__(self, decoder: StreamDecoder) -> None:
        self._parser = SSEParser()
        self._decoder = decoder
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
    """The message of an upstream error body: OpenAI's `{"error":{"message"}}`, Anthropic's
    `{"type":"error","error":{"type","message"}}` and kin."""
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
