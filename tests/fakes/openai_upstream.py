"""A fake OpenAI-compatible upstream (`POST /v1/chat/completions`) for tests.

It speaks the real wire format: a `chat.completion` JSON body, or a `chat.completion.chunk` SSE
stream (a role chunk, content or tool-call chunks, a finish chunk, a usage chunk when
`stream_options.include_usage` is set, then `data: [DONE]`). The official `openai` SDK parses
every reply it sends (see tests/providers/test_fake_openai_upstream.py).

Replies are queued in advance and served in order, one per request (the reply types and the
serving loop are shared with the other fakes, in tests/fakes/common.py):

    upstream = await serve_fake_openai(aiohttp_server)
    upstream.queue(TextReply("Hello there"), ErrorReply(429, "slow down", retry_after="7"))

Every request is recorded (`upstream.requests`: headers and JSON body). `upstream.disconnected`
is set when a client goes away while a reply is still being served (a hang or a stall), so a test
can assert that the gateway really cancelled its upstream call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.common import (
    CREATED,
    Answer,
    DropReply,
    ErrorReply,
    FakeUpstream,
    FakeUsage,
    HangReply,
    RecordedRequest,
    Reply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    data_frame,
    fragments,
    openai_error_response,
    partial_texts,
    serve,
    words,
)

__all__ = [
    "DropReply",
    "ErrorReply",
    "FakeOpenAIUpstream",
    "FakeUsage",
    "HangReply",
    "RecordedRequest",
    "Reply",
    "StallReply",
    "StreamErrorReply",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "serve_fake_openai",
]

DONE = b"data: [DONE]\n\n"


class FakeOpenAIUpstream(FakeUpstream):
    PATH = "/v1/chat/completions"

    def whole(self, body: dict[str, Any], reply: Answer) -> dict[str, Any]:
        return completion(body["model"], reply)

    def stream_shape(self, body: dict[str, Any]) -> ChunkStream:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return ChunkStream(body["model"], include_usage)

    def error_response(self, reply: ErrorReply) -> web.Response:
        return openai_error_response(reply)


async def serve_fake_openai(aiohttp_server: Callable[..., Awaitable[Any]]) -> FakeOpenAIUpstream:
    """Start a fake upstream on 127.0.0.1 with pytest-aiohttp's `aiohttp_server` fixture."""
    upstream = FakeOpenAIUpstream()
    await serve(upstream, aiohttp_server)
    return upstream


# --- wire shapes ---------------------------------------------------------------------------


def usage_wire(usage: FakeUsage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _call_id(index: int, call: ToolCall) -> str:
    return call.id or f"call_fake_{index}"


def _finish(reply: Answer) -> str:
    return reply.finish_reason if isinstance(reply, TextReply) else "tool_calls"


def completion(model: str, reply: Answer) -> dict[str, Any]:
    """A whole `chat.completion` body."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
    if isinstance(reply, ToolCallsReply):
        message["tool_calls"] = [
            {
                "id": _call_id(i, c),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for i, c in enumerate(reply.calls)
        ]
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(reply)}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [choice],
        "usage": usage_wire(reply.usage),
    }


class ChunkStream:
    """`chat.completion.chunk` frames for one request."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            data["usage"] = None
        return data

    def frames(self, reply: Answer) -> list[bytes]:
        """Every chunk of a streamed reply, in OpenAI's order, then `[DONE]`."""
        chunks = [self.chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks += [self.chunk({"content": word}) for word in words(reply.text)]
        if isinstance(reply, ToolCallsReply):
            for index, call in enumerate(reply.calls):
                chunks += self._tool_call(index, call, reply)
        chunks.append(self.chunk({}, _finish(reply)))
        if self.include_usage:
            usage = self.chunk({})
            usage["choices"], usage["usage"] = [], usage_wire(reply.usage)
            chunks.append(usage)
        return [*map(data_frame, chunks), DONE]

    def _tool_call(self, index: int, call: ToolCall, reply: ToolCallsReply) -> list[dict[str, Any]]:
        """The call's head, then its arguments in fragments (or whole in the head)."""
        head = {"index": index, "id": _call_id(index, call), "type": "function"}
        first = "" if reply.deltas else call.arguments
        function = {"name": call.name, "arguments": first}
        chunks = [self.chunk({"tool_calls": [{**head, "function": function}]})]
        if reply.deltas:
            chunks += [
                self.chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in fragments(call.arguments, reply.fragments)
            ]
        return chunks

    def partial(self, count: int) -> list[bytes]:
        """The role chunk and `count` content chunks; nothing for 0."""
        if not count:
            return []
        role = self.chunk({"role": "assistant", "content": ""})
        texts = [self.chunk({"content": text}) for text in partial_texts(count)]
        return [data_frame(chunk) for chunk in [role, *texts]]

    def error(self, message: str) -> list[bytes]:
        """OpenAI's `{"error": …}` frame, as it reports a failure after the headers went out."""
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        return [data_frame({"error": error})]
