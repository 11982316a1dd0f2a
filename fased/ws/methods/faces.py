"""`faces.list`, `faces.get`, `compile.status`, and the `compile` event (SPEC §7, §8, §11): the
caller's own faces and documents, in the shapes the HTTP API returns (snake_case keys, like the
usage objects); another owner's face or document is simply not found."""

from __future__ import annotations

from pydantic import Field

from fased.ws.methods.registry import Call, MethodRegistry, NoParams
from fased.ws.protocol import Model, Payload

COMPILE_EVENT = "compile"


class FaceParams(Model):
    id: str = Field(min_length=1, max_length=128, description="The face's alias or id.")


class DocumentParams(Model):
    document_id: str = Field(min_length=1, max_length=128)


async def faces_list(call: Call, _: NoParams) -> Payload:
    faces, owner = call.deps.faces, call.principal.id
    return {"faces": await faces.objects(owner, await faces.list(owner))}


async def faces_get(call: Call, params: FaceParams) -> Payload:
    faces, owner = call.deps.faces, call.principal.id
    face = await faces.require(owner, params.id, param="id")
    (found,) = await faces.objects(owner, [face])
    return found


async def compile_status(call: Call, params: DocumentParams) -> Payload:
    status = await call.deps.documents.status(call.principal.id, params.document_id)
    return status.payload()


def register(registry: MethodRegistry) -> None:
    registry.add("faces.list", NoParams, "operator.read", faces_list)
    registry.add("faces.get", FaceParams, "operator.read", faces_get)
    registry.add("compile.status", DocumentParams, "operator.read", compile_status)
    registry.events(COMPILE_EVENT)
