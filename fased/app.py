"""`create_app(settings, paths)`: the only place that wires everything together."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web

from fased.config import Paths, Settings
from fased.deps import open_deps
from fased.keys import DEPS, REQUEST_ID
from fased.web import chat, health, models
from fased.web.middleware import middlewares


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID)
    if request_id:
        response.headers["X-Request-Id"] = request_id


def _routes(app: web.Application) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_get("/v1/models", models.list_models)
    app.router.add_get("/v1/models/{model_id:.+}", models.get_model)
    app.router.add_post("/v1/chat/completions", chat.chat_completions)


def create_app(settings: Settings, paths: Paths) -> web.Application:
    app = web.Application(middlewares=middlewares(), client_max_size=settings.uploads.max_bytes)

    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_deps(settings, paths) as deps:
            deps.started_at = time.time()
            app[DEPS] = deps
            yield

    app.cleanup_ctx.append(deps_ctx)
    app.on_response_prepare.append(_add_request_id)
    _routes(app)
    return app
