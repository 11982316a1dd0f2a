"""OpenAI Responses objects: the Response object and the parts it is made of, both ways.

Shapes follow OpenAI's API reference and what its servers send: the Response object (with the
request's settings echoed back as the API does), `message` / `function_call` / `reasoning`
output items, function tools, `text.format` and usage (with the gateway's extra `cost_usd`).
The client renderer, the stream encoder and the upstream request build them here; the upstream
side reads OpenAI's finished output items, finish and usage back into canonical terms here too.

Item ids are derived from the response id and the item's ordinal among items of its kind
(`msg_<id>_0`, `fc_<id>_1`, `rs_<id>_0`), so a stored response re-renders identically. They are
labels only: a function call is matched by its `call_id`, which is the canonical tool-call id,
never derived (pitfall 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from fased.canonical import (
    ChatRequest,
    Event,
    FinishReason,
    NamedTool,
    OutputFormat,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    Reply,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolSpec,
    Usage,
)
from fased.errors import UpstreamError

if TYPE_CHECKING:
    from fased.wire.openai_responses import InboundResponses

ResponseStatus = Literal["completed", "incomplete", "in_progress", "cancelled"]
ItemStatus = Literal["completed", "incomplete", "in_progress"]

CUT_SHORT: Final = "The model stream ended with an error before it finished; retry the request."
OUTCOMES: Final[dict[FinishReason, tuple[ResponseStatus, str | None]]] = {
    "stop": ("completed", None),
    "tool_calls": ("completed", None),
    "length": ("incomplete", "max_output_tokens"),
    "content_filter": ("incomplete", "content_filter"),
}
_NO_REQUEST: Final = ChatRequest(model="", messages=())


def item_id(prefix: str, response_id: str, ordinal: int) -> str:
    return f"{prefix}_{response_id.removeprefix('resp_')}_{ordinal}"


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def message_item(item_id: str, text: str, status: ItemStatus) -> dict[str, Any]:
    content = [output_text(text)] if text else []
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    }


def function_call_item(item_id: str, call: ToolCallPart, status: ItemStatus) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "arguments": call.arguments,
        "call_id": call.id,
        "name": call.name,
    }


def reasoning_item(item_id: str, part: ReasoningPart) -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": part.text}] if part.text else []
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": summary}
    if part.signature is not None:
        item["encrypted_content"] = part.signature
    return item


def render_tool(spec: ToolSpec) -> dict[str, Any]:
    """A function tool, flat (not nested under `function` as in Chat Completions)."""
    tool: dict[str, Any] = {"type": "function", "name": spec.name}
    if spec.description is not None:
        tool["description"] = spec.description
    tool["parameters"] = spec.parameters or None
    tool["strict"] = spec.strict
    return tool


def render_tool_choice(choice: ToolChoice | None) -> str | dict[str, Any]:
    if isinstance(choice, NamedTool):
        return {"type": "function", "name": choice.name}
    return "auto" if choice is None else choice


def render_text_format(fmt: OutputFormat | None) -> dict[str, Any]:
    """`text.format`; json_schema's name, schema and strict sit flat beside its type."""
    if fmt is None or fmt.type != "json_schema":
        return {"type": "text" if fmt is None else fmt.type}
    rendered: dict[str, Any] = {"type": "json_schema", "name": fmt.name or "output"}
    if fmt.schema is not None:
        rendered["schema"] = fmt.schema
    if fmt.strict is not None:
        rendered["strict"] = fmt.strict
    return rendered


def render_usage(usage: Usage) -> dict[str, Any]:
    """Cached reads and writes are part of `input_tokens` (pitfall 13); reasoning of output."""
    rendered: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_write_input_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }
    if usage.cost_usd is not None:
        rendered["cost_usd"] = usage.cost_usd
    return rendered


# --- the Response object -----------------------------------------------------------------------


def render_response(
    reply: Reply,
    *,
    response_id: str,
    model: str,
    created: int,
    status: ResponseStatus | None = None,
    request: InboundResponses | None = None,
    reasoning: Sequence[ReasoningPart] | None = None,
) -> dict[str, Any]:
    """A whole reply as a Response object: reasoning items, one message item when there is
    text, one function_call item per call, in that order — never `output: []` when the reply
    has content (pitfall 17). The status comes from the finish reason unless given; a reply
    cut short (length, content filter) is `incomplete`, and so is its last item.

    A reply whose finish is "error" raises `UpstreamError`, as in Chat Completions: a failed
    run is answered with an error, not with a success body.
    """
    if reply.finish == "error":
        raise UpstreamError(CUT_SHORT)
    outcome, reason = OUTCOMES[reply.finish]
    thoughts = reply.reasoning if reasoning is None else reasoning
    output = [reasoning_item(item_id("rs", response_id, n), p) for n, p in enumerate(thoughts)]
    if reply.text:
        output.append(message_item(item_id("msg", response_id, 0), reply.text, "completed"))
    output.extend(
        function_call_item(item_id("fc", response_id, n), call, "completed")
        for n, call in enumerate(reply.tool_calls)
    )
    if outcome == "incomplete" and output and "status" in output[-1]:
        output[-1]["status"] = "incomplete"  # only the last item was cut short
    head = {"id": response_id, "created_at": created, "model": model}
    return response_object(
        head, status or outcome, output, reply.usage, request_echo(request), incomplete=reason
    )


