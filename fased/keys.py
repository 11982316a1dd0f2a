"""Every typed application and request key (STYLE rule 1: no string keys, no globals)."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from fased.accounts.principal import Principal
from fased.deps import Deps


class ControlChannel(Protocol):
    """What the app needs of the WebSocket control channel (`fased.ws.channel.Channel`).

    A protocol, because this module sits below `fased.ws` in the import layers.
    """

    @property
    def clients(self) -> int: ...

    async def ticks(self) -> None: ...

    async def shutdown(self, drain_seconds: float, *, reading: bool = True) -> None: ...


DEPS = web.AppKey("deps", Deps)
CHANNEL: web.AppKey[ControlChannel] = web.AppKey("channel")

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
