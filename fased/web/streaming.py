"""Delivering a run over HTTP: SSE with keep-alive pings, or one collected reply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Protocol

from aiohttp import web

from fased.canonical import Event, Reply, ReplyBuilder, StreamError
from fased.errors import FasedError, UpstreamError
from fased.keys import DEPS

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


class StreamEncoder(Protocol):
    def encode(self, event: Event) -> bytes: ...

    def close(self) -> bytes: ...


def format_cost(cost: float | None) -> str:
    """`0.0035`, `0.00` for nothing: at least two decimals, at most ten, no float noise."""
    text = f"{cost or 0.0:.10f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


async def collect(events: AsyncGenerator[Event, None]) -> Reply:
    """Fold a run into one reply; an error after the upstream started becomes the HTTP error."""
    builder = ReplyBuilder()
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, StreamError):
                raise _as_error(event)
            builder.add(event)
    return builder.snapshot()


def _as_error(event: StreamError) -> FasedError:
    error = UpstreamError(event.message, code=event.code)
    error.status = event.status
    return error


class _Outbox:
    """Encoded events on their way to the socket. What the run produces without pausing (the
    events of one upstream read) goes out in one write instead of one write per event: fewer
    system calls and chunk frames, the same bytes at the same moment. Bounded: the producer
    waits while more than `LIMIT` bytes are unsent (a slow client)."""

    LIMIT = 65536

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self.ready = asyncio.Event()  # something to send, or closed
        self.room = asyncio.Event()  # under the limit
        self.room.set()
        self.closed = False

    def put(self, data: bytes) -> None:
        if data:
            self._chunks.append(data)
            self._size += len(data)
            self.ready.set()
            if self._size > self.LIMIT:
                self.room.clear()

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        self.room.set()
        self.ready.clear()
        return data

    def close(self) -> None:
        self.closed = True
        self.ready.set()


async def _produce(
    events: AsyncGenerator[Event, None], encoder: StreamEncoder, out: _Outbox
) -> None:
    try:
        async for event in events:
            out.put(encoder.encode(event))
            if not out.room.is_set():
                await out.room.wait()
        out.put(encoder.close())
    finally:
        out.close()


async def _deliver(
    response: web.StreamResponse, out: _Outbox, ping: bytes, interval: float
) -> None:
    """Write what the producer queues; `ping` after `interval` seconds with nothing to write,
    so that proxies keep the line open."""
    while True:
        if not out.ready.is_set():
            try:
                async with asyncio.timeout(interval):
                    await out.ready.wait()
            except TimeoutError:
                await response.write(ping)
                continue
        closed = out.closed  # read first: nothing is queued after `close`
        data = out.take()
        if data:
            await response.write(data)
        if closed:
            return


async def stream_sse(
    request: web.Request,
    events: AsyncGenerator[Event, None],
    encoder: StreamEncoder,
    *,
    headers: dict[str, str],
    ping: bytes,
    keep_alive: float,
) -> web.StreamResponse:
    """Stream a run as SSE. The first event is awaited before the headers go out, so an
    upstream that fails at once is answered with a real HTTP status, not an in-stream error.
    The run is read by a producer task while this one writes (see `_Outbox`); when the client
    goes away, the producer is cancelled and the run closed (usage is still recorded).
    Counted in `fased_open_streams` from the first await to the end."""
    with request.app[DEPS].metrics.open_streams.track_inprogress():
        async with contextlib.aclosing(events):
            first = await anext(events, None)
            response = web.StreamResponse(headers={**SSE_HEADERS, **headers})
            await response.prepare(request)
            out = _Outbox()
            if first is not None:
                out.put(encoder.encode(first))
            producer = asyncio.create_task(_produce(events, encoder, out))
            try:
                await _deliver(response, out, ping, keep_alive)
            except BaseException:
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer
                raise
            await producer  # its own failure, if any, after what it sent was written
        await response.write_eof()
    return response
