"""Canonical `Message` ↔ JSON-able dict ↔ JSON text, for session turns.

Shape (fields equal to their dataclass default are left out, so rows stay small):

    {"role": "assistant", "name": "…", "parts": [
        {"type": "text", "text": "…"},
        {"type": "image", "url": "…", "detail": "high"},
        {"type": "tool_call", "id": "…", "name": "…", "arguments": "{…}"},
        {"type": "tool_result", "tool_call_id": "…", "content": "…", "is_error": true},
        {"type": "reasoning", "text": "…", "signature": "…", "redacted": true}]}

Per-request hints (`cache`, the fields that take no part in equality) are not stored: a
breakpoint belongs to the request that set it. Decoding is exact for anything else encoding
produced; it trusts its input (our own rows) and
raises `ValueError` on an unknown part type or a malformed document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any, Final

import orjson

from fased.canonical import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

PART_TYPES: Final[Mapping[str, type[Part]]] = {
    "text": TextPart,
    "image": ImagePart,
    "tool_call": ToolCallPart,
    "tool_result": ToolResultPart,
    "reasoning": ReasoningPart,
}
_PART_TAGS: Final[Mapping[type[Part], str]] = {cls: tag for tag, cls in PART_TYPES.items()}


def part_to_dict(part: Part) -> dict[str, Any]:
    data: dict[str, Any] = {"type": _PART_TAGS[type(part)]}
    for f in fields(part):
        if not f.compare:  # a per-request hint (a cache breakpoint), not the turn's content
            continue
        value = getattr(part, f.name)
        if f.default is MISSING or value != f.default:
            data[f.name] = value
    return data


def part_from_dict(data: Mapping[str, Any]) -> Part:
    tag = data.get("type")
    cls = PART_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ValueError(f"unknown message part type {tag!r}")
    try:
        return cls(**{k: v for k, v in data.items() if k != "type"})
    except TypeError as exc:
        raise ValueError(f"malformed {tag} part: {exc}") from None


def message_to_dict(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "role": message.role,
        "parts": [part_to_dict(p) for p in message.parts],
    }
    if message.name is not None:
        data["name"] = message.name
    return data


def message_from_dict(data: Mapping[str, Any]) -> Message:
    try:
        role, parts = data["role"], data["parts"]
    except (KeyError, TypeError):
        raise ValueError("a stored message needs 'role' and 'parts'") from None
    return Message(role, tuple(part_from_dict(p) for p in parts), data.get("name"))


def dumps_message(message: Message) -> str:
    """The JSON text stored in `session_turns.message`."""
    return orjson.dumps(message_to_dict(message)).decode()


def loads_message(text: str | bytes) -> Message:
    data = orjson.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a stored message must be a JSON object")
    return message_from_dict(data)
