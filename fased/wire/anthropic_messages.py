"""Anthropic Messages, client side: the inbound request and what the client gets back.

`parse_request` validates a `/v1/messages` body and turns it into a `ChatRequest`;
`render_response` and `StreamEncoder` (in `anthropic_messages_render`) render the canonical
reply as a Message object or as Anthropic's typed SSE events. The upstream direction (gateway →
Anthropic) lives in `anthropic_messages_upstream`.

`thinking` (with `output_config.effort` for adaptive thinking) is the request's reasoning
setting (`fased.wire.reasoning`). Top-level fields the canonical request has no place for
(`top_k`, `service_tier`, …) are named in `InboundMessages.ignored` for the log.
`cache_control` is carried on system blocks, text and tool_result blocks and tools (pitfall 9),
accepted and not carried on other blocks; `citations` are accepted and not carried.
`temperature` and `top_p` are read (older clients send them) though Anthropic's current API no
longer has them.
"""

from __future__ import annotations

from collections.abc import Callable
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
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from fased.errors import BadRequest
from fased.wire.anthropic_cache import cache_hint
from fased.wire.anthropic_messages_render import StreamEncoder, render_response
from fased.wire.fields import (
    expect_list,
    expect_object,
    optional_bool,
    optional_int,
    optional_number,
    optional_object,
    optional_string,
    path,
    required_string,
)
from fased.wire.reasoning import read_thinking

__all__ = ["InboundMessages", "StreamEncoder", "parse_request", "render_response"]

IMAGE_MEDIA_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp")
_CARRIED: Final = frozenset(
    {
        "model",
        "messages",
        "system",
        "max_tokens",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "stop_sequences",
        "metadata",
        "stream",
        "output_config",
        "thinking",
    }
)
_USER_BLOCKS: Final = ("text", "image", "tool_result")
_ASSISTANT_BLOCKS: Final = ("text", "tool_use", "thinking", "redacted_thinking")
_TOOL_CHOICES: Final[dict[str, ToolChoice]] = {"auto": "auto", "any": "required", "none": "none"}


@dataclass(frozen=True, slots=True)
class InboundMessages:
    request: ChatRequest
    ignored: tuple[str, ...] = ()  # fields we do not carry, for the log


def parse_request(body: Any) -> InboundMessages:
    """Validate a Messages request body; every problem is a `BadRequest`."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = required_string(body, "model")
    max_tokens = optional_int(body, "max_tokens", minimum=1)
    if max_tokens is None:
        raise BadRequest(
            "`max_tokens` is required: set the most tokens the reply may have, e.g. 1024.",
            param="max_tokens",
        )
    choice, parallel = _parse_tool_choice(optional_object(body, "tool_choice"))
    metadata = optional_object(body, "metadata") or {}
    reasoning, thinking_ignored = read_thinking(body)
    system, system_cache = _parse_system(body.get("system"))
    request = ChatRequest(
        model=model,
        messages=_parse_messages(body.get("messages")),
        system=system,
        system_cache=system_cache,
        tools=_parse_tools(body.get("tools")),
        tool_choice=choice,
        temperature=optional_number(body, "temperature", low=0, high=1),
        top_p=optional_number(body, "top_p", low=0, high=1),
        max_tokens=max_tokens,
        stop=_parse_stop(body.get("stop_sequences")),
        output_format=_parse_output_config(optional_object(body, "output_config")),
        parallel_tool_calls=parallel,
        user=optional_string(metadata, "user_id", "metadata"),
        stream=optional_bool(body, "stream") is True,
        reasoning=reasoning,
    )
    ignored = tuple(key for key, value in body.items() if key not in _CARRIED and value is not None)
    return InboundMessages(request, ignored + thinking_ignored)


# --- system and messages -------------------------------------------------------------------


def _parse_system(system: Any) -> tuple[tuple[str, ...], tuple[CacheHint | None, ...]]:
    """A string, or text blocks: one system segment per block (empty ones dropped), and the
    blocks' cache breakpoints (empty when there are none)."""
    if system is None or isinstance(system, str):
        return ((system,) if system else ()), ()
    if not isinstance(system, list):
        raise BadRequest("`system` must be a string or a list of text blocks.", param="system")
    segments: list[str] = []
    hints: list[CacheHint | None] = []
    for index, raw in enumerate(system):
        param = f"system[{index}]"
        text = _text_block(raw, param)
        if text:
            segments.append(text)
            hints.append(cache_hint(raw, param))
    return tuple(segments), (tuple(hints) if any(hints) else ())


