"""The CLI's client of the running gateway's HTTP API (the faces API is HTTP, SPEC §7).

Where the gateway is and the credential to present come from `fased.cli.channel.target`, as
for the channel's commands: `--url` may be the gateway's `http(s)://` address or its `ws(s)://`
channel URL, and each transport's URL is derived from the other. An error answer raises
`ChannelError` with the message of its `{"error": …}` body, and a refused connection
`NoGateway`, so `run_or_exit` reports both transports' failures the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
import typer

from fased.cli.channel import ChannelError, NoGateway, Target, target
from fased.cli.options import load_or_exit

TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_read=300)
HTTP_SCHEMES = {"ws": "http", "wss": "https"}
WS_SCHEMES = {"http": "ws", "https": "wss"}

GatewayUrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="The gateway's URL, http://HOST:PORT or its ws://HOST:PORT/ws channel "
        "(default: from gateway.port/bind).",
    ),
]


def http_base(url: str) -> str:
    """`ws://host:port/ws` (or an http URL) → `http://host:port`."""
    parts = urlsplit(url)
    return urlunsplit((HTTP_SCHEMES.get(parts.scheme, parts.scheme), parts.netloc, "", "", ""))


def channel_url(url: str) -> str:
    """An `http(s)://host:port` URL → the channel's `ws(s)://host:port/ws`; a ws URL as is."""
    parts = urlsplit(url)
    if parts.scheme not in WS_SCHEMES:
        return url
    return urlunsplit((WS_SCHEMES[parts.scheme], parts.netloc, "/ws", "", ""))


def gateway_target(config: Path | None, url: str | None, token: str | None) -> Target:
    """The gateway the verbs talk to (see the module docstring); exit 2 on a bad config."""
    settings, paths = load_or_exit(config)
    return target(settings, paths, channel_url(url) if url else None, token)


def error_of(status: int, reason: str, body: bytes) -> ChannelError:
    """The gateway's `{"error": {message, code…}}`, or the HTTP status when there is none."""
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        error = None
    if isinstance(error, dict) and error.get("message"):
        return ChannelError({"code": error.get("code", "error"), "message": error["message"]})
    return ChannelError({"code": str(status), "message": f"the gateway answered {status} {reason}"})


class Api:
    """JSON requests to one gateway; `ChannelError` on an error answer."""

    def __init__(self, session: aiohttp.ClientSession, where: Target) -> None:
        self.session = session
        self.base = http_base(where.url)
        secret = next(iter(where.auth.values()), None)
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> Any:
        url, headers = self.base + path, dict(self.headers)
        if json is not None:
            data, headers["Content-Type"] = orjson.dumps(json), "application/json"
        try:
            async with self.session.request(
                method, url, params=params, data=data, headers=headers
            ) as response:
                body = await response.read()
                if response.status >= 400:
                    raise error_of(response.status, response.reason or "", body)
                return orjson.loads(body) if body else None
        except aiohttp.ClientConnectorError as exc:
            raise NoGateway(self.base) from exc
        except (aiohttp.ClientError, orjson.JSONDecodeError) as exc:
            message = f"the request to {url} failed: {exc or type(exc).__name__}"
            raise ChannelError({"code": "UNAVAILABLE", "message": message}) from None

    async def get(self, path: str, **params: str) -> Any:
        return await self.call("GET", path, params=params or None)


@asynccontextmanager
async def open_api(where: Target) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        yield Api(session, where)
