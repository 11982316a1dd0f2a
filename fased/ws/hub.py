"""Every open channel connection: presence on join and leave, a `tick` every interval, and on
shutdown a `shutdown` event, a bounded wait for in-flight work, then close 1012 (SPEC §1, §11).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

import structlog

from fased.accounts.principal import Principal
from fased.ws.protocol import Close, Payload

log = structlog.get_logger()

HUB_EVENTS = ("tick", "presence", "shutdown")


class Member(Protocol):
    """What the hub needs of a connection."""

    @property
    def conn_id(self) -> str: ...

    @property
    def principal(self) -> Principal | None: ...

    def presence(self) -> Payload: ...

    def event(self, name: str, payload: Payload) -> None: ...

    async def settle(self) -> None: ...

    async def close(self, code: int, reason: str, *, await_reply: bool = True) -> None: ...


def now_ms() -> int:
    return int(time.time() * 1000)


def can_see(viewer: Member, subject: Member) -> bool:
    """The owner sees every connection; an account sees only its own."""
    principal, other = viewer.principal, subject.principal
    if principal is None or other is None:
        return False
    return principal.is_owner or principal.id == other.id


class Hub:
    """Open connections: `open` ones (handshaking or joined) and `joined` ones (after hello-ok)."""

    def __init__(self, tick_interval: float) -> None:
        self._tick_interval = tick_interval
        self._open: dict[str, Member] = {}
        self._joined: dict[str, Member] = {}
        self.closing = False

    def __len__(self) -> int:
        return len(self._joined)

    def open(self, member: Member) -> None:
        self._open[member.conn_id] = member

    def join(self, member: Member) -> None:
        self._joined[member.conn_id] = member
        self._presence(member, "join")

    def leave(self, member: Member) -> None:
        self._open.pop(member.conn_id, None)
        if self._joined.pop(member.conn_id, None) is not None:
            self._presence(member, "leave")

    def _presence(self, subject: Member, kind: str) -> None:
        payload = {"kind": kind, **subject.presence(), "ts": now_ms(), "clients": len(self)}
        for member in list(self._joined.values()):
            if member is not subject and can_see(member, subject):
                member.event("presence", payload)

    def broadcast(self, event: str, payload: Payload) -> None:
        for member in list(self._joined.values()):
            member.event(event, payload)

    def publish(self, event: str, payload: Payload, *, owner_id: str) -> None:
        """`event` about an object of `owner_id` to that principal's connections only (the
        gateway owner is not shown an account's objects either)."""
        for member in list(self._joined.values()):
            principal = member.principal
            if principal is not None and principal.id == owner_id:
                member.event(event, payload)

    async def ticks(self) -> None:
        """Send `tick` to every joined connection every interval, until cancelled."""
        while True:
            await asyncio.sleep(self._tick_interval)
            self.broadcast("tick", {"ts": now_ms()})

    async def shutdown(self, reason: str, drain_seconds: float, *, reading: bool = True) -> None:
        """`shutdown` to every client, let in-flight requests finish (bounded), close 1012.

        `reading=False` when the server no longer reads its sockets (aiohttp stops reading at
        `pre_shutdown`): requests sent meanwhile go unanswered and no close reply is awaited.
        """
        self.closing = True
        members = list(self._open.values())
        if not members:
            return
        log.info("channel_shutdown", clients=len(self), drain_seconds=drain_seconds)
        self.broadcast("shutdown", {"reason": reason})
        settling = [asyncio.ensure_future(member.settle()) for member in members]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_seconds):
                await asyncio.gather(*settling, return_exceptions=True)
        for task in settling:
            task.cancel()
        await asyncio.gather(
            *(
                member.close(Close.SERVICE_RESTART, reason, await_reply=reading)
                for member in members
            ),
            return_exceptions=True,
        )
