"""`faces.list`, `faces.get`, `compile.status` and `compile` events, against a real compile of
documents uploaded over HTTP (the faces API), seen on the owner's connection only."""

from __future__ import annotations

import asyncio
from typing import Any

from fased.faces.fields import FaceBody
from fased.faces.ingest import Upload
from fased.keys import CHANNEL, DEPS
from tests.conftest import AUTH
from tests.faces.api import CORPUS, Client, create, document_done, get, ok, upload
from tests.ws.conftest import AppFactory, Peer, connect

SMALL_CHUNKS = {"compile": {"chunkTokens": 100}}
OTHER = "acct_someone"


async def compile_events(peer: Peer, document: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The `compile` events of `document` until it is synced or failed (each with its seq)."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not seen or seen[-1]["prepare_status"] not in ("synced", "failed"):
            event = await peer.event("compile")
            assert event["payload"]["document_id"] == document, event  # nobody else's
            seen.append({**event["payload"], "seq": event["seq"]})
    return seen


async def test_faces_list_and_get_match_the_http_api(channel_app: AppFactory) -> None:
    client = await channel_app()
    await create(client, "alice", "Alice", basic_facts={"city": "Porto"})
    peer = await connect(client)
    listed = await peer.ok("faces.list")
    http = await get(client, "/v1/faces")
    assert listed == {"faces": http["data"]}
    assert [f["alias"] for f in listed["faces"]] == ["main", "alice"]
    alice = await peer.ok("faces.get", {"id": "alice"})
    assert alice == await get(client, "/v1/faces/alice")
    assert await peer.ok("faces.get", {"id": alice["id"]}) == alice
    missing = (await peer.call("faces.get", {"id": "ghost"}))["error"]
    assert missing["code"] == "NOT_FOUND" and missing["details"]["code"] == "face_not_found"
    assert missing["message"] == "Face not found or not owned by you"
    refused = (await peer.call("faces.get", {}))["error"]
    assert refused["code"] == "INVALID_REQUEST" and refused["details"]["code"] == "invalid_params"


async def test_compile_events_follow_a_real_compile(channel_app: AppFactory) -> None:
    client = await channel_app(SMALL_CHUNKS)
    peer = await connect(client)
    await create(client, "marta")
    document = await upload(client, "marta", "journal_marta.txt")
    pending = (await peer.event("compile"))["payload"]  # the upload is announced
    assert (pending["document_id"], pending["prepare_status"]) == (document, "pending")
    assert await peer.ok("compile.status", {"documentId": document}) == await get(
        client, f"/v1/compile/documents/{document}"
    )
    made = await ok(await client.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)
    events = await compile_events(peer, document)
    assert made["chunks_total"] > 2
    assert events[0]["prepare_status"] == "preparing" and events[0]["chunks_completed"] == 0
    done = [e["chunks_completed"] for e in events]
    assert done == sorted(done) and done[-1] == made["chunks_total"]
    assert len(set(done)) == made["chunks_total"] + 1  # one event per compiled chunk
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    final = {k: v for k, v in events[-1].items() if k != "seq"}
    assert final["prepare_status"] == "synced" and final["error"] is None
    assert sum(final["current_counts"].values()) > 0 and final["compile_tokens"] > 0
    assert final == await peer.ok("compile.status", {"documentId": document})
    assert final == await document_done(client, document)
    marta = await peer.ok("faces.get", {"id": "marta"})
    assert marta["sync_status"] == "synced" and marta["documents_count"] == 1


async def test_another_owners_faces_and_compiles_stay_hidden(channel_app: AppFactory) -> None:
    client = await channel_app(SMALL_CHUNKS)
    deps = client.app[DEPS]
    peer = await connect(client)
    theirs = await deps.faces.create(OTHER, FaceBody(alias="secret", name="Secret"))
    data = (CORPUS / "journal_marta.txt").read_bytes()
    record = await deps.documents.upload(OTHER, theirs.id, Upload("document", "j.txt", "", data))
    await deps.documents.make(OTHER, record.id)
    await create(client, "mine")
    document = await upload(client, "mine", "bio_daniel.txt")
    await ok(await client.post("/v1/faces/mine/sync", headers=AUTH), 202)
    events = await compile_events(peer, document)  # asserts every event is about ours
    assert events[-1]["prepare_status"] == "synced"
    async with asyncio.timeout(30):
        while (await deps.documents.status(OTHER, record.id)).prepare_status != "synced":
            await asyncio.sleep(0.02)
    assert [f["alias"] for f in (await peer.ok("faces.list"))["faces"]] == ["main", "mine"]
    for method, params in (("faces.get", {"id": "secret"}), ("faces.get", {"id": theirs.id})):
        assert (await peer.call(method, params))["error"]["code"] == "NOT_FOUND"
    hidden = (await peer.call("compile.status", {"documentId": record.id}))["error"]
    assert hidden["code"] == "NOT_FOUND" and hidden["details"]["code"] == "document_not_found"
    assert not [e for e in peer.events if e["payload"].get("document_id") == record.id]


async def test_the_compile_hook_is_added_once_and_removed_at_shutdown(
    channel_app: AppFactory,
) -> None:
    client: Client = await channel_app()
    hooks = client.app[DEPS].compiler.progress_hooks
    before = len(hooks)
    await connect(client)
    await connect(client)
    assert len(hooks) == before + 1
    await client.app[CHANNEL].shutdown(1.0)
    assert len(hooks) == before
