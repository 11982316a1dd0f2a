"""`/health` (liveness, no details), `/ready` (database reachable, a provider configured) and
`/metrics` (Prometheus text, the owner's only)."""

from __future__ import annotations

import orjson
from aiohttp import web

from fased.keys import DEPS, PRINCIPAL
from fased.metrics import CONTENT_TYPE

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


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text (SPEC §5.4). Authenticated as any route; anyone but the owner gets the
    404 of an unknown route, so the endpoint is not even seen to exist."""
    if not request[PRINCIPAL].is_owner:
        raise web.HTTPNotFound()
    body = request.app[DEPS].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
