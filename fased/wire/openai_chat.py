"""OpenAI Chat Completions, client side: the inbound request and what the client gets back.

`parse_request` validates a `/v1/chat/completions` body and turns it into a `ChatRequest`;
`render_response` and `StreamEncoder` render the canonical reply as a `chat.completion` object
or as `chat.completion.chunk` SSE frames. The upstream direction (gateway → an
OpenAI-compatible server) lives in `openai_chat_upstream`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from fased.canonical import (
    CacheHint,
    ChatRequest,
    ImagePart,
    Message,
    NamedTool,
    OutputFormat,
    Part,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from fased.errors import BadRequest
from fased.wire.anthropic_cache import cache_hint
from fased.wire.fields import (
    content_parts,
    expect_list,
    expect_object,
    optional_bool,
    optional_int,
    optional_number,
    optional_object,
    optional_string,
    required_string,
)
from fased.wire.openai_chat_render import StreamEncoder, render_response
from fased.wire.reasoning import read_chat_reasoning

__all__ = ["InboundChat", "StreamEncoder", "parse_request", "render_response"]

_USER_PARTS: Final = ("text", "image_url")
_ASSISTANT_PARTS: Final = ("text", "refusal")
_TEXT_PARTS: Final = ("text",)
_TOOL_CHOICE_HINT: Final = (
    "use 'auto', 'none', 'required' or "
    '{"type": "function", "function": {"name": "<tool name>"}}'
)


@dataclass(frozen=True, slots=True)
class InboundChat:
    request: ChatRequest
    include_usage: bool


def parse_request(body: Any) -> InboundChat:
    """Validate a Chat Completions request body; every problem is a `BadRequest`."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = required_string(body, "model")
    system, system_cache, messages = _parse_messages(body.get("messages"))
    n = optional_int(body, "n", minimum=1)
    if n is not None and n > 1:
        raise BadRequest("n > 1 is not supported; send one request per choice.", param="n")
    request = ChatRequest(
        model=model,
        messages=messages,
        system=system,
        system_cache=system_cache,
        tools=_parse_tools(body),
        tool_choice=_parse_tool_choice(body),
        temperature=optional_number(body, "temperature", low=0, high=2),
        top_p=optional_number(body, "top_p", low=0, high=1),
        max_tokens=_parse_max_tokens(body),
        stop=_parse_stop(body.get("stop")),
        output_format=_parse_output_format(optional_object(body, "response_format")),
        parallel_tool_calls=optional_bool(body, "parallel_tool_calls"),
        user=optional_string(body, "user"),
        stream=optional_bool(body, "stream") is True,
        reasoning=read_chat_reasoning(body),
    )
    options = optional_object(body, "stream_options") or {}
    include_usage = optional_bool(options, "include_usage", "stream_options")
    return InboundChat(request, include_usage=include_usage is True)


# --- messages ------------------------------------------------------------------------------

_Reader = Callable[[dict[str, Any], str, Sequence[Message]], Message]


def _parse_messages(
    raw: Any,
) -> tuple[tuple[str, ...], tuple[CacheHint | None, ...], tuple[Message, ...]]:
    """System segments (hoisted) with their cache breakpoints (empty when none), and the turns."""
    if not isinstance(raw, list) or not raw:
        raise BadRequest("`messages` must be a non-empty list of messages.", param="messages")
    system: list[str] = []
    hints: list[CacheHint | None] = []
    messages: list[Message] = []
    for index, item in enumerate(raw):
        param = f"messages[{index}]"
        message = expect_object(item, param)
        role = message.get("role")
        if role in ("system", "developer"):  # hoisted, in order, wherever they appear
            text, hint = _text_content(message.get("content"), f"{param}.content")
            if text:
                system.append(text)
                hints.append(hint)
            continue
        reader = _READERS.get(role) if isinstance(role, str) else None
        if reader is None:
            raise BadRequest(
                f"`{param}.role` must be system, developer, user, assistant or tool; got {role!r}.",
                param=f"{param}.role",
            )
        messages.append(reader(message, param, messages))
    if not any(m.role in ("user", "tool") for m in messages):
        raise BadRequest("Missing user message in `messages`.", param="messages")
    return tuple(system), (tuple(hints) if any(hints) else ()), tuple(messages)


