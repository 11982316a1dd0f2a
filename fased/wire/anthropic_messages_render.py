"""Anthropic Messages, rendered for the client: the Message object and its typed event stream.

The shapes follow Anthropic's API reference (the Message object, "Streaming Messages" and
"Errors"), checked against the `anthropic` SDK's own models. Usage is Anthropic's: the
canonical input count includes cache reads and writes (`Usage`), Anthropic lists the three
apart, so `input_tokens` is what is left after both (pitfall 13). The gateway adds `cost_usd`
to usage when the run priced the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import orjson

from fased.canonical import (
    Event,
    Finish,
    FinishReason,
    MessageStart,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    Reply,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
)
from fased.errors import UpstreamError
from fased.wire.sse import encode_event

PING: Final = encode_event("ping", {"type": "ping"})

_STOP_REASONS: Final[dict[FinishReason, str]] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
_ERROR_TYPES: Final = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
_CONTENT = (TextDelta, ReasoningDelta, ReasoningEnd, ToolCallStart, ToolCallDelta, ToolCallEnd)
_CUT_SHORT = "The model stream ended with an error before it finished; retry the request."


def stop_reason(reason: FinishReason, has_tool_calls: bool) -> str:
    """Canonical → Anthropic; a turn that called tools ends with `tool_use` (pitfall 2).

    "error" has no stop reason: callers render an error instead.
    """
    if reason == "error":
        raise ValueError("an errored reply is rendered as an error, not with a stop reason")
    if has_tool_calls and reason == "stop":
        return "tool_use"
    return _STOP_REASONS[reason]


def tool_input(arguments: str) -> dict[str, Any] | None:
    """The `input` object of a tool_use block from canonical JSON text: "" is `{}`; text that
    is not a JSON object is None (Anthropic's `input` is always an object)."""
    if not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def render_tool_use(call: ToolCallPart) -> dict[str, Any]:
    """A tool_use block; arguments that are not a JSON object are sent as `{}`."""
    return {
        "type": "tool_use",
        "id": call.id,
        "name": call.name,
        "input": tool_input(call.arguments) or {},
    }


def render_reasoning(part: ReasoningPart) -> dict[str, Any]:
    """A thinking block, or redacted_thinking whose opaque `data` travels as the signature."""
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.signature or ""}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}