def _parse_messages(raw: Any) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise BadRequest("`messages` must be a non-empty list of messages.", param="messages")
    messages: list[Message] = []
    for index, item in enumerate(raw):
        param = f"messages[{index}]"
        message = expect_object(item, param)
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise BadRequest(
                f"`{param}.role` must be 'user' or 'assistant'; got {role!r}. System "
                "instructions go in the top-level `system` field.",
                param=f"{param}.role",
            )
        content = message.get("content")
        if content is None:
            raise BadRequest(
                f"`{param}.content` is required: send a string or a list of content blocks.",
                param=f"{param}.content",
            )
        parts = _content_parts(content, f"{param}.content", role)
        messages.extend(_user_turn(parts) if role == "user" else _assistant_turn(parts))
    if not any(m.role in ("user", "tool") for m in messages):
        raise BadRequest("Missing user message in `messages`.", param="messages")
    return tuple(messages)


def _user_turn(parts: list[Part]) -> list[Message]:
    """Each tool_result becomes a `tool` message, in order; the rest stays a user message."""
    messages: list[Message] = []
    pending: list[Part] = []
    for part in parts:
        if isinstance(part, ToolResultPart):
            if pending:
                messages.append(Message("user", tuple(pending)))
                pending = []
            messages.append(Message("tool", (part,)))
        else:
            pending.append(part)
    if pending:
        messages.append(Message("user", tuple(pending)))
    return messages


def _assistant_turn(parts: list[Part]) -> list[Message]:
    return [Message("assistant", tuple(parts))] if parts else []


def _content_parts(content: Any, param: str, role: str) -> list[Part]:
    """A string or a list of blocks; empty text is dropped (pitfall 7)."""
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    if not isinstance(content, list):
        raise BadRequest(f"`{param}` must be a string or a list of content blocks.", param=param)
    allowed = _USER_BLOCKS if role == "user" else _ASSISTANT_BLOCKS
    parts = (_content_part(raw, f"{param}[{i}]", allowed) for i, raw in enumerate(content))
    return [part for part in parts if part is not None]


def _content_part(raw: Any, param: str, allowed: tuple[str, ...]) -> Part | None:
    block = expect_object(raw, param)
    kind = block.get("type")
    if kind not in allowed:
        raise BadRequest(
            f"Content block type {kind!r} is not supported here; use {', '.join(allowed)}.",
            param=path(param, "type"),
        )
    return _BLOCK_READERS[kind](block, param)


def _text_block(raw: Any, param: str) -> str:
    block = expect_object(raw, param)
    if block.get("type") != "text":
        raise BadRequest(
            f"Block type {block.get('type')!r} is not supported here; use text.",
            param=path(param, "type"),
        )
    text = block.get("text")
    if not isinstance(text, str):
        raise BadRequest(f"`{param}.text` must be a string.", param=path(param, "text"))
    return text


def _text_part(block: dict[str, Any], param: str) -> Part | None:
    text = _text_block(block, param)
    return TextPart(text, cache=cache_hint(block, param)) if text else None


def _image_part(block: dict[str, Any], param: str) -> Part:
    source_param = path(param, "source")
    source = expect_object(block.get("source"), source_param)
    kind = source.get("type")
    if kind == "url":
        return ImagePart(required_string(source, "url", source_param))
    if kind != "base64":
        raise BadRequest(
            f"`{source_param}.type` must be 'base64' or 'url'; got {kind!r}.",
            param=path(source_param, "type"),
        )
    media_type = source.get("media_type")
    if media_type not in IMAGE_MEDIA_TYPES:
        raise BadRequest(
            f"`{source_param}.media_type` must be one of {', '.join(IMAGE_MEDIA_TYPES)}.",
            param=path(source_param, "media_type"),
        )
    data = required_string(source, "data", source_param)
    return ImagePart(f"data:{media_type};base64,{data}")


def _tool_use_part(block: dict[str, Any], param: str) -> Part:
    """`input` becomes its JSON text, keys in the order given."""
    call_id = required_string(block, "id", param)
    name = required_string(block, "name", param)
    arguments = block.get("input")
    if not isinstance(arguments, dict):
        raise BadRequest(f"`{param}.input` must be a JSON object.", param=path(param, "input"))
    try:
        text = orjson.dumps(arguments).decode()
    except orjson.JSONEncodeError:
        raise BadRequest(
            f"`{param}.input` cannot be encoded as JSON; integers must fit in 64 bits.",
            param=path(param, "input"),
        ) from None
    return ToolCallPart(call_id, name, text)


