"""After the handshake: every frame is checked before a handler runs; errors are answered and
the socket stays open."""

from __future__ import annotations

import aiohttp

from tests.ws.conftest import AppFactory, Peer, connect


async def still_open(peer: Peer) -> None:
    assert (await peer.ok("health"))["ok"] is True


async def test_unknown_method_is_invalid_request(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    res = await peer.call("nope.nothing", {})
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
    assert res["error"]["details"]["code"] == "unknown_method"
    await still_open(peer)


async def test_params_are_validated_before_the_method_runs(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    for params in (
        {"limit": 0},
        {"limit": "many"},
        {"limit": 5, "extra": 1},
    ):
        res = await peer.call("sessions.list", params)
        error = res["error"]
        assert error["code"] == "INVALID_REQUEST" and error["details"]["code"] == "invalid_params"
        assert error["details"]["errors"][0]["path"] in {"limit", "extra"}
    res = await peer.call("agent", {"message": "hi"})  # idempotencyKey is required
    assert res["error"]["details"]["errors"] == [
        {"path": "idempotencyKey", "message": "Field required"}
    ]
    assert (await peer.call("health", {"verbose": True}))["error"]["code"] == "INVALID_REQUEST"
    await still_open(peer)


async def test_non_request_frames_get_an_error_and_the_socket_stays(
    channel_app: AppFactory,
) -> None:
    peer = await connect(await channel_app())
    await peer.ws.send_json({"type": "event", "event": "hello", "payload": {}})
    assert (await peer.response(None))["error"]["details"]["code"] == "not_a_request"
    await peer.ws.send_json({"type": "res", "id": "x1", "ok": True})
    res = await peer.response("x1")  # the id is echoed when there is one
    assert res["error"]["details"]["code"] == "not_a_request"
    await peer.ws.send_str("{broken")
    assert (await peer.response(None))["error"]["code"] == "INVALID_REQUEST"
    await peer.ws.send_json([1, 2])
    assert (await peer.response(None))["error"]["code"] == "INVALID_REQUEST"
    await peer.ws.send_json({"type": "req", "id": "", "method": "health"})
    assert (await peer.response(None))["error"]["details"]["code"] == "invalid_frame"
    await peer.ws.send_bytes(b"\x00\x01")
    assert (await peer.response(None))["error"]["code"] == "INVALID_REQUEST"
    await still_open(peer)


async def test_ids_are_unique_per_connection(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    first = await peer.response(await peer.send("health", id="same"))
    assert first["ok"] is True
    again = await peer.response(await peer.send("health", id="same"))
    assert again["error"]["details"]["code"] == "duplicate_id"
    reused_connect_id = await peer.response(await peer.send("health", id="r1"))
    assert reused_connect_id["error"]["details"]["code"] == "duplicate_id"
    connect_again = await peer.call("connect", {})
    assert connect_again["error"]["details"]["code"] == "already_connected"
    await still_open(peer)


async def test_frames_over_512_kib_are_refused(channel_app: AppFactory) -> None:
    client = await channel_app()
    peer = await connect(client)
    await peer.send("agent", {"message": "x" * (512 * 1024), "idempotencyKey": "big"})
    code, _ = await peer.closed()
    assert code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    other = await connect(client)
    await still_open(other)


async def test_frames_just_under_the_limit_are_served(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    message = "y" * (500 * 1024)
    res = await peer.call("agent", {"message": message, "idempotencyKey": "almost"})
    assert res["payload"]["status"] == "accepted"
    final = await peer.response(res["id"])
    assert final["payload"]["result"]["text"] == f"Echo: {message}"


async def test_event_seq_increases_per_connection(channel_app: AppFactory) -> None:
    peer = await connect(await channel_app())
    await peer.call("agent", {"message": "one two three", "idempotencyKey": "s1"})
    await peer.response("r2")
    seqs = [event["seq"] for event in peer.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 2
