"""OpenAI Chat Completions, rendered for the client: `chat.completion` and its chunk stream.

The shapes follow OpenAI's API reference (the chat completion object, the chunk object and
`stream_options.include_usage`). Fields we cannot know are rendered the way OpenAI renders
them when absent: `system_fingerprint`, `logprobs` and `refusal` are `null`; `service_tier` is
left out. Usage carries the gateway's extra `cost_usd` when the run priced the call.
"""

from __future__ import annotations

from typing import Any

from fased.canonical import (
    Event,
    Finish,
    FinishReason,
    MessageStart,
    Reply,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallPart,
    ToolCallStart,
    Usage,
)
from fased.errors import UpstreamError
from fased.wire.sse import DONE, encode_data

_CONTENT = (TextDelta, ToolCallStart, ToolCallDelta)
_CUT_SHORT = "The model stream ended with an error before it finished; retry the request."


def chat_finish_reason(reason: FinishReason, has_tool_calls: bool) -> str:
    """Canonical → Chat; a turn that called tools ends with `tool_calls` (pitfall 2).

    "error" has no Chat finish reason: callers render an error instead.
    """
    if reason == "error":
        raise ValueError("an errored reply is rendered as an error, not with a finish reason")
    if has_tool_calls and reason == "stop":
        return "tool_calls"
    return reason


def render_tool_call(call: ToolCallPart) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def render_usage(usage: Usage) -> dict[str, Any]:
    """OpenAI's usage object; cached tokens are part of `prompt_tokens` (pitfall 13)."""
    rendered: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if usage.cost_usd is not None:
        rendered["cost_usd"] = usage.cost_usd
    return rendered


def render_response(reply: Reply, *, response_id: str, model: str, created: int) -> dict[str, Any]:
    """A whole reply as a `chat.completion` object.

    A reply whose finish is "error" raises `UpstreamError`: Chat Completions has no way to
    say "failed half way" in a success body, so it becomes an error response instead.
    """
    if reply.finish == "error":
        raise UpstreamError(_CUT_SHORT)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text if reply.text or not reply.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [render_tool_call(call) for call in reply.tool_calls]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": chat_finish_reason(reply.finish, bool(reply.tool_calls)),
    }
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [choice],
        "usage": render_usage(reply.usage),
        "system_fingerprint": None,
    }


def error_type(status: int) -> str:
    """OpenAI's error `type` for an HTTP status, as its stream error chunks carry it."""
    if status == 429:
        return "rate_limit_error"
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


class StreamEncoder:
    """Canonical events → `chat.completion.chunk` frames, in the order OpenAI sends them.

    A role chunk first (sent lazily, so `MessageStart` is optional), content and tool-call
    chunks with `finish_reason: null`, one finish chunk, the usage chunk when the client asked
    for it, then `[DONE]`. `close()` always ends the stream well-formed (pitfall 19), and no
    frame follows `[DONE]`.
    """

    __slots__ = (
        "_created",
        "_done",
        "_failed",
        "_finished",
        "_id",
        "_include_usage",
        "_indices",
        "_model",
        "_role_sent",
        "_usage",
    )

    def __init__(self, response_id: str, model: str, created: int, include_usage: bool) -> None:
        self._id, self._model, self._created = response_id, model, created
        self._include_usage = include_usage
        self._role_sent = self._finished = self._failed = self._done = False
        self._indices: dict[int, int] = {}  # canonical tool index → Chat index (0, 1, …)
        self._usage: Usage | None = None

    def encode(self, event: Event) -> bytes:
        if self._done or (self._finished and isinstance(event, _CONTENT)):
            return b""
        match event:
            case TextDelta(text=text) if text:
                return self._role() + self._chunk({"content": text})
            case ToolCallStart(index=index, id=call_id, name=name):
                function = {"name": name, "arguments": ""}
                return self._tool_chunk(
                    index, {"id": call_id, "type": "function", "function": function}
                )
            case ToolCallDelta(index=index, arguments=arguments) if arguments:  # "" is skipped (4)
                return self._tool_chunk(index, {"function": {"arguments": arguments}})
            case Finish(reason=reason):
                return self._finish(reason)
            case StreamError(status=status, code=code, message=message):
                return self._error(status, code, message)
            case Usage():
                self._usage = event  # sent after the finish chunk, in close()
            case MessageStart():
                return self._role()
        return b""

    def close(self) -> bytes:
        if self._done:
            return b""
        if self._failed and not self._finished:
            return self._error(502, "upstream_error", _CUT_SHORT)
        frames = b"" if self._finished else self._finish("stop")
        if self._include_usage and self._usage is not None:
            frames += encode_data(self._envelope([], render_usage(self._usage)))
        self._done = True
        return frames + DONE

    def _role(self) -> bytes:
        if self._role_sent:
            return b""
        self._role_sent = True
        return self._chunk({"role": "assistant", "content": ""})

    def _tool_chunk(self, index: int, fragment: dict[str, Any]) -> bytes:
        chat_index = self._indices.setdefault(index, len(self._indices))
        return self._role() + self._chunk({"tool_calls": [{"index": chat_index, **fragment}]})

    def _finish(self, reason: FinishReason) -> bytes:
        if self._finished:
            return b""
        if reason == "error":  # the StreamError that follows says what happened
            self._failed = True
            return b""
        self._finished = True
        finish = chat_finish_reason(reason, bool(self._indices))
        return self._role() + self._chunk({}, finish)

    def _error(self, status: int, code: str, message: str) -> bytes:
        self._done = True
        error = {"message": message, "type": error_type(status), "param": None, "code": code}
        return encode_data({"error": error}) + DONE

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return encode_data(self._envelope([choice], None))

    def _envelope(
        self, choices: list[dict[str, Any]], usage: dict[str, Any] | None
    ) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "system_fingerprint": None,
            "choices": choices,
        }
        if self._include_usage:  # "All other chunks will also include a usage field, … null"
            chunk["usage"] = usage
        return chunk
