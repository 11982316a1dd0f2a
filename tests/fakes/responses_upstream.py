"""A fake OpenAI Responses upstream (`POST /v1/responses`) for tests.

It speaks the documented wire format: a `response` JSON body, or the typed SSE stream whose
`event:` is each data's `type` and whose `sequence_number` increases from 0:
`response.created`, `response.in_progress`, then per output item `response.output_item.added`,
(message) `response.content_part.added`, `response.output_text.delta`…,
`response.output_text.done`, `response.content_part.done`, (function call)
`response.function_call_arguments.delta`…, `response.function_call_arguments.done`, and
`response.output_item.done`; last `response.completed` (`response.incomplete` for a length
finish) with the usage, `input_tokens_details.cached_tokens` included. A failure after the
headers went out is `response.failed`. The official `openai` SDK parses every reply it sends
(see tests/providers/test_fake_responses_upstream.py).

The replies, the queue, the recorded requests and `disconnected` are shared with the other
fakes (tests/fakes/common.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.common import (
    CREATED,
    Answer,
    ErrorReply,
    FakeUpstream,
    FakeUsage,
    TextReply,
    ToolCall,
    ToolCallsReply,
    fragments,
    openai_error_response,
    partial_texts,
    serve,
    typed_frame,
    words,
)

RESPONSE_ID = "resp_fake"
MESSAGE_ID = "msg_fake"


class FakeResponsesUpstream(FakeUpstream):
    PATH = "/v1/responses"

    def whole(self, body: dict[str, Any], reply: Answer) -> dict[str, Any]:
        items = [item for item, _ in output_items(reply)]
        return response_object(body["model"], _status(reply), items, reply.usage)

    def stream_shape(self, body: dict[str, Any]) -> ResponseStream:
        return ResponseStream(body["model"])

    def error_response(self, reply: ErrorReply) -> web.Response:
        return openai_error_response(reply)


async def serve_fake_responses(
    aiohttp_server: Callable[..., Awaitable[Any]],
) -> FakeResponsesUpstream:
    """Start a fake Responses upstream on 127.0.0.1 (`base_url` ends in `/v1`, as the SDK's)."""
    upstream = FakeResponsesUpstream()
    await serve(upstream, aiohttp_server)
    return upstream


# --- wire shapes ---------------------------------------------------------------------------


def usage_wire(usage: FakeUsage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def _status(reply: Answer) -> str:
    length = isinstance(reply, TextReply) and reply.finish_reason == "length"
    return "incomplete" if length else "completed"


def response_object(
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage: FakeUsage | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `response` object; `usage` only once it is done."""
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None if usage is None else usage_wire(usage),
        "user": None,
        "metadata": {},
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(text: str, status: str = "completed") -> dict[str, Any]:
    content = [_text_part(text)] if status == "completed" else []
    return {
        "id": MESSAGE_ID,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _call_item(index: int, call: ToolCall) -> dict[str, Any]:
    return {
        "id": f"fc_fake_{index}",
        "type": "function_call",
        "status": "completed",
        "call_id": call.id or f"call_fake_{index}",
        "name": call.name,
        "arguments": call.arguments,
    }


def output_items(reply: Answer) -> list[tuple[dict[str, Any], ToolCall | None]]:
    """The completed output items: a message unless a tool-call turn has no text, then one
    `function_call` item per call (with the call it stands for)."""
    items: list[tuple[dict[str, Any], ToolCall | None]] = []
    if not (isinstance(reply, ToolCallsReply) and not reply.text):
        items.append((_message_item(reply.text), None))
    calls = reply.calls if isinstance(reply, ToolCallsReply) else ()
    items += [(_call_item(i, call), call) for i, call in enumerate(calls)]
    return items


class ResponseStream:
    """The typed events of one streamed response, numbered by `sequence_number`."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.sequence = 0

    def _frame(self, event_type: str, **fields: Any) -> bytes:
        data = {"type": event_type, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return typed_frame(data)

    def _opening(self) -> list[bytes]:
        response = response_object(self.model, "in_progress", [])
        return [
            self._frame("response.created", response=response),
            self._frame("response.in_progress", response=response),
        ]

    def frames(self, reply: Answer) -> list[bytes]:
        frames = self._opening()
        items = output_items(reply)
        for output_index, (item, call) in enumerate(items):
            if call is None:
                frames += self._message(output_index, words(reply.text))
                frames += self._message_done(output_index, reply.text)
            else:
                assert isinstance(reply, ToolCallsReply)
                frames += self._function_call(output_index, item, call, reply)
        status = _status(reply)
        done = response_object(self.model, status, [item for item, _ in items], reply.usage)
        event = "response.completed" if status == "completed" else "response.incomplete"
        return [*frames, self._frame(event, response=done)]

    def _message(self, output_index: int, deltas: list[str]) -> list[bytes]:
        """A message item opened, with its text part and `deltas`."""
        where = {"item_id": MESSAGE_ID, "output_index": output_index, "content_index": 0}
        item = _message_item("", "in_progress")
        part = {"type": "output_text", "text": "", "annotations": []}
        return [
            self._frame("response.output_item.added", output_index=output_index, item=item),
            self._frame("response.content_part.added", **where, part=part),
            *(
                self._frame("response.output_text.delta", **where, delta=delta, logprobs=[])
                for delta in deltas
            ),
        ]

    def _message_done(self, output_index: int, text: str) -> list[bytes]:
        where = {"item_id": MESSAGE_ID, "output_index": output_index, "content_index": 0}
        item = _message_item(text)
        return [
            self._frame("response.output_text.done", **where, text=text, logprobs=[]),
            self._frame("response.content_part.done", **where, part=_text_part(text)),
            self._frame("response.output_item.done", output_index=output_index, item=item),
        ]

    def _function_call(
        self, output_index: int, item: dict[str, Any], call: ToolCall, reply: ToolCallsReply
    ) -> list[bytes]:
        """Arguments in `…delta` fragments, then whole in `…done`; with `deltas=False` only
        in `…done` (pitfall 1)."""
        where = {"item_id": item["id"], "output_index": output_index}
        pieces = fragments(call.arguments, reply.fragments) if reply.deltas else []
        added = {**item, "status": "in_progress", "arguments": ""}
        return [
            self._frame("response.output_item.added", output_index=output_index, item=added),
            *(
                self._frame("response.function_call_arguments.delta", **where, delta=piece)
                for piece in pieces
            ),
            self._frame("response.function_call_arguments.done", **where, arguments=call.arguments),
            self._frame("response.output_item.done", output_index=output_index, item=item),
        ]

    def partial(self, count: int) -> list[bytes]:
        if not count:
            return []
        return [*self._opening(), *self._message(0, partial_texts(count))]

    def error(self, message: str) -> list[bytes]:
        """`response.failed`: the response with `status: failed` and its `error`."""
        error = {"code": "server_error", "message": message}
        failed = response_object(self.model, "failed", [], error=error)
        return [self._frame("response.failed", response=failed)]
