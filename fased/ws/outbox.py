"""A connection's outgoing frames: a bounded queue drained by one writer task (STYLE: Home
Assistant's websocket_api). Nothing that produces output ever waits for a slow client: `put`
never blocks, and a client whose unsent output would pass the limit is dropped instead of
letting memory grow.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from aiohttp import WSMsgType, web


class Outbox:
    """Frames waiting for the socket. `put` returns False once the outbox is closed; on an
    overflow the queue is dropped and `on_overflow` is called (once)."""

    __slots__ = ("_buffered", "_drained", "_limit", "_on_overflow", "_queue", "_task", "_wake")

    def __init__(
        self, ws: web.WebSocketResponse, limit: int, on_overflow: Callable[[], None]
    ) -> None:
        self._queue: deque[bytes] = deque()
        self._buffered = 0
        self._limit = limit
        self._on_overflow = on_overflow
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._write(ws))

    @property
    def closed(self) -> bool:
        return self._task is None

    @property
    def buffered(self) -> int:
        """Bytes queued and not yet handed to the socket."""
        return self._buffered

    def put(self, frame: bytes) -> bool:
        if self._task is None:
            return False
        if self._buffered and self._buffered + len(frame) > self._limit:
            self.stop()
            self._on_overflow()
            return False
        self._queue.append(frame)
        self._buffered += len(frame)
        self._drained.clear()
        self._wake.set()
        return True

    async def drain(self) -> None:
        """Wait until everything queued was handed to the socket (or dropped)."""
        await self._drained.wait()

    def stop(self) -> None:
        """Drop what is queued and stop writing."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        self._queue.clear()
        self._buffered = 0
        self._drained.set()

    async def _write(self, ws: web.WebSocketResponse) -> None:
        try:
            while True:
                if not self._queue:
                    self._drained.set()
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                frame = self._queue.popleft()
                self._buffered -= len(frame)
                await ws.send_frame(frame, WSMsgType.TEXT)
        except ConnectionError:  # the peer went away; the receive loop sees it too
            self._task = None
            self._queue.clear()
            self._buffered = 0
            self._drained.set()