def _user_message(message: dict[str, Any], param: str, _: Sequence[Message]) -> Message:
    content = message.get("content")
    if content is None:
        raise BadRequest(
            f"`{param}.content` is required on user messages: send a string or content parts.",
            param=f"{param}.content",
        )
    parts = _content_parts(content, f"{param}.content", _USER_PARTS)
    return Message("user", parts, name=optional_string(message, "name", param))


def _assistant_message(message: dict[str, Any], param: str, previous: Sequence[Message]) -> Message:
    parts = list(_content_parts(message.get("content"), f"{param}.content", _ASSISTANT_PARTS))
    calls = message.get("tool_calls")
    if calls is not None:
        calls_param = f"{param}.tool_calls"
        for i, call in enumerate(expect_list(calls, calls_param)):
            parts.append(_tool_call(call, f"{calls_param}[{i}]"))
    legacy = message.get("function_call")
    if legacy is not None:  # deprecated `functions` flow: no id on the wire, make a stable one
        fn_param = f"{param}.function_call"
        call_id = f"call_legacy_{len(previous)}"
        parts.append(_function_call(expect_object(legacy, fn_param), fn_param, call_id))
    return Message("assistant", tuple(parts), name=optional_string(message, "name", param))


def _tool_message(message: dict[str, Any], param: str, _: Sequence[Message]) -> Message:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise BadRequest(
            f"`{param}.tool_call_id` is required: set it to the id of the tool call it answers.",
            param=f"{param}.tool_call_id",
        )
    content, hint = _text_content(message.get("content"), f"{param}.content")
    return Message("tool", (ToolResultPart(call_id, content, cache=hint),))


def _function_message(message: dict[str, Any], param: str, previous: Sequence[Message]) -> Message:
    """Deprecated `function` role: answers the latest legacy call of the same name."""
    name = required_string(message, "name", param)
    call_id = next(
        (
            part.id
            for earlier in reversed(previous)
            for part in earlier.parts
            if isinstance(part, ToolCallPart) and part.name == name
        ),
        f"call_legacy_{name}",
    )
    content, _ = _text_content(message.get("content"), f"{param}.content")
    return Message("tool", (ToolResultPart(call_id, content),))


_READERS: Final[dict[str, _Reader]] = {
    "user": _user_message,
    "assistant": _assistant_message,
    "tool": _tool_message,
    "function": _function_message,
}


def _content_parts(content: Any, param: str, allowed: tuple[str, ...]) -> tuple[Part, ...]:
    return content_parts(content, param, allowed, _read_part)


def _read_part(part: dict[str, Any], param: str, kind: str) -> Part | None:
    if kind == "image_url":
        return _image_part(part.get("image_url"), f"{param}.image_url")
    text = part.get(kind)  # {"type": "text", "text": …} or {"type": "refusal", "refusal": …}
    if not isinstance(text, str):
        raise BadRequest(f"`{param}.{kind}` must be a string.", param=f"{param}.{kind}")
    # `cache_control` on a part: the Anthropic breakpoint that OpenAI-format clients of Claude
    # send (an OpenRouter/LiteLLM convention); kept toward Anthropic, never sent to OpenAI
    return TextPart(text, cache=cache_hint(part, param)) if text else None


def _image_part(raw: Any, param: str) -> ImagePart:
    if isinstance(raw, str) and raw:  # some clients send the URL bare
        return ImagePart(raw)
    image = expect_object(raw, param)
    return ImagePart(
        required_string(image, "url", param),
        detail=optional_string(image, "detail", param),
    )


def _text_content(content: Any, param: str) -> tuple[str, CacheHint | None]:
    """System and tool content: a string, or text parts joined; and the breakpoint of its last
    part that set one (a breakpoint covers everything before it)."""
    parts = [p for p in _content_parts(content, param, _TEXT_PARTS) if isinstance(p, TextPart)]
    hint = next((p.cache for p in reversed(parts) if p.cache is not None), None)
    return "".join(part.text for part in parts), hint


