"""Compiling over HTTP (SPEC §8): make, status, sync; the properties of §8.1 on the rendered
profile (delete ≡ never added, order independence, idempotent recompile); resume after the
gateway stops mid-compile; the LLM compiler against a fake upstream."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from fased.faces.compile.llm import INSTRUCTIONS
from tests.conftest import AUTH, ClientFactory
from tests.faces.api import (
    CORPUS,
    Client,
    create,
    delete,
    document_done,
    get,
    ok,
    profile,
    sync,
    upload,
)
from tests.fakes.openai_upstream import TextReply, serve_fake_openai

STATUS_KEYS = {
    "document_id", "face_id", "prepare_status", "chunks_total", "chunks_completed",
    "current_counts", "compile_tokens", "error",
}  # fmt: skip
SMALL_CHUNKS = {"compile": {"chunkTokens": 100}}
BUDGETS = ("64", "300", "4096")


@pytest.fixture
async def client(gateway: ClientFactory) -> Client:
    return await gateway(SMALL_CHUNKS)


async def profiles(client: Client, face: str) -> list[str]:
    """The profile at several budgets and with and without a query."""
    texts = [(await profile(client, face, budget=b))["profile"] for b in BUDGETS]
    texts.append((await profile(client, face, budget="200", query="hiking trains"))["profile"])
    return texts


async def test_make_then_status_until_synced(client: Client) -> None:
    await create(client, "marta")
    document = await upload(client, "marta", "journal_marta.txt")
    pending = await get(client, f"/v1/compile/documents/{document}")
    assert set(pending) == STATUS_KEYS and pending["prepare_status"] == "pending"
    made = await ok(await client.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)
    assert made["document_id"] == document and made["status"] == "preparing"
    assert made["chunks_total"] > 2
    done = await document_done(client, document)
    assert (done["prepare_status"], done["chunks_completed"]) == ("synced", made["chunks_total"])
    assert done["error"] is None and done["compile_tokens"] > 0
    assert set(done["current_counts"]) == {"alpha", "beta", "delta", "epsilon"}
    assert done["current_counts"]["alpha"] > 0
    face = await get(client, "/v1/faces/marta")
    assert face["sync_status"] == "synced"
    assert sum(face["component_counts"].values()) >= sum(done["current_counts"].values())


async def test_make_on_unknown_or_imported_documents(client: Client) -> None:
    missing = await client.post("/v1/compile/documents/doc_nope/make", headers=AUTH)
    assert (await ok(missing, 404))["error"]["message"] == "Document not found or not owned by you"
    await get(client, "/v1/compile/documents/doc_nope", status=404)
    await create(client, "marta")
    card = await get(client, "/v1/faces/marta/export")
    await ok(await client.post("/v1/faces/import?alias=copy", json=card, headers=AUTH), 201)
    await upload(client, "marta", "journal_marta.txt")
    await sync(client, "marta")
    card = await get(client, "/v1/faces/marta/export")
    await ok(await client.post("/v1/faces/import?alias=copy2", json=card, headers=AUTH), 201)
    imported = (await get(client, "/v1/faces/copy2/documents"))["data"]
    assert [d["type"] for d in imported] == ["import"]
    refused = await client.post(f"/v1/compile/documents/{imported[0]['id']}/make", headers=AUTH)
    assert (await ok(refused, 409))["error"]["code"] == "nothing_to_compile"


async def test_sync_shows_syncing_until_every_document_is_done(client: Client) -> None:
    await create(client, "marta")
    for name in ("journal_marta.txt", "bio_daniel.txt", "interview_priya.txt"):
        await upload(client, "marta", name)
    started = await ok(await client.post("/v1/faces/marta/sync", headers=AUTH), 202)
    assert started["data"]["sync_status"] == "syncing"
    assert [d["prepare_status"] for d in started["data"]["documents"]] == ["preparing"] * 3
    face = await sync(client, "marta")  # nothing pending now: waits for the running compile
    assert face["sync_status"] == "synced" and face["documents_count"] == 3
    again = await ok(await client.post("/v1/faces/marta/sync", headers=AUTH), 202)
    assert again["data"]["documents"] == [] and again["data"]["sync_status"] == "synced"


async def test_delete_is_exactly_never_having_added(client: Client) -> None:
    await create(client, "both")
    await upload(client, "both", "journal_marta.txt")
    extra = await upload(client, "both", "interview_priya.txt")
    await sync(client, "both")
    with_both = await profiles(client, "both")
    version = (await profile(client, "both"))["version"]
    await delete(client, f"/v1/faces/both/documents/{extra}")
    assert (await profile(client, "both"))["version"] > version
    await create(client, "only")
    await upload(client, "only", "journal_marta.txt")
    await sync(client, "only")
    assert await profiles(client, "both") == await profiles(client, "only")
    assert with_both != await profiles(client, "only")


async def test_the_order_of_uploads_does_not_matter(client: Client) -> None:
    files = ("journal_marta.txt", "thread_jess.txt", "interview_priya.txt")
    for alias, order in (("forward", files), ("backward", files[::-1])):
        await create(client, alias)
        for name in order:
            kind = "thread" if name.startswith("thread") else "document"
            await upload(client, alias, name, type=kind)
        await sync(client, alias)
    assert await profiles(client, "forward") == await profiles(client, "backward")


async def test_recompiling_changes_nothing(client: Client) -> None:
    await create(client, "marta")
    document = await upload(client, "marta", "journal_marta.txt")
    await sync(client, "marta")
    before = await profiles(client, "marta")
    await ok(await client.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)
    assert (await document_done(client, document))["prepare_status"] == "synced"
    assert await profiles(client, "marta") == before


def long_document() -> bytes:
    """About two hundred chunks of 100 tokens: a compile that takes a while."""
    parts = [(CORPUS / name).read_text() for name in ("journal_marta.txt", "bio_daniel.txt")]
    return "\n\n".join(f"Part {n}.\n\n{parts[n % 2]}" for n in range(60)).encode()


async def test_a_gateway_stopped_mid_compile_finishes_the_job_after_restart(
    gateway: ClientFactory,
) -> None:
    first = await gateway(SMALL_CHUNKS)
    await create(first, "marta")
    document = await upload(first, "marta", "long.txt", long_document())
    made = await ok(await first.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)
    while (status := await get(first, f"/v1/compile/documents/{document}"))["chunks_completed"] < 5:
        await asyncio.sleep(0.005)
    await first.close()  # the gateway stops mid-compile
    assert status["chunks_completed"] < made["chunks_total"], "compiled before the stop"
    second = await gateway(SMALL_CHUNKS)  # same state dir: a restart
    done = await document_done(second, document, timeout=60)
    assert (done["prepare_status"], done["chunks_completed"]) == ("synced", made["chunks_total"])
    await create(second, "reference")
    reference = await upload(second, "reference", "long.txt", long_document())
    await sync(second, "reference", timeout=60)
    assert (await document_done(second, reference))["compile_tokens"] == done["compile_tokens"]
    assert await profiles(second, "marta") == await profiles(second, "reference")


# -- the LLM compiler -------------------------------------------------------------------------

CHUNK = "I grew up in Braga. I have worked as a nurse for eleven years and I value honesty."


def llm_answer(*claims: dict[str, Any]) -> TextReply:
    return TextReply(orjson.dumps({"claims": list(claims)}).decode())


def answered(quote: str, statement: str, **extra: Any) -> dict[str, Any]:
    base = {
        "component": "beta",
        "slot": "value",
        "qualifier": "honesty",
        "statement": statement,
        "quote": quote,
        "confidence": 0.9,
        "fact_name": None,
        "fact_value": None,
    }
    return {**base, **extra}


@pytest.fixture
async def llm(gateway: ClientFactory, aiohttp_server: Any) -> tuple[Client, Any]:
    upstream = await serve_fake_openai(aiohttp_server)
    client = await gateway(
        {
            "providers": {
                "local": {"kind": "openai-compatible", "baseUrl": upstream.base_url, "apiKey": "k"}
            },
            "models": {"catalog": [{"id": "small", "provider": "local", "upstreamId": "tiny"}]},
            "compile": {"model": "small"},
        }
    )
    await create(client, "marta")
    return client, upstream


async def test_the_llm_compiler_keeps_only_claims_quoted_from_the_chunk(
    llm: tuple[Client, Any],
) -> None:
    client, upstream = llm
    upstream.queue(
        llm_answer(
            answered("I value honesty", "values honesty"),
            answered("I value loyalty above all", "values loyalty", qualifier="loyalty"),
            answered(
                "worked as a nurse",
                "nurse",
                component="alpha",
                slot="fact",
                qualifier="occupation",
                fact_name="occupation",
                fact_value="nurse",
            ),
        )
    )
    await upload(client, "marta", "note.txt", CHUNK.encode())
    face = await sync(client, "marta")
    assert face["sync_status"] == "synced"
    sent = upstream.requests[-1].body
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "claims"
    assert sent["temperature"] == 0 and sent["model"] == "tiny"
    assert sent["messages"][0] == {"role": "system", "content": INSTRUCTIONS}
    assert CHUNK in sent["messages"][1]["content"]
    card = await get(client, "/v1/faces/marta/export")
    claims = {(c["key"], c["quote"], c["extractor"]) for c in card["claims"]}
    assert claims == {
        ("beta:value:honesty", "I value honesty", "llm:small"),
        ("alpha:fact:occupation", "worked as a nurse", "llm:small"),
    }
    text = (await profile(client, "marta"))["profile"]
    assert "occupation=nurse" in text and "β values honesty" in text and "loyalty" not in text


async def test_an_llm_answer_that_is_not_json_fails_the_document_until_made_again(
    llm: tuple[Client, Any],
) -> None:
    client, upstream = llm
    upstream.queue(TextReply("Sure! Here are the claims: honesty."))
    document = await upload(client, "marta", "note.txt", CHUNK.encode())
    face = await sync(client, "marta")
    assert face["sync_status"] == "failed"
    failed = await get(client, f"/v1/compile/documents/{document}")
    assert "did not answer with the JSON asked for" in failed["error"]
    upstream.queue(llm_answer(answered("I value honesty", "values honesty")))
    await ok(await client.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)
    assert (await document_done(client, document))["prepare_status"] == "synced"
    assert (await get(client, "/v1/faces/marta"))["sync_status"] == "synced"
