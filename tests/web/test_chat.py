"""`POST /v1/chat/completions` through the real `openai` SDK against a fake upstream."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from tests.conftest import AUTH, ClientFactory
from tests.fakes.openai_upstream import (
    ErrorReply,
    HangReply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
)
from tests.web.conftest import FAKE_COST, Rig

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "model",
    ["fased", "fased/default", "fased:main", "fased/main", "agent:main", "AGENT:main", "main"],
)
async def test_agent_forms_reach_the_agents_llm(rig: Rig, model: str) -> None:
    rig.upstream.queue(TextReply("Hello there"))
    response = await rig.sdk.chat.completions.with_raw_response.create(model=model, messages=HI)
    completion = response.parse()
    assert completion.choices[0].message.content == "Hello there"
    assert completion.model == model
    assert completion.usage is not None and completion.usage.prompt_tokens == 11
    assert rig.upstream.requests[-1].body["model"] == "tiny"
    assert response.headers["X-Faces-Provider"] == "local"
    assert float(response.headers["X-Faces-Cost-USD"]) == pytest.approx(FAKE_COST)
    assert response.headers["X-Request-Id"].startswith("req_")
    assert rig.system_sent() is None  # main has nothing compiled: a plain assistant


async def test_persona_of_the_selected_face_is_injected(rig: Rig) -> None:
    rig.upstream.queue(*[TextReply("ok") for _ in range(4)])
    for model in ("fased:beta", "beta", "beta@small"):
        await rig.sdk.chat.completions.create(model=model, messages=HI)
        assert "@facts city=Lisbon" in (rig.system_sent() or "")
    await rig.sdk.chat.completions.create(model="small", messages=HI)
    assert rig.system_sent() is None  # a bare model proxies with no persona


async def test_agent_header_wins_and_applies_to_bare_models(rig: Rig) -> None:
    rig.upstream.queue(*[TextReply("ok") for _ in range(4)])
    for header in ("x-fased-agent-id", "x-fased-agent"):
        await rig.sdk.chat.completions.create(
            model="fased:main", messages=HI, extra_headers={header: "beta"}
        )
        assert "Lisbon" in (rig.system_sent() or "")
    await rig.sdk.chat.completions.create(
        model="small", messages=HI, extra_headers={"x-fased-agent-id": "beta"}
    )
    assert "Lisbon" in (rig.system_sent() or "")
    await rig.sdk.chat.completions.create(
        model="fased",
        messages=HI,
        extra_headers={"x-fased-agent-id": "main", "x-fased-agent": "beta"},
    )
    assert rig.system_sent() is None


async def test_system_and_developer_follow_the_persona(rig: Rig) -> None:
    rig.upstream.queue(TextReply("ok"))
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "developer", "content": "Use metric units."},
    ]
    await rig.sdk.chat.completions.create(model="beta", messages=messages)  # type: ignore[arg-type]
    system = rig.system_sent() or ""
    assert system.index("Lisbon") < system.index("Be brief.") < system.index("Use metric units.")
    roles = [m["role"] for m in rig.upstream.requests[-1].body["messages"]]
    assert roles == ["system", "user"]


async def test_stream_is_parsed_by_the_sdk(rig: Rig) -> None:
    rig.upstream.queue(TextReply("one two three four"))
    response = await rig.sdk.chat.completions.with_raw_response.create(
        model="fased", messages=HI, stream=True, stream_options={"include_usage": True}
    )
    assert response.headers["X-Faces-Provider"] == "local"
    assert response.headers["Content-Type"].startswith("text/event-stream")
    chunks = [chunk async for chunk in response.parse()]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None and chunks[-1].choices == []
    assert (usage.prompt_tokens, usage.completion_tokens) == (11, 7)
    assert usage.model_extra is not None
    assert usage.model_extra["cost_usd"] == pytest.approx(FAKE_COST)


async def test_stream_without_include_usage_has_no_usage_chunk(rig: Rig) -> None:
    rig.upstream.queue(TextReply("hello"))
    stream = await rig.sdk.chat.completions.create(model="fased", messages=HI, stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(chunk.usage is None for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


async def test_tool_calls_pass_through_both_ways(rig: Rig) -> None:
    call = ToolCall("get_weather", '{"city": "Lisbon"}', id="call_abc")
    rig.upstream.queue(ToolCallsReply((call,)), ToolCallsReply((call,)), TextReply("Sunny"))
    completion = await rig.sdk.chat.completions.create(
        model="fased",
        messages=HI,
        tools=TOOLS,
        tool_choice="auto",  # type: ignore[arg-type]
    )
    sent = rig.upstream.requests[-1].body
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["tool_choice"] == "auto"
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    tool_call = choice.message.tool_calls[0]
    assert tool_call.id == "call_abc"
    assert json.loads(tool_call.function.arguments) == {"city": "Lisbon"}  # type: ignore[union-attr]

    stream = await rig.sdk.chat.completions.create(
        model="fased",
        messages=HI,
        tools=TOOLS,
        stream=True,  # type: ignore[arg-type]
    )
    chunks = [chunk async for chunk in stream]
    fragments = [
        tc.function.arguments or ""
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
        for tc in c.choices[0].delta.tool_calls
        if tc.function
    ]
    assert json.loads("".join(fragments)) == {"city": "Lisbon"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    follow_up = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [tool_call.model_dump()]},
        {"role": "tool", "tool_call_id": "call_abc", "content": "22C, sunny"},
    ]
    final = await rig.sdk.chat.completions.create(model="fased", messages=follow_up)  # type: ignore[arg-type]
    assert final.choices[0].message.content == "Sunny"
    sent_messages = rig.upstream.requests[-1].body["messages"]
    assert sent_messages[-1] == {
        "role": "tool",
        "tool_call_id": "call_abc",
        "content": "22C, sunny",
    }
    assert sent_messages[-2]["tool_calls"][0]["id"] == "call_abc"


async def test_images_pass_through(rig: Rig) -> None:
    rig.upstream.queue(TextReply("A cat"))
    content = [
        {"type": "text", "text": "What is this?"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
        },
    ]
    await rig.sdk.chat.completions.create(
        model="fased", messages=[{"role": "user", "content": content}]
    )  # type: ignore[misc,list-item]
    parts = rig.upstream.requests[-1].body["messages"][-1]["content"]
    assert parts[1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
    }


@pytest.mark.parametrize(
    ("reply", "status", "error_type"),
    [
        (ErrorReply(500, "boom"), 502, openai.InternalServerError),
        (ErrorReply(503, "down"), 502, openai.InternalServerError),
        (ErrorReply(429, "slow down", retry_after="7"), 429, openai.RateLimitError),
        (HangReply(), 504, openai.InternalServerError),
    ],
)
async def test_upstream_failures_map_to_gateway_statuses(
    rig: Rig, reply: object, status: int, error_type: type[Exception]
) -> None:
    for stream in (False, True):
        rig.upstream.queue(reply)  # type: ignore[arg-type]
        with pytest.raises(error_type) as caught:
            result = await rig.sdk.chat.completions.create(
                model="fased", messages=HI, stream=stream
            )
            if stream:
                async for _ in result:  # type: ignore[union-attr]
                    pass
        error = caught.value
        assert isinstance(error, openai.APIStatusError)
        assert error.status_code == status
        assert "sk-upstream-secret" not in str(error.body)
        if status == 429:
            assert error.response.headers["Retry-After"] == "7"


async def test_error_mid_stream_ends_with_error_chunk_and_done(rig: Rig) -> None:
    rig.upstream.queue(StreamErrorReply(chunks=2))
    response = await rig.client.post(
        "/v1/chat/completions",
        json={"model": "fased", "messages": HI, "stream": True},
        headers=AUTH,
    )
    assert response.status == 200
    body = await response.text()
    frames = [line for line in body.split("\n\n") if line.startswith("data: ")]
    assert frames[-1] == "data: [DONE]"
    assert '"error"' in frames[-2]
    rig.upstream.queue(StreamErrorReply(chunks=2))
    with pytest.raises(openai.APIError):
        async for _ in await rig.sdk.chat.completions.create(
            model="fased", messages=HI, stream=True
        ):
            pass


async def test_disconnect_cancels_upstream_and_records_usage_once(rig: Rig) -> None:
    rig.upstream.queue(StallReply(chunks=3))
    response = await rig.client.post(
        "/v1/chat/completions",
        json={"model": "fased", "messages": HI, "stream": True},
        headers=AUTH,
    )
    await response.content.readany()
    response.close()
    await asyncio.wait_for(rig.upstream.disconnected.wait(), 5)
    for _ in range(50):
        rows = await rig.usage_rows()
        if rows:
            break
        await asyncio.sleep(0.05)
    assert len(rows) == 1
    assert rows[0].status == "cancelled"
    assert rows[0].output_tokens > 0


async def test_keep_alive_ping_on_an_idle_stream(
    gateway: ClientFactory, aiohttp_server: object
) -> None:
    from tests.fakes.openai_upstream import serve_fake_openai
    from tests.web.conftest import upstream_config

    upstream = await serve_fake_openai(aiohttp_server)  # type: ignore[arg-type]
    data = upstream_config(upstream.base_url)
    data["gateway"] = {"http": {"streamKeepAliveSeconds": 0.1}}
    client = await gateway(data)
    upstream.queue(StallReply(chunks=1))
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "fased", "messages": HI, "stream": True},
        headers=AUTH,
    )
    seen = b""
    while b": ping" not in seen:
        seen += await asyncio.wait_for(response.content.readany(), 3)
    response.close()


async def test_usage_recorded_with_catalog_cost(rig: Rig) -> None:
    rig.upstream.queue(TextReply("hello"))
    await rig.sdk.chat.completions.create(model="beta", messages=HI)
    rows = await rig.usage_rows()
    assert len(rows) == 1
    row = rows[0]
    assert (row.owner_id, row.agent_id, row.provider, row.model, row.status) == (
        "owner",
        "beta",
        "local",
        "small",
        "ok",
    )
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens) == (11, 3, 7)
    assert float(row.cost_usd) == pytest.approx(FAKE_COST)


async def test_a_client_chosen_request_id_cannot_skip_usage(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    """The usage row is keyed by the gateway's own id: a client repeating an `X-Request-Id`
    still has every request recorded, and its id is only logged beside the gateway's."""
    rig.upstream.queue(TextReply("one"), TextReply("two"))
    ids = []
    for _ in range(2):
        response = await rig.sdk.chat.completions.with_raw_response.create(
            model="beta", messages=HI, extra_headers={"X-Request-Id": "client-id-1"}
        )
        ids.append(response.headers["X-Request-Id"])
    assert len(set(ids)) == 2 and all(i.startswith("req_") for i in ids)
    rows = await rig.usage_rows()
    assert sorted(row.request_id for row in rows) == sorted(ids)
    logged = capsys.readouterr()
    assert "client_request_id=client-id-1" in logged.out + logged.err
