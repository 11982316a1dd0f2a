"""OpenAI Responses, upstream side: the gateway calling OpenAI's `POST /v1/responses`.

`build_upstream_request` renders a `ChatRequest` as a Responses body and lists what it had to
drop; `parse_upstream_response` and `UpstreamStreamDecoder` turn what OpenAI sends back into
canonical events. The gateway keeps its own state, so it calls with `store: false` and asks for
`reasoning.encrypted_content` to carry reasoning between turns itself. A malformed body is an
`UpstreamError`; output item types the canonical model cannot carry are not dropped silently
(pitfall 5): they are listed (`skipped_output_types`, `UpstreamStreamDecoder.skipped`) for the
caller to log.

Tool-call ids are the `call_id`s both ways (pitfall 6). Finish reasons map completed → "stop"
(or "tool_calls" when the output has function calls, pitfall 2), incomplete → "length" (or
"content_filter"), failed → an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    MessageStart,
    ReasoningDelta,
    ReasoningEnd,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolSpec,
)
from fased.errors import UpstreamError
from fased.wire.openai_responses_items import messages_to_items
from fased.wire.openai_responses_objects import (
    KNOWN_ITEMS,
    canonical_finish,
    error_code,
    error_message,
    parse_usage,
    render_text_format,
    render_tool,
    render_tool_choice,
    string_of,
    whole_call,
    whole_item_events,
)
from fased.wire.reasoning import effort_of

MIN_OUTPUT_TOKENS: Final = 16  # OpenAI rejects a smaller `max_output_tokens`
_EMPTY_PARAMETERS: Final = {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """The body to POST, and what the canonical request held that it could not carry."""

    body: dict[str, Any]
    dropped: tuple[str, ...] = ()


# --- request -------------------------------------------------------------------------------


def build_upstream_request(
    request: ChatRequest, upstream_model: str, *, include_reasoning: bool = True
) -> UpstreamRequest:
    """A Responses body; fields that are None or empty are left out.

    System segments become `instructions`, joined by blank lines. Stop sequences do not exist
    in Responses: dropped and listed. `include_reasoning` asks for `encrypted_content` (turn it
    off for a model without reasoning, which rejects it); `reasoning.effort` is sent when the
    request has a reasoning setting.
    """
    items, dropped = messages_to_items(request.messages)
    body: dict[str, Any] = {"model": upstream_model, "input": items}
    instructions = "\n\n".join(segment for segment in request.system if segment)
    if instructions:
        body["instructions"] = instructions
    body.update(_tools(request))
    fmt = request.output_format
    optional = {
        "max_output_tokens": _max_output_tokens(request.max_tokens),
        "temperature": request.temperature,  # passed on as is, even to models that refuse it
        "top_p": request.top_p,
        "text": None if fmt is None else {"format": render_text_format(fmt)},
        "user": request.user,
        "reasoning": _reasoning(request),
    }
    body.update((key, value) for key, value in optional.items() if value is not None)
    body["store"] = False
    if include_reasoning:
        body["include"] = ["reasoning.encrypted_content"]
    body["stream"] = request.stream
    return UpstreamRequest(body, dropped + _dropped_settings(request))


def _tools(request: ChatRequest) -> dict[str, Any]:
    """Tools, and the choice and parallelism only with tools (as the Chat side does)."""
    if not request.tools:
        return {}
    rendered: dict[str, Any] = {"tools": [_tool(spec) for spec in request.tools]}
    if request.tool_choice is not None:
        rendered["tool_choice"] = render_tool_choice(request.tool_choice)
    if request.parallel_tool_calls is not None:
        rendered["parallel_tool_calls"] = request.parallel_tool_calls
    return rendered


def _tool(spec: ToolSpec) -> dict[str, Any]:
    """`strict` is always sent: Responses turns a tool without it into a strict one, which
    rejects ordinary schemas (pitfall 10); not asking for strict means `false` everywhere else."""
    tool = render_tool(spec)
    tool["parameters"] = spec.parameters or dict(_EMPTY_PARAMETERS)
    tool["strict"] = spec.strict is True
    return tool


def _reasoning(request: ChatRequest) -> dict[str, Any] | None:
    """`reasoning.effort`: the client's, or the one its Anthropic budget maps to."""
    return None if request.reasoning is None else {"effort": effort_of(request.reasoning)}


def _max_output_tokens(max_tokens: int | None) -> int | None:
    return None if max_tokens is None else max(max_tokens, MIN_OUTPUT_TOKENS)


def _dropped_settings(request: ChatRequest) -> tuple[str, ...]:
    dropped = ["stop"] if request.stop else []
    if request.max_tokens is not None and request.max_tokens < MIN_OUTPUT_TOKENS:
        dropped.append(f"max_tokens {request.max_tokens} (raised to {MIN_OUTPUT_TOKENS})")
    return tuple(dropped)


# --- response ------------------------------------------------------------------------------


