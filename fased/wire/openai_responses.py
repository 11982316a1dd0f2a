"""OpenAI Responses, client side: the inbound `/v1/responses` request (SPEC §5.3).

`parse_request` validates a body and turns it into a `ChatRequest`, plus what the Responses API
keeps beside the conversation: `store`, `previous_response_id`, `oauth_only`, and what the
Response object echoes back (`instructions`, `metadata`). Input items are read by
`openai_responses_items` (`items_to_messages` rebuilds the history of a stored response from
its `output` with the same reader). `render_response` and `StreamEncoder` render the reply
(`openai_responses_render`); the upstream direction lives in `openai_responses_upstream`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from fased.canonical import (
    ChatRequest,
    Message,
    NamedTool,
    OutputFormat,
    TextPart,
    ToolChoice,
    ToolSpec,
)
from fased.errors import BadRequest
from fased.wire.fields import (
    expect_list,
    expect_object,
    optional_bool,
    optional_int,
    optional_number,
    optional_object,
    optional_string,
    required_string,
)
from fased.wire.openai_responses_items import items_to_messages, read_items
from fased.wire.openai_responses_render import StreamEncoder, render_response
from fased.wire.reasoning import read_responses_reasoning

__all__ = [
    "InboundResponses",
    "StreamEncoder",
    "items_to_messages",
    "parse_request",
    "render_response",
]

# Accepted and understood, but the canonical request cannot carry them: listed in `dropped`.
_DROPPED: Final = (
    "include",
    "truncation",
    "prompt_cache_key",
    "prompt_cache_retention",
    "service_tier",
    "top_logprobs",
    "max_tool_calls",
    "safety_identifier",
    "stream_options",
)
# Fields whose meaning we cannot honour: silently ignoring them would answer another question.
_REJECTED: Final = {
    "conversation": "Conversations are not supported; continue with `previous_response_id`.",
    "prompt": "Prompt templates are not supported; send `instructions` and `input` instead.",
}
_TOOL_CHOICE_HINT: Final = (
    'use \'auto\', \'none\', \'required\' or {"type": "function", "name": "<tool name>"}'
)


@dataclass(frozen=True, slots=True)
class InboundResponses:
    """A parsed `/v1/responses` request. `dropped` names the accepted fields the canonical
    request cannot express (e.g. `reasoning.summary`, `text.verbosity`), for the caller to
    log."""

    request: ChatRequest
    store: bool = True
    previous_response_id: str | None = None
    oauth_only: bool = False
    instructions: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()


def parse_request(body: Any) -> InboundResponses:
    """Validate a Responses request body; every problem is a `BadRequest`."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = required_string(body, "model")
    _reject_unsupported(body)
    instructions = optional_string(body, "instructions")
    previous = _previous_response_id(body)
    system, messages = _parse_input(body.get("input"), continues=previous is not None)
    text = optional_object(body, "text")
    reasoning, reasoning_dropped = read_responses_reasoning(body)
    request = ChatRequest(
        model=model,
        messages=messages,
        system=((instructions,) if instructions else ()) + system,
        tools=_parse_tools(body.get("tools")),
        tool_choice=_parse_tool_choice(body.get("tool_choice")),
        temperature=optional_number(body, "temperature", low=0, high=2),
        top_p=optional_number(body, "top_p", low=0, high=1),
        max_tokens=optional_int(body, "max_output_tokens", minimum=1),
        output_format=_parse_text_format(text),
        parallel_tool_calls=optional_bool(body, "parallel_tool_calls"),
        user=optional_string(body, "user"),
        stream=optional_bool(body, "stream") is True,
        reasoning=reasoning,
    )
    return InboundResponses(
        request,
        store=optional_bool(body, "store") is not False,
        previous_response_id=previous,
        oauth_only=optional_bool(body, "oauth_only") is True,
        instructions=instructions,
        metadata=_parse_metadata(optional_object(body, "metadata")),
        dropped=_dropped(body, text) + reasoning_dropped,
    )


def _reject_unsupported(body: dict[str, Any]) -> None:
    for key, message in _REJECTED.items():
        if body.get(key) is not None:
            raise BadRequest(message, param=key)
    if optional_bool(body, "background"):
        raise BadRequest(
            "Background responses are not supported; send the request without `background`.",
            param="background",
        )


def _previous_response_id(body: dict[str, Any]) -> str | None:
    value = body.get("previous_response_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(
            "`previous_response_id` must be the non-empty id of a stored response.",
            param="previous_response_id",
        )
    return value


def _dropped(body: dict[str, Any], text: dict[str, Any] | None) -> tuple[str, ...]:
    names = [name for name in _DROPPED if body.get(name) is not None]
    if text is not None and text.get("verbosity") is not None:
        names.append("text.verbosity")
    return tuple(names)


# --- input items -----------------------------------------------------------------------------


def _parse_input(raw: Any, *, continues: bool) -> tuple[tuple[str, ...], tuple[Message, ...]]:
    """`input`: a string (one user message) or a list of items; empty only when continuing."""
    if isinstance(raw, str) and raw:
        return (), (Message("user", (TextPart(raw),)),)
    if raw is not None and raw != "" and not isinstance(raw, list):
        raise BadRequest("`input` must be a string or a list of input items.", param="input")
    system, messages = read_items(raw or [], "input")
    if not continues and not any(m.role in ("user", "tool") for m in messages):
        raise BadRequest("Missing user message in `input`.", param="input")
    return system, messages


# --- tools, tool choice, format ----------------------------------------------------------------


def _parse_tools(raw: Any) -> tuple[ToolSpec, ...]:
    """Function tools, flat: `{"type": "function", "name", "description", "parameters", …}`."""
    specs: list[ToolSpec] = []
    for index, entry in enumerate([] if raw is None else expect_list(raw, "tools")):
        at = f"tools[{index}]"
        tool = expect_object(entry, at)
        if tool.get("type") != "function":
            raise BadRequest(
                f"Tool type {tool.get('type')!r} is not supported; only function tools are "
                "supported.",
                param=f"{at}.type",
            )
        parameters = optional_object(tool, "parameters", at)
        specs.append(
            ToolSpec(
                name=required_string(tool, "name", at),
                description=optional_string(tool, "description", at),
                parameters={} if parameters is None else parameters,
                strict=optional_bool(tool, "strict", at),
            )
        )
    return tuple(specs)


def _parse_tool_choice(choice: Any) -> ToolChoice | None:
    if choice is None:
        return None
    if choice in ("auto", "none", "required"):
        mode: ToolChoice = choice
        return mode
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("name")
        if isinstance(name, str) and name:
            return NamedTool(name)
    raise BadRequest(f"`tool_choice` is not valid; {_TOOL_CHOICE_HINT}.", param="tool_choice")


def _parse_text_format(text: dict[str, Any] | None) -> OutputFormat | None:
    """`text.format`: text | json_object | json_schema with name/schema/strict flat."""
    fmt = None if text is None else optional_object(text, "format", "text")
    if fmt is None:
        return None
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return OutputFormat(kind)
    if kind != "json_schema":
        raise BadRequest(
            "`text.format.type` must be 'text', 'json_object' or 'json_schema'.",
            param="text.format.type",
        )
    return OutputFormat(
        "json_schema",
        name=required_string(fmt, "name", "text.format"),
        schema=optional_object(fmt, "schema", "text.format"),
        strict=optional_bool(fmt, "strict", "text.format"),
    )


def _parse_metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
    for key, value in (metadata or {}).items():
        if not isinstance(value, str):
            raise BadRequest(f"`metadata.{key}` must be a string.", param=f"metadata.{key}")
    return dict(metadata or {})
