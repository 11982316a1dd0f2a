"""A fake OpenAI-compatible upstream (`POST /v1/chat/completions`) for tests.

It speaks the real wire format: a `chat.completion` JSON body, or a `chat.completion.chunk` SSE
stream (a role chunk, content or tool-call chunks, a finish chunk, a usage chunk when
`stream_options.include_usage` is set, then `data: [DONE]`). The official `openai` SDK parses
every reply it sends (see tests/providers/test_fake_openai_upstream.py).

Replies are queued in advance and served in order, one per request:

    upstream = await serve_fake_openai(aiohttp_server)
    upstream.queue(TextReply("Hello there"), ErrorReply(429, "slow down", retry_after="7"))

Every request is recorded (`upstream.requests`: headers and JSON body). `upstream.disconnected`
is set when a client goes away while a reply is still being served (a hang or a stall), so a test
can assert that the gateway really cancelled its upstream call.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

CREATED = 1_700_000_000
FOREVER = 3600.0


@dataclass(frozen=True)
class FakeUsage:
    prompt_tokens: int = 11
    completion_tokens: int = 7
    cached_tokens: int = 3

    def wire(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }


@dataclass(frozen=True)
class TextReply:
    """Text, streamed one word per chunk."""

    text: str
    finish_reason: str = "stop"
    usage: FakeUsage = field(default_factory=FakeUsage)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str
    id: str | None = None  # default call_fake_<index>


@dataclass(frozen=True)
class ToolCallsReply:
    """One or more tool calls (after optional text); arguments stream in `fragments` pieces."""

    calls: tuple[ToolCall, ...]
    text: str = ""
    fragments: int = 3
    usage: FakeUsage = field(default_factory=FakeUsage)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error: OpenAI's error body with `message`, or `body` verbatim."""

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
    """Stream the role chunk and `chunks` content chunks, then send nothing more (streams only)."""

    chunks: int = 2


@dataclass(frozen=True)
class StreamErrorReply:
    """Stream `chunks` content chunks (none: not even the role chunk), then an `{"error": …}`
    frame, as OpenAI reports a failure after the headers went out (streams only)."""

    chunks: int = 1
    message: str = "The server had an error while processing your request."


@dataclass(frozen=True)
class DropReply:
    """Close the connection without answering (what a dead keep-alive connection looks like)."""


Reply = (
    TextReply | ToolCallsReply | ErrorReply | HangReply | StallReply | StreamErrorReply | DropReply
)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: CIMultiDict[str]
    body: dict[str, Any]
    peer: str  # the client's address and port: one peer for several requests = a pooled connection


class FakeOpenAIUpstream:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.disconnected = asyncio.Event()
        self.base_url = ""  # set by serve_fake_openai: http://127.0.0.1:<port>/v1

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        return app

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json(loads=orjson.loads)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        recorded = RecordedRequest(request.path, request.headers.copy(), body, str(peer))
        self.requests.append(recorded)
        reply = self.replies.popleft() if self.replies else ErrorReply(500, "no reply queued")
        if isinstance(reply, DropReply):
            return await _drop(request)
        try:
            return await self._serve(request, body, reply)
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnected.set()
            raise

    async def _serve(
        self, request: web.Request, body: dict[str, Any], reply: Reply
    ) -> web.StreamResponse:
        if isinstance(reply, ErrorReply):
            return _error_response(reply)
        if isinstance(reply, HangReply):
            await asyncio.sleep(reply.seconds)
            reply = TextReply("finally")
        if not body.get("stream"):
            if isinstance(reply, StallReply | StreamErrorReply):
                await asyncio.sleep(FOREVER)
            assert isinstance(reply, TextReply | ToolCallsReply)
            return web.json_response(completion(body["model"], reply), dumps=_dumps)
        return await self._stream(request, body, reply)

    async def _stream(
        self, request: web.Request, body: dict[str, Any], reply: Reply
    ) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunk = _chunk_factory(body["model"], include_usage)
        if isinstance(reply, StallReply | StreamErrorReply):
            for data in _partial(chunk, reply.chunks):
                await response.write(_frame(data))
            if isinstance(reply, StallReply):
                await asyncio.sleep(FOREVER)
            else:
                error = {
                    "message": reply.message,
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
                await response.write(_frame({"error": error}))
        else:
            assert isinstance(reply, TextReply | ToolCallsReply)
            for data in stream_chunks(chunk, reply, include_usage):
                await response.write(_frame(data))
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


async def serve_fake_openai(aiohttp_server: Callable[..., Awaitable[Any]]) -> FakeOpenAIUpstream:
    """Start a fake upstream on 127.0.0.1 with pytest-aiohttp's `aiohttp_server` fixture."""
    upstream = FakeOpenAIUpstream()
    server = await aiohttp_server(upstream.app(), host="127.0.0.1")
    upstream.base_url = str(server.make_url("/v1"))
    return upstream


# --- wire shapes ---------------------------------------------------------------------------


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _frame(data: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


def _call_id(index: int, call: ToolCall) -> str:
    return call.id or f"call_fake_{index}"


def completion(model: str, reply: TextReply | ToolCallsReply) -> dict[str, Any]:
    """A whole `chat.completion` body."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
    finish = reply.finish_reason if isinstance(reply, TextReply) else "tool_calls"
    if isinstance(reply, ToolCallsReply):
        message["tool_calls"] = [
            {
                "id": _call_id(i, c),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for i, c in enumerate(reply.calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": reply.usage.wire(),
    }


def _chunk_factory(model: str, include_usage: bool) -> Callable[..., dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return data

    return chunk


def _partial(chunk: Callable[..., dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The role chunk and `count` content chunks `part0 `, `part1 `, …; nothing for 0."""
    if not count:
        return []
    role = chunk({"role": "assistant", "content": ""})
    return [role, *(chunk({"content": f"part{i} "}) for i in range(count))]


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [words[0], *(" " + word for word in words[1:])] if text else []


def _fragments(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // max(1, count)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_chunks(
    chunk: Callable[..., dict[str, Any]], reply: TextReply | ToolCallsReply, include_usage: bool
) -> list[dict[str, Any]]:
    """Every chunk of a streamed reply, in OpenAI's order, without the final [DONE]."""
    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"content": word}) for word in _words(reply.text)]
    finish = reply.finish_reason if isinstance(reply, TextReply) else "tool_calls"
    if isinstance(reply, ToolCallsReply):
        for index, call in enumerate(reply.calls):
            head = {"index": index, "id": _call_id(index, call), "type": "function"}
            chunks.append(
                chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
            )
            chunks += [
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in _fragments(call.arguments, reply.fragments)
            ]
    chunks.append(chunk({}, finish))
    if include_usage:
        usage = chunk({})
        usage["choices"], usage["usage"] = [], reply.usage.wire()
        chunks.append(usage)
    return chunks


def _error_response(reply: ErrorReply) -> web.Response:
    headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
    if reply.body is not None:
        return web.Response(status=reply.status, body=reply.body, headers=headers)
    error = {"message": reply.message, "type": "invalid_request_error", "param": None, "code": None}
    return web.json_response({"error": error}, status=reply.status, headers=headers, dumps=_dumps)


async def _drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(
        FOREVER
    )  # the server cancels this handler when it sees the closed connection
    raise AssertionError("unreachable")
