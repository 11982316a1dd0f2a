"""The faces lookup cache: the chat hot path resolves a face without touching the database.

Per process, the faces of an owner are loaded together (one query) into a snapshot indexed by
id and alias. A snapshot is used for `ttl` seconds (default 2 s), then reloaded on the next
lookup; every write this process makes drops the owner's snapshot at once, so its own changes are
seen immediately and changes by other processes (another gateway, a `fased worker` compiling)
within `ttl`. Concurrent lookups of a stale owner share one reload. A face's `version` comes with
its record, so everything keyed on (face id, version) (profiles, primitives) follows.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fased.faces.face import Face

DEFAULT_TTL = 2.0
MAX_OWNERS = 4096

Loader = Callable[[str], Awaitable[Sequence[Face]]]


@dataclass(frozen=True, slots=True)
class OwnerFaces:
    """One owner's faces at one moment, by id and by alias."""

    faces: tuple[Face, ...]
    loaded_at: float
    by_id: dict[str, Face] = field(init=False)
    by_alias: dict[str, Face] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {face.id: face for face in self.faces})
        object.__setattr__(self, "by_alias", {face.alias: face for face in self.faces})

    def find(self, ref: str) -> Face | None:
        """By id first, else by alias (case-insensitive: aliases are lower case)."""
        return self.by_id.get(ref) or self.by_alias.get(ref.strip().lower())


class FaceCache:
    __slots__ = ("_clock", "_loader", "_loading", "_owners", "ttl")

    def __init__(
        self,
        loader: Loader,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._clock = clock
        self.ttl = ttl
        self._owners: dict[str, OwnerFaces] = {}
        self._loading: dict[str, asyncio.Task[OwnerFaces]] = {}

    async def owner(self, owner_id: str) -> OwnerFaces:
        """The owner's snapshot, reloaded when older than `ttl` (one load for every caller
        waiting, in its own task: a caller that goes away does not cancel the others' load)."""
        current = self._owners.get(owner_id)
        if current is not None and self._clock() - current.loaded_at < self.ttl:
            return current
        loading = self._loading.get(owner_id)
        if loading is None:
            loading = asyncio.get_running_loop().create_task(self._load(owner_id))
            loading.add_done_callback(_retrieve)
            self._loading[owner_id] = loading
        return await asyncio.shield(loading)

    async def _load(self, owner_id: str) -> OwnerFaces:
        this, started = asyncio.current_task(), self._clock()
        try:
            snapshot = OwnerFaces(tuple(await self._loader(owner_id)), started)
            if self._loading.get(owner_id) is this:  # not invalidated while loading
                self._store(owner_id, snapshot)
            return snapshot
        finally:
            if self._loading.get(owner_id) is this:
                del self._loading[owner_id]

    def invalidate(self, owner_id: str) -> None:
        """The owner's faces changed: the next lookup reloads them."""
        current = self._owners.get(owner_id)
        if current is not None:
            self._owners[owner_id] = OwnerFaces(current.faces, -math.inf)
        self._loading.pop(owner_id, None)

    def _store(self, owner_id: str, snapshot: OwnerFaces) -> None:
        self._owners.pop(owner_id, None)
        self._owners[owner_id] = snapshot
        while len(self._owners) > MAX_OWNERS:
            del self._owners[next(iter(self._owners))]


def _retrieve(task: asyncio.Task[OwnerFaces]) -> None:
    """A load's failure reaches its waiters; with none left, it is not an unhandled error."""
    if not task.cancelled():
        task.exception()