def parse_upstream_response(body: Any) -> list[Event]:
    """A non-streamed Response → MessageStart, content, Finish, Usage."""
    if not isinstance(body, dict):
        raise UpstreamError("The upstream server answered with a non-object body.")
    if body.get("error") or body.get("status") == "failed":
        raise UpstreamError(f"The upstream server reported an error: {error_message(body)}")
    output = body.get("output")
    if not isinstance(output, list):
        raise UpstreamError("The upstream response has no `output` list.")
    events: list[Event] = [MessageStart(string_of(body.get("id")), string_of(body.get("model")))]
    calls = 0
    for raw in output:
        item = _item(raw)
        events.extend(whole_item_events(item, calls))
        if item.get("type") == "function_call":
            calls += 1
    events.append(Finish(canonical_finish(body, calls > 0)))
    if isinstance(body.get("usage"), dict):
        events.append(parse_usage(body["usage"]))
    return events


def skipped_output_types(body: Any) -> tuple[str, ...]:
    """The output item types of a Response that `parse_upstream_response` cannot carry."""
    output = body.get("output") if isinstance(body, dict) else None
    items = output if isinstance(output, list) else []
    types = (item.get("type") for item in items if isinstance(item, dict))
    return tuple(str(kind) for kind in types if kind not in KNOWN_ITEMS)


