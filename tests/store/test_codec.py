from __future__ import annotations

import orjson
import pytest

from fased.canonical import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from fased.store.codec import (
    dumps_message,
    loads_message,
    message_from_dict,
    message_to_dict,
    part_to_dict,
)

PARTS: list[Part] = [
    TextPart("héllo 👋\nworld"),
    TextPart(""),
    ImagePart("https://example.com/cat.png"),
    ImagePart("data:image/png;base64,iVBORw0KGgo=", detail="high"),
    ToolCallPart("call_1", "get_weather", '{"city": "Paris",  "units":"c"}'),
    ToolCallPart("call_2", "noop", ""),
    ToolResultPart("call_1", "18°C, sunny"),
    ToolResultPart("call_2", "boom", is_error=True),
    ReasoningPart("Let me think.", signature="sig-abc"),
    ReasoningPart("", signature="opaque-redacted-data", redacted=True),
]


@pytest.mark.parametrize("part", PARTS, ids=repr)
def test_every_part_type_round_trips_exactly(part: Part) -> None:
    message = Message("assistant", (part,))
    assert message_from_dict(message_to_dict(message)) == message
    assert loads_message(dumps_message(message)) == message


@pytest.mark.parametrize("role", ["user", "assistant", "tool"])
def test_whole_messages_round_trip_with_and_without_name(role: str) -> None:
    for name in (None, "alice"):
        message = Message(role, tuple(PARTS), name=name)  # type: ignore[arg-type]
        assert loads_message(dumps_message(message)) == message
    assert loads_message(dumps_message(Message("user", ()))) == Message("user", ())


def test_shape_leaves_defaults_out() -> None:
    message = Message("tool", (ToolResultPart("c1", "ok"), ImagePart("u")), name="n")
    assert message_to_dict(message) == {
        "role": "tool",
        "name": "n",
        "parts": [
            {"type": "tool_result", "tool_call_id": "c1", "content": "ok"},
            {"type": "image", "url": "u"},
        ],
    }
    assert part_to_dict(ToolResultPart("c1", "no", is_error=True))["is_error"] is True
    assert part_to_dict(ToolCallPart("i", "n", "{}")) == {
        "type": "tool_call",
        "id": "i",
        "name": "n",
        "arguments": "{}",
    }


def test_tool_arguments_stay_the_exact_text_the_model_produced() -> None:
    raw = '{"b":1,  "a": [1,2]}'
    stored = dumps_message(Message("assistant", (ToolCallPart("c", "f", raw),)))
    assert orjson.loads(stored)["parts"][0]["arguments"] == raw
    decoded = loads_message(stored).parts[0]
    assert isinstance(decoded, ToolCallPart)
    assert decoded.arguments == raw


@pytest.mark.parametrize(
    "text",
    [
        '{"role": "user", "parts": [{"type": "video", "url": "x"}]}',
        '{"role": "user", "parts": [{"text": "no type"}]}',
        '{"role": "user", "parts": [{"type": "text", "text": "x", "extra": 1}]}',
        '{"role": "user", "parts": [{"type": "tool_call", "id": "x"}]}',
        '{"parts": []}',
        "[1, 2]",
        "not json",
    ],
)
def test_malformed_documents_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        loads_message(text)


def test_loads_accepts_bytes() -> None:
    message = Message("user", (TextPart("hi"),))
    assert loads_message(dumps_message(message).encode()) == message


def test_cache_hints_are_not_stored() -> None:
    """A breakpoint belongs to the request that set it: a stored turn sent again later must
    not bring it back (Anthropic takes four per request)."""
    message = Message(
        "user", (TextPart("x", cache="1h"), ToolResultPart("call_1", "42", cache="5m"))
    )
    stored = message_to_dict(message)
    assert "cache" not in orjson.dumps(stored).decode()
    restored = message_from_dict(stored)
    assert restored == message
    assert all(getattr(part, "cache", None) is None for part in restored.parts)
