"""`GET /v1/models` and `GET /v1/models/{id}` (SPEC §5.4)."""

from __future__ import annotations

from tests.conftest import AUTH
from tests.web.conftest import Rig


async def test_lists_catalog_and_own_faces(rig: Rig) -> None:
    page = await rig.sdk.models.list()
    owners = {model.id: model.owned_by for model in page.data}
    assert owners["small"] == "local"
    assert owners["echo"] == "echo"
    assert owners["gpt-4o-mini"] == "openai"
    assert owners["claude-sonnet-4-6"] == "anthropic"
    assert owners["main"] == owners["beta"] == "fased"


async def test_one_model_by_id_including_slashes(rig: Rig) -> None:
    model = await rig.sdk.models.retrieve("accounts/fireworks/models/llama-v3p1-8b-instruct")
    assert model.owned_by == "fireworks"
    assert (await rig.sdk.models.retrieve("beta")).owned_by == "fased"


async def test_unknown_model_is_404(rig: Rig) -> None:
    response = await rig.client.get("/v1/models/nope", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "model_not_found"


async def test_models_need_auth(rig: Rig) -> None:
    assert (await rig.client.get("/v1/models")).status == 401
