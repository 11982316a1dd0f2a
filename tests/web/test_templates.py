"""Face templates and synthetic faces (SPEC §9), each rule on each endpoint, asserting what the
fake upstream received."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import AUTH, ClientFactory
from tests.fakes.openai_upstream import FakeOpenAIUpstream, TextReply, serve_fake_openai
from tests.web.conftest import upstream_config

ON = {"enabled": True}
Body = Callable[[str, str, str | None], dict[str, Any]]


def chat_body(model: str, text: str, system: str | None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    return {"model": model, "messages": [*messages, {"role": "user", "content": text}]}


def messages_body(model: str, text: str, system: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }
    return {**body, "system": system} if system else body


def responses_body(model: str, text: str, system: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": [{"role": "user", "content": text}]}
    return {**body, "instructions": system} if system else body


ENDPOINTS: dict[str, tuple[str, Body]] = {
    "chat": ("/v1/chat/completions", chat_body),
    "messages": ("/v1/messages", messages_body),
    "responses": ("/v1/responses", responses_body),
}


@dataclass
class Rig:
    client: TestClient[Any, Any]
    upstream: FakeOpenAIUpstream

    async def send(self, endpoint: str, model: str, text: str, system: str | None = None) -> Any:
        path, body = ENDPOINTS[endpoint]
        self.upstream.queue(TextReply("ok"))
        return await self.client.post(path, json=body(model, text, system), headers=AUTH)

    async def sent(self, endpoint: str, model: str, text: str, system: str | None = None) -> Any:
        response = await self.send(endpoint, model, text, system)
        assert response.status == 200, await response.text()
        messages = self.upstream.requests[-1].body["messages"]
        head = messages[0]["content"] if messages[0]["role"] == "system" else ""
        return head, messages[-1]["content"]

    async def face(self, alias: str, name: str, **extra: Any) -> None:
        body = {"alias": alias, "name": name, **extra}
        response = await self.client.post("/v1/faces", json=body, headers=AUTH)
        assert response.status == 201, await response.text()


@pytest.fixture
async def rig(gateway: ClientFactory, aiohttp_server: Any) -> Rig:
    upstream = await serve_fake_openai(aiohttp_server)
    config = upstream_config(upstream.base_url)
    config["gateway"] = {"http": {"endpoints": {"messages": ON, "responses": ON}}}
    rig = Rig(await gateway(config), upstream)
    await rig.face("alice", "Alice", basic_facts={"city": "Berlin"})
    await rig.face("bob", "Bob", basic_facts={"city": "Lisbon"})
    await rig.face("carol", "Carol", basic_facts={"job": "pilot"})
    return rig


EACH = pytest.mark.parametrize("endpoint", list(ENDPOINTS))


@EACH
async def test_reference_is_named_and_its_profile_added(rig: Rig, endpoint: str) -> None:
    system, user = await rig.sent(endpoint, "alice@small", "Debate ${bob} on cities.")
    assert user == "Debate Bob on cities."
    assert (
        system.index("city=Berlin") < system.index("Profile of Bob") < system.index("city=Lisbon")
    )


@EACH
async def test_system_fields_are_scanned_too(rig: Rig, endpoint: str) -> None:
    system, _ = await rig.sent(endpoint, "small", "hi", system="You moderate ${carol}.")
    assert "You moderate Carol." in system and "job=pilot" in system
    assert system.index("job=pilot") < system.index("You moderate Carol.")


@EACH
async def test_escaped_token_stays_literal(rig: Rig, endpoint: str) -> None:
    system, user = await rig.sent(endpoint, "small", r"Write \${bob} to reference a face.")
    assert user == "Write ${bob} to reference a face."
    assert "Lisbon" not in system


@EACH
async def test_primary_face_is_named_but_not_added_twice(rig: Rig, endpoint: str) -> None:
    system, user = await rig.sent(endpoint, "alice@small", "I am ${alice}.")
    assert user == "I am Alice."
    assert system.count("city=Berlin") == 1 and "Profile of Alice" not in system


@EACH
async def test_bare_model_gets_profiles_as_context_only(rig: Rig, endpoint: str) -> None:
    system, user = await rig.sent(endpoint, "small", "Compare ${alice} and ${bob}.")
    assert user == "Compare Alice and Bob."
    assert system.startswith("Profile of Alice") and "Profile of Bob" in system


@EACH
async def test_unknown_names_are_422_listing_all(rig: Rig, endpoint: str) -> None:
    response = await rig.send(endpoint, "small", "${zed} meets ${bob} and ${yan}.")
    assert response.status == 422
    text = await response.text()
    assert "${zed}" in text and "${yan}" in text and "${bob}" not in text
    assert rig.upstream.requests == []


@EACH
async def test_expansion_is_single_pass(rig: Rig, endpoint: str) -> None:
    await rig.face("dan", "Dan", basic_facts={"motto": "ask ${carol}"})
    system, _ = await rig.sent(endpoint, "small", "Hello ${dan}.")
    assert "motto=ask ${carol}" in system and "job=pilot" not in system


@EACH
async def test_synthetic_faces_in_templates_and_as_models(rig: Rig, endpoint: str) -> None:
    await rig.face("duo", "Duo", formula="alice | bob")
    system, user = await rig.sent(endpoint, "small", "Ask ${duo}.")
    assert user == "Ask Duo." and "city=Berlin" in system  # alice wins the shared fact
    system, _ = await rig.sent(endpoint, "(carol | bob)@small", "hi")
    assert "job=pilot" in system and "city=Lisbon" in system


@pytest.mark.parametrize(
    "model", ["(alice | zed)@small", "(alice | )@small", "(alice | duo)@small", "(alice@small"]
)
async def test_bad_formulas_are_422(rig: Rig, model: str) -> None:
    await rig.face("duo", "Duo", formula="alice | bob")
    response = await rig.send("chat", model, "hi")
    assert response.status == 422, await response.text()
    assert rig.upstream.requests == []


async def test_only_text_parts_are_scanned(rig: Rig) -> None:
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": '{"x":"${bob}"}'},
    }
    body = {
        "model": "small",
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "${carol} said hi"},
        ],
    }
    rig.upstream.queue(TextReply("ok"))
    response = await rig.client.post("/v1/chat/completions", json=body, headers=AUTH)
    assert response.status == 200
    sent = rig.upstream.requests[-1].body["messages"]
    assert sent[-1]["content"] == "${carol} said hi"
    assert sent[-2]["tool_calls"][0]["function"]["arguments"] == '{"x":"${bob}"}'
    assert sent[0]["role"] != "system"
