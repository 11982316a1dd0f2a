"""`fased_ws_clients` in `GET /metrics`: the channel's connected clients, read at each scrape."""

from __future__ import annotations

import asyncio

from tests.web.test_metrics import scrape, value
from tests.ws.conftest import AppFactory, connect, open_peer


async def test_connected_clients_are_counted(channel_app: AppFactory) -> None:
    client = await channel_app()
    waiting = await open_peer(client)  # not connected yet: not a client
    assert value(await scrape(client), "fased_ws_clients") == 0

    peer = await connect(client)
    assert value(await scrape(client), "fased_ws_clients") == 1
    await waiting.ws.close()
    await peer.ws.close()
    for _ in range(50):
        if value(await scrape(client), "fased_ws_clients") == 0:
            break
        await asyncio.sleep(0.02)
    samples = await scrape(client)
    assert value(samples, "fased_ws_clients") == 0
    assert value(samples, "fased_http_requests_total", method="GET", route="/ws", status="101") == 2
