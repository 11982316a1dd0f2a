"""SPEC §11 handshake: challenge, connect within the timeout, version, auth through the §3
limiter, and the browser checks on the upgrade."""

from __future__ import annotations

import time

import aiohttp
import pytest

from fased.ws.protocol import ChannelPolicy
from tests.conftest import AUTH, TOKEN
from tests.ws.conftest import CLIENT, AppFactory, connect, connect_params, open_peer

CHAT = "/v1/chat/completions"
BODY = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}


async def test_challenge_then_hello_ok_exactly_as_the_spec(channel_app: AppFactory) -> None:
    client = await channel_app()
    ws = await client.ws_connect("/ws")
    challenge = await ws.receive_json()
    assert challenge["type"] == "event" and challenge["event"] == "connect.challenge"
    assert set(challenge["payload"]) == {"nonce", "ts"} and len(challenge["payload"]["nonce"]) >= 16
    assert abs(challenge["payload"]["ts"] / 1000 - time.time()) < 5
    assert challenge["seq"] == 1
    await ws.send_json({"type": "req", "id": "c1", "method": "connect", "params": connect_params()})
    res = await ws.receive_json()
    assert res["type"] == "res" and res["id"] == "c1" and res["ok"] is True
    hello = res["payload"]
    assert set(hello) == {"type", "protocol", "server", "features", "snapshot", "policy"}
    assert hello["type"] == "hello-ok" and hello["protocol"] == 1
    assert set(hello["server"]) == {"version", "connId"}
    assert set(hello["snapshot"]) == {"defaultAgentId", "uptimeMs"}
    assert hello["snapshot"]["defaultAgentId"] == "main"
    assert hello["policy"] == {
        "maxPayload": 524288,
        "maxBufferedBytes": 1572864,
        "tickIntervalMs": 30000,
    }
    methods = set(hello["features"]["methods"])
    assert {"health", "status", "agent", "agent.wait", "chat.send", "chat.abort"} <= methods
    assert {"sessions.list", "sessions.preview", "sessions.reset", "sessions.delete"} <= methods
    assert {"models.list", "agents.list", "usage.status", "usage.cost"} <= methods
    assert {"config.get", "config.patch", "chat.history"} <= methods
    assert {"faces.list", "faces.get", "compile.status"} <= methods
    events = set(hello["features"]["events"])
    assert events == {
        "connect.challenge", "tick", "presence", "shutdown", "agent", "chat", "compile",
    }  # fmt: skip
    await ws.close()


