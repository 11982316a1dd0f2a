"""Helpers that drive the faces API over HTTP, as a client would (no shortcuts into the app)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.conftest import AUTH

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"
INGEST = FIXTURES / "ingest"
Client = TestClient[Any, Any]


async def ok(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    body = await response.json()
    assert response.status == status, body
    return body


async def create(client: Client, alias: str, name: str = "Marta", **fields: Any) -> Any:
    body = {"alias": alias, "name": name, **fields}
    return await ok(await client.post("/v1/faces", json=body, headers=AUTH), 201)


def form(
    filename: str,
    data: bytes,
    *,
    content_type: str = "application/octet-stream",
    **fields: str,
) -> aiohttp.FormData:
    made = aiohttp.FormData()
    made.add_field("file", data, filename=filename, content_type=content_type)
    for name, value in fields.items():
        made.add_field(name, value)
    return made


async def post_upload(
    client: Client, face: str, filename: str, data: bytes | None = None, **fields: str
) -> aiohttp.ClientResponse:
    data = (CORPUS / filename).read_bytes() if data is None else data
    return await client.post(
        f"/v1/faces/{face}/upload", data=form(filename, data, **fields), headers=AUTH
    )


async def upload(
    client: Client, face: str, filename: str, data: bytes | None = None, **fields: str
) -> str:
    body = await ok(await post_upload(client, face, filename, data, **fields), 201)
    document_id: str = body["data"]["document_id"]
    assert document_id.startswith("doc_")
    return document_id


async def get(client: Client, path: str, status: int = 200, **params: str) -> Any:
    return await ok(await client.get(path, headers=AUTH, params=params), status)


async def sync(client: Client, face: str, timeout: float = 30) -> Any:
    """Sync the face and wait until it is done; the face object at the end."""
    await ok(await client.post(f"/v1/faces/{face}/sync", headers=AUTH), 202)
    return await settled(client, face, timeout)


async def settled(client: Client, face: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await get(client, f"/v1/faces/{face}")
        if found["sync_status"] in ("synced", "failed", None):
            return found
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.02)


async def document_done(client: Client, document: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        status = await get(client, f"/v1/compile/documents/{document}")
        if status["prepare_status"] in ("synced", "failed"):
            return status
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.02)


async def profile(client: Client, face: str, **query: str) -> Any:
    return (await get(client, f"/v1/faces/{face}/profile", **query))["data"]


async def delete(client: Client, path: str, status: int = 200) -> Any:
    return await ok(await client.delete(path, headers=AUTH), status)
