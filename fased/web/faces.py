"""The faces API (SPEC §7): faces, their profile, similarity, import and export. Parse, call the
face service, render; nothing else. Documents and compiling are in `compile.py`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fased.deps import Deps
from fased.errors import BadRequest
from fased.faces.compare import diff_faces, face_neighbors
from fased.faces.exchange import export_face, import_face
from fased.faces.face import Face
from fased.faces.fields import FaceBody, FacePatch, parse_body
from fased.keys import DEPS, PRINCIPAL
from fased.web.bodies import read_json

MAX_PROFILE_BUDGET = 100_000


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}.", param=name)
    return value


def context(request: web.Request) -> tuple[Deps, str]:
    return request.app[DEPS], request[PRINCIPAL].id


async def face_of(request: web.Request) -> Face:
    deps, owner = context(request)
    return await deps.faces.require(owner, request.match_info["face_id"])


async def one_object(deps: Deps, owner: str, face: Face) -> dict[str, Any]:
    return (await deps.faces.objects(owner, [face]))[0]


async def list_faces(request: web.Request) -> web.Response:
    deps, owner = context(request)
    objects = await deps.faces.objects(owner, await deps.faces.list(owner))
    return json_response({"object": "list", "data": objects})


async def create_face(request: web.Request) -> web.Response:
    deps, owner = context(request)
    body = parse_body(FaceBody, await read_json(request, deps.settings.gateway.http.max_body_bytes))
    face = await deps.faces.create(owner, body)
    return json_response(await one_object(deps, owner, face), status=201)


async def get_face(request: web.Request) -> web.Response:
    deps, owner = context(request)
    return json_response(await one_object(deps, owner, await face_of(request)))


async def patch_face(request: web.Request) -> web.Response:
    deps, owner = context(request)
    data = await read_json(request, deps.settings.gateway.http.max_body_bytes)
    patch = parse_body(FacePatch, data)
    face = await deps.faces.patch(owner, request.match_info["face_id"], patch)
    return json_response(await one_object(deps, owner, face))


async def delete_face(request: web.Request) -> web.Response:
    deps, owner = context(request)
    face = await deps.faces.delete(owner, request.match_info["face_id"])
    return json_response({"id": face.id, "alias": face.alias, "object": "face", "deleted": True})


async def profile(request: web.Request) -> web.Response:
    deps, _ = context(request)
    face = await face_of(request)
    default = deps.settings.compile.profile_tokens
    budget = int_param(request, "budget", default, 1, MAX_PROFILE_BUDGET)
    rendered = await deps.faces.profile(face, budget=budget, query=request.query.get("query", ""))
    data = {
        "face_id": face.id,
        "alias": face.alias,
        "profile": rendered.text,
        "tokens": rendered.tokens,
        "budget": budget,
        "version": face.version,
    }
    return json_response({"data": data})


async def diff(request: web.Request) -> web.Response:
    deps, owner = context(request)
    refs = request.query.get("faces", "").split(",")
    return json_response({"data": await diff_faces(deps.faces, owner, refs)})


async def neighbors(request: web.Request) -> web.Response:
    deps, owner = context(request)
    face = await face_of(request)
    k = int_param(request, "k", 5, 1, 100)
    direction = request.query.get("direction", "nearest")
    found = await face_neighbors(deps.faces, owner, face, k=k, direction=direction)
    return json_response({"data": found})


async def export(request: web.Request) -> web.Response:
    deps, _ = context(request)
    face = await face_of(request)
    format_name = request.query.get("format", "fased")
    card = await export_face(deps.faces, face, format_name)
    response = json_response(card)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{face.alias}.{format_name}.json"'
    )
    return response


async def import_card(request: web.Request) -> web.Response:
    deps, owner = context(request)
    data = await read_json(request, deps.settings.uploads.max_bytes)
    face = await import_face(deps.faces, owner, data, alias=request.query.get("alias"))
    return json_response(await one_object(deps, owner, face), status=201)


def add_routes(router: web.UrlDispatcher) -> None:
    """The faces routes; the fixed paths before `{face_id}` so they win."""
    router.add_get("/v1/faces", list_faces)
    router.add_post("/v1/faces", create_face)
    router.add_get("/v1/faces/diff", diff)
    router.add_post("/v1/faces/import", import_card)
    router.add_get("/v1/faces/{face_id}", get_face)
    router.add_patch("/v1/faces/{face_id}", patch_face)
    router.add_delete("/v1/faces/{face_id}", delete_face)
    router.add_get("/v1/faces/{face_id}/profile", profile)
    router.add_get("/v1/faces/{face_id}/neighbors", neighbors)
    router.add_get("/v1/faces/{face_id}/export", export)
