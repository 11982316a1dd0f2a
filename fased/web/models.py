"""`GET /v1/models` and `GET /v1/models/{id}` (SPEC §5.4): the catalog and the caller's faces."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fased.deps import Deps
from fased.errors import NotFound
from fased.keys import DEPS, PRINCIPAL


def _model(model_id: str, owned_by: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


async def model_objects(deps: Deps, owner_id: str) -> list[dict[str, Any]]:
    """The catalog, then the owner's faces (`FaceService.list`: loaded if this process has not
    seen the owner yet, so a face another process created is listed too)."""
    created = int(deps.started_at)
    items = [_model(e.id, e.provider, created) for e in deps.catalog.entries()]
    items += [_model(f.alias, "fased", created) for f in await deps.faces.list(owner_id)]
    return items


async def list_models(request: web.Request) -> web.Response:
    data = await model_objects(request.app[DEPS], request[PRINCIPAL].id)
    return web.Response(
        body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
    )


async def get_model(request: web.Request) -> web.Response:
    wanted = request.match_info["model_id"]
    for item in await model_objects(request.app[DEPS], request[PRINCIPAL].id):
        if item["id"] == wanted:
            return web.Response(body=orjson.dumps(item), content_type="application/json")
    raise NotFound(
        f"Model {wanted!r} not found; GET /v1/models lists them.", code="model_not_found"
    )
