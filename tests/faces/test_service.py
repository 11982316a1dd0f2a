"""The face service: ownership, field rules, the config's faces, the lookup cache, personas."""

from __future__ import annotations

import asyncio

import pytest

from fased.canonical import Message, TextPart
from fased.config import AgentSettings, AgentsSettings
from fased.errors import Conflict, NotFound, Unprocessable
from fased.faces.face import Face
from fased.faces.fields import FaceBody, FacePatch, snake_case
from fased.faces.lookup import FaceCache
from fased.faces.persona import recent_user_text
from tests.faces.conftest import Backend


async def test_another_owners_face_is_not_found(backend: Backend) -> None:
    face = await backend.face("alice", owner="acct_a")
    document = await backend.upload(face, "journal_marta.txt", owner="acct_a")
    faces, documents = backend.faces, backend.documents
    for ref in ("alice", face.id):
        assert await faces.get("acct_b", ref) is None
        with pytest.raises(NotFound, match="Face not found or not owned by you"):
            await faces.patch("acct_b", ref, FacePatch(name="Eve"))
        with pytest.raises(NotFound, match="Face not found or not owned by you"):
            await faces.delete("acct_b", ref)
        with pytest.raises(NotFound, match="Face not found or not owned by you"):
            await documents.list("acct_b", ref)
    assert await faces.list("acct_b") == []
    with pytest.raises(NotFound, match="Document not found or not owned by you"):
        await documents.make("acct_b", document)
    with pytest.raises(NotFound, match="Document not found or not owned by you"):
        await documents.status("acct_b", document)
    with pytest.raises(NotFound):
        await faces.persona("acct_b", face, "", 500)
    same_alias = await backend.face("alice", owner="acct_b")  # aliases are per owner
    assert same_alias.id != face.id


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("Alice", "Invalid alias"),
        ("-alice", "Invalid alias"),
        ("a" * 65, "Invalid alias"),
        ("al ice", "Invalid alias"),
        ("fased", "reserved"),
        ("default", "reserved"),
        ("diff", "reserved"),
        ("import", "reserved"),
        ("echo", "model id in the catalog"),
        ("gpt-4o-mini", "model id in the catalog"),
    ],
)
async def test_alias_rules(backend: Backend, alias: str, reason: str) -> None:
    with pytest.raises(Unprocessable, match=reason) as caught:
        await backend.faces.create("owner", FaceBody(alias=alias, name="X"))
    assert caught.value.code == "invalid_alias"


async def test_a_duplicate_alias_is_a_conflict(backend: Backend) -> None:
    await backend.face("alice")
    with pytest.raises(Conflict, match="already have a face with alias 'alice'"):
        await backend.face("alice")
    bob = await backend.face("bob")
    with pytest.raises(Conflict):
        await backend.faces.patch("owner", bob.id, FacePatch(alias="alice"))


def test_fact_names_become_snake_case() -> None:
    assert [snake_case(n) for n in ("Home Town", "homeTown", "home-town", " AGE ")] == [
        "home_town",
        "home_town",
        "home_town",
        "age",
    ]


async def test_basic_facts_are_normalised_and_patched_as_a_merge(backend: Backend) -> None:
    body = FaceBody(alias="alice", name="Alice", basic_facts={"Home Town": "Porto", "age": 30})
    face = await backend.faces.create("owner", body)
    assert dict(face.basic_facts) == {"home_town": "Porto", "age": "30"}
    assert {(f.status, f.identification) for f in face.facts} == {("stated", "user-provided")}
    patched = await backend.faces.patch(
        "owner", "alice", FacePatch(basic_facts={"homeTown": "Lisbon", "Age": None, "pet": "cat"})
    )
    assert dict(patched.basic_facts) == {"home_town": "Lisbon", "pet": "cat"}
    assert patched.version == face.version + 1
    with pytest.raises(Unprocessable, match="at most 500"):
        await backend.faces.patch("owner", "alice", FacePatch(basic_facts={"bio": "x" * 501}))
    with pytest.raises(Unprocessable, match="collide"):
        await backend.faces.patch("owner", "alice", FacePatch(basic_facts={"a b": "1", "a_b": "2"}))


async def test_default_model_is_copied_and_checked(backend: Backend) -> None:
    assert (await backend.face("alice")).default_model == "echo"
    with pytest.raises(Unprocessable, match="not in the catalog"):
        await backend.faces.create("owner", FaceBody(alias="bob", name="B", default_model="nope"))
    backend.faces.default_model = "gpt-4o-mini"
    assert (await backend.face("carol")).default_model == "gpt-4o-mini"
    face = await backend.faces.require("owner", "carol")
    assert backend.faces.llm_for(face) == "gpt-4o-mini"


