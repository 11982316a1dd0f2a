"""Presence, ticks, shutdown (event, drain, 1012) and the slow consumer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from fased.keys import CHANNEL
from fased.ws.protocol import ChannelPolicy
from tests.fakes.openai_upstream import HangReply, serve_fake_openai
from tests.web.conftest import upstream_config
from tests.ws.conftest import CLIENT, AppFactory, Peer, connect


async def test_presence_is_seen_by_the_other_clients(channel_app: AppFactory) -> None:
    client = await channel_app()
    first = await connect(client)
    second = await connect(client, client={**CLIENT, "id": "second", "mode": "ui"})
    joined = (await first.event("presence"))["payload"]
    assert joined["kind"] == "join" and joined["connId"] == second.hello["server"]["connId"]
    assert joined["client"]["id"] == "second" and joined["clients"] == 2
    await second.ws.close()
    left = (await first.event("presence"))["payload"]
    assert left["kind"] == "leave" and left["connId"] == joined["connId"] and left["clients"] == 1
    assert not [e for e in second.events if e["event"] == "presence"]  # not told of itself


async def test_tick_every_interval_with_increasing_seq(channel_app: AppFactory) -> None:
    client = await channel_app(policy=ChannelPolicy(tick_interval=0.1))
    peer = await connect(client)
    assert peer.hello["policy"]["tickIntervalMs"] == 100
    ticks = [await peer.event("tick") for _ in range(3)]
    assert all(abs(t["payload"]["ts"] / 1000 - time.time()) < 5 for t in ticks)
    seqs = [t["seq"] for t in ticks]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


async def test_shutdown_event_then_1012(channel_app: AppFactory) -> None:
    client = await channel_app()
    peers = [await connect(client), await connect(client)]
    closing = asyncio.create_task(client.server.close())
    for peer in peers:
        shutdown = await peer.event("shutdown")
        assert shutdown["payload"] == {"reason": "gateway stopping"}
        assert await peer.closed() == (1012, "gateway stopping")
    await asyncio.wait_for(closing, 10)


async def test_shutdown_lets_a_run_in_flight_finish_first(
    channel_app: AppFactory, aiohttp_server: Any
) -> None:
    """In the daemon's order (server.py): the channel is shut down while its sockets are still
    read, so a request sent meanwhile is refused rather than lost."""
    upstream = await serve_fake_openai(aiohttp_server)
    upstream.queue(HangReply(1))
    config = upstream_config(upstream.base_url)
    config["providers"]["local"]["timeoutSeconds"] = 10
    client = await channel_app(config)
    peer = await connect(client)
    accepted = await peer.call("agent", {"message": "hi", "idempotencyKey": "drain"})
    closing = asyncio.create_task(client.app[CHANNEL].shutdown(30))
    await peer.event("shutdown")
    refused = await peer.call("health")
    assert refused["error"]["code"] == "UNAVAILABLE" and refused["error"]["retryable"] is True
    final = await peer.response(accepted["id"])
    assert final["payload"]["result"]["text"] == "finally"
    assert await peer.closed() == (1012, "gateway stopping")
    await asyncio.wait_for(closing, 10)
    late = await client.ws_connect("/ws")  # still stopping: closed at once
    assert (await late.receive()).data == 1012


async def fill_history(peer: Peer, size: int) -> None:
    """A session whose history is ~2 × `size` bytes (the echo model repeats the message)."""
    sent = {"sessionKey": "big", "message": "z" * size, "idempotencyKey": "fill"}
    await peer.ok("chat.send", sent)
    while (await peer.event("chat"))["payload"]["state"] == "delta":
        pass


async def test_slow_consumer_is_closed_while_others_keep_working(
    channel_app: AppFactory,
) -> None:
    client = await channel_app(policy=ChannelPolicy(close_timeout=10))
    watcher = await connect(client)
    slow = await connect(client)
    slow_id = slow.hello["server"]["connId"]
    await fill_history(slow, 400_000)  # each chat.history answer is ~800 KB
    for index in range(40):  # ~32 MB asked for, and nothing read
        await slow.send("chat.history", {"sessionKey": "big"}, id=f"h{index}")
    while True:  # the others keep working, and see the slow one dropped
        event = await watcher.event("presence", timeout=20)
        if event["payload"]["kind"] == "leave" and event["payload"]["connId"] == slow_id:
            break
    assert (await watcher.ok("health"))["ok"] is True
    code, reason = await drain_until_closed(slow.ws)
    assert (code, reason) == (1008, "slow consumer")


async def drain_until_closed(ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, str]:
    """The close frame the server sent. Its code is read from the frame itself: aiohttp's client
    sets `ws.close_code` from it, then overwrites it with 1006 when its own close reply finds
    the transport already closing (the server dropped a consumer that read nothing)."""
    async with asyncio.timeout(20):
        while True:
            message = await ws.receive()
            if message.type is aiohttp.WSMsgType.CLOSE:
                return int(message.data), str(message.extra or "")
            if message.type is not aiohttp.WSMsgType.TEXT:
                return ws.close_code, str(message.extra or "")
