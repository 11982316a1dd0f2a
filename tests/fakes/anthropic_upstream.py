"""A fake Anthropic Messages upstream (`POST /v1/messages`) for tests.

It speaks the documented wire format: a `message` JSON body, or the typed SSE stream
(`message_start` carrying the input usage, `content_block_start`, `ping`, `content_block_delta`
with `text_delta` / `input_json_delta`, `content_block_stop`, `message_delta` with the stop
reason and the cumulative usage, `message_stop`); a failure after the headers went out is an
`error` event; an HTTP error has Anthropic's body `{"type":"error","error":{"type","message"}}`.
The official `anthropic` SDK parses every reply it sends (see
tests/providers/test_fake_anthropic_upstream.py).

The replies, the queue, the recorded requests and `disconnected` are shared with the other
fakes (tests/fakes/common.py). Its base URL is written as the SDK takes it, without `/v1`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.common import (
    Answer,
    ErrorReply,
    FakeUpstream,
    FakeUsage,
    TextReply,
    ToolCall,
    ToolCallsReply,
    dumps,
    fragments,
    partial_texts,
    serve,
    typed_frame,
    words,
)

MESSAGE_ID = "msg_fake"
EMPTY_TEXT = {"type": "text", "text": ""}  # a text block as `content_block_start` opens it
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class FakeAnthropicUpstream(FakeUpstream):
    PATH = "/v1/messages"
    BASE_PATH = ""

    def whole(self, body: dict[str, Any], reply: Answer) -> dict[str, Any]:
        content = [*_text_blocks(reply), *(_tool_use(i, c) for i, c in enumerate(_calls(reply)))]
        return {
            **_message(body["model"]),
            "content": content,
            "stop_reason": _stop_reason(reply),
            "usage": usage_wire(reply.usage),
        }

    def stream_shape(self, body: dict[str, Any]) -> MessageStream:
        return MessageStream(body["model"])

    def error_response(self, reply: ErrorReply) -> web.Response:
        headers = {"request-id": "req_fake"}
        if reply.retry_after:
            headers["retry-after"] = reply.retry_after
        if reply.body is not None:
            return web.Response(status=reply.status, body=reply.body, headers=headers)
        kind = ERROR_TYPES.get(reply.status, "api_error")
        error = {"type": "error", "error": {"type": kind, "message": reply.message}}
        error["request_id"] = "req_fake"
        return web.json_response(error, status=reply.status, headers=headers, dumps=dumps)


async def serve_fake_anthropic(
    aiohttp_server: Callable[..., Awaitable[Any]],
) -> FakeAnthropicUpstream:
    """Start a fake Messages upstream on 127.0.0.1 (`base_url` has no `/v1`, as the SDK's)."""
    upstream = FakeAnthropicUpstream()
    await serve(upstream, aiohttp_server)
    upstream.base_url = upstream.base_url.rstrip("/")
    return upstream


# --- wire shapes ---------------------------------------------------------------------------


def usage_wire(usage: FakeUsage, *, output_tokens: int | None = None) -> dict[str, Any]:
    """Anthropic's usage: `input_tokens` excludes the cache reads and writes, counted apart."""
    return {
        "input_tokens": usage.uncached_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.completion_tokens if output_tokens is None else output_tokens,
        "service_tier": "standard",
    }


def _message(model: str) -> dict[str, Any]:
    return {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }


def _calls(reply: Answer) -> tuple[ToolCall, ...]:
    return reply.calls if isinstance(reply, ToolCallsReply) else ()


def _stop_reason(reply: Answer) -> str:
    finish = reply.finish_reason if isinstance(reply, TextReply) else "tool_calls"
    return STOP_REASONS[finish]


def _text_blocks(reply: Answer) -> list[dict[str, Any]]:
    """A text block unless a tool-call turn has no text (Anthropic sends no empty one then)."""
    if isinstance(reply, ToolCallsReply) and not reply.text:
        return []
    return [{"type": "text", "text": reply.text}]


def _tool_use(index: int, call: ToolCall, *, started: bool = False) -> dict[str, Any]:
    """A `tool_use` block; as `content_block_start` opens it, its input is still `{}`."""
    call_id = call.id or f"toolu_fake_{index}"
    arguments = {} if started else orjson.loads(call.arguments or "{}")
    return {"type": "tool_use", "id": call_id, "name": call.name, "input": arguments}


class MessageStream:
    """The typed events of one streamed message."""

    def __init__(self, model: str) -> None:
        self.model = model

    def _start(self, usage: FakeUsage) -> list[dict[str, Any]]:
        """`message_start` with the input usage and a placeholder output count (pitfall 14)."""
        message = {**_message(self.model), "usage": usage_wire(usage, output_tokens=1)}
        return [{"type": "message_start", "message": message}]

    def frames(self, reply: Answer) -> list[bytes]:
        events = self._start(reply.usage)
        blocks = [(EMPTY_TEXT, _text_deltas(words(b["text"]))) for b in _text_blocks(reply)]
        if isinstance(reply, ToolCallsReply):
            blocks += [_tool_block(i, call, reply) for i, call in enumerate(reply.calls)]
        for index, (block, deltas) in enumerate(blocks):
            events.append({"type": "content_block_start", "index": index, "content_block": block})
            if index == 0:
                events.append({"type": "ping"})
            events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
            events.append({"type": "content_block_stop", "index": index})
        delta = {"stop_reason": _stop_reason(reply), "stop_sequence": None}
        usage = usage_wire(reply.usage)  # cumulative: the input counts again, the final output
        del usage["service_tier"]
        events.append({"type": "message_delta", "delta": delta, "usage": usage})
        events.append({"type": "message_stop"})
        return [typed_frame(event) for event in events]

    def partial(self, count: int) -> list[bytes]:
        if not count:
            return []
        events = [
            *self._start(FakeUsage()),
            {"type": "content_block_start", "index": 0, "content_block": EMPTY_TEXT},
            {"type": "ping"},
        ]
        events += [
            {"type": "content_block_delta", "index": 0, "delta": delta}
            for delta in _text_deltas(partial_texts(count))
        ]
        return [typed_frame(event) for event in events]

    def error(self, message: str) -> list[bytes]:
        """The `error` event Anthropic sends when a stream fails after it started."""
        error = {"type": "overloaded_error", "message": message}
        return [typed_frame({"type": "error", "error": error})]


def _text_deltas(pieces: list[str]) -> list[dict[str, Any]]:
    return [{"type": "text_delta", "text": piece} for piece in pieces]


def _tool_block(
    index: int, call: ToolCall, reply: ToolCallsReply
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The block `content_block_start` opens and its `input_json_delta`s; with `deltas=False`
    the whole input is in the start and no delta follows."""
    if not reply.deltas:
        return _tool_use(index, call), []
    pieces = fragments(call.arguments, reply.fragments)
    deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
    return _tool_use(index, call, started=True), deltas