def _item(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise UpstreamError("The upstream response has an output item that is not an object.")
    return raw


# --- stream --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Call:
    index: int
    has_arguments: bool = False
    ended: bool = False


class UpstreamStreamDecoder:
    """Decoded Responses streaming events (each SSE `data`, carrying its `type`) → canonical
    events, one at a time.

    Items are tracked by `output_index`. Empty deltas are skipped (pitfall 4); arguments that
    arrive only in `function_call_arguments.done` or in the finished item are kept (pitfall 1),
    and so is text that arrives only in `output_text.done`. Every open call gets its
    `ToolCallEnd` before `Finish`, and `Usage` follows `Finish`. `response.failed` and `error`
    events end the stream with a `StreamError`; `close()` ends a cut stream (pitfall 19).
    """

    __slots__ = ("_calls", "_ended", "_reasoning", "_started", "_streamed", "_texts", "skipped")

    def __init__(self) -> None:
        self._started = self._ended = self._streamed = False
        self._calls: dict[Any, _Call] = {}  # output index → call (canonical index 0, 1, …)
        self._texts: set[Any] = set()  # message items whose text was streamed
        self._reasoning: dict[Any, int] = {}  # reasoning item → last summary/content index
        self.skipped: list[str] = []  # output item types the canonical model cannot carry

    def feed(self, event: Any) -> list[Event]:
        if self._ended:
            return []
        if not isinstance(event, dict):
            raise UpstreamError("The upstream stream sent an event that is not a JSON object.")
        handler = _HANDLERS.get(event.get("type"))
        if handler is None:  # structural events (content_part.*, …) and unknown ones
            return []
        events: list[Event] = []
        if not self._started and event.get("type") != "error":
            self._started = True
            response = event.get("response")
            response = response if isinstance(response, dict) else {}
            events.append(
                MessageStart(string_of(response.get("id")), string_of(response.get("model")))
            )
        return events + handler(self, event)

    def _start(self, event: dict[str, Any]) -> list[Event]:
        """MessageStart from the first event's response (normally `response.created`)."""
        self._started = True
        response = event.get("response")
        response = response if isinstance(response, dict) else {}
        return [MessageStart(string_of(response.get("id")), string_of(response.get("model")))]

    def close(self) -> list[Event]:
        """End of stream, with or without `response.completed`: close what is still open."""
        if self._ended:
            return []
        self._ended = True
        if not self._started:
            message = "The upstream server closed the stream without sending an event."
            return [StreamError(502, "upstream_error", message)]
        return [*self._end_calls(), Finish("tool_calls" if self._calls else "stop")]

    def _item_added(self, event: dict[str, Any]) -> list[Event]:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "function_call":
            self._skip(item)
            return []
        return self._open_call(_key(event), item)

    def _open_call(self, key: Any, item: dict[str, Any]) -> list[Event]:
        call = self._calls[key] = _Call(len(self._calls))
        call_id, name, arguments = whole_call(item, call.index)
        self._streamed = True
        return [ToolCallStart(call.index, call_id, name), *self._arguments(call, arguments)]

    def _arguments(self, call: _Call, arguments: Any) -> list[Event]:
        if call.ended or not isinstance(arguments, str) or not arguments:
            return []
        call.has_arguments = True
        return [ToolCallDelta(call.index, arguments)]

    def _arguments_delta(self, event: dict[str, Any]) -> list[Event]:
        call = self._calls.get(_key(event))
        return [] if call is None else self._arguments(call, event.get("delta"))

    def _arguments_done(self, event: dict[str, Any]) -> list[Event]:
        call = self._calls.get(_key(event))
        if call is None or call.has_arguments:
            return []
        return self._arguments(call, event.get("arguments"))

    def _text_delta(self, event: dict[str, Any]) -> list[Event]:
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta:
            return []
        self._texts.add(_key(event))
        self._streamed = True
        return [TextDelta(delta)]

    def _text_done(self, event: dict[str, Any]) -> list[Event]:
        text = event.get("text", event.get("refusal"))
        if _key(event) in self._texts:
            return []
        return self._text_delta({**event, "delta": text})

    def _reasoning_delta(self, event: dict[str, Any]) -> list[Event]:
        """Summary (or raw reasoning) text; a new summary part starts after a blank line."""
        delta, key = event.get("delta"), _key(event)
        if not isinstance(delta, str) or not delta:
            return []
        part = event.get("summary_index", event.get("content_index", 0))
        previous = self._reasoning.get(key)
        self._reasoning[key] = part
        self._streamed = True
        gap: list[Event] = [ReasoningDelta("\n\n")] if previous not in (None, part) else []
        return [*gap, ReasoningDelta(delta)]

    def _item_done(self, event: dict[str, Any]) -> list[Event]:
        item, key = event.get("item"), _key(event)
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(item, dict) or kind not in KNOWN_ITEMS:
            return []  # reported when added
        if kind == "function_call":
            return self._call_done(key, item)
        if kind == "message" and key in self._texts:
            return []
        if kind == "reasoning" and key in self._reasoning:  # the text was streamed: the end
            signature = item.get("encrypted_content")
            return [ReasoningEnd(signature if isinstance(signature, str) and signature else None)]
        self._texts.add(key)
        events = whole_item_events(item, 0)
        self._streamed = self._streamed or bool(events)
        return events

    def _call_done(self, key: Any, item: dict[str, Any]) -> list[Event]:
        call = self._calls.get(key)
        events = [] if call is not None else self._open_call(key, item)
        call = self._calls[key]
        if not call.has_arguments:
            events += self._arguments(call, item.get("arguments"))
        if not call.ended:
            call.ended = True
            events.append(ToolCallEnd(call.index))
        return events

    def _completed(self, event: dict[str, Any]) -> list[Event]:
        """`response.completed` / `response.incomplete`: the finish, then the usage. An
        upstream that streamed no items at all still gets the final output's content."""
        self._ended = True
        response = event.get("response")
        response = response if isinstance(response, dict) else {}
        events: list[Event] = []
        output = response.get("output")
        if not self._streamed and isinstance(output, list):
            for raw in output:
                item = _item(raw)
                self._skip(item)
                events += whole_item_events(item, len(self._calls))
                if item.get("type") == "function_call":  # whole: started and ended above
                    self._calls[len(self._calls)] = _Call(len(self._calls), ended=True)
        events += self._end_calls()
        events.append(Finish(canonical_finish(response, bool(self._calls))))
        return events + _usage_of(response)

    def _failed(self, event: dict[str, Any]) -> list[Event]:
        """`response.failed` (the error is in the response) or an `error` event (flat as
        documented, or nested under `error` as OpenAI's servers send it)."""
        self._ended = True
        response = event.get("response")
        source = response if isinstance(response, dict) else event
        message = f"The upstream server reported an error: {error_message(source)}"
        error: list[Event] = [StreamError(502, error_code(source), message)]
        return error + _usage_of(response)

    def _end_calls(self) -> list[Event]:
        events: list[Event] = []
        for call in self._calls.values():
            if not call.ended:
                call.ended = True
                events.append(ToolCallEnd(call.index))
        return events

    def _skip(self, item: Any) -> None:
        kind = str(item.get("type") if isinstance(item, dict) else None)
        if kind not in KNOWN_ITEMS and kind not in self.skipped:
            self.skipped.append(kind)


def _key(event: dict[str, Any]) -> Any:
    index = event.get("output_index")
    return index if isinstance(index, int) else event.get("item_id")


def _usage_of(response: Any) -> list[Event]:
    usage = response.get("usage") if isinstance(response, dict) else None
    return [parse_usage(usage)] if isinstance(usage, dict) else []


_Handler = Callable[[UpstreamStreamDecoder, dict[str, Any]], list[Event]]
_HANDLERS: Final[dict[Any, _Handler]] = {
    "response.created": lambda decoder, event: [],
    "response.output_item.added": UpstreamStreamDecoder._item_added,
    "response.output_text.delta": UpstreamStreamDecoder._text_delta,
    "response.refusal.delta": UpstreamStreamDecoder._text_delta,
    "response.output_text.done": UpstreamStreamDecoder._text_done,
    "response.refusal.done": UpstreamStreamDecoder._text_done,
    "response.function_call_arguments.delta": UpstreamStreamDecoder._arguments_delta,
    "response.function_call_arguments.done": UpstreamStreamDecoder._arguments_done,
    "response.reasoning_summary_text.delta": UpstreamStreamDecoder._reasoning_delta,
    "response.reasoning_text.delta": UpstreamStreamDecoder._reasoning_delta,
    "response.output_item.done": UpstreamStreamDecoder._item_done,
    "response.completed": UpstreamStreamDecoder._completed,
    "response.incomplete": UpstreamStreamDecoder._completed,
    "response.failed": UpstreamStreamDecoder._failed,
    "error": UpstreamStreamDecoder._failed,
}