async def test_an_upgrade_on_root_is_a_channel_too(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await open_peer(client, "/")
    assert (await peer.call("connect", connect_params()))["ok"]
    assert (await peer.ok("health"))["ok"] is True
    plain = await client.get("/ws")
    assert plain.status == 404
    assert (await plain.json())["error"]["code"] == "websocket_expected"


async def test_silent_socket_is_closed_after_the_timeout(channel_app: AppFactory) -> None:
    client = await channel_app(policy=ChannelPolicy(handshake_timeout=0.3))
    peer = await open_peer(client)
    started = time.monotonic()
    assert await peer.closed() == (1008, "connect timeout")
    assert 0.25 < time.monotonic() - started < 3


async def test_first_frame_must_be_connect(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await open_peer(client)
    res = await peer.call("health")
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
    assert res["error"]["details"]["code"] == "connect_required"
    assert await peer.closed() == (1008, "connect required")


async def test_first_frame_not_a_request(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await open_peer(client)
    await peer.ws.send_str("not json")
    res = await peer.response(None)
    assert res["error"]["code"] == "INVALID_REQUEST" and res["id"] is None
    assert (await peer.closed())[0] == 1008


@pytest.mark.parametrize(
    "params",
    [
        connect_params(client=None),
        connect_params(client={**CLIENT, "id": ""}),
        connect_params(bogus=True),
        connect_params(scopes=["operator.root"]),
        connect_params(auth={"token": TOKEN, "password": "x"}),
        connect_params(minProtocol="one"),
    ],
)
async def test_bad_connect_params_close_1008_with_reason(
    channel_app: AppFactory, params: dict[str, object]
) -> None:
    client = await channel_app()
    peer = await open_peer(client)
    res = await peer.call("connect", params)
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
    assert res["error"]["details"]["code"] == "invalid_params"
    assert res["error"]["details"]["errors"]
    assert await peer.closed() == (1008, "invalid params")


async def test_protocol_mismatch_closes_1002(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await open_peer(client)
    res = await peer.call("connect", connect_params(minProtocol=2, maxProtocol=3))
    assert res["ok"] is False and res["error"]["details"]["code"] == "protocol_mismatch"
    assert "protocol 1" in res["error"]["message"]
    assert await peer.closed() == (1002, "protocol mismatch")


@pytest.mark.parametrize(
    ("auth", "code", "reason"),
    [
        ({"token": "wrong"}, "invalid_credentials", "invalid credentials"),
        ({"password": "wrong"}, "invalid_credentials", "invalid credentials"),
        ({"apiKey": "sk-faces-notyet"}, "invalid_credentials", "invalid credentials"),
        ({"jwt": "a.b.c"}, "invalid_credentials", "invalid credentials"),
        (None, "missing_credentials", "missing credentials"),
    ],
)
async def test_refused_credentials(
    channel_app: AppFactory, auth: dict[str, str] | None, code: str, reason: str
) -> None:
    client = await channel_app()
    peer = await open_peer(client)
    res = await peer.call("connect", connect_params(auth=auth))
    error = res["error"]
    assert res["ok"] is False and error["code"] == "UNAUTHORIZED"
    assert error["details"]["code"] == code and error["retryable"] is False
    assert TOKEN not in str(res)
    assert await peer.closed() == (1008, reason)


async def test_password_is_accepted(channel_app: AppFactory) -> None:
    client = await channel_app({"gateway": {"auth": {"password": "hunter2-long-password"}}})
    peer = await connect(client, auth={"password": "hunter2-long-password"})
    assert peer.hello["type"] == "hello-ok"


async def test_auth_mode_none_needs_no_credential(channel_app: AppFactory) -> None:
    client = await channel_app({"gateway": {"auth": {"mode": "none", "token": None}}})
    peer = await connect(client, auth=None)
    assert (await peer.ok("health"))["ok"] is True


LIMITED = {"gateway": {"auth": {"rateLimit": {"maxAttempts": 2, "lockoutSeconds": 120}}}}


async def test_lockout_is_shared_with_http_and_says_when(channel_app: AppFactory) -> None:
    client = await channel_app(LIMITED)
    first = await open_peer(client)
    assert (await first.call("connect", connect_params(auth={"token": "bad"})))["error"][
        "code"
    ] == "UNAUTHORIZED"
    second = await open_peer(client)
    locked = (await second.call("connect", connect_params(auth={"token": "bad"})))["error"]
    assert locked["code"] == "RATE_LIMITED" and locked["retryable"] is True
    assert 110_000 <= locked["retryAfterMs"] <= 120_000
    assert await second.closed() == (1008, "auth locked")
    good = await open_peer(client)
    refused = (await good.call("connect", connect_params()))["error"]
    assert refused["code"] == "RATE_LIMITED" and refused["retryAfterMs"] > 0
    http = await client.post(CHAT, json=BODY, headers=AUTH)
    assert http.status == 429  # one limiter for both (SPEC §3)


async def test_http_failures_lock_the_channel_too(channel_app: AppFactory) -> None:
    client = await channel_app(LIMITED)
    for _ in range(2):
        await client.post(CHAT, json=BODY, headers={"Authorization": "Bearer bad"})
    peer = await open_peer(client)
    assert (await peer.call("connect", connect_params()))["error"]["code"] == "RATE_LIMITED"


@pytest.mark.parametrize("origin", ["http://evil.example", "null"])
async def test_foreign_origin_is_403_before_the_upgrade(
    channel_app: AppFactory, origin: str
) -> None:
    client = await channel_app({"gateway": {"allowedOrigins": ["http://app.example"]}})
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Origin": origin})
    assert refused.value.status == 403
    allowed = await open_peer(client, Origin="http://app.example")
    assert (await allowed.call("connect", connect_params()))["ok"]
    own = await open_peer(client, Origin=f"http://{client.host}:{client.port}")
    assert (await own.call("connect", connect_params()))["ok"]


async def test_foreign_host_is_421_before_the_upgrade(channel_app: AppFactory) -> None:
    client = await channel_app()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Host": "rebind.example"})
    assert refused.value.status == 421


async def test_requested_scopes_limit_the_connection(channel_app: AppFactory) -> None:
    client = await channel_app()
    reader = await connect(client, scopes=["operator.read"])
    assert (await reader.ok("health"))["ok"] is True
    res = await reader.call("agent", {"message": "hi", "idempotencyKey": "k"})
    assert res["error"]["code"] == "FORBIDDEN"
    assert "operator.write" in res["error"]["message"]
    assert (await reader.call("config.get"))["error"]["code"] == "FORBIDDEN"
    writer = await connect(client, scopes=["operator.read", "operator.write"])
    assert (await writer.call("config.get"))["error"]["code"] == "FORBIDDEN"
    admin = await connect(client, scopes=["operator.admin"])
    assert (await admin.ok("config.get"))["hash"].startswith("sha256:")
