"""The faces API over HTTP (SPEC §7): create, list, get, patch, delete; shapes and status codes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AUTH, ClientFactory
from tests.faces.api import Client, create, delete, get, ok

FACE_KEYS = {
    "id", "alias", "object", "name", "basic_facts", "default_model", "formula", "description",
    "profile_addendum", "sync_status", "component_counts", "documents_count", "created_at",
    "updated_at",
}  # fmt: skip
AGENTS = {
    "agents": {
        "list": [
            {"id": "main", "name": "Assistant"},
            {"id": "ada", "name": "Ada Lovelace", "basic_facts": {"Born": "1815, London"}},
        ]
    }
}


@pytest.fixture
async def client(gateway: ClientFactory) -> Client:
    return await gateway(AGENTS)


async def test_create_returns_the_face_object(client: Client) -> None:
    face = await create(
        client,
        "alice",
        "Alice",
        basic_facts={"Age": 30, "homeTown": "Porto", "likes": {"value": "jazz"}},
        description="A test face",
        profile_addendum="Keep it short.",
    )
    assert set(face) == FACE_KEYS
    assert face["id"].startswith("face_") and face["object"] == "face"
    assert face["basic_facts"] == {
        "age": {"value": "30", "status": "stated", "identification": "user-provided"},
        "home_town": {"value": "Porto", "status": "stated", "identification": "user-provided"},
        "likes": {"value": "jazz", "status": "stated", "identification": "user-provided"},
    }
    assert (face["default_model"], face["sync_status"], face["component_counts"]) == (
        "echo",
        None,
        None,
    )
    assert (face["documents_count"], face["profile_addendum"]) == (0, "Keep it short.")
    assert await get(client, f"/v1/faces/{face['id']}") == face
    assert await get(client, "/v1/faces/alice") == face


async def test_config_agents_are_the_owners_faces(client: Client) -> None:
    listed = await get(client, "/v1/faces")
    assert listed["object"] == "list"
    assert [f["alias"] for f in listed["data"]] == ["main", "ada"]
    ada = listed["data"][1]
    assert ada["basic_facts"]["born"]["value"] == "1815, London"
    assert ada["default_model"] is None  # follows models.default


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"alias": "alice", "name": "Again"}, 409, "alias_taken"),
        ({"alias": "Bad Alias", "name": "X"}, 422, "invalid_alias"),
        ({"alias": "import", "name": "X"}, 422, "invalid_alias"),
        ({"alias": "echo", "name": "X"}, 422, "invalid_alias"),
        ({"alias": "x1", "name": "X", "default_model": "nope"}, 422, "model_not_found"),
        ({"alias": "x2", "name": "X", "basic_facts": {"bio": "y" * 501}}, 422, "fact_too_long"),
        ({"alias": "x3", "name": "X", "formula": "alice |"}, 422, "formula_syntax_error"),
        ({"alias": "x4", "name": "X", "formula": "alice | ghost"}, 422, "unknown_face"),
        ({"alias": "x5"}, 400, "invalid_request"),
        ({"alias": "x6", "name": "X", "basic_facts": ["a"]}, 400, "invalid_request"),
    ],
)
async def test_create_rules(client: Client, body: dict[str, Any], status: int, code: str) -> None:
    await create(client, "alice", "Alice")
    response = await client.post("/v1/faces", json=body, headers=AUTH)
    error = (await ok(response, status))["error"]
    assert error["code"] == code and error["message"]


async def test_a_body_that_is_not_json_is_400(client: Client) -> None:
    response = await client.post("/v1/faces", data=b"{nope", headers=AUTH)
    assert response.status == 400


async def test_patch_changes_fields_and_bumps_updated_at(client: Client) -> None:
    face = await create(client, "alice", "Alice", basic_facts={"age": "30", "city": "Porto"})
    body = {"name": "Alicia", "alias": "alicia", "basic_facts": {"age": None, "Pet": "cat"}}
    patched = await ok(await client.patch("/v1/faces/alice", json=body, headers=AUTH))
    assert (patched["id"], patched["alias"], patched["name"]) == (face["id"], "alicia", "Alicia")
    assert {k: v["value"] for k, v in patched["basic_facts"].items()} == {
        "city": "Porto",
        "pet": "cat",
    }
    await get(client, "/v1/faces/alice", status=404)
    response = await client.patch("/v1/faces/alicia", json={"alias": "ada"}, headers=AUTH)
    assert (await ok(response, 409))["error"]["code"] == "alias_taken"
    cleared = await client.patch("/v1/faces/alicia", json={"profile_addendum": None}, headers=AUTH)
    assert (await ok(cleared))["profile_addendum"] is None


async def test_delete_then_not_found(client: Client) -> None:
    face = await create(client, "alice", "Alice")
    gone = await delete(client, "/v1/faces/alice")
    assert gone == {"id": face["id"], "alias": "alice", "object": "face", "deleted": True}
    error = (await get(client, f"/v1/faces/{face['id']}", status=404))["error"]
    assert error["message"] == "Face not found or not owned by you"
    assert (await delete(client, "/v1/faces/alice", status=404))["error"][
        "code"
    ] == "face_not_found"


async def test_faces_are_models_for_chat(client: Client) -> None:
    await create(client, "alice", "Alice")
    models = await get(client, "/v1/models")
    assert {"alice", "main", "ada"} <= {m["id"] for m in models["data"] if m["owned_by"] == "fased"}


async def test_unauthenticated_is_401(client: Client) -> None:
    assert (await client.get("/v1/faces")).status == 401