def response_object(
    head: dict[str, Any],
    status: str,
    output: list[dict[str, Any]],
    usage: Usage | None,
    echo: dict[str, Any],
    *,
    incomplete: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`head` holds id, created_at and model; `echo` the request's settings (`request_echo`)."""
    return {
        "id": head["id"],
        "object": "response",
        "created_at": head["created_at"],
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": None if incomplete is None else {"reason": incomplete},
        "model": head["model"],
        "output": output,
        **echo,
        "usage": None if usage is None else render_usage(usage),
    }


def request_echo(request: InboundResponses | None) -> dict[str, Any]:
    """The request's settings as the Response object repeats them (defaults without one)."""
    chat = _NO_REQUEST if request is None else request.request
    return {
        "instructions": None if request is None else request.instructions,
        "max_output_tokens": chat.max_tokens,
        "parallel_tool_calls": chat.parallel_tool_calls is not False,
        "previous_response_id": None if request is None else request.previous_response_id,
        "reasoning": {"effort": _effort(chat), "summary": None},
        "store": True if request is None else request.store,
        "temperature": chat.temperature,
        "text": {"format": render_text_format(chat.output_format)},
        "tool_choice": render_tool_choice(chat.tool_choice),
        "tools": [render_tool(spec) for spec in chat.tools],
        "top_p": chat.top_p,
        "truncation": "disabled",
        "user": chat.user,
        "metadata": {} if request is None else dict(request.metadata),
    }


def _effort(chat: ChatRequest) -> str | None:
    return None if chat.reasoning is None else chat.reasoning.effort


def failed_error_code(status: int) -> str:
    """The Response object's `error.code` (OpenAI's documented codes) for an HTTP status."""
    return "rate_limit_exceeded" if status == 429 else "server_error"


# --- reading what OpenAI sends back (the upstream side) ----------------------------------------

KNOWN_ITEMS: Final = frozenset({"message", "function_call", "reasoning"})


def whole_item_events(item: dict[str, Any], tool_index: int) -> list[Event]:
    """One finished output item → its events; a function call gets canonical `tool_index`."""
    kind = item.get("type")
    if kind == "message":
        text = message_text(item)
        return [TextDelta(text)] if text else []
    if kind == "function_call":
        call_id, name, arguments = whole_call(item, tool_index)
        delta: list[Event] = [ToolCallDelta(tool_index, arguments)] if arguments else []
        return [ToolCallStart(tool_index, call_id, name), *delta, ToolCallEnd(tool_index)]
    if kind == "reasoning":
        text, signature = reasoning_text(item), item.get("encrypted_content")
        signature = signature if isinstance(signature, str) and signature else None
        events: list[Event] = [ReasoningDelta(text)] if text else []
        return [*events, ReasoningEnd(signature)] if text or signature else []
    return []


def message_text(item: dict[str, Any]) -> str:
    """`output_text` parts joined; a refusal is what the model said instead, so it is text."""
    content = item.get("content")
    parts = content if isinstance(content, list) else []
    texts = (part.get("text") or part.get("refusal") for part in parts if isinstance(part, dict))
    return "".join(text for text in texts if isinstance(text, str))


def reasoning_text(item: dict[str, Any]) -> str:
    """The summary texts joined by blank lines, else the raw reasoning text."""
    for key in ("summary", "content"):
        parts = item.get(key)
        texts = (
            [p.get("text") for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []
        )
        joined = "\n\n".join(text for text in texts if isinstance(text, str) and text)
        if joined:
            return joined
    return ""


def whole_call(item: dict[str, Any], index: int) -> tuple[str, str, str]:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise UpstreamError(f"The upstream function call {index} has no `name`.")
    arguments = item.get("arguments")
    return _call_id(item, index), name, arguments if isinstance(arguments, str) else ""


def _call_id(item: dict[str, Any], index: int) -> str:
    """The `call_id`; without one (never from OpenAI) the item id, else a stable stand-in."""
    for key in ("call_id", "id"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return f"call_{index}"


def canonical_finish(response: dict[str, Any], has_tool_calls: bool) -> FinishReason:
    if response.get("status") == "incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return "content_filter" if reason == "content_filter" else "length"
    return "tool_calls" if has_tool_calls else "stop"


def parse_usage(usage: dict[str, Any]) -> Usage:
    """`input_tokens` already includes the cached reads (pitfall 13); output the reasoning."""
    details_in, details_out = usage.get("input_tokens_details"), usage.get("output_tokens_details")
    return Usage(
        input_tokens=_count(usage, "input_tokens"),
        output_tokens=_count(usage, "output_tokens"),
        cached_input_tokens=_count(details_in, "cached_tokens"),
        reasoning_tokens=_count(details_out, "reasoning_tokens"),
        cache_write_input_tokens=_count(details_in, "cache_write_tokens"),
    )


def error_message(obj: dict[str, Any]) -> str:
    """The message of `{"error": {...}}`, of a flat `error` event, or of a failed Response."""
    error = obj.get("error")
    message = error.get("message") if isinstance(error, dict) else error or obj.get("message")
    return message if isinstance(message, str) and message else "no message given"


def error_code(obj: dict[str, Any]) -> str:
    error = obj.get("error")
    code = error.get("code") if isinstance(error, dict) else obj.get("code")
    return code if isinstance(code, str) and code else "upstream_error"


def _count(obj: Any, key: str) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def string_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
