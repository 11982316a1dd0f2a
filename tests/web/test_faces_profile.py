"""What faces say (SPEC §7, §8.4): the profile endpoint is exactly what a chat injects; diff and
neighbors; export and import round trips; synthetic faces."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AUTH, ClientFactory
from tests.faces.api import Client, create, get, ok, profile, sync, upload
from tests.fakes.openai_upstream import TextReply
from tests.web.conftest import Rig

FILES = {
    "marta": ("journal_marta.txt", "document"),
    "priya": ("interview_priya.txt", "document"),
    "jess": ("thread_jess.txt", "thread"),
}


async def compiled(client: Client, *aliases: str) -> None:
    for alias in aliases:
        filename, kind = FILES[alias]
        await create(client, alias, alias.title())
        await upload(client, alias, filename, type=kind)
        assert (await sync(client, alias))["sync_status"] == "synced"


@pytest.fixture
async def client(gateway: ClientFactory) -> Client:
    client = await gateway()
    await compiled(client, "marta", "priya", "jess")
    return client


async def test_the_profile_endpoint_shape_and_budget(client: Client) -> None:
    full = await profile(client, "marta")
    assert set(full) == {"face_id", "alias", "profile", "tokens", "budget", "version"}
    assert (full["alias"], full["budget"]) == ("marta", 2000)
    assert full["profile"].startswith("You are Marta. Speak as Marta")
    for budget in (64, 128, 512):
        small = await profile(client, "marta", budget=str(budget))
        assert 0 < small["tokens"] <= budget
        assert small["profile"].splitlines()[0] == full["profile"].splitlines()[0]
    relevant = await profile(client, "marta", budget="120", query="trains and planes")
    assert "trains" in relevant["profile"]
    for bad in ("0", "x", "100001"):
        response = await client.get(f"/v1/faces/marta/profile?budget={bad}", headers=AUTH)
        assert (await ok(response, 400))["error"]["param"] == "budget"


async def test_a_face_with_nothing_compiled_has_an_empty_profile(client: Client) -> None:
    await create(client, "blank")
    assert (await profile(client, "blank"))["profile"] == ""
    assert (await profile(client, "blank"))["tokens"] == 0


async def test_chat_injects_exactly_the_profile(rig: Rig) -> None:
    client = rig.client
    await compiled(client, "marta")
    question = "Do you like hiking or trains?"
    rig.upstream.queue(TextReply("Trains."), TextReply("Hi."))
    await rig.sdk.chat.completions.create(
        model="marta", messages=[{"role": "user", "content": question}]
    )
    expected = (await profile(client, "marta", query=question))["profile"]
    assert rig.system_sent() == expected
    await create(client, "plain", "Plain")
    await rig.sdk.chat.completions.create(
        model="plain", messages=[{"role": "user", "content": "hi"}]
    )
    assert rig.system_sent() is None  # nothing compiled: a plain assistant


async def test_diff_compares_every_pair(client: Client) -> None:
    data = (await get(client, "/v1/faces/diff", faces="marta,priya,jess"))["data"]
    assert [f["alias"] for f in data["faces"]] == ["marta", "priya", "jess"]
    assert [p["faces"] for p in data["pairs"]] == [
        ["marta", "priya"],
        ["marta", "jess"],
        ["priya", "jess"],
    ]
    overall = data["overall"]
    assert [overall[i][i] for i in range(3)] == [1.0, 1.0, 1.0]
    assert all(overall[i][j] == overall[j][i] for i in range(3) for j in range(3))
    assert set(data["components"]) == {"alpha", "beta", "delta", "epsilon"}
    assert data["pairs"][0]["overall"] == overall[0][1]
    assert (await get(client, "/v1/faces/diff", status=400, faces="marta"))["error"]["param"]
    missing = await get(client, "/v1/faces/diff", status=404, faces="marta,ghost")
    assert missing["error"]["message"] == "Face not found or not owned by you"


async def test_neighbors_nearest_and_furthest(client: Client) -> None:
    nearest = (await get(client, "/v1/faces/marta/neighbors", k="2"))["data"]
    assert (nearest["alias"], nearest["direction"]) == ("marta", "nearest")
    scores = [n["score"] for n in nearest["neighbors"]]
    assert len(scores) == 2 and scores == sorted(scores, reverse=True)
    assert "marta" not in [n["alias"] for n in nearest["neighbors"]]
    furthest = await get(client, "/v1/faces/marta/neighbors", direction="furthest", k="1")
    assert furthest["data"]["neighbors"][0]["score"] <= scores[-1]
    await get(client, "/v1/faces/marta/neighbors", status=400, direction="sideways")
    await get(client, "/v1/faces/marta/neighbors", status=400, k="0")


async def import_card(client: Client, card: Any, alias: str, status: int = 201) -> Any:
    response = await client.post(f"/v1/faces/import?alias={alias}", json=card, headers=AUTH)
    return await ok(response, status)


def without_sources(card: dict[str, Any]) -> dict[str, Any]:
    primitives = [{**p, "sources": []} for p in card["primitives"]]
    claims = [{**c, "document_id": ""} for c in card["claims"]]
    face = {**card["face"], "alias": ""}
    return {**card, "face": face, "primitives": primitives, "claims": claims}


async def test_fased_json_round_trip(client: Client) -> None:
    card = await get(client, "/v1/faces/marta/export", format="fased")
    assert card["format"] == "fased.face/v1" and card["claims"] and card["primitives"]
    copy = await import_card(client, card, "marta-copy")
    assert copy["name"] == "Marta" and copy["component_counts"] is not None
    for budget in ("64", "500", "4000"):
        original = (await profile(client, "marta", budget=budget))["profile"]
        assert (await profile(client, "marta-copy", budget=budget))["profile"] == original
    again = await get(client, "/v1/faces/marta-copy/export")
    assert without_sources(again) == without_sources(card)
    documents = (await get(client, "/v1/faces/marta-copy/documents"))["data"]
    assert [(d["type"], d["prepare_status"]) for d in documents] == [("import", "synced")]
    taken = await import_card(client, card, "marta-copy", status=409)
    assert taken["error"]["code"] == "alias_taken"


async def test_character_card_round_trip(client: Client) -> None:
    card = await get(client, "/v1/faces/jess/export", format="ccv2")
    assert card["spec"] == "chara_card_v2" and card["data"]["mes_example"]
    await import_card(client, card, "jess-copy")
    assert (await profile(client, "jess-copy"))["profile"] == (await profile(client, "jess"))[
        "profile"
    ]
    again = await get(client, "/v1/faces/jess-copy/export", format="ccv2")
    visible = ("name", "description", "personality", "mes_example", "system_prompt")
    assert {k: again["data"][k] for k in visible} == {k: card["data"][k] for k in visible}


async def test_a_foreign_card_and_bad_cards(client: Client) -> None:
    foreign = {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": {
            "name": "Captain Ro",
            "description": "Age: 41\nShe values loyalty above all. She commands a cargo ship.",
            "personality": "Speaks in short orders. Laughs rarely.",
            "mes_example": "<START>\n{{user}}: Status?\n{{char}}: Holding course. Coffee's cold.",
        },
    }
    face = await import_card(client, foreign, "ro")
    assert face["basic_facts"]["age"]["value"] == "41"
    text = (await profile(client, "ro"))["profile"]
    assert text.startswith("You are Captain Ro.") and "loyalty" in text
    assert "Coffee's cold." in text
    bad = await import_card(client, {"hello": "world"}, "x", status=422)
    assert "Not a face card" in bad["error"]["message"]
    invalid = await import_card(client, {"format": "fased.face/v1", "face": {}}, "y", status=422)
    assert "Invalid Fased face card" in invalid["error"]["message"]
    unknown = await client.get("/v1/faces/marta/export?format=pdf", headers=AUTH)
    assert (await ok(unknown, 422))["error"]["param"] == "format"


async def test_a_synthetic_face_combines_its_operands(client: Client) -> None:
    mix = await create(client, "mix", "Mix", formula="marta | jess")
    assert mix["formula"] == "marta | jess" and mix["component_counts"]
    marta = await get(client, "/v1/faces/marta")
    jess = await get(client, "/v1/faces/jess")
    total = sum(mix["component_counts"].values())
    assert (
        max(sum(marta["component_counts"].values()), sum(jess["component_counts"].values())) < total
    )
    text = (await profile(client, "mix", budget="4000"))["profile"]
    assert text.startswith("You are Mix.") and "location=Lisbon" in text
    only = await create(client, "only", "Only", formula="marta - jess")
    assert sum(only["component_counts"].values()) <= sum(marta["component_counts"].values())
    nested = await client.post(
        "/v1/faces", json={"alias": "n", "name": "N", "formula": "mix | marta"}, headers=AUTH
    )
    assert (await ok(nested, 422))["error"]["code"] == "nested_formula"
    upload_to_mix = await client.post("/v1/faces/mix/sync", headers=AUTH)
    assert (await ok(upload_to_mix, 422))["error"]["code"] == "synthetic_face"
