"""The control channel as the app mounts it: the route handler that upgrades a request and
serves the connection, the shared services, and the hooks for ticks and shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web

from fased.errors import NotFound
from fased.keys import DEPS
from fased.ws.connection import Connection
from fased.ws.dedupe import Idempotency
from fased.ws.hub import Hub
from fased.ws.methods import build_registry
from fased.ws.methods.registry import MethodRegistry, Services
from fased.ws.protocol import ChannelPolicy
from fased.ws.runs import Runs


class Channel:
    def __init__(self, services: Services, registry: MethodRegistry) -> None:
        self.services = services
        self.registry = registry

    @property
    def hub(self) -> Hub:
        return self.services.hub

    @property
    def clients(self) -> int:
        return len(self.services.hub)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """`GET /ws` (and `/`): upgrade, then serve the connection until it closes."""
        policy = self.services.policy
        ws = web.WebSocketResponse(
            max_msg_size=policy.max_payload,
            compress=False,
            timeout=policy.close_timeout,
            autoping=True,
        )
        if not ws.can_prepare(request).ok:
            raise NotFound(
                "This is the gateway's WebSocket control channel: connect with a WebSocket "
                "client to /ws (see docs/protocol.md).",
                code="websocket_expected",
            )
        await ws.prepare(request)
        connection = Connection(ws, request, request.app[DEPS], self.services, self.registry)
        with structlog.contextvars.bound_contextvars(conn_id=connection.conn_id):
            await connection.serve()
        return ws

    async def ticks(self) -> None:
        await self.services.hub.ticks()

    async def shutdown(self, drain_seconds: float, *, reading: bool = True) -> None:
        """`shutdown` event, in-flight work finishes (bounded), close 1012; a second call does
        nothing. `reading=False` once the server stopped reading its sockets."""
        await self.services.hub.shutdown("gateway stopping", drain_seconds, reading=reading)


def build_channel(policy: ChannelPolicy, overrides: dict[str, Any] | None = None) -> Channel:
    services = Services(
        hub=Hub(policy.tick_interval),
        runs=Runs(keep_seconds=policy.dedupe_seconds, max_active_per_listener=policy.max_in_flight),
        dedupe=Idempotency(policy.dedupe_seconds),
        policy=policy,
        overrides=overrides or {},
        config_lock=asyncio.Lock(),
    )
    return Channel(services, build_registry())