def _tool_call(raw: Any, param: str) -> ToolCallPart:
    call = expect_object(raw, param)
    kind = call.get("type", "function")
    if kind != "function":
        raise BadRequest(
            f"Tool call type {kind!r} is not supported; only 'function' calls are.",
            param=f"{param}.type",
        )
    call_id = required_string(call, "id", param)
    fn_param = f"{param}.function"
    return _function_call(expect_object(call.get("function"), fn_param), fn_param, call_id)


def _function_call(function: dict[str, Any], param: str, call_id: str) -> ToolCallPart:
    name = required_string(function, "name", param)
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # lenient clients send the object itself
        arguments = orjson.dumps(arguments).decode()
    elif arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):
        raise BadRequest(
            f"`{param}.arguments` must be a string of JSON.", param=f"{param}.arguments"
        )
    return ToolCallPart(call_id, name, arguments)


# --- tools and sampling ----------------------------------------------------------------------


def _parse_tools(body: dict[str, Any]) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    for i, raw in enumerate(_list_field(body, "tools")):
        tool = expect_object(raw, f"tools[{i}]")
        if tool.get("type") != "function":
            raise BadRequest(
                f"Tool type {tool.get('type')!r} is not supported; only 'function' tools are.",
                param=f"tools[{i}].type",
            )
        fn_param = f"tools[{i}].function"
        specs.append(_function_spec(expect_object(tool.get("function"), fn_param), fn_param))
    for i, raw in enumerate(_list_field(body, "functions")):  # deprecated form of `tools`
        specs.append(_function_spec(expect_object(raw, f"functions[{i}]"), f"functions[{i}]"))
    return tuple(specs)


def _list_field(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    return [] if value is None else expect_list(value, key)


def _function_spec(function: dict[str, Any], param: str) -> ToolSpec:
    parameters = optional_object(function, "parameters", param)
    return ToolSpec(
        name=required_string(function, "name", param),
        description=optional_string(function, "description", param),
        parameters={} if parameters is None else parameters,
        strict=optional_bool(function, "strict", param),
    )


def _parse_tool_choice(body: dict[str, Any]) -> ToolChoice | None:
    choice = body.get("tool_choice")
    if choice is not None:
        is_named = isinstance(choice, dict) and choice.get("type") == "function"
        return _tool_choice(choice, choice.get("function") if is_named else None, "tool_choice")
    legacy = body.get("function_call")  # deprecated: "auto" | "none" | {"name": …}
    return None if legacy is None else _tool_choice(legacy, legacy, "function_call")


def _tool_choice(choice: Any, named: Any, param: str) -> ToolChoice:
    if choice in ("auto", "none", "required"):
        mode: ToolChoice = choice
        return mode
    name = named.get("name") if isinstance(named, dict) else None
    if isinstance(name, str) and name:
        return NamedTool(name)
    raise BadRequest(f"`{param}` is not valid; {_TOOL_CHOICE_HINT}.", param=param)


def _parse_max_tokens(body: dict[str, Any]) -> int | None:
    newer = optional_int(body, "max_completion_tokens", minimum=1)
    older = optional_int(body, "max_tokens", minimum=1)
    return older if newer is None else newer


def _parse_stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,) if stop else ()
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return tuple(s for s in stop if s)
    raise BadRequest("`stop` must be a string or a list of strings.", param="stop")


def _parse_output_format(fmt: dict[str, Any] | None) -> OutputFormat | None:
    if fmt is None:
        return None
    kind = fmt.get("type")
    if kind == "text":
        return OutputFormat("text")
    if kind == "json_object":
        return OutputFormat("json_object")
    if kind != "json_schema":
        raise BadRequest(
            "`response_format.type` must be 'text', 'json_object' or 'json_schema'.",
            param="response_format.type",
        )
    param = "response_format.json_schema"
    spec = expect_object(fmt.get("json_schema"), param)
    return OutputFormat(
        "json_schema",
        name=required_string(spec, "name", param),
        schema=optional_object(spec, "schema", param),
        strict=optional_bool(spec, "strict", param),
    )
