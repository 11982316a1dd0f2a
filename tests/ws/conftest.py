"""The real app under aiohttp's test server, driven by aiohttp's real WebSocket client."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from fased.app import create_app
from fased.config import Paths
from fased.ws.protocol import ChannelPolicy
from tests.conftest import TOKEN, make_settings

FAST = ChannelPolicy(handshake_timeout=0.5, close_timeout=1.0)
CLIENT = {"id": "fased-tests", "version": "1.0", "platform": "pytest", "mode": "test"}

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def channel_app(aiohttp_client: Any, paths: Paths) -> AppFactory:
    """`await channel_app({...config...}, policy=...)` → a test client for the real app."""

    async def start(
        data: dict[str, Any] | None = None, *, policy: ChannelPolicy = FAST
    ) -> TestClient[Any, Any]:
        app = create_app(make_settings(data), paths, channel_policy=policy)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return start


def connect_params(**over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "minProtocol": 1,
        "maxProtocol": 1,
        "client": CLIENT,
        "role": "operator",
        "auth": {"token": TOKEN},
    }
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


@dataclass
class Peer:
    """One channel client. Frames are read in order; events and responses that arrive while
    waiting for something else are kept for later."""

    ws: aiohttp.ClientWebSocketResponse
    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    hello: dict[str, Any] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def frame(self, timeout: float = 5) -> dict[str, Any]:
        message = await self.ws.receive(timeout=timeout)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket closed: {message.type!r} {message.data!r}")
        data: dict[str, Any] = message.json()
        return data

    async def send(self, method: str, params: dict[str, Any] | None = None, **frame: Any) -> str:
        request_id = frame.pop("id", None) or f"r{next(self.ids)}"
        body = {"type": "req", "id": request_id, "method": method, **frame}
        if params is not None:
            body["params"] = params
        await self.ws.send_json(body)
        return str(request_id)

    async def response(self, request_id: str | None, timeout: float = 5) -> dict[str, Any]:
        for index, kept in enumerate(self.responses):
            if kept["id"] == request_id:
                return self.responses.pop(index)
        async with asyncio.timeout(timeout):
            while True:
                data = await self.frame(timeout)
                if data["type"] == "event":
                    self.events.append(data)
                elif data["id"] == request_id:
                    return data
                else:
                    self.responses.append(data)

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.response(await self.send(method, params))

    async def ok(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        res = await self.call(method, params)
        assert res["ok"], res
        payload: dict[str, Any] = res["payload"]
        return payload

    async def event(self, name: str, timeout: float = 5) -> dict[str, Any]:
        for index, kept in enumerate(self.events):
            if kept["event"] == name:
                return self.events.pop(index)
        async with asyncio.timeout(timeout):
            while True:
                data = await self.frame(timeout)
                if data["type"] == "event" and data["event"] == name:
                    return data
                (self.events if data["type"] == "event" else self.responses).append(data)

    async def closed(self, timeout: float = 5) -> tuple[int | None, str]:
        """Read until the server closes; the close code and reason."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    data = message.json()
                    (self.events if data["type"] == "event" else self.responses).append(data)
                    continue
                return self.ws.close_code, str(message.extra or "")


async def open_peer(client: TestClient[Any, Any], path: str = "/ws", **headers: str) -> Peer:
    """A socket that got its challenge, not connected yet."""
    ws = await client.ws_connect(path, headers=headers or None)
    peer = Peer(ws)
    challenge = await peer.frame()
    assert challenge["event"] == "connect.challenge", challenge
    return peer


async def connect(app_client: TestClient[Any, Any], /, **params: Any) -> Peer:
    peer = await open_peer(app_client)
    res = await peer.call("connect", connect_params(**params))
    assert res["ok"], res
    peer.hello = res["payload"]
    return peer
