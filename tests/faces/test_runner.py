"""The compile runner on a real database: progress, resume after a stop or a failure at any
chunk, with exactly the result of an uninterrupted compile; a lost job; a failing document."""

from __future__ import annotations

import asyncio

import pytest

from fased.faces.compile.offline import offline_registry
from fased.faces.compile.registry import ExtractContext
from fased.faces.model import Chunk, Claim
from fased.store.claims import ClaimRecord
from tests.faces.conftest import Backend


def provenance(records: list[ClaimRecord]) -> list[tuple[object, ...]]:
    """Claims without their document id, in a canonical order."""
    return sorted(
        (r.chunk_index, r.key, r.statement, r.quote, r.span_start, r.span_end, r.extractor)
        for r in records
    )


async def reference(backend: Backend, filename: str) -> tuple[str, list[tuple[object, ...]]]:
    """An uninterrupted compile of `filename` on its own face: profile and claims."""
    face = await backend.face("reference")
    await backend.upload(face, filename)
    await backend.documents.sync("owner", "reference")
    await backend.compile_all()
    claims = await backend.faces.claims.for_face("owner", face.id)
    profile = await backend.profile("reference")
    assert profile.count("\n") > 5 and len(claims) > 5
    return profile, provenance(claims)


async def test_progress_is_reported_chunk_by_chunk(backend: Backend) -> None:
    face = await backend.face("marta")
    document = await backend.upload(face, "journal_marta.txt")
    status = await backend.documents.make("owner", document)
    assert status.prepare_status == "preparing" and status.chunks_total > 2
    await backend.compile_all()
    mine = [s for owner, s in backend.events if s.document_id == document and owner == "owner"]
    assert [s.prepare_status for s in mine][:2] == ["pending", "preparing"]
    completed = [s.chunks_completed for s in mine if s.prepare_status == "preparing"]
    assert completed == list(range(status.chunks_total + 1))
    assert mine[-1].prepare_status == "synced"
    assert mine[-1].chunks_completed == status.chunks_total
    assert sum(mine[-1].current_counts.values()) > 5
    assert (await backend.faces.require("owner", "marta")).sync_status == "synced"


@pytest.mark.parametrize("stop_after", [1, 3])
async def test_a_runner_stopped_mid_compile_is_resumed_by_the_next(
    backend: Backend, stop_after: int
) -> None:
    expected_profile, expected_claims = await reference(backend, "journal_marta.txt")
    face = await backend.face("marta")
    document = await backend.upload(face, "journal_marta.txt")
    await backend.documents.make("owner", document)
    first = backend.runner_with(offline_registry())
    task = asyncio.create_task(first.run_once("stopped"))

    def stop(owner: str, status: object) -> None:
        if getattr(status, "chunks_completed", 0) == stop_after:
            task.cancel()  # the process goes away between two chunks

    first.progress_hooks.append(stop)
    with pytest.raises(asyncio.CancelledError):
        await task
    halfway = await backend.documents.status("owner", document)
    assert (halfway.prepare_status, halfway.chunks_completed) == ("preparing", stop_after)
    await first.close()  # frees the jobs it held (a crash: `start` of the next frees them)
    await first.documents.release("stopped")
    await backend.compile_all(backend.runner_with(offline_registry()))
    done = await backend.documents.status("owner", document)
    assert (done.prepare_status, done.chunks_completed) == ("synced", done.chunks_total)
    claims = await backend.faces.claims.for_face("owner", face.id)
    assert provenance(claims) == expected_claims
    assert await backend.profile("marta") == expected_profile


async def test_a_failure_fails_only_its_document_and_make_resumes_it(backend: Backend) -> None:
    expected_profile, expected_claims = await reference(backend, "journal_marta.txt")
    registry = offline_registry()

    def flaky(chunk: Chunk, context: ExtractContext) -> list[Claim]:
        if chunk.index == 2:
            raise ValueError("the model is down")
        return []

    registry.register("flaky", flaky)
    face = await backend.face("marta")
    broken = await backend.upload(face, "journal_marta.txt")
    await backend.documents.make("owner", broken)
    await backend.compile_all(backend.runner_with(registry))
    failed = await backend.documents.status("owner", broken)
    assert (failed.prepare_status, failed.chunks_completed) == ("failed", 2)
    assert failed.error == "the model is down"
    assert (await backend.faces.require("owner", "marta")).sync_status == "failed"
    resumed = await backend.documents.make("owner", broken)
    assert (resumed.prepare_status, resumed.chunks_completed) == ("preparing", 2)
    await backend.compile_all()
    assert (await backend.documents.status("owner", broken)).prepare_status == "synced"
    assert provenance(await backend.faces.claims.for_face("owner", face.id)) == expected_claims
    assert await backend.profile("marta") == expected_profile


async def test_a_document_deleted_mid_compile_is_dropped(backend: Backend) -> None:
    face = await backend.face("marta")
    document = await backend.upload(face, "journal_marta.txt")
    await backend.documents.make("owner", document)
    runner = backend.runner_with(offline_registry())
    deleted: list[str] = []

    def delete_after_first(owner: str, status: object) -> None:
        if getattr(status, "chunks_completed", 0) == 1 and not deleted:
            deleted.append(document)
            asyncio.get_running_loop().create_task(
                backend.documents.delete("owner", "marta", document)
            )

    runner.progress_hooks.append(delete_after_first)
    assert await runner.run_once("w")
    await asyncio.sleep(0.05)
    assert await backend.faces.documents.list("owner", face.id) == []
    assert await backend.faces.claims.for_face("owner", face.id) == []
    assert await backend.profile("marta") == ""


async def test_recompiling_a_synced_document_gives_the_same_result(backend: Backend) -> None:
    face = await backend.face("marta")
    document = await backend.upload(face, "thread_jess.txt", kind="thread")
    await backend.documents.make("owner", document)
    await backend.compile_all()
    before = provenance(await backend.faces.claims.for_face("owner", face.id))
    profile = await backend.profile("marta")
    again = await backend.documents.make("owner", document)
    assert (again.prepare_status, again.chunks_completed) == ("preparing", 0)
    await backend.compile_all()
    assert provenance(await backend.faces.claims.for_face("owner", face.id)) == before
    assert await backend.profile("marta") == profile
