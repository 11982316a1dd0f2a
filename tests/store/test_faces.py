"""Faces in the database, on SQLite and PostgreSQL: owner filtering, aliases, versions, the
config sync."""

from __future__ import annotations

import itertools

import pytest

from fased.store import Database
from fased.store.faces import AliasTaken, FaceDraft, FaceStore, FactRecord
from tests.store.conftest import FakeClock


def faces_store(db: Database, clock: FakeClock) -> FaceStore:
    counter = itertools.count(1)
    return FaceStore(db, new_id=lambda: f"face_{next(counter):04d}", clock=clock)


@pytest.fixture
def store(db: Database, clock: FakeClock) -> FaceStore:
    return faces_store(db, clock)


FACTS = (FactRecord("age", "30"), FactRecord("home_town", "Porto"))


async def test_create_get_by_id_or_alias_and_list(store: FaceStore) -> None:
    made = await store.create("owner", FaceDraft("alice", "Alice", FACTS, default_model="echo"))
    assert (made.id, made.alias, made.version, made.sync_status) == ("face_0001", "alice", 1, None)
    by_alias = await store.get("owner", "alice")
    assert by_alias == made
    assert await store.get("owner", "face_0001") == made
    assert by_alias is not None and by_alias.basic_facts == FACTS  # order kept
    await store.create("owner", FaceDraft("bob", "Bob"))
    assert [f.alias for f in await store.list("owner")] == ["alice", "bob"]


async def test_every_lookup_is_filtered_by_owner(store: FaceStore) -> None:
    made = await store.create("owner", FaceDraft("alice", "Alice"))
    assert await store.get("acct_2", "alice") is None
    assert await store.get("acct_2", made.id) is None
    assert await store.list("acct_2") == []
    assert await store.update("acct_2", made.id, {"name": "Eve"}) is None
    assert await store.delete("acct_2", made.id) is None
    assert (await store.get("owner", "alice")) == made


async def test_an_alias_is_unique_per_owner_only(store: FaceStore) -> None:
    await store.create("owner", FaceDraft("alice", "Alice"))
    with pytest.raises(AliasTaken):
        await store.create("owner", FaceDraft("alice", "Other Alice"))
    other = await store.create("acct_2", FaceDraft("alice", "Their Alice"))
    assert other.owner_id == "acct_2"
    bob = await store.create("owner", FaceDraft("bob", "Bob"))
    with pytest.raises(AliasTaken):
        await store.update("owner", bob.id, {"alias": "alice"})


async def test_an_id_match_wins_over_an_alias_match(store: FaceStore) -> None:
    first = await store.create("owner", FaceDraft("alice", "Alice"))
    await store.create("owner", FaceDraft(first.id, "Named like an id"))
    found = await store.get("owner", first.id)
    assert found is not None and found.alias == "alice"


async def test_update_bumps_the_version_and_the_time(store: FaceStore, clock: FakeClock) -> None:
    made = await store.create("owner", FaceDraft("alice", "Alice"))
    clock.advance(10)
    updated = await store.update("owner", made.id, {"name": "Alicia", "basic_facts": FACTS})
    assert updated is not None
    assert (updated.name, updated.basic_facts, updated.version) == ("Alicia", FACTS, 2)
    assert updated.updated_at == made.updated_at + 10
    with pytest.raises(ValueError, match="not updatable"):
        await store.update("owner", made.id, {"version": 9})


async def test_config_sync_upserts_config_faces_and_leaves_api_faces_alone(
    store: FaceStore,
) -> None:
    await store.create("owner", FaceDraft("ada", "Ada (mine)"))
    drafts = [
        FaceDraft("main", "Assistant", origin="config"),
        FaceDraft("ada", "Ada Lovelace", origin="config"),
    ]
    assert await store.sync_config("owner", drafts) == ["ada"]
    main = await store.get("owner", "main")
    assert main is not None and (main.origin, main.version) == ("config", 1)
    assert (await store.get("owner", "ada")).name == "Ada (mine)"  # type: ignore[union-attr]
    changed = [
        FaceDraft("main", "Helper", FACTS, "echo", profile_addendum="Be brief.", origin="config")
    ]
    await store.sync_config("owner", changed)
    again = await store.get("owner", "main")
    assert again is not None
    assert (again.name, again.basic_facts, again.default_model) == ("Helper", FACTS, "echo")
    assert (again.profile_addendum, again.version, again.id) == ("Be brief.", 2, main.id)
    await store.sync_config("owner", changed)  # nothing changed: no new version
    assert (await store.get("owner", "main")).version == 2  # type: ignore[union-attr]


async def test_delete_returns_the_blobs_its_documents_used(store: FaceStore) -> None:
    made = await store.create("owner", FaceDraft("alice", "Alice"))
    assert await store.delete("owner", made.id) == []
    assert await store.get("owner", made.id) is None
    assert await store.delete("owner", made.id) is None
