"""Bad input on `/v1/chat/completions`: the right status and a message that says how to fix it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AUTH, ClientFactory
from tests.fakes.openai_upstream import TextReply
from tests.web.conftest import Rig

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty"),
        (b"[1, 2]", 400, "object"),
        ({"model": "fased", "messages": []}, 400, "messages"),
        (
            {"model": "fased", "messages": [{"role": "system", "content": "x"}]},
            400,
            "Missing user message in `messages`.",
        ),
        ({"model": "fased", "messages": HI, "n": 2}, 400, "n > 1"),
        ({"messages": HI}, 400, "model"),
        ({"model": "no-such-thing", "messages": HI}, 404, "/v1/models"),
        ({"model": "fased:nobody", "messages": HI}, 404, "Face not found or not owned by you"),
        ({"model": "main@no-such-llm", "messages": HI}, 400, "/v1/models"),
    ],
)
async def test_bad_requests(rig: Rig, body: Any, status: int, needle: str) -> None:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    response = await rig.client.post(
        CHAT, headers={**AUTH, "Content-Type": "application/json"}, **kwargs
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert needle in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert response.headers["X-Request-Id"]
    assert rig.upstream.requests == []


async def test_model_not_found_code(rig: Rig) -> None:
    response = await rig.client.post(
        CHAT, json={"model": "main@nope", "messages": HI}, headers=AUTH
    )
    assert (await response.json())["error"]["code"] == "model_not_found"


async def test_unconfigured_provider_is_503_with_the_fix(gateway: ClientFactory) -> None:
    client = await gateway({"models": {"catalog": [{"id": "far", "provider": "faraway"}]}})
    response = await client.post(CHAT, json={"model": "far", "messages": HI}, headers=AUTH)
    assert response.status == 503
    assert "providers.faraway" in (await response.json())["error"]["message"]


async def test_echo_is_the_offline_default(gateway: ClientFactory) -> None:
    client = await gateway()
    response = await client.post(CHAT, json={"model": "fased", "messages": HI}, headers=AUTH)
    assert response.status == 200
    assert response.headers["X-Faces-Provider"] == "echo"
    assert response.headers["X-Faces-Cost-USD"] == "0.00"
    body = await response.json()
    assert "hi" in body["choices"][0]["message"]["content"]


async def test_session_header_keeps_history_without_duplicates(rig: Rig) -> None:
    rig.upstream.queue(
        TextReply("Nice to meet you, Ana."), TextReply("Ana."), TextReply("Still Ana.")
    )
    session = {"x-fased-session-key": "my-session"}
    first = [{"role": "user", "content": "I am Ana."}]
    await rig.sdk.chat.completions.create(model="fased", messages=first, extra_headers=session)  # type: ignore[arg-type]
    only_new = [{"role": "user", "content": "Who am I?"}]
    await rig.sdk.chat.completions.create(model="fased", messages=only_new, extra_headers=session)  # type: ignore[arg-type]
    sent = [m["content"] for m in rig.upstream.requests[-1].body["messages"]]
    assert sent == ["I am Ana.", "Nice to meet you, Ana.", "Who am I?"]
    full = [
        *first,
        {"role": "assistant", "content": "Nice to meet you, Ana."},
        *only_new,
        {"role": "assistant", "content": "Ana."},
        {"role": "user", "content": "Again?"},
    ]
    await rig.sdk.chat.completions.create(model="fased", messages=full, extra_headers=session)  # type: ignore[arg-type]
    sent = [m["content"] for m in rig.upstream.requests[-1].body["messages"]]
    assert sent == [m["content"] for m in full]


async def test_user_field_derives_the_session_key(rig: Rig) -> None:
    from fased.keys import DEPS

    rig.upstream.queue(TextReply("one"), TextReply("two"))
    await rig.sdk.chat.completions.create(model="fased:beta", messages=HI, user="Ana")
    await rig.sdk.chat.completions.create(
        model="fased:beta", messages=[{"role": "user", "content": "again"}], user="Ana"
    )
    sent = [
        m["content"] for m in rig.upstream.requests[-1].body["messages"] if m["role"] != "system"
    ]
    assert sent == ["hi", "one", "again"]
    sessions = await rig.client.app[DEPS].sessions.list("owner")
    assert [s.key for s in sessions] == ["agent:beta:openai-user:ana"]


async def test_stateless_requests_keep_no_transcript(rig: Rig) -> None:
    from fased.keys import DEPS

    rig.upstream.queue(TextReply("one"), TextReply("two"))
    await rig.sdk.chat.completions.create(model="fased", messages=HI)
    await rig.sdk.chat.completions.create(
        model="fased", messages=[{"role": "user", "content": "again"}]
    )
    assert len(rig.upstream.requests[-1].body["messages"]) == 1
    assert await rig.client.app[DEPS].sessions.list("owner") == []


async def test_history_window_cuts_oldest_first(
    gateway: ClientFactory, aiohttp_server: Any
) -> None:
    from openai import AsyncOpenAI

    from tests.conftest import TOKEN
    from tests.fakes.openai_upstream import serve_fake_openai
    from tests.web.conftest import upstream_config

    upstream = await serve_fake_openai(aiohttp_server)
    client = await gateway(upstream_config(upstream.base_url, session={"historyTokens": 60}))
    sdk = AsyncOpenAI(api_key=TOKEN, base_url=str(client.make_url("/v1")), max_retries=0)
    session = {"x-fased-session-key": "long"}
    for index in range(6):
        upstream.queue(TextReply(f"reply {index} " + "word " * 10))
        message = [{"role": "user", "content": f"turn {index} " + "word " * 10}]
        await sdk.chat.completions.create(model="fased", messages=message, extra_headers=session)  # type: ignore[arg-type]
    await sdk.close()
    sent = upstream.requests[-1].body["messages"]
    assert sent[0]["role"] == "user"
    assert sent[-1]["content"].startswith("turn 5")
    assert 1 < len(sent) < 11
    assert not any(m["content"].startswith("turn 0") for m in sent)
