"""OpenAI Chat Completions, upstream side: the gateway calling an OpenAI-compatible server.

`build_upstream_request` renders a `ChatRequest` as a Chat Completions body;
`parse_upstream_response` and `UpstreamStreamDecoder` turn what the server sends back into
canonical events. The decoder is lenient about what OpenAI-compatible servers (vLLM,
llama.cpp, Ollama, Fireworks …) do differently, and strict only where guessing would corrupt
the reply: a malformed body is an `UpstreamError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    FinishReason,
    ImagePart,
    Message,
    MessageStart,
    NamedTool,
    OutputFormat,
    Part,
    StreamError,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from fased.errors import UpstreamError
from fased.wire.openai_chat_render import render_tool_call
from fased.wire.reasoning import effort_of

_FINISH: Final[dict[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",  # deprecated `functions` flow
    "content_filter": "content_filter",
}


# --- request -------------------------------------------------------------------------------


def build_upstream_request(
    request: ChatRequest, upstream_model: str, *, max_tokens_field: str = "max_tokens"
) -> dict[str, Any]:
    """A Chat Completions body; fields that are None or empty are left out.

    The output limit goes in `max_tokens_field`: `max_tokens`, which every OpenAI-compatible
    server reads, or `max_completion_tokens` for OpenAI itself, whose reasoning models refuse
    `max_tokens` (it is deprecated there).

    System segments travel as ONE leading system message joined by blank lines: many
    OpenAI-compatible servers render chat templates that accept a single system message at
    the start only, and OpenAI reads the joined text the same way. `tool_choice` and
    `parallel_tool_calls` are sent only with tools (OpenAI rejects them without).
    `reasoning_effort` is sent whenever the request has a reasoning setting (an Anthropic
    budget becomes an effort); the provider has already dropped it for a model the catalog marks
    as not reasoning.
    """
    body: dict[str, Any] = {"model": upstream_model, "messages": _messages(request)}
    if request.tools:
        body["tools"] = [_tool(spec) for spec in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    optional = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        max_tokens_field: request.max_tokens,
        "stop": list(request.stop) or None,
        "response_format": _response_format(request.output_format),
        "user": request.user,
        "reasoning_effort": None if request.reasoning is None else effort_of(request.reasoning),
    }
    body.update((key, value) for key, value in optional.items() if value is not None)
    body["stream"] = request.stream
    if request.stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _messages(request: ChatRequest) -> list[dict[str, Any]]:
    system = "\n\n".join(segment for segment in request.system if segment)
    messages = [{"role": "system", "content": system}] if system else []
    for message in request.messages:
        messages.extend(_message(message))
    return messages


def _message(message: Message) -> list[dict[str, Any]]:
    """Tool results become `tool` messages (first: they answer the previous turn's calls)."""
    rendered: list[dict[str, Any]] = [
        {"role": "tool", "tool_call_id": part.tool_call_id, "content": part.content}
        for part in message.parts
        if isinstance(part, ToolResultPart)
    ]
    rest = [part for part in message.parts if not isinstance(part, ToolResultPart)]
    if message.role == "assistant":
        turn = _assistant(rest)
    elif rest or not rendered:
        turn = {"role": "user", "content": _content(rest)}
    else:
        return rendered
    if message.name is not None:
        turn["name"] = message.name
    return [*rendered, turn]


def _assistant(parts: Sequence[Part]) -> dict[str, Any]:
    """Text joined into one string; `content: null` on a tool-call-only turn, as OpenAI does."""
    text = "".join(part.text for part in parts if isinstance(part, TextPart))
    calls = [render_tool_call(part) for part in parts if isinstance(part, ToolCallPart)]
    rendered: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        rendered["tool_calls"] = calls
    return rendered


def _content(parts: Sequence[Part]) -> str | list[dict[str, Any]]:
    if not parts:
        return ""
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text
    rendered: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            rendered.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            image = (
                {"url": part.url}
                if part.detail is None
                else {"url": part.url, "detail": part.detail}
            )
            rendered.append({"type": "image_url", "image_url": image})
    return rendered


def _tool(spec: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {"name": spec.name}
    if spec.description is not None:
        function["description"] = spec.description
    if spec.parameters:
        function["parameters"] = spec.parameters
    if spec.strict is not None:
        function["strict"] = spec.strict
    return {"type": "function", "function": function}


def _tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if isinstance(choice, NamedTool):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def _response_format(fmt: OutputFormat | None) -> dict[str, Any] | None:
    if fmt is None or fmt.type != "json_schema":
        return None if fmt is None else {"type": fmt.type}
    schema: dict[str, Any] = {"name": fmt.name or "output"}
    if fmt.schema is not None:
        schema["schema"] = fmt.schema
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": schema}


# --- response ------------------------------------------------------------------------------


def parse_upstream_response(body: Any) -> list[Event]:
    """A non-streamed `chat.completion` → MessageStart, content, Finish, Usage."""
    if not isinstance(body, dict):
        raise UpstreamError("The upstream server answered with a non-object body.")
    _raise_error(body)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise UpstreamError("The upstream chat completion has no `choices[0]`.")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise UpstreamError("The upstream chat completion has no `choices[0].message`.")
    events: list[Event] = [MessageStart(_string(body.get("id")), _string(body.get("model")))]
    text = _message_text(message)
    if text:
        events.append(TextDelta(text))
    calls = message.get("tool_calls")
    calls = [] if calls is None else calls
    if not isinstance(calls, list):
        raise UpstreamError("The upstream `choices[0].message.tool_calls` is not a list.")
    for index, raw in enumerate(calls):
        call_id, name, arguments = _whole_call(raw, index)
        events.append(ToolCallStart(index, call_id, name))
        if arguments:
            events.append(ToolCallDelta(index, arguments))
        events.append(ToolCallEnd(index))
    events.append(Finish(canonical_finish(choices[0].get("finish_reason"), bool(calls))))
    if isinstance(body.get("usage"), dict):
        events.append(parse_usage(body["usage"]))
    return events


def _message_text(message: dict[str, Any]) -> str:
    """`content`; a refusal is what the model said instead, so it is the text then."""
    content = message.get("content")
    if isinstance(content, list):  # some servers answer with text parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if isinstance(content, str) and content:
        return content
    refusal = message.get("refusal")
    return refusal if isinstance(refusal, str) else ""


def _whole_call(raw: Any, index: int) -> tuple[str, str, str]:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise UpstreamError(f"The upstream tool call {index} has no `function.name`.")
    arguments = function.get("arguments")
    call_id = raw.get("id")
    return (
        call_id if isinstance(call_id, str) and call_id else f"call_{index}",
        function["name"],
        arguments if isinstance(arguments, str) else "",
    )


def canonical_finish(reason: Any, has_tool_calls: bool) -> FinishReason:
    """Chat → canonical; unknown or missing reasons are "stop", or "tool_calls" after calls."""
    mapped = _FINISH.get(reason, "stop") if isinstance(reason, str) else "stop"
    return "tool_calls" if has_tool_calls and mapped == "stop" else mapped


def parse_usage(usage: dict[str, Any]) -> Usage:
    """OpenAI usage; `prompt_tokens` already includes the cached tokens (pitfall 13)."""
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    return Usage(
        input_tokens=_count(usage, "prompt_tokens"),
        output_tokens=_count(usage, "completion_tokens"),
        cached_input_tokens=_count(prompt, "cached_tokens"),
        reasoning_tokens=_count(completion, "reasoning_tokens"),
    )


def _count(obj: Any, key: str) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _raise_error(body: dict[str, Any]) -> None:
    if body.get("error"):
        raise UpstreamError(f"The upstream server reported an error: {error_message(body)}")


def error_message(body: dict[str, Any]) -> str:
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else error
    return message if isinstance(message, str) and message else "no message given"


# --- stream --------------------------------------------------------------------------------


class UpstreamStreamDecoder:
    """Decoded `chat.completion.chunk` objects → canonical events, one chunk at a time.

    Tool calls are tracked by their fragment `index` (numbered 0, 1, … in order of first
    sight); a chunk may carry text and tool calls at once (pitfall 3), empty argument
    fragments are skipped (pitfall 4), usage-only chunks with `choices: []` or `null` are
    read (pitfall 19). Every open call gets its `ToolCallEnd` before `Finish`, and `Usage`
    always follows `Finish`. An `{"error": …}` chunk ends the stream with a `StreamError`.
    """

    __slots__ = ("_calls", "_ended", "_finished", "_started", "_usage")

    def __init__(self) -> None:
        self._started = self._finished = self._ended = False
        self._calls: dict[Any, int] = {}  # upstream fragment index → canonical index
        self._usage: Usage | None = None  # usage seen before the finish waits for it

    def feed(self, chunk: Any) -> list[Event]:
        if self._ended:
            return []
        if not isinstance(chunk, dict):
            raise UpstreamError("The upstream stream sent a chunk that is not a JSON object.")
        if chunk.get("error"):
            self._ended = True
            message = f"The upstream server reported an error: {error_message(chunk)}"
            return [StreamError(502, "upstream_error", message)]
        events: list[Event] = []
        if not self._started:
            self._started = True
            events.append(MessageStart(_string(chunk.get("id")), _string(chunk.get("model"))))
        choices = chunk.get("choices")
        choices = [] if choices is None else choices  # usage-only chunks: [] or null
        if not isinstance(choices, list):
            raise UpstreamError("The upstream stream sent a chunk whose `choices` is not a list.")
        for choice in choices:
            if not self._finished and isinstance(choice, dict) and choice.get("index", 0) == 0:
                self._choice(choice, events)
        if isinstance(chunk.get("usage"), dict):
            self._usage = parse_usage(chunk["usage"])
            if self._finished:
                events.append(self._usage)
                self._usage = None
        return events

    def close(self) -> list[Event]:
        """End of stream, with or without `[DONE]`: close what is still open."""
        if self._ended:
            return []
        self._ended = True
        if not self._started:
            message = "The upstream server closed the stream without sending a chunk."
            return [StreamError(502, "upstream_error", message)]
        return [] if self._finished else self._finish(canonical_finish(None, bool(self._calls)))

    def _choice(self, choice: dict[str, Any], events: list[Event]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            for key in ("content", "refusal"):
                text = delta.get(key)
                if isinstance(text, str) and text:
                    events.append(TextDelta(text))
            fragments = delta.get("tool_calls")
            if isinstance(fragments, list):
                for position, fragment in enumerate(fragments):
                    if isinstance(fragment, dict):
                        self._fragment(fragment, position, events)
        reason = choice.get("finish_reason")
        if reason is not None:
            events.extend(self._finish(canonical_finish(reason, bool(self._calls))))

    def _fragment(self, fragment: dict[str, Any], position: int, events: list[Event]) -> None:
        key = fragment.get("index", position)
        function = fragment.get("function")
        function = function if isinstance(function, dict) else {}
        index = self._calls.get(key) if isinstance(key, int) else None
        if index is None:
            index = self._calls[key] = len(self._calls)
            call_id, name = fragment.get("id"), function.get("name")
            events.append(
                ToolCallStart(
                    index,
                    call_id if isinstance(call_id, str) and call_id else f"call_{index}",
                    name if isinstance(name, str) else "",
                )
            )
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            events.append(ToolCallDelta(index, arguments))

    def _finish(self, reason: FinishReason) -> list[Event]:
        self._finished = True
        events: list[Event] = [ToolCallEnd(index) for index in self._calls.values()]
        events.append(Finish(reason))
        if self._usage is not None:
            events.append(self._usage)
            self._usage = None
        return events
