"""`/health` (liveness, no details) and `/ready` (database reachable, a provider configured)."""

from __future__ import annotations

import orjson
from aiohttp import web

from fased.keys import DEPS

LIVE = orjson.dumps({"ok": True, "status": "live"})


async def health(_request: web.Request) -> web.Response:
    return web.Response(body=LIVE, content_type="application/json")


async def ready(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    database = await deps.db.ping()
    providers = bool(deps.providers.configured())
    ok = database and providers
    body = {
        "ok": ok,
        "status": "ready" if ok else "not_ready",
        "checks": {"database": database, "providers": providers},
    }
    return web.Response(
        status=200 if ok else 503, body=orjson.dumps(body), content_type="application/json"
    )
