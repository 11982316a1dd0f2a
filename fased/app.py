"""`create_app(settings, paths)`: the only place that wires everything together."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from fased.config import Paths, Settings
from fased.deps import open_deps
from fased.keys import CHANNEL, DEPS, REQUEST_ID
from fased.metrics import Metrics
from fased.web import chat, compile, faces, health, messages, models, responses
from fased.web.middleware import middlewares
from fased.ws.channel import Channel, build_channel
from fased.ws.protocol import ChannelPolicy


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID)
    if request_id:
        response.headers["X-Request-Id"] = request_id


async def _ticks_ctx(app: web.Application) -> AsyncIterator[None]:
    ticks = asyncio.create_task(app[CHANNEL].ticks())
    yield
    ticks.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ticks


async def _close_channel(app: web.Application) -> None:
    # Before the HTTP drain: `shutdown` to every client, in-flight channel work finishes
    # (bounded by the drain time), then close 1012 so open sockets don't hold the drain.
    # The daemon does this earlier, while sockets are still read (server.py); here aiohttp
    # has already stopped reading them (pre_shutdown), so no close reply is awaited.
    drain = app[DEPS].settings.gateway.shutdown_timeout_seconds
    await app[CHANNEL].shutdown(drain, reading=False)


def _routes(app: web.Application, channel: Channel) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/v1/models", models.list_models)
    app.router.add_get("/v1/models/{model_id:.+}", models.get_model)
    app.router.add_post("/v1/chat/completions", chat.chat_completions)
    app.router.add_post("/v1/messages", messages.messages)
    app.router.add_post("/v1/responses", responses.responses)
    faces.add_routes(app.router)
    compile.add_routes(app.router)
    app.router.add_get("/ws", channel.handle)
    app.router.add_get("/", channel.handle)  # SPEC §11: an upgrade on / is accepted too


def create_app(
    settings: Settings,
    paths: Paths,
    *,
    overrides: dict[str, Any] | None = None,
    channel_policy: ChannelPolicy | None = None,
    worker: int = 0,
) -> web.Application:
    """`overrides`: the command-line flags, which `config.patch` re-applies like a reload;
    `channel_policy`: the control channel's limits and timings (tests shorten them);
    `worker`: the process's index under `--workers N`, its metrics' `worker` label."""
    app = web.Application(middlewares=middlewares(), client_max_size=settings.uploads.max_bytes)
    channel = build_channel(channel_policy or ChannelPolicy(), overrides)
    app[CHANNEL] = channel
    metrics = Metrics(worker)
    metrics.count_ws_clients(lambda: channel.clients)

    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_deps(settings, paths, metrics) as deps:
            deps.started_at = time.time()
            app[DEPS] = deps
            yield

    app.cleanup_ctx.append(deps_ctx)
    app.cleanup_ctx.append(_ticks_ctx)
    app.on_shutdown.append(_close_channel)
    app.on_response_prepare.append(_add_request_id)
    _routes(app, channel)
    return app
