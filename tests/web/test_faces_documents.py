"""Uploads and documents over HTTP (SPEC §7): every upload type, the 413/415/422/400 refusals,
a hostile PDF that fails only its own upload, listing and deleting documents."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.conftest import AUTH, ClientFactory
from tests.faces.api import (
    CORPUS,
    INGEST,
    Client,
    create,
    delete,
    get,
    ok,
    post_upload,
    sync,
    upload,
)
from tests.faces.test_ingest_pdf import nested, text_ops, text_pdf

SMALL = {"uploads": {"maxBytes": 8192}}


@pytest.fixture
async def client(gateway: ClientFactory) -> Client:
    client = await gateway(SMALL)
    await create(client, "marta", "Marta")
    return client


UPLOADS: list[tuple[str, bytes, dict[str, str], str, str]] = [
    ("journal.txt", (CORPUS / "journal_marta.txt").read_bytes(), {}, "document", "text/plain"),
    ("journal.md", (INGEST / "journal.md").read_bytes(), {}, "document", "text/markdown"),
    (
        "bio.txt",
        (INGEST / "bio.txt").read_bytes(),
        {"perspective": "third-person"},
        "document",
        "text/plain",
    ),
    (
        "notes.pdf",
        text_pdf(text_ops("I live in Lisbon and I work as a nurse.")),
        {},
        "document",
        "application/pdf",
    ),
    (
        "chat.json",
        (INGEST / "openai_export.json").read_bytes(),
        {"type": "thread", "face_speaker": "user"},
        "thread",
        "application/json",
    ),
    (
        "talk.jsonl",
        (INGEST / "export.jsonl").read_bytes(),
        {"type": "thread", "face_speaker": "margarida"},
        "thread",
        "application/jsonl",
    ),
    (
        "interview.txt",
        (INGEST / "transcript.txt").read_bytes(),
        {"type": "thread", "face_speaker": "Margarida", "label": "interview"},
        "thread",
        "text/plain",
    ),
]


@pytest.mark.parametrize(
    ("filename", "data", "fields", "kind", "media"), UPLOADS, ids=[u[0] for u in UPLOADS]
)
async def test_each_upload_type_becomes_a_pending_document_then_compiles(
    client: Client, filename: str, data: bytes, fields: dict[str, str], kind: str, media: str
) -> None:
    response = await post_upload(client, "marta", filename, data, content_type=media, **fields)
    body = (await ok(response, 201))["data"]
    assert body["document_id"] == body["id"]
    assert (body["type"], body["prepare_status"], body["filename"]) == (kind, "pending", filename)
    assert body["label"] == fields.get("label")
    assert (await get(client, "/v1/faces/marta"))["sync_status"] == "pending"
    face = await sync(client, "marta")
    assert face["sync_status"] == "synced", face
    assert face["documents_count"] == 1 and face["component_counts"]
    listed = await get(client, "/v1/faces/marta/documents")
    assert [d["id"] for d in listed["data"]] == [body["id"]]
    assert listed["data"][0]["prepare_status"] == "synced"


@pytest.mark.parametrize(
    ("filename", "fields", "status", "message"),
    [
        ("voice.mp3", {}, 422, "configure uploads.transcription"),
        ("data.xyz", {}, 415, "Unsupported file type"),
        ("chat.json", {}, 415, "accepted only as type=thread"),
        ("a.txt", {"type": "essay"}, 400, "type must be document or thread"),
        ("a.txt", {"perspective": "second-person"}, 400, "perspective must be"),
        ("empty.txt", {}, 422, ""),
    ],
)
async def test_uploads_that_are_refused(
    client: Client, filename: str, fields: dict[str, str], status: int, message: str
) -> None:
    data = b"" if filename == "empty.txt" else b"Some text that is here."
    response = await post_upload(client, "marta", filename, data, **fields)
    error = (await ok(response, status))["error"]
    assert message in error["message"]
    assert (await get(client, "/v1/faces/marta/documents"))["data"] == []


async def test_an_upload_over_max_bytes_is_413(client: Client) -> None:
    response = await post_upload(client, "marta", "big.txt", b"word " * 2000)
    assert (await ok(response, 413))["error"]["code"] == "payload_too_large"


async def test_an_upload_that_is_not_multipart_is_400(client: Client) -> None:
    response = await client.post("/v1/faces/marta/upload", data=b"text", headers=AUTH)
    assert "multipart/form-data" in (await ok(response, 400))["error"]["message"]
    writer = aiohttp.MultipartWriter("form-data")
    writer.append("document").set_content_disposition("form-data", name="type")
    no_file = await client.post("/v1/faces/marta/upload", data=writer, headers=AUTH)
    assert (await ok(no_file, 400))["error"]["param"] == "file"


async def test_uploading_to_someone_elses_or_no_face_is_404(client: Client) -> None:
    response = await post_upload(client, "nobody", "a.txt", b"Hello there.")
    assert (await ok(response, 404))["error"]["message"] == "Face not found or not owned by you"


async def test_a_hostile_pdf_fails_only_its_upload(gateway: ClientFactory) -> None:
    client = await gateway()
    await create(client, "marta", "Marta")
    good = await upload(client, "marta", "journal_marta.txt", content_type="text/plain")
    started = time.monotonic()
    response = await post_upload(client, "marta", "evil.pdf", nested(b"[", b"]")())
    assert (await ok(response, 422))["error"]["message"].startswith("PDF could not be parsed")
    assert time.monotonic() - started < 35
    assert (await ok(await client.get("/health")))["ok"] is True
    face = await sync(client, "marta")
    assert face["sync_status"] == "synced" and face["documents_count"] == 1
    listed = await get(client, "/v1/faces/marta/documents")
    assert [d["id"] for d in listed["data"]] == [good]


async def test_delete_a_document_gives_its_tokens_back(client: Client) -> None:
    keep = await upload(client, "marta", "journal_marta.txt")
    drop = await upload(client, "marta", "bio_daniel.txt", perspective="third-person")
    await sync(client, "marta")
    tokens = {
        d["id"]: d["compile_tokens"]
        for d in (await get(client, "/v1/faces/marta/documents"))["data"]
    }
    assert tokens[keep] > 0 and tokens[drop] > 0
    gone = await delete(client, f"/v1/faces/marta/documents/{drop}")
    assert gone == {
        "id": drop,
        "object": "document",
        "deleted": True,
        "compile_tokens_returned": tokens[drop],
    }
    remaining = (await get(client, "/v1/faces/marta/documents"))["data"]
    assert [(d["id"], d["compile_tokens"]) for d in remaining] == [(keep, tokens[keep])]
    assert (await get(client, "/v1/faces/marta"))["documents_count"] == 1
    again = await delete(client, f"/v1/faces/marta/documents/{drop}", status=404)
    assert again["error"]["message"] == "Document not found or not owned by you"
    await create(client, "other", "Other")
    wrong_face = await delete(client, f"/v1/faces/other/documents/{keep}", status=404)
    assert wrong_face["error"]["code"] == "document_not_found"


async def test_audio_is_transcribed_by_the_configured_provider(
    gateway: ClientFactory, aiohttp_server: Any
) -> None:
    received: list[dict[str, Any]] = []

    async def transcriptions(request: web.Request) -> web.Response:
        form = await request.post()
        received.append({"model": form["model"], "auth": request.headers.get("Authorization")})
        return web.json_response({"text": "I live in Lisbon. I love hiking in the hills."})

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    server = await aiohttp_server(app)
    client = await gateway(
        {
            "providers": {
                "speech": {
                    "kind": "openai-compatible",
                    "baseUrl": str(server.make_url("/v1")),
                    "apiKey": "sk-speech",
                }
            },
            "uploads": {"transcription": {"provider": "speech", "model": "whisper-1"}},
        }
    )
    await create(client, "marta", "Marta")
    await upload(client, "marta", "memo.m4a", b"\x00fake audio\x00", content_type="audio/mp4")
    assert received == [{"model": "whisper-1", "auth": "Bearer sk-speech"}]
    await sync(client, "marta")
    profile = (await get(client, "/v1/faces/marta/profile"))["data"]["profile"]
    assert "location=Lisbon" in profile and "hiking" in profile
