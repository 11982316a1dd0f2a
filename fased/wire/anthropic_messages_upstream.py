"""Anthropic Messages, upstream side: the gateway calling Anthropic's `/v1/messages`.

`build_upstream_request` renders a `ChatRequest` as a Messages body and names what it could not
send as given. `parse_upstream_response` and `UpstreamStreamDecoder`, which turn what Anthropic
sends back into canonical events, live in `anthropic_messages_decode` and are re-exported here,
so a provider imports its whole upstream side from this module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

from fased.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    NamedTool,
    OutputFormat,
    Part,
    Reasoning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
)
from fased.errors import BadRequest
from fased.wire.anthropic_cache import CacheBudget
from fased.wire.anthropic_messages import IMAGE_MEDIA_TYPES
from fased.wire.anthropic_messages_decode import (
    UpstreamStreamDecoder,
    canonical_finish,
    parse_upstream_response,
    parse_usage,
)
from fased.wire.anthropic_messages_render import render_reasoning, tool_input
from fased.wire.reasoning import budget_of, fit_budget

__all__ = [
    "UpstreamRequest",
    "UpstreamStreamDecoder",
    "build_upstream_request",
    "canonical_finish",
    "parse_upstream_response",
    "parse_usage",
]

_TOOL_CHOICES: Final = {"auto": "auto", "required": "any", "none": "none"}
_TOOL_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
_IMAGE_HINT = "send images as https URLs or base64 data URLs of " + ", ".join(IMAGE_MEDIA_TYPES)


class UpstreamRequest(NamedTuple):
    """The body to send, and what the request held that the body does not carry as given
    (`temperature`, `top_p`, `output_format`, `tools.strict`, `message.name`, `image.detail`,
    `reasoning`, `tool_call.arguments`, a thinking budget or `max_tokens` adjusted): for the
    caller's log, never an error."""

    body: dict[str, Any]
    dropped: tuple[str, ...]


# --- request -------------------------------------------------------------------------------


def build_upstream_request(
    request: ChatRequest, upstream_model: str, *, default_max_tokens: int
) -> UpstreamRequest:
    """A Messages body; fields that are None or empty are left out.

    System segments travel as one text block each, in order. Turns alternate as Anthropic
    requires: consecutive same-role messages merge, tool results join the user turn (first,
    as Anthropic wants them), empty turns are dropped. `tool_choice` is sent only with tools.
    Cache breakpoints go back on their blocks, at most four (`anthropic_cache`).
    `temperature` and `top_p` are not sent: Anthropic's current Messages API (the `anthropic`
    SDK 2.x, generated from it) has no sampling parameters any more, so none can clash with
    thinking, which goes as a budget (`_thinking`).
    """
    dropped: list[str] = []
    body: dict[str, Any] = {
        "model": upstream_model,
        "max_tokens": request.max_tokens or default_max_tokens,
    }
    cache = CacheBudget()  # marked in prefix order: tools, system, messages
    if request.tools:
        body["tools"] = [cache.mark(_tool(spec, dropped), spec.cache) for spec in request.tools]
    hints = request.system_cache or (None,) * len(request.system)
    system = [
        cache.mark({"type": "text", "text": segment}, hint)
        for segment, hint in zip(request.system, hints, strict=False)
        if segment
    ]
    if system:
        body["system"] = system
    body["messages"] = _turns(request.messages, dropped, cache)
    if cache.apply():
        dropped.append("cache_control")
    if request.tools:
        choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
        if choice is not None:
            body["tool_choice"] = choice
    sampling = {"temperature": request.temperature, "top_p": request.top_p}
    dropped.extend(name for name, value in sampling.items() if value is not None)
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.user is not None:
        body["metadata"] = {"user_id": request.user}
    output = _output_config(request.output_format, dropped)
    if output is not None:
        body["output_config"] = output
    if request.reasoning is not None:
        _thinking(request.reasoning, body, dropped)
    body["stream"] = request.stream
    return UpstreamRequest(body, tuple(dict.fromkeys(dropped)))


def _turns(
    messages: Sequence[Message], dropped: list[str], cache: CacheBudget
) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.name is not None:
            dropped.append("message.name")
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message.parts, role, dropped, cache)
        if not blocks:  # Anthropic rejects empty turns (pitfall 7)
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # stable: tool results first, the rest in order
        if turn["role"] == "user":
            turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return turns


def _blocks(
    parts: Sequence[Part], role: str, dropped: list[str], cache: CacheBudget
) -> list[dict[str, Any]]:
    """An assistant turn starts with its thinking blocks (pitfall 11)."""
    reasoning = [part for part in parts if isinstance(part, ReasoningPart)]
    if reasoning and role != "assistant":
        dropped.append("reasoning")
    thinking = [_reasoning(part, dropped) for part in reasoning] if role == "assistant" else []
    rest = [_block(part, dropped, cache) for part in parts if not isinstance(part, ReasoningPart)]
    return [block for block in (*thinking, *rest) if block is not None]


def _reasoning(part: ReasoningPart, dropped: list[str]) -> dict[str, Any] | None:
    """Anthropic verifies every thinking block by its signature: one without is not sent."""
    if not part.signature:
        dropped.append("reasoning")
        return None
    return render_reasoning(part)