def _tool_result_part(block: dict[str, Any], param: str) -> Part:
    """`content` is a string or text blocks (joined); the canonical result is text only."""
    content = block.get("content")
    content_param = path(param, "content")
    if isinstance(content, list):
        content = "".join(
            _text_block(raw, f"{content_param}[{i}]") for i, raw in enumerate(content)
        )
    elif content is not None and not isinstance(content, str):
        raise BadRequest(
            f"`{content_param}` must be a string or a list of text blocks.", param=content_param
        )
    return ToolResultPart(
        required_string(block, "tool_use_id", param),
        content or "",
        is_error=optional_bool(block, "is_error", param) is True,
        cache=cache_hint(block, param),
    )


def _thinking_part(block: dict[str, Any], param: str) -> Part:
    thinking = block.get("thinking")
    if not isinstance(thinking, str):
        raise BadRequest(f"`{param}.thinking` must be a string.", param=path(param, "thinking"))
    return ReasoningPart(thinking, optional_string(block, "signature", param) or None)


def _redacted_thinking_part(block: dict[str, Any], param: str) -> Part:
    return ReasoningPart("", required_string(block, "data", param), redacted=True)


_BLOCK_READERS: Final[dict[str, Callable[[dict[str, Any], str], Part | None]]] = {
    "text": _text_part,
    "image": _image_part,
    "tool_use": _tool_use_part,
    "tool_result": _tool_result_part,
    "thinking": _thinking_part,
    "redacted_thinking": _redacted_thinking_part,
}


# --- tools, sampling, output ----------------------------------------------------------------


def _parse_tools(raw: Any) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    for i, item in enumerate([] if raw is None else expect_list(raw, "tools")):
        param = f"tools[{i}]"
        tool = expect_object(item, param)
        kind = tool.get("type")
        if kind not in (None, "custom"):
            raise BadRequest(
                f"Tool type {kind!r} is not supported; only client tools (type 'custom') are.",
                param=path(param, "type"),
            )
        name = required_string(tool, "name", param)
        schema = optional_object(tool, "input_schema", param)
        if schema is None:
            raise BadRequest(
                f"`{param}.input_schema` is required: the JSON schema of the tool's input.",
                param=path(param, "input_schema"),
            )
        description = optional_string(tool, "description", param)
        strict = optional_bool(tool, "strict", param)
        specs.append(ToolSpec(name, description, schema, strict, cache_hint(tool, param)))
    return tuple(specs)


def _parse_tool_choice(choice: dict[str, Any] | None) -> tuple[ToolChoice | None, bool | None]:
    """`{type: auto|any|tool|none}`; `disable_parallel_tool_use` is `parallel_tool_calls`."""
    if choice is None:
        return None, None
    disable = optional_bool(choice, "disable_parallel_tool_use", "tool_choice")
    parallel = None if disable is None else not disable
    kind = choice.get("type")
    if kind == "tool":
        return NamedTool(required_string(choice, "name", "tool_choice")), parallel
    mode = _TOOL_CHOICES.get(kind) if isinstance(kind, str) else None
    if mode is None:
        raise BadRequest(
            "`tool_choice.type` must be 'auto', 'any', 'tool' or 'none'.",
            param="tool_choice.type",
        )
    return mode, parallel


def _parse_stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return tuple(s for s in stop if s)
    raise BadRequest("`stop_sequences` must be a list of strings.", param="stop_sequences")


def _parse_output_config(config: dict[str, Any] | None) -> OutputFormat | None:
    """`output_config.format` (structured outputs); `effort` is read with `thinking`."""
    fmt = None if config is None else optional_object(config, "format", "output_config")
    if fmt is None:
        return None
    if fmt.get("type") != "json_schema":
        raise BadRequest(
            "`output_config.format.type` must be 'json_schema'.",
            param="output_config.format.type",
        )
    schema = optional_object(fmt, "schema", "output_config.format")
    if schema is None:
        raise BadRequest(
            "`output_config.format.schema` is required: the JSON schema of the reply.",
            param="output_config.format.schema",
        )
    return OutputFormat("json_schema", schema=schema)
