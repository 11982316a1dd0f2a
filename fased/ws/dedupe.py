"""Idempotency keys (SPEC §11): a side-effecting request sent again with the same
`idempotencyKey` within the window gets the first one's outcome instead of a second effect.

Keys are per principal and method. The first request's work runs in its own task, so a client
that disconnects mid-way does not leave the work half done, and a retry that arrives meanwhile
waits for the same task. Successes and client errors (`FasedError`) are remembered; anything
else (a crash, a cancellation) is forgotten so that a retry tries again. Memory is bounded by
the window and `max_entries` (oldest evicted first). One process: scaled out, each gateway
dedupes its own connections.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fased.errors import FasedError
from fased.ws.protocol import Payload

Key = tuple[str, str, str]  # principal id, method, idempotency key


class Idempotency:
    def __init__(
        self,
        window_seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[float, asyncio.Task[Payload]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def once(self, key: Key | None, make: Callable[[], Awaitable[Payload]]) -> Payload:
        """`make()`'s payload, or the payload (or error) of the first call with this key."""
        if key is None:
            return await make()
        self._expire()
        entry = self._entries.get(key)
        if entry is None:
            task = asyncio.ensure_future(make())
            task.add_done_callback(lambda done: self._settled(key, done))
            self._entries[key] = (self._clock(), task)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        else:
            task = entry[1]
        return await asyncio.shield(task)

    def _settled(self, key: Key, task: asyncio.Task[Payload]) -> None:
        keep = not task.cancelled() and (
            task.exception() is None or isinstance(task.exception(), FasedError)
        )
        if not keep and self._entries.get(key, (0.0, None))[1] is task:
            del self._entries[key]

    def _expire(self) -> None:
        horizon = self._clock() - self._window
        while self._entries:
            key, (created, _) = next(iter(self._entries.items()))
            if created > horizon:
                break
            del self._entries[key]