def render_usage(usage: Usage) -> dict[str, Any]:
    """Anthropic's usage object: `input_tokens` excludes cache reads and writes (pitfall 13)."""
    fresh = usage.input_tokens - usage.cached_input_tokens - usage.cache_write_input_tokens
    rendered: dict[str, Any] = {
        "input_tokens": max(0, fresh),
        "cache_creation_input_tokens": usage.cache_write_input_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
    }
    if usage.reasoning_tokens:
        rendered["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    if usage.cost_usd is not None:
        rendered["cost_usd"] = usage.cost_usd
    return rendered


def render_response(reply: Reply, *, response_id: str, model: str) -> dict[str, Any]:
    """A whole reply as a Message: thinking first, then text, then tool_use blocks.

    No empty text block is rendered (pitfall 7). A reply whose finish is "error" raises
    `UpstreamError`: a Message cannot say "failed half way", so it becomes an error response.
    """
    if reply.finish == "error":
        raise UpstreamError(_CUT_SHORT)
    content = [render_reasoning(part) for part in reply.reasoning]
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    content.extend(render_tool_use(call) for call in reply.tool_calls)
    return {
        "id": response_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(reply.finish, bool(reply.tool_calls)),
        "stop_sequence": None,
        "usage": render_usage(reply.usage),
    }


def error_type(status: int) -> str:
    """Anthropic's error `type` for an HTTP status (SPEC §5 names the set)."""
    if status in _ERROR_TYPES:
        return _ERROR_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def error_body(status: int, message: str) -> dict[str, Any]:
    """`{"type": "error", "error": {...}}`: the error response body and the `error` event."""
    return {"type": "error", "error": {"type": error_type(status), "message": message}}


# --- stream --------------------------------------------------------------------------------

_Kind = Literal["text", "thinking", "tool_use"]
_DELTA_KEYS: Final[dict[_Kind, tuple[str, str]]] = {
    "text": ("text_delta", "text"),
    "thinking": ("thinking_delta", "thinking"),
    "tool_use": ("input_json_delta", "partial_json"),
}


@dataclass(slots=True, eq=False)
class _Block:
    """One content block: sent live when it is first in line, else buffered until it is."""

    kind: _Kind
    opening: dict[str, Any]
    pending: list[str] = field(default_factory=list)
    index: int = -1  # Anthropic's block index, given when the block is opened
    signature: str | None = None
    has_content: bool = False
    ended: bool = False


class StreamEncoder:
    """Canonical events → Anthropic's typed SSE events, in the order Anthropic sends them.

    `message_start` (sent lazily, so `MessageStart` is optional) and one `ping`; then each
    content block as `content_block_start`, its deltas and `content_block_stop`, numbered from 0.
    Blocks never overlap on the wire: a block that begins while a tool call is still open (a
    second call before the first one's end, text after an unfinished call) is buffered and sent,
    whole so far, when its turn comes; text and thinking blocks end where the next block
    begins. A text block is opened only for non-empty text (pitfalls 2, 7); a tool_use block
    that got no argument text gets `partial_json: "{}"`, so a client that joins and parses the
    fragments reads `{}` (pitfall 1); a thinking block sends its signature before it stops,
    even when it has no text (pitfall 11).

    Usage is known only at the end of a canonical stream, so `message_start` says 0 tokens and
    `message_delta` carries the real counts (Anthropic's `message_delta` usage is cumulative:
    clients take its numbers over `message_start`'s, pitfall 14). `Finish` waits for `Usage` or
    `close()`; then come `message_delta` and `message_stop`. A `StreamError` ends the stream
    with an `error` event and nothing after it. `close()` always ends the stream well-formed
    (pitfall 19), and nothing follows `message_stop`.
    """

    __slots__ = (
        "_blocks",
        "_done",
        "_failed",
        "_finish",
        "_has_tools",
        "_id",
        "_model",
        "_next_index",
        "_started",
        "_tools",
        "_usage",
    )

    def __init__(self, response_id: str, model: str) -> None:
        self._id, self._model = response_id, model
        self._started = self._failed = self._done = self._has_tools = False
        self._blocks: list[_Block] = []  # not yet stopped; the first one is open on the wire
        self._tools: dict[int, _Block] = {}  # canonical tool index → its block
        self._next_index = 0
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None

    def encode(self, event: Event) -> bytes:
        if self._done or (self._finish is not None and isinstance(event, _CONTENT)):
            return b""
        match event:
            case TextDelta(text=text) if text:
                return self._start() + self._content("text", text)
            case ReasoningDelta(text=text) if text:
                return self._start() + self._content("thinking", text)
            case ReasoningEnd(signature=signature):
                return self._start() + self._end_reasoning(signature)
            case ToolCallStart(index=index, id=call_id, name=name):
                return self._start() + self._start_tool(index, call_id, name)
            case ToolCallDelta(index=index, arguments=arguments) if arguments:  # "" skipped (4)
                block = self._tools.get(index)
                return b"" if block is None or block.ended else self._fragment(block, arguments)
            case ToolCallEnd(index=index):
                block = self._tools.get(index)
                return b"" if block is None else self._end(block)
            case Finish(reason=reason):
                return self._on_finish(reason)
            case Usage():
                self._usage = event
                return self._end_message() if self._finish is not None else b""
            case StreamError(status=status, message=message):
                return self._error(status, message)
            case MessageStart():
                return self._start()
        return b""

    def close(self) -> bytes:
        if self._done:
            return b""
        if self._failed:
            return self._error(502, _CUT_SHORT)
        frames = self._start() + self._end_blocks()
        if self._finish is None:
            self._finish = "stop"
        return frames + self._end_message()

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": render_usage(Usage()),
        }
        return encode_event("message_start", {"type": "message_start", "message": message}) + PING

    def _on_finish(self, reason: FinishReason) -> bytes:
        if self._finish is not None or self._failed:
            return b""
        if reason == "error":  # the StreamError that follows says what happened
            self._failed = True
            return b""
        self._finish = reason
        frames = self._start() + self._end_blocks()
        return frames + (self._end_message() if self._usage is not None else b"")

    def _end_message(self) -> bytes:
        self._done = True
        reason = stop_reason(self._finish or "stop", self._has_tools)
        message_delta = {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
            "usage": render_usage(self._usage or Usage()),
        }
        return encode_event("message_delta", message_delta) + encode_event(
            "message_stop", {"type": "message_stop"}
        )

    def _error(self, status: int, message: str) -> bytes:
        self._done = True
        return encode_event("error", error_body(status, message))

    # --- content blocks ----------------------------------------------------------------------

    def _content(self, kind: _Kind, text: str) -> bytes:
        last = self._blocks[-1] if self._blocks else None
        if last is not None and last.kind == kind and not last.ended:
            return self._fragment(last, text)
        block = _Block(kind, _opening(kind))
        return self._append(block) + self._fragment(block, text)

    def _end_reasoning(self, signature: str | None) -> bytes:
        last = self._blocks[-1] if self._blocks else None
        frames = b""
        if last is None or last.kind != "thinking" or last.ended:
            if not signature:  # nothing to carry
                return b""
            last = _Block("thinking", _opening("thinking"))  # signature only (pitfall 11)
            frames = self._append(last)
        last.signature = signature or None
        return frames + self._end(last)

    def _start_tool(self, index: int, call_id: str, name: str) -> bytes:
        if index in self._tools:
            return b""
        opening = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        block = self._tools[index] = _Block("tool_use", opening)
        self._has_tools = True
        return self._append(block)

    def _append(self, block: _Block) -> bytes:
        frames = b""
        if self._blocks and self._blocks[-1].kind != "tool_use":
            frames = self._end(self._blocks[-1])  # text and thinking end where the next begins
        self._blocks.append(block)
        return frames + (self._open(block) if len(self._blocks) == 1 else b"")

    def _fragment(self, block: _Block, text: str) -> bytes:
        block.has_content = True
        if self._blocks[0] is block:
            return self._delta(block, text)
        block.pending.append(text)
        return b""

    def _end(self, block: _Block) -> bytes:
        block.ended = True
        return self._advance() if self._blocks and self._blocks[0] is block else b""

    def _end_blocks(self) -> bytes:
        for block in self._blocks:
            block.ended = True
        return self._advance()

    def _advance(self) -> bytes:
        """Stop the open block while it is done, opening the next one in line."""
        frames = b""
        while self._blocks and self._blocks[0].ended:
            frames += self._stop(self._blocks.pop(0))
            if self._blocks:
                frames += self._open(self._blocks[0])
        return frames

    def _open(self, block: _Block) -> bytes:
        block.index, self._next_index = self._next_index, self._next_index + 1
        start = {
            "type": "content_block_start",
            "index": block.index,
            "content_block": block.opening,
        }
        frames = encode_event("content_block_start", start)
        if block.pending:
            frames += self._delta(block, "".join(block.pending))
            block.pending.clear()
        return frames

    def _stop(self, block: _Block) -> bytes:
        frames = b""
        if block.kind == "tool_use" and not block.has_content:
            frames = self._delta(block, "{}")
        elif block.kind == "thinking" and block.signature:
            delta = {"type": "signature_delta", "signature": block.signature}
            frames = _block_delta(block.index, delta)
        stop = {"type": "content_block_stop", "index": block.index}
        return frames + encode_event("content_block_stop", stop)

    def _delta(self, block: _Block, text: str) -> bytes:
        kind, key = _DELTA_KEYS[block.kind]
        return _block_delta(block.index, {"type": kind, key: text})


def _opening(kind: _Kind) -> dict[str, Any]:
    if kind == "text":
        return {"type": "text", "text": ""}
    return {"type": "thinking", "thinking": "", "signature": ""}


def _block_delta(index: int, delta: dict[str, Any]) -> bytes:
    return encode_event(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )
