"""`agent`, `agent.wait` and `chat.*` over the channel: the same run as HTTP (SPEC §4.3), against
a fake OpenAI-compatible upstream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from fased.keys import DEPS
from fased.store.schema import usage_records
from tests.conftest import AUTH
from tests.fakes.openai_upstream import (
    ErrorReply,
    FakeOpenAIUpstream,
    HangReply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    serve_fake_openai,
)
from tests.web.conftest import FAKE_COST, upstream_config
from tests.ws.conftest import AppFactory, Peer, connect


@dataclass
class Rig:
    client: TestClient[Any, Any]
    upstream: FakeOpenAIUpstream

    async def usage_statuses(self) -> list[str]:
        deps = self.client.app[DEPS]
        await deps.usage.flush()
        async with deps.db.read() as conn:
            return list((await conn.scalars(sa.select(usage_records.c.status))).all())


@pytest.fixture
async def rig(channel_app: AppFactory, aiohttp_server: Any) -> AsyncIterator[Rig]:
    upstream = await serve_fake_openai(aiohttp_server)
    client = await channel_app(upstream_config(upstream.base_url))
    yield Rig(client, upstream)


def agent_events(peer: Peer, run_id: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in peer.events if e["event"] == "agent" and
            e["payload"]["runId"] == run_id]  # fmt: skip


async def test_agent_over_the_channel_equals_http(rig: Rig) -> None:
    rig.upstream.queue(TextReply("Hello there, friend"), TextReply("Hello there, friend"))
    body = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}
    http = await rig.client.post("/v1/chat/completions", json=body, headers=AUTH)
    completion = await http.json()
    peer = await connect(rig.client)
    accepted = await peer.call("agent", {"message": "hi", "idempotencyKey": "eq-1"})
    assert accepted["payload"]["status"] == "accepted"
    run_id = accepted["payload"]["runId"]
    final = (await peer.response(accepted["id"]))["payload"]
    assert final["runId"] == run_id and final["status"] == "ok"
    result = final["result"]
    assert result["text"] == completion["choices"][0]["message"]["content"]
    assert result["usage"]["input_tokens"] == completion["usage"]["prompt_tokens"] == 11
    assert result["usage"]["output_tokens"] == completion["usage"]["completion_tokens"] == 7
    assert result["usage"]["cached_input_tokens"] == 3
    assert result["cost_usd"] == pytest.approx(float(http.headers["X-Faces-Cost-USD"]))
    assert result["cost_usd"] == pytest.approx(FAKE_COST)
    sent_http, sent_ws = (r.body for r in rig.upstream.requests)
    assert sent_ws["messages"] == sent_http["messages"] and sent_ws["model"] == sent_http["model"]
    events = agent_events(peer, run_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["stream"] == "lifecycle" and events[0]["data"]["phase"] == "start"
    assert events[0]["data"]["model"] == "small" and events[0]["data"]["provider"] == "local"
    assert events[-1] == {
        "runId": run_id,
        "seq": len(events),
        "stream": "lifecycle",
        "data": {"phase": "end", "status": "ok"},
    }
    streamed = "".join(e["data"]["text"] for e in events if e["stream"] == "assistant")
    assert streamed == result["text"]
    assert await rig.usage_statuses() == ["ok", "ok"]


async def test_a_request_the_client_must_fix_is_one_error(rig: Rig) -> None:
    peer = await connect(rig.client)
    res = await peer.call("agent", {"message": "hi", "agentId": "ghost", "idempotencyKey": "e1"})
    assert res["ok"] is False and res["error"]["code"] == "NOT_FOUND"
    assert res["error"]["details"] == {"code": "face_not_found", "param": "model"}
    unknown = await peer.call("agent", {"message": "hi", "model": "nope", "idempotencyKey": "e2"})
    assert unknown["error"]["details"]["code"] == "model_not_found"
    assert not rig.upstream.requests and not peer.events
    assert (await peer.ok("health"))["ok"] is True  # and nothing else came for those ids


async def test_persona_and_extra_system_prompt_reach_the_upstream(rig: Rig) -> None:
    rig.upstream.queue(TextReply("ok"))
    peer = await connect(rig.client)
    params = {
        "message": "hi",
        "agentId": "beta",
        "extraSystemPrompt": "Answer in French.",
        "idempotencyKey": "p1",
    }
    res = await peer.call("agent", params)
    await peer.response(res["id"])
    system = rig.upstream.requests[-1].body["messages"][0]
    assert system["role"] == "system"
    assert "Lisbon" in system["content"] and system["content"].endswith("Answer in French.")


async def test_idempotent_retry_returns_the_same_run(rig: Rig) -> None:
    rig.upstream.queue(HangReply(0.3))
    first, second = await connect(rig.client), await connect(rig.client)
    params = {"message": "hi", "idempotencyKey": "retry-1"}
    a = await first.call("agent", params)
    b = await second.call("agent", params)  # a retry from another connection, in flight
    assert a["payload"]["runId"] == b["payload"]["runId"]
    final_a = (await first.response(a["id"]))["payload"]
    final_b = (await second.response(b["id"]))["payload"]
    assert final_a == final_b and final_a["result"]["text"] == "finally"
    again = await first.call("agent", params)  # after it finished
    assert again["payload"] == a["payload"]
    assert (await first.response(again["id"]))["payload"] == final_a
    assert len(rig.upstream.requests) == 1
    other_key = await first.call("agent", {"message": "hi", "idempotencyKey": "retry-2"})
    assert other_key["payload"]["runId"] != a["payload"]["runId"]


async def test_agent_wait_from_another_connection(rig: Rig) -> None:
    rig.upstream.queue(HangReply(0.3))
    starter, waiter = await connect(rig.client), await connect(rig.client)
    accepted = await starter.call("agent", {"message": "hi", "idempotencyKey": "w1"})
    run_id = accepted["payload"]["runId"]
    quick = await waiter.ok("agent.wait", {"runId": run_id, "timeoutMs": 10})
    assert quick == {"runId": run_id, "status": "timeout"}
    waited = await waiter.ok("agent.wait", {"runId": run_id, "timeoutMs": 5000})
    assert waited["status"] == "ok" and waited["result"]["text"] == "finally"
    assert (await starter.response(accepted["id"]))["payload"] == waited
    missing = await waiter.call("agent.wait", {"runId": "run_nope"})
    assert missing["error"]["code"] == "NOT_FOUND"


async def test_chat_send_streams_chat_events_and_keeps_history(rig: Rig) -> None:
    rig.upstream.queue(TextReply("Bonjour à toi"))
    peer = await connect(rig.client)
    send = {"sessionKey": "desk", "message": "salut", "idempotencyKey": "c1"}
    started = await peer.ok("chat.send", send)
    assert started["status"] == "started" and started["sessionKey"] == "desk"
    states = []
    while not states or states[-1]["state"] == "delta":
        event = await peer.event("chat")
        states.append(event["payload"])
    final = states[-1]
    assert final["state"] == "final" and final["runId"] == started["runId"]
    assert final["message"] == {"role": "assistant", "text": "Bonjour à toi"}
    assert final["usage"]["input_tokens"] == 11 and final["cost_usd"] == pytest.approx(FAKE_COST)
    assert "".join(s["text"] for s in states[:-1]) == "Bonjour à toi"
    assert [s["seq"] for s in states] == list(range(1, len(states) + 1))
    history = await peer.ok("chat.history", {"sessionKey": "desk"})
    assert [(m["role"], m["text"]) for m in history["messages"]] == [
        ("user", "salut"),
        ("assistant", "Bonjour à toi"),
    ]
    retry = await peer.ok("chat.send", send)
    assert retry == {**started, "status": "ok"} and len(rig.upstream.requests) == 1


async def test_chat_abort_cancels_the_upstream_call(rig: Rig) -> None:
    rig.upstream.queue(StallReply(chunks=2))
    peer = await connect(rig.client)
    started = await peer.ok(
        "chat.send", {"sessionKey": "s", "message": "go", "idempotencyKey": "a"}
    )
    first = await peer.event("chat")
    assert first["payload"]["state"] == "delta"
    aborted = await peer.ok("chat.abort", {"sessionKey": "s"})
    assert aborted == {"sessionKey": "s", "aborted": True, "runIds": [started["runId"]]}
    await asyncio.wait_for(rig.upstream.disconnected.wait(), 5)
    while (event := await peer.event("chat"))["payload"]["state"] == "delta":
        pass
    assert event["payload"]["state"] == "aborted" and event["payload"]["text"].startswith("part0")
    assert await rig.usage_statuses() == ["cancelled"]  # still recorded, once
    history = await peer.ok("chat.history", {"sessionKey": "s"})
    assert history["messages"] == []  # a cancelled turn is not kept
    again = await peer.ok("chat.abort", {"sessionKey": "s"})
    assert again["aborted"] is False


async def test_disconnect_cancels_the_run(rig: Rig) -> None:
    rig.upstream.queue(StallReply(chunks=1))
    peer = await connect(rig.client)
    await peer.call("agent", {"message": "go", "idempotencyKey": "d1"})
    await peer.event("agent")
    await peer.ws.close()
    await asyncio.wait_for(rig.upstream.disconnected.wait(), 5)
    for _ in range(50):
        if await rig.usage_statuses() == ["cancelled"]:
            break
        await asyncio.sleep(0.05)
    assert await rig.usage_statuses() == ["cancelled"]


async def test_tool_calls_stream_on_the_tool_stream(rig: Rig) -> None:
    call = ToolCall("lookup", '{"q": "weather"}', id="call_1")
    rig.upstream.queue(ToolCallsReply((call,), text="Let me check."))
    peer = await connect(rig.client)
    res = await peer.call("agent", {"message": "weather?", "idempotencyKey": "t1"})
    final = (await peer.response(res["id"]))["payload"]
    assert final["result"]["text"] == "Let me check."
    tool = [e["data"] for e in agent_events(peer, final["runId"]) if e["stream"] == "tool"]
    assert tool[0] == {"phase": "start", "index": 0, "id": "call_1", "name": "lookup"}
    assert "".join(t.get("arguments", "") for t in tool) == '{"q": "weather"}'
    assert tool[-1] == {"phase": "end", "index": 0}


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (ErrorReply(503, "overloaded"), "UPSTREAM_ERROR"),  # before the stream started
        (StreamErrorReply(chunks=1), "UPSTREAM_ERROR"),  # after it started
    ],
)
async def test_upstream_failure_ends_the_run_with_an_error(rig: Rig, reply: Any, code: str) -> None:
    rig.upstream.queue(reply)
    peer = await connect(rig.client)
    res = await peer.call("agent", {"message": "hi", "idempotencyKey": "f1"})
    assert res["payload"]["status"] == "accepted"
    final = await peer.response(res["id"])
    assert final["ok"] is False and final["error"]["code"] == code
    assert final["error"]["retryable"] is True
    events = agent_events(peer, res["payload"]["runId"])
    assert events[-2]["stream"] == "error" and events[-2]["data"]["code"] == code
    assert events[-1]["data"] == {"phase": "end", "status": "error"}
    waited = await peer.ok("agent.wait", {"runId": res["payload"]["runId"]})
    assert waited["status"] == "error" and waited["error"]["code"] == code
    assert await rig.usage_statuses() == ["error"]
