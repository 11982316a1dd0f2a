"""Documents and compiling (SPEC §7, §8): upload, list, delete, make, status, sync.

An upload is `multipart/form-data` with the file in `file` and the fields `type` (`document` |
`thread`, default `document`), `perspective`, `face_speaker` and `label`; the file is read as it
arrives and refused with 413 as soon as it passes `uploads.maxBytes`.
"""

from __future__ import annotations

from typing import Any, Final, get_args

from aiohttp import BodyPartReader, web

from fased.errors import BadRequest, PayloadTooLarge
from fased.faces.documents import document_object
from fased.faces.ingest import Upload
from fased.faces.ingest.upload import UPLOAD_KINDS
from fased.faces.model import Perspective
from fased.web.faces import context, json_response

FIELD_LIMIT: Final = 4096
PERSPECTIVES: Final = get_args(Perspective)
_READ: Final = 1 << 16


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than {limit} bytes (uploads.maxBytes); split the file, or raise "
        "the limit.",
        param="file",
    )


async def _read_file(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_READ):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_form(request: web.Request, limit: int) -> tuple[dict[str, str], Upload | None]:
    if not request.content_type.startswith("multipart/"):
        raise BadRequest(
            "Send the upload as multipart/form-data with the file in the `file` field "
            "(curl -F file=@journal.md -F type=document …).",
        )
    if request.content_length is not None and request.content_length > limit + 2 * FIELD_LIMIT:
        raise _too_large(limit)
    fields: dict[str, str] = {}
    upload: Upload | None = None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise BadRequest("Nested multipart bodies are not accepted.")
        if part.name == "file":
            data = await _read_file(part, limit)
            content_type = part.headers.get("Content-Type", "")
            upload = Upload("document", part.filename or "", content_type, data)
        else:
            fields[part.name or ""] = await _read_field(part)
    return fields, upload


async def _read_field(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(_READ):
        data += chunk
        if len(data) > FIELD_LIMIT:
            raise BadRequest(f"The form field {part.name!r} is over {FIELD_LIMIT} bytes.")
    return bytes(data).decode("utf-8", "replace")


def _upload(fields: dict[str, str], file: Upload | None) -> Upload:
    if file is None:
        raise BadRequest("The upload has no `file` field.", param="file")
    kind = fields.get("type", "document").strip() or "document"
    perspective = fields.get("perspective", "first-person").strip() or "first-person"
    if kind not in UPLOAD_KINDS:
        raise BadRequest("type must be document or thread.", param="type")
    if perspective not in PERSPECTIVES:
        raise BadRequest("perspective must be first-person or third-person.", param="perspective")
    speaker = fields.get("face_speaker", "").strip() or None
    label = fields.get("label", "").strip() or None
    return Upload(
        "thread" if kind == "thread" else "document",
        file.filename,
        file.content_type,
        file.data,
        "third-person" if perspective == "third-person" else "first-person",
        speaker,
        label,
    )


async def upload(request: web.Request) -> web.Response:
    deps, owner = context(request)
    fields, file = await _read_form(request, deps.settings.uploads.max_bytes)
    record = await deps.documents.upload(
        owner, request.match_info["face_id"], _upload(fields, file)
    )
    return json_response({"data": {"document_id": record.id, **document_object(record)}}, 201)


async def list_documents(request: web.Request) -> web.Response:
    deps, owner = context(request)
    records = await deps.documents.list(owner, request.match_info["face_id"])
    return json_response({"object": "list", "data": [document_object(r) for r in records]})


async def delete_document(request: web.Request) -> web.Response:
    deps, owner = context(request)
    face_ref, document_id = request.match_info["face_id"], request.match_info["document_id"]
    deleted = await deps.documents.delete(owner, face_ref, document_id)
    body: dict[str, Any] = {
        "id": deleted.id,
        "object": "document",
        "deleted": True,
        "compile_tokens_returned": deleted.compile_tokens,
    }
    return json_response(body)


async def make(request: web.Request) -> web.Response:
    deps, owner = context(request)
    status = await deps.documents.make(owner, request.match_info["document_id"])
    body = {
        "document_id": status.document_id,
        "status": status.prepare_status,
        "chunks_total": status.chunks_total,
        "chunks_completed": status.chunks_completed,
    }
    return json_response(body, 202)


async def document_status(request: web.Request) -> web.Response:
    deps, owner = context(request)
    status = await deps.documents.status(owner, request.match_info["document_id"])
    return json_response(status.payload())


async def sync(request: web.Request) -> web.Response:
    deps, owner = context(request)
    face, statuses = await deps.documents.sync(owner, request.match_info["face_id"])
    body = {
        "face_id": face.id,
        "alias": face.alias,
        "sync_status": face.sync_status,
        "documents": [status.payload() for status in statuses],
    }
    return json_response({"data": body}, 202)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/faces/{face_id}/upload", upload)
    router.add_get("/v1/faces/{face_id}/documents", list_documents)
    router.add_delete("/v1/faces/{face_id}/documents/{document_id}", delete_document)
    router.add_post("/v1/faces/{face_id}/sync", sync)
    router.add_post("/v1/compile/documents/{document_id}/make", make)
    router.add_get("/v1/compile/documents/{document_id}", document_status)
