"""Documents, claims and compile jobs in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from fased.store import Database
from fased.store.claims import ClaimRecord, ClaimStore
from fased.store.documents import DocumentDraft, DocumentRecord, DocumentStore, face_sync_status
from fased.store.faces import FaceDraft, FaceRecord, FaceStore
from tests.store.conftest import FakeClock
from tests.store.test_faces import faces_store


@pytest.fixture
def faces(db: Database, clock: FakeClock) -> FaceStore:
    return faces_store(db, clock)


@pytest.fixture
def documents(db: Database, clock: FakeClock) -> DocumentStore:
    counter = itertools.count(1)
    return DocumentStore(db, new_id=lambda: f"doc_{next(counter):04d}", clock=clock)


@pytest.fixture
async def face(faces: FaceStore) -> FaceRecord:
    return await faces.create("owner", FaceDraft("alice", "Alice"))


def claim(index: int, key: str = "beta:value:honesty", component: str = "beta") -> ClaimRecord:
    return ClaimRecord("", index, key, component, "values honesty", "honesty", 0, 7, "test", 0.9)


async def add(documents: DocumentStore, face: FaceRecord, **extra: str) -> DocumentRecord:
    return await documents.add("owner", DocumentDraft(face.id, "document", "{}", **extra))


async def version(faces: FaceStore, face: FaceRecord) -> tuple[int, str | None, int]:
    found = await faces.get("owner", face.id)
    assert found is not None
    return found.version, found.sync_status, found.tokens_charged


async def prepared(documents: DocumentStore, record: DocumentRecord, total: int) -> DocumentRecord:
    made = await documents.prepare(record, chunks_total=total, chunk_tokens=100)
    assert made is not None
    return made


async def test_add_list_get_and_the_face_status(
    documents: DocumentStore, faces: FaceStore, face: FaceRecord
) -> None:
    record = await add(documents, face, label="journal", blob="ab" * 32)
    assert (record.id, record.prepare_status, record.label) == ("doc_0001", "pending", "journal")
    assert await documents.get("owner", record.id) == record
    assert await documents.get("acct_2", record.id) is None
    assert await documents.list("owner", face.id) == [record]
    assert await documents.list("acct_2", face.id) == []
    assert await documents.source("owner", record.id) == "{}"
    assert await version(faces, face) == (1, "pending", 0)
    assert await documents.blob_in_use("ab" * 32)


def test_the_face_status_follows_its_documents() -> None:
    assert face_sync_status(set()) is None
    assert face_sync_status({"synced", "preparing", "pending"}) == "syncing"
    assert face_sync_status({"synced", "pending", "failed"}) == "pending"
    assert face_sync_status({"synced", "failed"}) == "failed"
    assert face_sync_status({"synced"}) == "synced"


async def test_a_job_from_claim_to_finish(
    documents: DocumentStore, faces: FaceStore, face: FaceRecord, db: Database
) -> None:
    record = await prepared(documents, await add(documents, face), 2)
    assert (record.prepare_status, record.chunks_total) == ("preparing", 2)
    assert await version(faces, face) == (1, "syncing", 0)
    job = await documents.claim_next("w1", lease_seconds=60)
    assert job is not None and job.claimed_by == "w1"
    assert await documents.claim_next("w2", lease_seconds=60) is None  # held
    assert await documents.holders() == ["w1"]
    assert await documents.record_chunk(job, "w1", 0, [claim(0)], 10)
    assert await version(faces, face) == (2, "syncing", 10)
    assert not await documents.record_chunk(job, "w1", 0, [claim(0)], 10)  # chunk 0 is done
    assert not await documents.record_chunk(job, "w2", 1, [claim(1)], 10)  # not the holder
    assert await documents.record_chunk(job, "w1", 1, [], 5)  # no claims: same version
    assert await version(faces, face) == (2, "syncing", 15)
    done = await documents.finish(job, "w1")
    assert done is not None and (done.prepare_status, done.chunks_completed) == ("synced", 2)
    assert done.compile_tokens == 15 and done.claimed_by is None
    assert await version(faces, face) == (2, "synced", 15)
    assert await faces.compile_tokens("owner") == {face.id: (15, 15)}
    assert await faces.compile_tokens("acct_2") == {}
    claims = ClaimStore(db)
    assert [c.chunk_index for c in await claims.for_face("owner", face.id)] == [0]
    assert await claims.for_face("acct_2", face.id) == []
    assert await claims.component_counts("owner", job.id) == {"beta": 1}


async def test_a_failed_job_resumes_and_a_synced_one_starts_over(
    documents: DocumentStore, faces: FaceStore, face: FaceRecord, db: Database
) -> None:
    job = await documents.claim_next("w1", lease_seconds=60)
    assert job is None
    record = await prepared(documents, await add(documents, face), 3)
    job = await documents.claim_next("w1", lease_seconds=60)
    assert job is not None and await documents.record_chunk(job, "w1", 0, [claim(0)], 10)
    failed = await documents.finish(job, "w1", error="model down")
    assert failed is not None and (failed.prepare_status, failed.error) == ("failed", "model down")
    assert await version(faces, face) == (2, "failed", 10)
    resumed = await prepared(documents, failed, 3)
    assert (resumed.chunks_completed, resumed.error, resumed.compile_tokens) == (1, None, 10)
    assert await documents.prepare(failed, chunks_total=3, chunk_tokens=100) is None  # raced
    job = await documents.claim_next("w1", lease_seconds=60)
    assert job is not None
    for index in (1, 2):
        assert await documents.record_chunk(job, "w1", index, [claim(index)], 10)
    synced = await documents.finish(job, "w1")
    assert synced is not None
    again = await prepared(documents, synced, 3)
    assert (again.chunks_completed, again.compile_tokens) == (0, 0)
    assert await ClaimStore(db).for_face("owner", face.id) == []
    assert record.id == again.id


async def test_delete_takes_the_claims_and_gives_back_tokens(
    documents: DocumentStore, faces: FaceStore, face: FaceRecord, db: Database
) -> None:
    await prepared(documents, await add(documents, face), 1)
    job = await documents.claim_next("w1", lease_seconds=60)
    assert job is not None and await documents.record_chunk(job, "w1", 0, [claim(0)], 42)
    deleted = await documents.delete("owner", job.id)
    assert deleted is not None and deleted.compile_tokens == 42
    assert await ClaimStore(db).for_face("owner", face.id) == []
    assert await version(faces, face) == (3, None, 42)  # charged stays charged
    assert await faces.compile_tokens("owner") == {face.id: (0, 42)}
    assert await documents.delete("owner", job.id) is None
    assert not await documents.record_chunk(job, "w1", 1, [claim(1)], 1)  # it is gone


async def test_an_expired_claim_is_taken_over_and_release_frees_at_once(
    documents: DocumentStore, face: FaceRecord, clock: FakeClock
) -> None:
    await prepared(documents, await add(documents, face), 1)
    assert await documents.claim_next("w1", lease_seconds=60) is not None
    clock.advance(61)
    stolen = await documents.claim_next("w2", lease_seconds=60)
    assert stolen is not None and stolen.claimed_by == "w2"
    assert await documents.release("w1") == 0
    assert await documents.release("w2") == 1
    assert await documents.claim_next("w3", lease_seconds=60) is not None


async def test_an_import_document_brings_its_claims(
    documents: DocumentStore, faces: FaceStore, face: FaceRecord, db: Database
) -> None:
    draft = DocumentDraft(face.id, "import", '{"type":"import"}', prepare_status="synced")
    record = await documents.add("owner", draft, [claim(0), claim(3)])
    found = await ClaimStore(db).for_face("owner", face.id)
    assert {c.document_id for c in found} == {record.id}
    assert await documents.import_sources("owner", face.id) == [(record.id, '{"type":"import"}')]
    assert await version(faces, face) == (2, "synced", 0)


async def test_workers_never_take_the_same_job(documents: DocumentStore, face: FaceRecord) -> None:
    for _ in range(6):
        await prepared(documents, await add(documents, face), 1)
    taken = await asyncio.gather(
        *(documents.claim_next(f"w{n}", lease_seconds=60) for n in range(8))
    )
    ids = [job.id for job in taken if job is not None]
    assert len(ids) == 6 and len(set(ids)) == 6
