"""The auth-failure limiter (SPEC §3), on the `limits` package.

Failures are counted per client address in a moving window; at `maxAttempts` the address is
locked for `lockoutSeconds`, during which every request from it is refused with 429, good
credentials included. The storage is `limits`' (memory now, Redis when scaled out), so the count
is shared by every gateway process that shares the storage.

Every authenticated request asks whether its address is locked and, on success, clears its
failures. With the in-process memory storage this limiter sees every failure itself, so it
remembers which addresses failed lately and skips both storage calls for the others (the hot
path's common case: a client that never failed). A shared storage (Redis) is always asked: a
failure may have been counted by another process.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

PRUNE_AT = 10_000  # suspects remembered before the expired ones are dropped


def async_storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


def storage_options(uri: str) -> dict[str, str]:
    """Redis through `redis` (the `postgres` extra), not `limits`' default `coredis`."""
    scheme = uri.removeprefix("async+").split("://", 1)[0]
    return {"implementation": "redispy"} if scheme.startswith("redis") else {}


class AuthLimiter:
    __slots__ = ("_failures", "_limiter", "_local", "_lock", "_memory", "_storage", "_suspects")

    def __init__(
        self, storage_uri: str, *, max_attempts: int, window_seconds: float, lockout_seconds: float
    ) -> None:
        self._storage = storage_from_string(
            async_storage_uri(storage_uri), **storage_options(storage_uri)
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._failures = RateLimitItemPerSecond(max_attempts, math.ceil(window_seconds))
        self._lock = RateLimitItemPerSecond(1, math.ceil(lockout_seconds))
        self._local = storage_uri.removeprefix("async+").startswith("memory://")
        # how long after its last failure an address may still have a count or a lock
        self._memory = math.ceil(window_seconds) + math.ceil(lockout_seconds) + 1
        self._suspects: dict[str, float] = {}  # address → monotonic time it is forgotten

    async def locked_for(self, address: str) -> int | None:
        """Whole seconds (rounded up) until `address` may try again, or None when not locked."""
        if self._local and not self._suspect(address):
            return None
        if await self._limiter.test(self._lock, "auth-lock", address):
            return None
        stats = await self._limiter.get_window_stats(self._lock, "auth-lock", address)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failure(self, address: str) -> int | None:
        """Count one failure; when it reaches the limit, lock and return the lockout seconds."""
        await self._limiter.hit(self._failures, "auth-fail", address)
        if await self._limiter.test(self._failures, "auth-fail", address):
            self._remember(address)
            return None
        await self._limiter.hit(self._lock, "auth-lock", address)
        await self._limiter.clear(self._failures, "auth-fail", address)
        self._remember(address)
        return await self.locked_for(address)

    async def success(self, address: str) -> None:
        # Forget before clearing: a failure counted meanwhile is remembered again after its hit.
        if self._suspects.pop(address, None) is None and self._local:
            return
        await self._limiter.clear(self._failures, "auth-fail", address)

    def _remember(self, address: str) -> None:
        now = time.monotonic()
        if len(self._suspects) >= PRUNE_AT:
            self._suspects = {a: t for a, t in self._suspects.items() if t > now}
        self._suspects[address] = now + self._memory

    def _suspect(self, address: str) -> bool:
        forget_at = self._suspects.get(address)
        if forget_at is None:
            return False
        if forget_at > time.monotonic():
            return True
        del self._suspects[address]
        return False
