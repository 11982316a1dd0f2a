"""OpenAI Responses, rendered for the client: the Response object and its typed event stream.

`render_response` (from `openai_responses_objects`) renders a whole reply; `StreamEncoder`
renders the run's events as OpenAI's streaming events, each framed `event: <type>` + `data:`
with the same `type` and a `sequence_number` from 0 (pitfall 16).

Reasoning is rendered as `reasoning` items (summary text; `encrypted_content` carries the
signature): the stream renders every `ReasoningDelta`/`ReasoningEnd`, `render_response` the
reasoning parts it is given (`Reply` holds none of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fased.canonical import (
    Event,
    Finish,
    FinishReason,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
)
from fased.wire.openai_chat_render import error_type
from fased.wire.openai_responses_objects import (
    CUT_SHORT,
    OUTCOMES,
    ItemStatus,
    failed_error_code,
    function_call_item,
    item_id,
    message_item,
    output_text,
    reasoning_item,
    render_response,
    request_echo,
    response_object,
)
from fased.wire.sse import encode_event

if TYPE_CHECKING:
    from fased.wire.openai_responses import InboundResponses

__all__ = ["StreamEncoder", "render_response"]


# --- the event stream --------------------------------------------------------------------------


@dataclass(slots=True)
class _Open:
    """An output item being streamed: its output index, id and the text or arguments so far."""

    index: int
    id: str
    chunks: list[str] = field(default_factory=list)
    call: ToolCallStart | None = None

    def text(self) -> str:
        return "".join(self.chunks)


class StreamEncoder:
    """Canonical events → Responses streaming events, in the order OpenAI sends them.

    `response.created`, `response.in_progress`, then per output item `output_item.added`, its
    content events and `output_item.done`; the terminal event carries the whole Response (with
    usage and `cost_usd`), so it waits for `Usage` (the run sends it after `Finish`), or for
    `close()`. A message item opens on the first non-empty text (no empty item before a tool
    call, pitfall 2) and closes when another item starts; a function call item stays open until
    its `ToolCallEnd`. `function_call_arguments.done` always carries the whole arguments, also
    when no delta came (pitfall 1). An error becomes an `error` event then `response.failed`.
    `close()` always ends the stream well-formed, with exactly one terminal event (pitfall 19).
    """

    __slots__ = (
        "_calls",
        "_counts",
        "_echo",
        "_error",
        "_final",
        "_finish",
        "_head",
        "_id",
        "_message",
        "_output",
        "_reasoning",
        "_seen_calls",
        "_seq",
        "_started",
        "_terminated",
        "_usage",
    )

    def __init__(
        self,
        response_id: str,
        model: str,
        created: int,
        request: InboundResponses | None = None,
    ) -> None:
        self._id = response_id
        self._head: dict[str, Any] = {"id": response_id, "created_at": created, "model": model}
        self._echo = request_echo(request)
        self._seq = 0
        self._started = self._terminated = False
        self._output: list[dict[str, Any]] = []  # by output index; open items as last rendered
        self._counts = {"msg": 0, "fc": 0, "rs": 0}
        self._message: _Open | None = None
        self._reasoning: _Open | None = None
        self._calls: dict[int, _Open] = {}  # canonical tool index → open function call item
        self._seen_calls: set[int] = set()
        self._finish: FinishReason | None = None
        self._error: StreamError | None = None
        self._usage: Usage | None = None
        self._final: dict[str, Any] | None = None

    @property
    def final_response(self) -> dict[str, Any] | None:
        """The Response object of the terminal event once it was sent: what the client saw,
        reasoning items included, for storing (`store: true`)."""
        return self._final

    def encode(self, event: Event) -> bytes:
        if self._terminated:
            return b""
        frames = self._start()
        if isinstance(event, Usage):
            self._usage = event
            return frames + (self._terminal() if self._ended else b"")
        if isinstance(event, StreamError):  # also replaces the placeholder of Finish("error")
            self._error = event
            return frames + self._end_items("incomplete") + self._when_usage()
        if self._ended:  # content after the finish is not part of this response
            return frames
        return frames + self._content(event)

    def close(self) -> bytes:
        if self._terminated:
            return b""
        frames = self._start()
        if not self._ended:
            frames += self._end_items("completed")
            self._finish = "stop"
        return frames + self._terminal()

    @property
    def _ended(self) -> bool:
        return self._finish is not None or self._error is not None

    def _content(self, event: Event) -> bytes:
        match event:
            case TextDelta(text=text) if text:
                return self._text(text)
            case ReasoningDelta(text=text) if text:
                return self._reasoning_text(text)
            case ReasoningEnd(signature=signature):
                return self._reasoning_end(signature)
            case ToolCallStart(index=index) if index not in self._seen_calls:
                return self._call_start(event)
            case ToolCallDelta(index=index, arguments=arguments) if arguments:  # "" skipped (4)
                return self._call_delta(index, arguments)
            case ToolCallEnd(index=index) if index in self._calls:
                return self._call_end(self._calls.pop(index), "completed")
            case Finish(reason=reason):
                return self._finished(reason)
        return b""

    # --- lifecycle ---

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        snapshot = response_object(self._head, "in_progress", [], None, self._echo)
        return self._emit("response.created", {"response": snapshot}) + self._emit(
            "response.in_progress", {"response": snapshot}
        )

    def _finished(self, reason: FinishReason) -> bytes:
        if reason == "error":  # a StreamError usually follows and says what happened
            self._error = StreamError(502, "upstream_error", CUT_SHORT)
            return self._end_items("incomplete") + self._when_usage()
        self._finish = reason
        outcome = OUTCOMES[reason][0]
        return self._end_items("incomplete" if outcome == "incomplete" else "completed") + (
            self._when_usage()
        )

    def _when_usage(self) -> bytes:
        return self._terminal() if self._usage is not None else b""

    def _terminal(self) -> bytes:
        self._terminated = True
        if self._error is not None:
            return self._failed(self._error)
        outcome, reason = OUTCOMES[self._finish or "stop"]
        self._final = response_object(
            self._head, outcome, self._output, self._usage, self._echo, incomplete=reason
        )
        return self._emit(f"response.{outcome}", {"response": self._final})

    def _failed(self, error: StreamError) -> bytes:
        """An `error` event in both shapes OpenAI uses (flat as documented, nested as its
        servers send it; the nested one makes the `openai` SDK raise `APIError`), then
        `response.failed` for clients that read on."""
        fields: dict[str, Any] = {"code": error.code, "message": error.message, "param": None}
        flat = {**fields, "error": {"type": error_type(error.status), **fields}}
        failure = {"code": failed_error_code(error.status), "message": error.message}
        self._final = response_object(
            self._head, "failed", self._output, self._usage, self._echo, error=failure
        )
        return self._emit("error", flat) + self._emit("response.failed", {"response": self._final})

    # --- items ---

    def _added(self, prefix: str, item: dict[str, Any]) -> tuple[_Open, bytes]:
        opened = _Open(len(self._output), item["id"])
        self._counts[prefix] += 1
        self._output.append(item)
        return opened, self._emit("response.output_item.added", self._at(opened, item=item))

    def _done(self, opened: _Open, item: dict[str, Any]) -> bytes:
        self._output[opened.index] = item
        return self._emit("response.output_item.done", self._at(opened, item=item))

    def _end_items(self, status: ItemStatus) -> bytes:
        frames = self._end_message(status) + self._end_reasoning(None)
        for index in sorted(self._calls):
            frames += self._call_end(self._calls.pop(index), status)
        return frames

    def _text(self, text: str) -> bytes:
        frames, opened = b"", self._message
        if opened is None:
            frames = self._end_reasoning(None)
            new_id = item_id("msg", self._id, self._counts["msg"])
            opened, added = self._added("msg", message_item(new_id, "", "in_progress"))
            self._message = opened
            part = self._at(opened, content_index=0, part=output_text(""))
            frames += added + self._emit("response.content_part.added", part)
        opened.chunks.append(text)
        delta = self._at(opened, content_index=0, delta=text, logprobs=[])
        return frames + self._emit("response.output_text.delta", delta)

    def _end_message(self, status: ItemStatus) -> bytes:
        opened, self._message = self._message, None
        if opened is None:
            return b""
        text = opened.text()
        done = {"content_index": 0, "text": text, "logprobs": []}
        frames = self._emit("response.output_text.done", self._at(opened, **done))
        part = {"content_index": 0, "part": output_text(text)}
        frames += self._emit("response.content_part.done", self._at(opened, **part))
        return frames + self._done(opened, message_item(opened.id, text, status))

    def _reasoning_text(self, text: str) -> bytes:
        frames, opened = b"", self._reasoning
        if opened is None:
            frames = self._end_message("completed")
            opened, added = self._open_reasoning()
            part = self._at(opened, summary_index=0, part={"type": "summary_text", "text": ""})
            frames += added + self._emit("response.reasoning_summary_part.added", part)
        opened.chunks.append(text)
        delta = self._at(opened, summary_index=0, delta=text)
        return frames + self._emit("response.reasoning_summary_text.delta", delta)

    def _reasoning_end(self, signature: str | None) -> bytes:
        """Closes the open reasoning item; a signature alone (redacted thinking) is an item."""
        if self._reasoning is None and signature is None:
            return b""
        frames = b""
        if self._reasoning is None:
            frames = self._end_message("completed") + self._open_reasoning()[1]
        return frames + self._end_reasoning(signature)

    def _open_reasoning(self) -> tuple[_Open, bytes]:
        new_id = item_id("rs", self._id, self._counts["rs"])
        opened, added = self._added("rs", {"id": new_id, "type": "reasoning", "summary": []})
        self._reasoning = opened
        return opened, added

    def _end_reasoning(self, signature: str | None) -> bytes:
        opened, self._reasoning = self._reasoning, None
        if opened is None:
            return b""
        text, frames = opened.text(), b""
        if text:
            part = {"summary_index": 0, "part": {"type": "summary_text", "text": text}}
            done = self._at(opened, summary_index=0, text=text)
            frames = self._emit("response.reasoning_summary_text.done", done)
            frames += self._emit("response.reasoning_summary_part.done", self._at(opened, **part))
        return frames + self._done(
            opened, reasoning_item(opened.id, ReasoningPart(text, signature))
        )

    def _call_start(self, start: ToolCallStart) -> bytes:
        frames = self._end_message("completed") + self._end_reasoning(None)
        self._seen_calls.add(start.index)
        new_id = item_id("fc", self._id, self._counts["fc"])
        call = ToolCallPart(start.id, start.name, "")
        opened, added = self._added("fc", function_call_item(new_id, call, "in_progress"))
        opened.call = start
        self._calls[start.index] = opened
        return frames + added

    def _call_delta(self, index: int, arguments: str) -> bytes:
        opened = self._calls.get(index)
        if opened is None:  # no ToolCallStart, or after its ToolCallEnd: nothing to attach to
            return b""
        opened.chunks.append(arguments)
        event = self._at(opened, delta=arguments)
        return self._emit("response.function_call_arguments.delta", event)

    def _call_end(self, opened: _Open, status: ItemStatus) -> bytes:
        assert opened.call is not None
        arguments = opened.text()
        frames = self._emit(
            "response.function_call_arguments.done", self._at(opened, arguments=arguments)
        )
        call = ToolCallPart(opened.call.id, opened.call.name, arguments)
        return frames + self._done(opened, function_call_item(opened.id, call, status))

    # --- framing ---

    @staticmethod
    def _at(opened: _Open, **fields: Any) -> dict[str, Any]:
        """The fields locating an event: item_id (not on item events) and output_index."""
        located: dict[str, Any] = {} if "item" in fields else {"item_id": opened.id}
        return {**located, "output_index": opened.index, **fields}

    def _emit(self, kind: str, fields: dict[str, Any]) -> bytes:
        frame = {"type": kind, **fields, "sequence_number": self._seq}
        self._seq += 1
        return encode_event(kind, frame)
