"""The read methods, sessions (owner-filtered) and usage, on the echo model."""

from __future__ import annotations

from typing import Any

from fased.canonical import Message, TextPart
from fased.keys import DEPS
from tests.ws.conftest import AppFactory, Peer, connect


async def run_turn(peer: Peer, message: str, session: str | None = None) -> dict[str, Any]:
    params = {"message": message, "idempotencyKey": f"k-{message}-{session}"}
    if session:
        params["sessionKey"] = session
    res = await peer.call("agent", params)
    final = await peer.response(res["id"])
    payload: dict[str, Any] = final["payload"]
    return payload


async def test_health_status_models_agents(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    health = await peer.ok("health")
    assert health["ok"] is True and health["checks"] == {"database": True, "providers": True}
    status = await peer.ok("status")
    assert status["defaultModel"] == "echo" and status["providers"] == ["echo"]
    assert status["gateway"]["endpoints"]["chatCompletions"] is True
    assert status["channel"] == {"clients": 1, "activeRuns": 0}
    assert status["connId"] == peer.hello["server"]["connId"]
    models = await peer.ok("models.list")
    by_id = {m["id"]: m for m in models["models"]}
    assert by_id["echo"]["available"] is True and by_id["main"]["kind"] == "agent"
    assert models["default"] == "echo"
    agents = await peer.ok("agents.list")
    assert agents == {
        "defaultId": "main",
        "agents": [{"id": "main", "name": "Assistant", "model": None}],
    }


async def test_usage_status_and_cost(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    empty = await peer.ok("usage.status")
    assert empty["total"]["requests"] == 0
    result = (await run_turn(peer, "count me"))["result"]
    usage = await peer.ok("usage.status")
    assert usage["total"]["requests"] == usage["today"]["requests"] == 1
    assert usage["total"]["output_tokens"] == result["usage"]["output_tokens"]
    cost = await peer.ok("usage.cost", {"days": 7})
    assert cost["days"] == 7 and cost["requests"] == 1 and cost["cost_usd"] == 0.0
    assert (await peer.call("usage.cost", {"days": 0}))["error"]["code"] == "INVALID_REQUEST"


async def test_sessions_list_preview_reset_delete(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    await run_turn(peer, "first", "desk")
    await run_turn(peer, "second", "desk")
    listed = (await peer.ok("sessions.list"))["sessions"]
    assert [(s["key"], s["agentId"], s["turns"]) for s in listed] == [("desk", "main", 4)]
    preview = await peer.ok("sessions.preview", {"key": "desk", "limit": 2})
    assert [(t["role"], t["text"]) for t in preview["turns"]] == [
        ("user", "second"),
        ("assistant", "Echo: second"),
    ]
    reset = {"key": "desk", "idempotencyKey": "r1"}
    assert await peer.ok("sessions.reset", reset) == {"key": "desk", "reset": True}
    assert (await peer.ok("sessions.preview", {"key": "desk"}))["turns"] == []
    delete = {"key": "desk", "idempotencyKey": "d1"}
    assert await peer.ok("sessions.delete", delete) == {"key": "desk", "deleted": True}
    assert await peer.ok("sessions.delete", delete) == {"key": "desk", "deleted": True}  # retry
    gone = await peer.call("sessions.delete", {"key": "desk"})  # no key: a new request
    assert gone["error"]["code"] == "NOT_FOUND"
    assert (await peer.ok("sessions.list"))["sessions"] == []


async def test_sessions_are_filtered_by_owner(channel_app: AppFactory) -> None:
    client = await channel_app()
    sessions = client.app[DEPS].sessions
    turn = Message("user", (TextPart("private"),))
    await sessions.append("acct_someone", "theirs", "main", [turn], [1])
    peer = await connect(client)
    assert (await peer.ok("sessions.list"))["sessions"] == []
    for method in ("sessions.preview", "sessions.reset", "sessions.delete"):
        res = await peer.call(method, {"key": "theirs"})
        assert res["error"]["code"] == "NOT_FOUND", method  # 404, never 403: no existence leak
    history = await peer.ok("chat.history", {"sessionKey": "theirs"})
    assert history["messages"] == []
    assert await sessions.preview("acct_someone", "theirs") is not None  # untouched
