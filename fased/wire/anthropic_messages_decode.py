"""Anthropic Messages, decoded: what an Anthropic upstream sends back, as canonical events.

`parse_upstream_response` reads a whole Message, `UpstreamStreamDecoder` the stream's events one
at a time; both are re-exported by `anthropic_messages_upstream`, the upstream side's public
module. Usage becomes the canonical (OpenAI) count: input tokens include cache reads and writes
(pitfall 13). A malformed body is an `UpstreamError`; unknown block and event types are
skipped, as Anthropic's versioning policy asks of clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from fased.canonical import (
    Event,
    Finish,
    FinishReason,
    MessageStart,
    ReasoningDelta,
    ReasoningEnd,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
)
from fased.errors import UpstreamError

_FINISH: Final[dict[str, FinishReason]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_STREAM_ERRORS: Final = {  # Anthropic error type → (status, code) of the StreamError
    "overloaded_error": (503, "upstream_overloaded"),  # as the provider maps HTTP 529
    "rate_limit_error": (429, "rate_limited"),
    "timeout_error": (504, "upstream_timeout"),
}
_TEXT_DELTAS: Final[dict[str, tuple[str, type[TextDelta | ReasoningDelta]]]] = {
    "text_delta": ("text", TextDelta),
    "thinking_delta": ("thinking", ReasoningDelta),
}


# --- response ------------------------------------------------------------------------------


def parse_upstream_response(body: Any) -> list[Event]:
    """A non-streamed Message → MessageStart, content, Finish, Usage."""
    if not isinstance(body, dict):
        raise UpstreamError("The upstream server answered with a non-object body.")
    if body.get("type") == "error" or body.get("error"):
        raise UpstreamError(f"The upstream server reported an error: {error_message(body)}")
    content = body.get("content")
    if not isinstance(content, list):
        raise UpstreamError("The upstream message has no `content` list.")
    events: list[Event] = [MessageStart(_string(body.get("id")), _string(body.get("model")))]
    calls = 0
    for position, block in enumerate(content):
        if not isinstance(block, dict):
            raise UpstreamError(f"The upstream content block {position} is not an object.")
        events.extend(_whole_block(block, calls))
        if block.get("type") == "tool_use":
            calls += 1
    events.append(Finish(canonical_finish(body.get("stop_reason"), calls > 0)))
    if isinstance(body.get("usage"), dict):
        events.append(parse_usage(body["usage"]))
    return events


def _whole_block(block: dict[str, Any], call_index: int) -> list[Event]:
    kind = block.get("type")
    if kind == "text":
        text = _string(block.get("text"))
        return [TextDelta(text)] if text else []
    if kind == "thinking":
        text = _string(block.get("thinking"))
        end = ReasoningEnd(_string(block.get("signature")) or None)
        return [ReasoningDelta(text), end] if text else [end]
    if kind != "tool_use":  # redacted_thinking: no canonical event carries it; server blocks
        return []
    arguments = block.get("input")
    if not isinstance(block.get("name"), str) or not isinstance(arguments, dict):
        raise UpstreamError(f"The upstream tool_use block {call_index} has no `name` or `input`.")
    return [
        ToolCallStart(call_index, _call_id(block.get("id"), call_index), block["name"]),
        ToolCallDelta(call_index, orjson.dumps(arguments).decode()),
        ToolCallEnd(call_index),
    ]


def canonical_finish(reason: Any, has_tool_calls: bool) -> FinishReason:
    """Anthropic → canonical; unknown or missing reasons are "stop", or "tool_calls" after calls."""
    mapped = _FINISH.get(reason, "stop") if isinstance(reason, str) else "stop"
    return "tool_calls" if has_tool_calls and mapped == "stop" else mapped


def parse_usage(usage: dict[str, Any]) -> Usage:
    """Anthropic lists fresh input, cache reads and cache writes apart; canonical input is
    their sum (pitfalls 13, 14). Thinking tokens are part of `output_tokens`."""
    read = _count(usage, "cache_read_input_tokens")
    write = _count(usage, "cache_creation_input_tokens")
    return Usage(
        input_tokens=_count(usage, "input_tokens") + read + write,
        output_tokens=_count(usage, "output_tokens"),
        cached_input_tokens=read,
        reasoning_tokens=_count(usage.get("output_tokens_details"), "thinking_tokens"),
        cache_write_input_tokens=write,
    )


def error_message(body: dict[str, Any]) -> str:
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else error
    return message if isinstance(message, str) and message else "no message given"


def _count(obj: Any, key: str) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _call_id(value: Any, index: int) -> str:
    return value if isinstance(value, str) and value else f"toolu_{index}"


# --- stream --------------------------------------------------------------------------------


@dataclass(slots=True)
class _OpenBlock:
    kind: str
    tool_index: int = -1
    initial_input: Any = None  # a tool_use block's `input` at content_block_start
    has_input: bool = False
    signature: str | None = None


class UpstreamStreamDecoder:
    """The parsed `data` of each Messages SSE event → canonical events, one event at a time.

    `message_start` carries the input usage and `message_delta` the cumulative counts, so
    the last value of each count wins (pitfall 14). A tool_use block that got no
    `input_json_delta` has the `input` of its `content_block_start` as arguments, `{}` as "{}"
    (pitfall 1); empty fragments are skipped (pitfall 4). A thinking block ends with its
    signature (pitfall 11). `message_stop` gives `Finish` then `Usage`; an `error` event
    ends the stream with a `StreamError`; `close()` after a cut stream closes what is open
    and finishes (pitfall 19). `ping` and unknown events are skipped.
    """

    __slots__ = ("_blocks", "_ended", "_reason", "_started", "_tools", "_usage")

    def __init__(self) -> None:
        self._started = self._ended = False
        self._blocks: dict[Any, _OpenBlock] = {}  # Anthropic block index → open block
        self._tools = 0
        self._reason: Any = None
        self._usage: dict[str, Any] = {}

    def feed(self, event: Any) -> list[Event]:
        if self._ended:
            return []
        if not isinstance(event, dict):
            raise UpstreamError("The upstream stream sent an event that is not a JSON object.")
        match event.get("type"):
            case "message_start":
                return self._message_start(event.get("message"))
            case "content_block_start":
                return self._start() + self._block_start(event)
            case "content_block_delta":
                return self._start() + self._block_delta(event)
            case "content_block_stop":
                block = self._blocks.pop(event.get("index"), None)
                return [] if block is None else _block_end(block)
            case "message_delta":
                self._message_delta(event)
            case "message_stop":
                return self._start() + self._finish()
            case "error":
                return [self._error(event)]
        return []

    def close(self) -> list[Event]:
        """End of stream, with or without `message_stop`: close what is still open."""
        if self._ended:
            return []
        if not self._started:
            self._ended = True
            message = "The upstream server closed the stream without sending an event."
            return [StreamError(502, "upstream_error", message)]
        return self._finish()

    def _start(self) -> list[Event]:
        if self._started:
            return []
        self._started = True
        return [MessageStart("", "")]

    def _message_start(self, message: Any) -> list[Event]:
        message = message if isinstance(message, dict) else {}
        self._merge_usage(message.get("usage"))
        if self._started:
            return []
        self._started = True
        return [MessageStart(_string(message.get("id")), _string(message.get("model")))]

    def _block_start(self, event: dict[str, Any]) -> list[Event]:
        block = event.get("content_block")
        block = block if isinstance(block, dict) else {}
        kind = block.get("type")
        if kind == "text":
            self._blocks[event.get("index")] = _OpenBlock("text")
            text = _string(block.get("text"))
            return [TextDelta(text)] if text else []
        if kind == "thinking":
            self._blocks[event.get("index")] = _OpenBlock("thinking")
            text = _string(block.get("thinking"))
            return [ReasoningDelta(text)] if text else []
        if kind != "tool_use":
            return []
        index, self._tools = self._tools, self._tools + 1
        self._blocks[event.get("index")] = _OpenBlock("tool_use", index, block.get("input"))
        return [ToolCallStart(index, _call_id(block.get("id"), index), _string(block.get("name")))]

    def _block_delta(self, event: dict[str, Any]) -> list[Event]:
        """Text, thinking and argument fragments; "" is legal and skipped (pitfall 4)."""
        block = self._blocks.get(event.get("index"))
        delta = event.get("delta")
        if block is None or not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        if kind == "signature_delta":
            block.signature = _string(delta.get("signature")) or None
            return []
        if kind == "input_json_delta" and block.kind == "tool_use":
            text = _string(delta.get("partial_json"))
            block.has_input = block.has_input or bool(text)
            return [ToolCallDelta(block.tool_index, text)] if text else []
        if kind not in _TEXT_DELTAS:  # citations_delta and types yet to come
            return []
        key, event_type = _TEXT_DELTAS[kind]
        text = _string(delta.get(key))
        return [event_type(text)] if text else []

    def _message_delta(self, event: dict[str, Any]) -> None:
        delta = event.get("delta")
        if isinstance(delta, dict) and delta.get("stop_reason") is not None:
            self._reason = delta["stop_reason"]
        self._merge_usage(event.get("usage"))

    def _merge_usage(self, usage: Any) -> None:
        """Counts are cumulative: a later value replaces an earlier one, a missing one does not."""
        if isinstance(usage, dict):
            self._usage.update((key, value) for key, value in usage.items() if value is not None)

    def _finish(self) -> list[Event]:
        self._ended = True
        events: list[Event] = []
        for key in list(self._blocks):
            events.extend(_block_end(self._blocks.pop(key)))
        events.append(Finish(canonical_finish(self._reason, self._tools > 0)))
        if self._usage:
            events.append(parse_usage(self._usage))
        return events

    def _error(self, event: dict[str, Any]) -> StreamError:
        self._ended = True
        error = event.get("error")
        kind = error.get("type") if isinstance(error, dict) else None
        status, code = _STREAM_ERRORS.get(_string(kind), (502, "upstream_error"))
        message = f"The upstream server reported an error: {error_message(event)}"
        return StreamError(status, code, message)


def _block_end(block: _OpenBlock) -> list[Event]:
    if block.kind == "thinking":
        return [ReasoningEnd(block.signature)]
    if block.kind != "tool_use":
        return []
    events: list[Event] = []
    if not block.has_input:  # arguments only in content_block_start (pitfall 1)
        initial = block.initial_input if isinstance(block.initial_input, dict) else {}
        events.append(ToolCallDelta(block.tool_index, orjson.dumps(initial).decode()))
    events.append(ToolCallEnd(block.tool_index))
    return events
