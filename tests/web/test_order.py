"""SPEC §5: the checks run in one order, and an earlier failure hides every later one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fased.web.middleware import middlewares
from tests.conftest import AUTH, ClientFactory

CHAT = "/v1/chat/completions"
X = [{"role": "user", "content": "x"}]
BIG = {"model": "nope", "messages": [{"role": "user", "content": "x" * 4000}]}


async def test_each_check_masks_the_later_ones(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"http": {"maxBodyBytes": 1024}}})
    steps: list[tuple[str, dict[str, Any], int]] = [
        ("GET", {}, 405),  # wrong method, no auth, no body
        ("POST", {"json": BIG}, 401),  # no auth, oversized, bad model
        ("POST", {"json": BIG, "headers": AUTH}, 413),  # oversized, bad model
        ("POST", {"data": b"{", "headers": AUTH}, 400),  # invalid JSON
        ("POST", {"json": {"model": "nope", "messages": X}, "headers": AUTH}, 404),
        ("POST", {"json": {"model": "fased", "messages": X}, "headers": AUTH}, 200),
    ]
    for method, kwargs, status in steps:
        response = await client.request(method, CHAT, **kwargs)
        assert response.status == status, (method, kwargs.keys(), await response.text())


async def test_unexpected_errors_are_500_with_the_request_id(aiohttp_client: Any) -> None:
    """The error middleware's last resort: no traceback leaves the process."""

    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app = web.Application(middlewares=middlewares()[:2])
    app.router.add_get("/v1/broken", broken)
    client = await aiohttp_client(app)
    response = await client.get("/v1/broken")
    assert response.status == 500
    body = await response.json()
    assert body["error"]["code"] == "internal_error"
    assert "quote request id req_" in body["error"]["message"]
    assert "secret internals" not in await response.text()
