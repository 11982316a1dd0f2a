"""What the fake upstreams share: the queued replies, the recorded requests, and the serving loop.

A reply is described once, independent of the wire format (`TextReply("hi")`, an `ErrorReply`,
a `StallReply` …); each fake (`openai_upstream`, `anthropic_upstream`, `responses_upstream`)
renders it in its own format through three hooks: `whole` (a non-streamed body), `stream_shape`
(the frames of a stream) and `error_response` (an HTTP error). `FakeUpstream` does the rest:
serves the queue in order, records every request, and sets `disconnected` when a client goes away
while a reply is still being served (a hang or a stall), so a test can assert that the gateway
really cancelled its upstream call.

Finish reasons are written in Chat Completions' words (`stop`, `length`); usage is counted as
OpenAI counts it (`prompt_tokens` includes the cached reads and the cache writes). Each fake maps
both to its own format.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import aiohttp
import orjson
from aiohttp import web
from multidict import CIMultiDict

from fased.wire.sse import SSEParser

CREATED = 1_700_000_000
FOREVER = 3600.0
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


@dataclass(frozen=True)
class FakeUsage:
    prompt_tokens: int = 11  # everything read, cached reads and cache writes included
    completion_tokens: int = 7
    cached_tokens: int = 3
    cache_write_tokens: int = 0

    @property
    def uncached_tokens(self) -> int:
        """The input read at the full rate (Anthropic's `input_tokens`)."""
        return self.prompt_tokens - self.cached_tokens - self.cache_write_tokens


@dataclass(frozen=True)
class TextReply:
    """Text, streamed one word per delta."""

    text: str
    finish_reason: str = "stop"
    usage: FakeUsage = field(default_factory=FakeUsage)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str
    id: str | None = None  # default: the fake's own prefix and the call's index


@dataclass(frozen=True)
class ToolCallsReply:
    """One or more tool calls (after optional text); arguments stream in `fragments` pieces.

    `deltas=False` streams no argument fragments at all: the arguments arrive only whole (in
    Anthropic's `content_block_start` input, in Responses' `function_call_arguments.done`) —
    the case where other gateways lost them (pitfall 1).
    """

    calls: tuple[ToolCall, ...]
    text: str = ""
    fragments: int = 3
    deltas: bool = True
    usage: FakeUsage = field(default_factory=FakeUsage)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error: the format's error body with `message`, or `body` verbatim."""

    status: int
    message: str = "fake upstream error"
    retry_after: str | None = None
    body: bytes | None = None


@dataclass(frozen=True)
class HangReply:
    """Send nothing for `seconds` (longer than the client's timeout), then a normal text reply."""

    seconds: float = FOREVER


@dataclass(frozen=True)
class StallReply:
    """Stream the opening events and `chunks` text deltas, then send nothing more (streams only)."""

    chunks: int = 2


@dataclass(frozen=True)
class StreamErrorReply:
    """Stream `chunks` text deltas (none: no opening events either), then the format's error
    event, as the upstream reports a failure after the headers went out (streams only)."""

    chunks: int = 1
    message: str = "The server had an error while processing your request."


@dataclass(frozen=True)
class DropReply:
    """Close the connection without answering (what a dead keep-alive connection looks like)."""


Reply = (
    TextReply | ToolCallsReply | ErrorReply | HangReply | StallReply | StreamErrorReply | DropReply
)
Answer = TextReply | ToolCallsReply


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: CIMultiDict[str]
    body: dict[str, Any]
    peer: str  # the client's address and port: one peer for several requests = a pooled connection


class StreamShape(Protocol):
    """The frames of one stream in a fake's format (it may count events across calls)."""

    def frames(self, reply: Answer) -> list[bytes]:
        """A whole streamed reply, with the format's terminator."""
        ...

    def partial(self, count: int) -> list[bytes]:
        """The opening events and `count` text deltas `part0 `, `part1 `, … (nothing for 0)."""
        ...

    def error(self, message: str) -> list[bytes]:
        """The format's mid-stream error."""
        ...


class FakeUpstream:
    """Serves queued replies at `PATH` through a subclass's format hooks."""

    PATH: ClassVar[str]
    BASE_PATH: ClassVar[str] = "/v1"  # what the official SDK's base URL ends in

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.disconnected = asyncio.Event()
        self.base_url = ""  # set by `serve`

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.PATH, self.handle)
        return app

    # --- format hooks ---------------------------------------------------------------------

    def whole(self, body: dict[str, Any], reply: Answer) -> dict[str, Any]:
        raise NotImplementedError

    def stream_shape(self, body: dict[str, Any]) -> StreamShape:
        raise NotImplementedError

    def error_response(self, reply: ErrorReply) -> web.Response:
        raise NotImplementedError

    # --- serving --------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json(loads=orjson.loads)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(RecordedRequest(request.path, request.headers.copy(), body, str(peer)))
        reply = self.replies.popleft() if self.replies else ErrorReply(500, "no reply queued")
        if isinstance(reply, DropReply):
            return await drop(request)
        try:
            return await self._serve(request, body, reply)
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnected.set()
            raise

    async def _serve(
        self, request: web.Request, body: dict[str, Any], reply: Reply
    ) -> web.StreamResponse:
        if isinstance(reply, ErrorReply):
            return self.error_response(reply)
        if isinstance(reply, HangReply):
            await asyncio.sleep(reply.seconds)
            reply = TextReply("finally")
        if not body.get("stream"):
            if isinstance(reply, StallReply | StreamErrorReply):
                await asyncio.sleep(FOREVER)
            assert isinstance(reply, TextReply | ToolCallsReply)
            return web.json_response(self.whole(body, reply), dumps=dumps)
        return await self._stream(request, self.stream_shape(body), reply)

    async def _stream(
        self, request: web.Request, shape: StreamShape, reply: Reply
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        if isinstance(reply, StallReply | StreamErrorReply):
            await write_all(response, shape.partial(reply.chunks))
            if isinstance(reply, StallReply):
                await asyncio.sleep(FOREVER)
            else:
                await write_all(response, shape.error(reply.message))
        else:
            assert isinstance(reply, TextReply | ToolCallsReply)
            await write_all(response, shape.frames(reply))
        await response.write_eof()
        return response


async def serve(upstream: FakeUpstream, aiohttp_server: Callable[..., Awaitable[Any]]) -> None:
    """Start `upstream` on 127.0.0.1 with pytest-aiohttp's `aiohttp_server` fixture."""
    server = await aiohttp_server(upstream.app(), host="127.0.0.1")
    upstream.base_url = str(server.make_url(upstream.BASE_PATH))


async def write_all(response: web.StreamResponse, frames: list[bytes]) -> None:
    for frame in frames:
        await response.write(frame)


async def drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(FOREVER)  # the server cancels this handler when it sees the closed socket
    raise AssertionError("unreachable")


# --- shapes every format uses --------------------------------------------------------------


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def data_frame(data: Any) -> bytes:
    """An untyped SSE frame (Chat Completions)."""
    return b"data: " + orjson.dumps(data) + b"\n\n"


def typed_frame(data: dict[str, Any]) -> bytes:
    """A typed SSE frame whose `event:` is the data's `type` (Messages, Responses)."""
    return b"event: " + str(data["type"]).encode() + b"\n" + data_frame(data)


def words(text: str) -> list[str]:
    """`text` split into word deltas that join back exactly."""
    pieces = text.split(" ")
    return [pieces[0], *(" " + piece for piece in pieces[1:])] if text else []


def fragments(text: str, count: int) -> list[str]:
    """`text` in at most `count` pieces of equal size."""
    size = max(1, -(-len(text) // max(1, count)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def partial_texts(count: int) -> list[str]:
    """The text deltas of a stalled or failing stream."""
    return [f"part{i} " for i in range(count)]


def openai_error_response(reply: ErrorReply) -> web.Response:
    """OpenAI's error body (Chat Completions and Responses alike)."""
    headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
    if reply.body is not None:
        return web.Response(status=reply.status, body=reply.body, headers=headers)
    error = {"message": reply.message, "type": "invalid_request_error", "param": None, "code": None}
    return web.json_response({"error": error}, status=reply.status, headers=headers, dumps=dumps)


async def typed_events(url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST `body` to a fake and read its typed stream raw, checking that every `event:` names
    its data's `type` (what the SDKs do not show)."""
    parser = SSEParser()
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        messages = parser.feed(await response.read()) + parser.flush()
    events = [orjson.loads(message.data) for message in messages]
    assert [message.event for message in messages] == [event["type"] for event in events]
    return events