def _block(part: Part, dropped: list[str], cache: CacheBudget) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return cache.mark({"type": "text", "text": part.text}, part.cache) if part.text else None
    if isinstance(part, ImagePart):
        if part.detail is not None:
            dropped.append("image.detail")
        return {"type": "image", "source": _image_source(part.url)}
    if isinstance(part, ToolCallPart):
        arguments = tool_input(part.arguments)
        if arguments is None:  # e.g. cut short by max_tokens: the turn is still sent
            dropped.append("tool_call.arguments")
        return {
            "type": "tool_use",
            "id": _tool_id(part.id),
            "name": part.name,
            "input": arguments or {},
        }
    if isinstance(part, ToolResultPart):
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": _tool_id(part.tool_call_id)}
        if part.content:
            result["content"] = part.content
        if part.is_error:
            result["is_error"] = True
        return cache.mark(result, part.cache)
    return None


def _tool_id(call_id: str) -> str:
    """Ids pass unchanged (pitfall 6) when Anthropic accepts them (`^[a-zA-Z0-9_-]+$`); others,
    such as `functions.get_weather:0` from some OpenAI-compatible servers, get a stable stand-in,
    the same for the call and for its result."""
    if _TOOL_ID.fullmatch(call_id):
        return call_id
    return "toolu_" + hashlib.sha256(call_id.encode()).hexdigest()[:24]


def _image_source(url: str) -> dict[str, Any]:
    if url.startswith(("https://", "http://")):
        return {"type": "url", "url": url}
    media_type, base64, data = url.removeprefix("data:").partition(";base64,")
    media_type = "image/jpeg" if media_type == "image/jpg" else media_type
    if not url.startswith("data:") or not base64 or not data:
        raise BadRequest(f"An image URL is not supported by this model: {_IMAGE_HINT}.")
    if media_type not in IMAGE_MEDIA_TYPES:
        raise BadRequest(
            f"Image type {media_type!r} is not supported by this model: {_IMAGE_HINT}."
        )
    return {"type": "base64", "media_type": media_type, "data": data}


def _tool(spec: ToolSpec, dropped: list[str]) -> dict[str, Any]:
    """`strict` is not sent: Anthropic's strict mode limits schemas more than OpenAI's
    (pitfall 10), and the model follows the schema without it."""
    tool: dict[str, Any] = {"name": spec.name}
    if spec.description is not None:
        tool["description"] = spec.description
    tool["input_schema"] = spec.parameters or {"type": "object", "properties": {}}
    if spec.strict:
        dropped.append("tools.strict")
    return tool


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any] | None:
    if isinstance(choice, NamedTool):
        rendered: dict[str, Any] = {"type": "tool", "name": choice.name}
    elif choice is not None:
        rendered = {"type": _TOOL_CHOICES[choice]}
    elif parallel is False:
        rendered = {"type": "auto"}
    else:
        return None
    if parallel is not None and rendered["type"] != "none":
        rendered["disable_parallel_tool_use"] = not parallel
    return rendered


def _output_config(fmt: OutputFormat | None, dropped: list[str]) -> dict[str, Any] | None:
    """json_schema → structured outputs; json_object has no Anthropic form."""
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type != "json_schema" or fmt.schema is None:
        dropped.append("output_format")
        return None
    return {"format": {"type": "json_schema", "schema": fmt.schema}}


# --- thinking ------------------------------------------------------------------------------

_THINKING_FIRST: Final = ("thinking", "redacted_thinking")


def _thinking(reasoning: Reasoning, body: dict[str, Any], dropped: list[str]) -> None:
    """`thinking: {"type": "enabled", "budget_tokens": …}`, only where Anthropic accepts it.

    The budget (the client's, or its effort's from `fased.wire.reasoning`) must be below
    `max_tokens`: `fit_budget` lowers the one or raises the other, and says which in `dropped`.
    Thinking is left out, and named in `dropped`, where Anthropic would reject the request.
    """
    conflict = _thinking_conflict(body)
    if conflict is not None:
        dropped.append(f"reasoning ({conflict})")
        return
    wanted, max_tokens = budget_of(reasoning), body["max_tokens"]
    budget, body["max_tokens"] = fit_budget(wanted, max_tokens)
    if budget != wanted:
        dropped.append(f"thinking.budget_tokens {wanted} (lowered to {budget})")
    if body["max_tokens"] != max_tokens:
        dropped.append(f"max_tokens {max_tokens} (raised to {body['max_tokens']})")
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}


def _thinking_conflict(body: dict[str, Any]) -> str | None:
    """Why Anthropic would refuse thinking on this body, or None: a forced tool choice; an
    assistant turn last (a prefill); a tool result answering an assistant turn that does not
    start with its thinking block (pitfall 11; a Chat Completions client never sends one)."""
    if body.get("tool_choice", {}).get("type") in ("any", "tool"):
        return "tool_choice forces a tool"
    turns = body["messages"]
    if turns and turns[-1]["role"] == "assistant":
        return "the last turn is the assistant's"
    answers_tools = bool(turns) and any(b["type"] == "tool_result" for b in turns[-1]["content"])
    if answers_tools and len(turns) > 1:
        first = turns[-2]["content"][0]["type"]
        if first not in _THINKING_FIRST:
            return "the assistant turn the tool results answer has no thinking block"
    return None