async def test_config_agents_become_faces_and_follow_reloads(backend: Backend) -> None:
    await backend.face("ada", name="Ada (made by API)")
    agents = AgentsSettings(
        list=(
            AgentSettings(id="main", name="Assistant"),
            AgentSettings(id="ada", name="Ada Lovelace"),
            AgentSettings(id="beta", name="Beta", model="echo", basic_facts={"City": "Lisbon"}),
        )
    )
    backend.faces.configure(backend.faces.catalog, "echo", agents)
    await backend.faces.close()  # the background sync is done
    faces = {face.alias: face for face in await backend.faces.list("owner")}
    assert set(faces) == {"main", "ada", "beta"}
    assert faces["ada"].name == "Ada (made by API)"  # never touched
    assert (faces["beta"].origin, dict(faces["beta"].basic_facts)) == ("config", {"city": "Lisbon"})
    assert faces["beta"].default_model == "echo"
    renamed = AgentsSettings(list=(AgentSettings(id="beta", name="Beta Two"),))
    backend.faces.configure(backend.faces.catalog, "echo", renamed)
    await backend.faces.close()
    beta = await backend.faces.require("owner", "beta")
    assert (beta.name, beta.id, beta.default_model) == ("Beta Two", faces["beta"].id, None)


async def test_the_lookup_cache_serves_a_snapshot_until_its_ttl() -> None:
    loads: list[str] = []
    now = [0.0]
    faces = [Face("face_1", "alice", "owner", "Alice")]

    async def load(owner: str) -> list[Face]:
        loads.append(owner)
        await asyncio.sleep(0)
        return list(faces)

    cache = FaceCache(load, ttl=2.0, clock=lambda: now[0])
    found = await asyncio.gather(*(cache.owner("owner") for _ in range(5)))
    assert loads == ["owner"] and all(f.find("alice") for f in found)  # one load for all
    faces.append(Face("face_2", "bob", "owner", "Bob"))
    now[0] = 1.9
    assert (await cache.owner("owner")).find("bob") is None  # another process's change…
    now[0] = 2.0
    assert (await cache.owner("owner")).find("BOB") is not None  # …seen within the TTL
    cache.invalidate("owner")  # this process's own writes: at once
    await cache.owner("owner")
    assert loads == ["owner"] * 3
    assert (await cache.owner("owner")).find("face_1") is not None


async def test_a_face_with_nothing_has_no_persona(backend: Backend) -> None:
    face = await backend.face("plain")
    assert await backend.faces.persona("owner", face, "hello", 2000) == ""
    facts = await backend.faces.patch("owner", "plain", FacePatch(basic_facts={"city": "Porto"}))
    persona = await backend.faces.persona("owner", facts, "hello", 2000)
    assert persona.startswith("You are Marta.") and persona.endswith("@facts city=Porto")


async def test_the_persona_is_rendered_once_per_version_and_query(backend: Backend) -> None:
    face = await backend.face("marta")
    await backend.upload(face, "journal_marta.txt")
    await backend.documents.sync("owner", "marta")
    await backend.compile_all()
    face = await backend.faces.require("owner", "marta")
    profiles = backend.faces.personas.profiles
    first = await backend.faces.persona("owner", face, "hiking trains", 300)
    hits = profiles.hits
    assert await backend.faces.persona("owner", face, "trains hiking", 300) == first
    assert profiles.hits == hits + 1
    assert "β loves hiking" in first


def test_recent_user_text_takes_the_last_user_turns() -> None:
    def said(role: str, text: str) -> Message:
        return Message(role, (TextPart(text),))  # type: ignore[arg-type]

    messages = [said("user", "one"), said("assistant", "x"), said("user", "two")]
    messages += [said("user", "three"), said("user", "four")]
    assert recent_user_text(messages) == "two\nthree\nfour"


async def test_synthetic_faces_evaluate_their_formula(backend: Backend) -> None:
    marta = await backend.face("marta")
    await backend.upload(marta, "journal_marta.txt")
    jess = await backend.face("jess", name="Jess")
    await backend.upload(jess, "thread_jess.txt", kind="thread")
    for alias in ("marta", "jess"):
        await backend.documents.sync("owner", alias)
    await backend.compile_all()
    mix = await backend.faces.create(
        "owner", FaceBody(alias="mix", name="Mix", formula="marta | jess")
    )
    primitives = await backend.faces.personas.primitives(mix)
    marta_keys = {p.key for p in await backend.faces.personas.primitives(marta)}
    jess_keys = {p.key for p in await backend.faces.personas.primitives(jess)}
    assert {p.key for p in primitives} == marta_keys | jess_keys
    with pytest.raises(Unprocessable, match="cannot be nested"):
        await backend.faces.create("owner", FaceBody(alias="x", name="X", formula="mix & marta"))
    with pytest.raises(Unprocessable, match="Unknown face alias"):
        await backend.faces.create("owner", FaceBody(alias="y", name="Y", formula="nobody | marta"))
    with pytest.raises(Unprocessable, match="syntax"):
        await backend.faces.create("owner", FaceBody(alias="z", name="Z", formula="marta |"))
    with pytest.raises(Unprocessable, match="synthetic"):
        await backend.upload(mix, "journal_marta.txt")
