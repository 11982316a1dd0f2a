"""The auth-failure limiter (SPEC §3), on the `limits` package.

Failures are counted per client address in a moving window; at `maxAttempts` the address is
locked for `lockoutSeconds`, during which every request from it is refused with 429, good
credentials included. The storage is `limits`' (memory now, Redis when scaled out), so the count
is shared by every gateway process that shares the storage.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


def async_storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class AuthLimiter:
    __slots__ = ("_failures", "_limiter", "_lock", "_storage")

    def __init__(
        self, storage_uri: str, *, max_attempts: int, window_seconds: float, lockout_seconds: float
    ) -> None:
        self._storage = storage_from_string(async_storage_uri(storage_uri))
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._failures = RateLimitItemPerSecond(max_attempts, math.ceil(window_seconds))
        self._lock = RateLimitItemPerSecond(1, math.ceil(lockout_seconds))

    async def locked_for(self, address: str) -> int | None:
        """Whole seconds (rounded up) until `address` may try again, or None when not locked."""
        if await self._limiter.test(self._lock, "auth-lock", address):
            return None
        stats = await self._limiter.get_window_stats(self._lock, "auth-lock", address)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failure(self, address: str) -> int | None:
        """Count one failure; when it reaches the limit, lock and return the lockout seconds."""
        await self._limiter.hit(self._failures, "auth-fail", address)
        if await self._limiter.test(self._failures, "auth-fail", address):
            return None
        await self._limiter.hit(self._lock, "auth-lock", address)
        await self._limiter.clear(self._failures, "auth-fail", address)
        return await self.locked_for(address)

    async def success(self, address: str) -> None:
        await self._limiter.clear(self._failures, "auth-fail", address)
