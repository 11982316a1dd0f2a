"""The control channel as the app mounts it: the route handler that upgrades a request and
serves the connection, the shared services, and the hooks for ticks, compile progress and
shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiohttp import web

from fased.errors import NotFound
from fased.faces.compile.progress import DocumentStatus
from fased.faces.compile.runner import CompileRunner
from fased.keys import DEPS
from fased.ws.connection import Connection
from fased.ws.dedupe import Idempotency
from fased.ws.hub import Hub
from fased.ws.methods import build_registry
from fased.ws.methods.faces import COMPILE_EVENT
from fased.ws.methods.registry import MethodRegistry, Services
from fased.ws.protocol import ChannelPolicy
from fased.ws.runs import Runs


class Channel:
    def __init__(self, services: Services, registry: MethodRegistry) -> None:
        self.services = services
        self.registry = registry
        self._compiler: CompileRunner | None = None

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
        deps = request.app[DEPS]
        self.follow_compiles(deps.compiler)
        connection = Connection(ws, request, deps, self.services, self.registry)
        with structlog.contextvars.bound_contextvars(conn_id=connection.conn_id):
            await connection.serve()
        return ws

    async def ticks(self) -> None:
        await self.services.hub.ticks()

    def follow_compiles(self, compiler: CompileRunner) -> None:
        """Compile progress becomes `compile` events to the document owner's connections.

        Hooked once, when the first connection arrives (the app builds the channel before its
        deps exist, and no event matters before someone listens); unhooked at shutdown. The
        hook only enqueues (`Connection.event`), so it never blocks the compiler."""
        if self._compiler is None and not self.services.hub.closing:
            compiler.progress_hooks.append(self._compiled)
            self._compiler = compiler

    def _compiled(self, owner_id: str, status: DocumentStatus) -> None:
        self.services.hub.publish(COMPILE_EVENT, status.payload(), owner_id=owner_id)

    def _unfollow_compiles(self) -> None:
        if self._compiler is not None:
            with contextlib.suppress(ValueError):
                self._compiler.progress_hooks.remove(self._compiled)
            self._compiler = None

    async def shutdown(self, drain_seconds: float, *, reading: bool = True) -> None:
        """`shutdown` event, in-flight work finishes (bounded), close 1012; a second call does
        nothing. `reading=False` once the server stopped reading its sockets."""
        self._unfollow_compiles()
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
