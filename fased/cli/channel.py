"""The CLI's client of the control channel (SPEC §11), on aiohttp's WebSocket client.

`open_channel` connects and does the handshake; `Channel.request` sends one request and
collects its response(s), passing the events that arrive meanwhile to a callback;
`Channel.next_event` waits for the next event. Where the gateway is and how to authenticate come
from the same config and state as the daemon's, or from `--url` / `--token` (`target`, which
the HTTP client of `fased.cli.api` uses too); `run_or_exit` turns either's failure into one line.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import aiohttp
import orjson
import typer

import fased
from fased.cli.options import err
from fased.config import Paths, Settings

Payload = dict[str, Any]
EventHandler = Callable[[str, Payload], None]
T = TypeVar("T")

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Gateway WebSocket URL (default: from gateway.port/bind)."),
]
TokenOption = Annotated[
    str | None, typer.Option("--token", help="Gateway token (default: config or state dir).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class NoGateway(Exception):
    """Nothing answers at the URL."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class ChannelError(Exception):
    """The gateway answered with an error."""

    def __init__(self, error: Payload) -> None:
        super().__init__(error.get("message", "error"))
        self.code = str(error.get("code", "INTERNAL"))
        self.message = str(error.get("message", ""))


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    auth: dict[str, str]


def target(settings: Settings, paths: Paths, url: str | None, token: str | None) -> Target:
    """Where the running gateway listens, and the credential to present to it."""
    gateway = settings.gateway
    if url is None:
        host = "127.0.0.1" if gateway.host in ("0.0.0.0", "::") else gateway.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        url = f"ws://{host}:{gateway.port}/ws"
    auth: dict[str, str] = {}
    if token or gateway.auth.token:
        auth = {"token": token or gateway.auth.token or ""}
    elif gateway.auth.password:
        auth = {"password": gateway.auth.password}
    elif paths.token_file.exists():
        auth = {"token": paths.token_file.read_text(encoding="utf-8").strip()}
    return Target(url, auth)


class Channel:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def _frame(self) -> Payload:
        message = await self._ws.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            reason = message.extra or "the gateway closed the connection"
            raise ChannelError({"code": "CLOSED", "message": f"{reason} ({self._ws.close_code})"})
        frame: Payload = orjson.loads(message.data)
        return frame

    async def request(
        self,
        method: str,
        params: Payload | None = None,
        *,
        on_event: EventHandler | None = None,
        answers: int = 1,
    ) -> list[Payload]:
        """Send a request; its `answers` response payloads (`agent` answers twice)."""
        request_id = f"cli-{next(self._ids)}"
        await self._ws.send_str(
            orjson.dumps(
                {"type": "req", "id": request_id, "method": method, "params": params or {}}
            ).decode()
        )
        payloads: list[Payload] = []
        while len(payloads) < answers:
            frame = await self._frame()
            if frame["type"] == "event":
                if on_event is not None:
                    on_event(frame["event"], frame["payload"])
            elif frame.get("id") == request_id:
                if not frame["ok"]:
                    raise ChannelError(frame["error"])
                payloads.append(frame["payload"])
        return payloads

    async def next_event(self) -> tuple[str, Payload]:
        """The next event's name and payload (responses to no request of ours are skipped)."""
        while True:
            frame = await self._frame()
            if frame["type"] == "event":
                return frame["event"], frame["payload"]


def connect_params(auth: dict[str, str]) -> Payload:
    client = {"id": "fased-cli", "version": fased.__version__, "platform": sys.platform}
    return {
        "minProtocol": 1,
        "maxProtocol": 1,
        "client": {**client, "mode": "cli"},
        "role": "operator",
        "auth": auth,
    }


@asynccontextmanager
async def open_channel(where: Target, *, wait_seconds: float = 10) -> AsyncIterator[Channel]:
    """A connected channel; `NoGateway` when nothing answers at the URL."""
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(
                where.url, timeout=aiohttp.ClientWSTimeout(ws_close=wait_seconds), max_msg_size=0
            )
        except (aiohttp.ClientConnectorError, TimeoutError) as exc:
            raise NoGateway(where.url) from exc
        except aiohttp.WSServerHandshakeError as exc:
            message = f"{where.url} refused the WebSocket upgrade (HTTP {exc.status})"
            raise ChannelError({"code": "UNAVAILABLE", "message": message}) from None
        async with ws:
            channel = Channel(ws)
            async with asyncio.timeout(wait_seconds):
                await channel._frame()  # connect.challenge
                await channel.request("connect", connect_params(where.auth))
            yield channel


async def call(where: Target, method: str, params: Payload | None = None) -> Payload:
    async with open_channel(where) as channel:
        (payload,) = await channel.request(method, params)
        return payload


def run_or_exit(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` against the gateway; a clear one-line message and exit 1 when no gateway
    answers or it answers an error (no traceback)."""
    try:
        return asyncio.run(work)
    except NoGateway as exc:
        err.print(
            f"fased: no gateway answers at {exc.url} (start one with `fased gateway`)",
            markup=False,
        )
    except ChannelError as exc:
        err.print(f"fased: {exc.message}", markup=False)
    except KeyboardInterrupt:
        err.print("fased: interrupted", markup=False)
        raise typer.Exit(130) from None
    raise typer.Exit(1)


def call_or_exit(where: Target, method: str, params: Payload | None = None) -> Payload:
    """One request to the running gateway; a clear message and exit 1 when that fails."""
    return run_or_exit(call(where, method, params))


def print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
