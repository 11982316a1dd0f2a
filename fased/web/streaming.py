"""Delivering a run over HTTP: SSE with keep-alive pings, or one collected reply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Protocol

from aiohttp import web

from fased.canonical import Event, Reply, ReplyBuilder, StreamError
from fased.errors import FasedError, UpstreamError

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


class _KeepAlive:
    """Writes `ping` when nothing was written for `interval` seconds, so proxies keep the line."""

    def __init__(self, response: web.StreamResponse, ping: bytes, interval: float) -> None:
        self._response, self._ping, self._interval = response, ping, interval
        self._task = asyncio.create_task(self._run())
        self.last = asyncio.get_running_loop().time()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ConnectionError):
            while True:
                await asyncio.sleep(max(0.0, self.last + self._interval - loop.time()))
                if loop.time() - self.last >= self._interval:
                    await self._response.write(self._ping)
                    self.last = loop.time()

    def stop(self) -> None:
        self._task.cancel()


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
    upstream that fails at once is answered with a real HTTP status, not an in-stream error."""
    async with contextlib.aclosing(events):
        first = await anext(events, None)
        response = web.StreamResponse(headers={**SSE_HEADERS, **headers})
        await response.prepare(request)
        pinger = _KeepAlive(response, ping, keep_alive)
        loop = asyncio.get_running_loop()
        try:
            if first is not None:
                await response.write(encoder.encode(first))
            async for event in events:
                data = encoder.encode(event)
                if data:
                    await response.write(data)
                    pinger.last = loop.time()
            await response.write(encoder.close())
        finally:
            pinger.stop()
    await response.write_eof()
    return response
