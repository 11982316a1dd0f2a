"""Anthropic Messages, client side: inbound parsing, the Message object, the typed event stream.

Rendered output is checked three ways: against golden JSON in Anthropic's documented shapes,
with the `anthropic` SDK's own models, and end to end through the SDK's HTTP client and its
stream accumulator (an `httpx2.MockTransport` stands in for the gateway, serving our bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import jiter
import orjson
import pytest
from anthropic.types import Message as SDKMessage
from anthropic.types import MessageParam, RawMessageStreamEvent
from anthropic.types.shared import ErrorResponse
from pydantic import TypeAdapter

from fased.canonical import (
    Event,
    Finish,
    MessageStart,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    Reply,
    ReplyBuilder,
    StreamError,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolResultPart,
    Usage,
)
from fased.errors import BadRequest, UpstreamError
from fased.wire.anthropic_messages import (
    InboundMessages,
    StreamEncoder,
    parse_request,
    render_response,
)
from fased.wire.anthropic_messages_render import PING, error_type
from fased.wire.sse import SSEParser
from tests.wire.golden import canonical, fuzz, load, names

FMT = "anthropic_messages"
USER = {"role": "user", "content": "hi"}
SDK_MESSAGES: list[MessageParam] = [{"role": "user", "content": "hi"}]
STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 16, "messages": [USER], **fields}


# --- inbound ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_parse_request_golden(name: str) -> None:
    golden = load(FMT, name)
    parsed = parse_request(golden["body"])
    assert parsed == InboundMessages(canonical(golden["canonical"]), tuple(golden["ignored"]))


def test_system_string_and_blocks_become_segments_in_order() -> None:  # pitfall 8
    assert parse_request(body(system="one")).request.system == ("one",)
    assert parse_request(body(system="")).request.system == ()
    blocks = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    assert parse_request(body(system=blocks)).request.system == ("one", "two")


def test_cache_control_is_carried_as_hints() -> None:  # pitfall 9
    marked = {"type": "ephemeral", "ttl": "1h"}
    request = parse_request(
        body(
            system=[
                {"type": "text", "text": "s", "cache_control": marked},
                {"type": "text", "text": "t"},
            ],
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
                    ],
                }
            ],
            tools=[{"name": "f", "input_schema": {"type": "object"}, "cache_control": marked}],
        )
    ).request
    assert request.system == ("s", "t") and request.system_cache == ("1h", None)
    part = request.messages[0].parts[0]
    assert isinstance(part, TextPart) and part.cache == "5m"
    assert part == TextPart("x")  # a hint, not content: a resent history still matches
    assert request.tools[0].cache == "1h"
    plain = parse_request(body(system=[{"type": "text", "text": "s"}])).request
    assert plain.system_cache == ()


@pytest.mark.parametrize(
    ("control", "param"),
    [
        ({"type": "persistent"}, "system[0].cache_control.type"),
        ({"type": "ephemeral", "ttl": "2h"}, "system[0].cache_control.ttl"),
        ("ephemeral", "system[0].cache_control"),
    ],
)
def test_bad_cache_control_is_a_400_naming_the_field(control: object, param: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_request(body(system=[{"type": "text", "text": "s", "cache_control": control}]))
    assert caught.value.param == param


@pytest.mark.parametrize(
    "content", ["", [], [{"type": "text", "text": ""}], [{"type": "text", "text": ""}] * 2]
)
def test_empty_text_makes_no_part_and_no_message(content: Any) -> None:  # pitfall 7
    messages = [USER, {"role": "assistant", "content": content}, USER]
    request = parse_request(body(messages=messages)).request
    assert [m.role for m in request.messages] == ["user", "user"]


def test_tool_results_become_tool_messages_in_order() -> None:
    content = [
        {"type": "text", "text": "before"},
        {"type": "tool_result", "tool_use_id": "call_1"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": [], "is_error": False},
        {"type": "text", "text": "after"},
    ]
    messages = parse_request(body(messages=[{"role": "user", "content": content}])).request.messages
    assert [(m.role, m.parts) for m in messages] == [
        ("user", (TextPart("before"),)),
        ("tool", (ToolResultPart("call_1", ""),)),
        ("tool", (ToolResultPart("toolu_2", ""),)),
        ("user", (TextPart("after"),)),
    ]


def test_tool_use_input_keeps_key_order_and_ids_pass_unchanged() -> None:  # pitfall 6
    calls = [
        {"type": "tool_use", "id": call_id, "name": "f", "input": {"z": 1, "a": [True, None]}}
        for call_id in ("toolu_01A", "call_abc", "fc_123")
    ]
    messages = [USER, {"role": "assistant", "content": calls}]
    assistant = parse_request(body(messages=messages)).request.messages[1]
    assert assistant.parts == tuple(
        ToolCallPart(call_id, "f", '{"z":1,"a":[true,null]}')
        for call_id in ("toolu_01A", "call_abc", "fc_123")
    )


def test_tool_choice_modes_and_parallel_flag() -> None:
    def choice(raw: dict[str, Any]) -> tuple[Any, Any]:
        request = parse_request(body(tool_choice=raw)).request
        return request.tool_choice, request.parallel_tool_calls

    assert choice({"type": "auto"}) == ("auto", None)
    assert choice({"type": "any", "disable_parallel_tool_use": True}) == ("required", False)
    assert choice({"type": "none"}) == ("none", None)
    assert choice({"type": "auto", "disable_parallel_tool_use": False}) == ("auto", True)


def test_defaults_and_ignored_fields() -> None:
    parsed = parse_request(body(top_k=3, thinking=None, anthropic_version="2023-06-01"))
    assert parsed.ignored == ("top_k", "anthropic_version")
    request = parsed.request
    assert (request.stream, request.max_tokens, request.user, request.tools) == (
        False,
        16,
        None,
        (),
    )
    assert request.messages[0].parts == (TextPart("hi"),)


def _user(*blocks: Any) -> dict[str, Any]:
    return body(messages=[{"role": "user", "content": list(blocks)}])


def _assistant(*blocks: Any) -> dict[str, Any]:
    return body(messages=[USER, {"role": "assistant", "content": list(blocks)}])


REJECTED: list[tuple[Any, str | None, str]] = [
    ([], None, "must be a JSON object"),
    ({"max_tokens": 1, "messages": [USER]}, "model", "`model` is required"),
    ({"model": "m", "messages": [USER]}, "max_tokens", "`max_tokens` is required"),
    (body(max_tokens=None), "max_tokens", "`max_tokens` is required"),
    (body(max_tokens=0), "max_tokens", "integer of at least 1"),
    (body(max_tokens="1024"), "max_tokens", "integer of at least 1"),
    (body(messages=[]), "messages", "non-empty list"),
    (body(messages=None), "messages", "non-empty list"),
    (body(messages=["hi"]), "messages[0]", "must be a JSON object"),
    (body(messages=[{"role": "system", "content": "x"}]), "messages[0].role", "top-level `system`"),
    (body(messages=[{"content": "x"}]), "messages[0].role", "'user' or 'assistant'"),
    (body(messages=[{"role": "user"}]), "messages[0].content", "is required"),
    (body(messages=[{"role": "user", "content": 7}]), "messages[0].content", "list of content"),
    (
        body(messages=[{"role": "assistant", "content": "x"}]),
        "messages",
        "Missing user message in `messages`.",
    ),
    (body(messages=[{"role": "user", "content": ""}]), "messages", "Missing user message"),
    (_user({"type": "document"}), "messages[0].content[0].type", "'document' is not supported"),
    (_user({"text": "x"}), "messages[0].content[0].type", "None is not supported"),
    (
        _user({"type": "tool_use", "id": "a", "name": "f", "input": {}}),
        "messages[0].content[0].type",
        "use text, image, tool_result",
    ),
    (
        _assistant({"type": "tool_result", "tool_use_id": "a"}),
        "messages[1].content[0].type",
        "use text, tool_use, thinking, redacted_thinking",
    ),
    (_assistant({"type": "image"}), "messages[1].content[0].type", "'image' is not supported"),
    (_user({"type": "text", "text": 3}), "messages[0].content[0].text", "must be a string"),
    (_user({"type": "image"}), "messages[0].content[0].source", "JSON object"),
    (
        _user({"type": "image", "source": {"type": "file", "file_id": "f"}}),
        "messages[0].content[0].source.type",
        "'base64' or 'url'",
    ),
    (
        _user({"type": "image", "source": {"type": "base64", "media_type": "image/bmp"}}),
        "messages[0].content[0].source.media_type",
        "image/jpeg, image/png",
    ),
    (
        _user({"type": "image", "source": {"type": "base64", "media_type": "image/png"}}),
        "messages[0].content[0].source.data",
        "is required",
    ),
    (
        _user({"type": "image", "source": {"type": "url", "url": ""}}),
        "messages[0].content[0].source.url",
        "is required",
    ),
    (
        _assistant({"type": "tool_use", "name": "f", "input": {}}),
        "messages[1].content[0].id",
        "is required",
    ),
    (
        _assistant({"type": "tool_use", "id": "a", "input": {}}),
        "messages[1].content[0].name",
        "is required",
    ),
    (
        _assistant({"type": "tool_use", "id": "a", "name": "f", "input": "{}"}),
        "messages[1].content[0].input",
        "JSON object",
    ),
    (
        _assistant({"type": "tool_use", "id": "a", "name": "f", "input": {"n": 2**70}}),
        "messages[1].content[0].input",
        "64 bits",
    ),
    (_user({"type": "tool_result"}), "messages[0].content[0].tool_use_id", "is required"),
    (
        _user({"type": "tool_result", "tool_use_id": "a", "content": 5}),
        "messages[0].content[0].content",
        "string or a list of text blocks",
    ),
    (
        _user({"type": "tool_result", "tool_use_id": "a", "content": [{"type": "image"}]}),
        "messages[0].content[0].content[0].type",
        "use text.",
    ),
    (
        _user({"type": "tool_result", "tool_use_id": "a", "is_error": "yes"}),
        "messages[0].content[0].is_error",
        "true or false",
    ),
    (_assistant({"type": "thinking"}), "messages[1].content[0].thinking", "must be a string"),
    (
        _assistant({"type": "thinking", "thinking": "x", "signature": 1}),
        "messages[1].content[0].signature",
        "must be a string",
    ),
    (_assistant({"type": "redacted_thinking"}), "messages[1].content[0].data", "is required"),
    (body(system=5), "system", "string or a list of text blocks"),
    (body(system=[{"type": "image"}]), "system[0].type", "use text."),
    (body(system=["x"]), "system[0]", "JSON object"),
    (body(tools={"name": "f"}), "tools", "must be a list"),
    (body(tools=[{"input_schema": {}}]), "tools[0].name", "is required"),
    (body(tools=[{"name": "f"}]), "tools[0].input_schema", "is required"),
    (body(tools=[{"name": "f", "input_schema": []}]), "tools[0].input_schema", "JSON object"),
    (
        body(tools=[{"type": "web_search_20250305", "name": "web_search"}]),
        "tools[0].type",
        "'web_search_20250305' is not supported",
    ),
    (
        body(tools=[{"name": "f", "input_schema": {}, "strict": 1}]),
        "tools[0].strict",
        "true or false",
    ),
    (body(tool_choice="auto"), "tool_choice", "JSON object"),
    (body(tool_choice={"type": "required"}), "tool_choice.type", "'auto', 'any', 'tool'"),
    (body(tool_choice={"type": "tool"}), "tool_choice.name", "is required"),
    (
        body(tool_choice={"type": "any", "disable_parallel_tool_use": "no"}),
        "tool_choice.disable_parallel_tool_use",
        "true or false",
    ),
    (body(temperature=1.5), "temperature", "number from 0 to 1"),
    (body(temperature="0.5"), "temperature", "number from 0 to 1"),
    (body(top_p=2), "top_p", "number from 0 to 1"),
    (body(stop_sequences="END"), "stop_sequences", "list of strings"),
    (body(stop_sequences=["a", 1]), "stop_sequences", "list of strings"),
    (body(metadata="u"), "metadata", "JSON object"),
    (body(metadata={"user_id": 5}), "metadata.user_id", "must be a string"),
    (body(stream="yes"), "stream", "true or false"),
    (body(output_config=[]), "output_config", "JSON object"),
    (body(output_config={"format": "json"}), "output_config.format", "JSON object"),
    (
        body(output_config={"format": {"type": "json_object"}}),
        "output_config.format.type",
        "'json_schema'",
    ),
    (
        body(output_config={"format": {"type": "json_schema"}}),
        "output_config.format.schema",
        "is required",
    ),
]


@pytest.mark.parametrize(("raw", "param", "message"), REJECTED)
def test_parse_request_rejects_with_the_field_path(
    raw: Any, param: str | None, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_request(raw)
    assert caught.value.param == param
    assert message in caught.value.message
    assert caught.value.status == 400


JUNK: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], [1], {}, {"type": "text"}, 2**70]


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_any_junk_anywhere_is_a_bad_request_or_accepted(name: str) -> None:
    """Fuzz: every field of the golden bodies replaced by every junk value."""
    golden = load(FMT, name)["body"]
    outcomes = fuzz(golden, parse_request, JUNK)
    assert outcomes["accepted"] > 0 and outcomes["rejected"] > 0


def test_sdk_request_bodies_parse() -> None:
    """What the real `anthropic` SDK sends is accepted and read correctly."""
    sent: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(orjson.loads(request.content))
        return httpx2.Response(200, json=render_response(Reply(), response_id="msg_x", model="m"))

    sdk_client(handler).messages.create(
        model="face",
        max_tokens=50,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]},
        ],
        tools=[{"name": "f", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "f"},
        stop_sequences=["\n"],
        metadata={"user_id": "u"},
    )
    request = parse_request(sent[0]).request
    assert request.system == ("Be brief.",)
    assert request.messages[0].parts[1] == canonical({"_t": "ImagePart", "url": "https://x/y.png"})
    assert request.messages[1].parts == (ToolCallPart("toolu_1", "f", '{"a":1}'),)
    assert request.messages[2].parts == (ToolResultPart("toolu_1", ""),)
    assert (request.max_tokens, request.stop) == (50, ("\n",))
    assert (request.tool_choice, request.user) == (canonical({"_t": "NamedTool", "name": "f"}), "u")


# --- Message object --------------------------------------------------------------------------


def fold(events: list[Event]) -> Reply:
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


@pytest.mark.parametrize("name", names(FMT, "response_"))
def test_render_response_golden(name: str) -> None:
    golden = load(FMT, name)
    reply = fold(canonical(golden["events"]))
    rendered = render_response(reply, response_id=golden["response_id"], model=golden["model"])
    assert rendered == golden["expected"]
    assert orjson.loads(orjson.dumps(rendered)) == golden["expected"]  # JSON-safe as is
    parsed = SDKMessage.model_validate(rendered)
    assert parsed.stop_reason == golden["expected"]["stop_reason"]
    usage = parsed.usage  # Anthropic's three input counts add up to the canonical one (13)
    total = usage.input_tokens + (usage.cache_read_input_tokens or 0)
    assert total + (usage.cache_creation_input_tokens or 0) == reply.usage.input_tokens


@pytest.mark.parametrize(
    ("finish", "calls", "expected"),
    [
        ("stop", False, "end_turn"),
        ("stop", True, "tool_use"),  # pitfall 2
        ("tool_calls", True, "tool_use"),
        ("length", False, "max_tokens"),
        ("length", True, "max_tokens"),
        ("content_filter", False, "refusal"),
    ],
)
def test_stop_reason_mapping(finish: Any, calls: bool, expected: str) -> None:
    reply = Reply(finish=finish, tool_calls=[ToolCallPart("c", "f", "{}")] if calls else [])
    assert render_response(reply, response_id="m", model="m")["stop_reason"] == expected


def test_render_response_refuses_an_errored_reply() -> None:
    with pytest.raises(UpstreamError):
        render_response(fold([TextDelta("half"), Finish("error")]), response_id="x", model="m")


@pytest.mark.parametrize("arguments", ["", "   ", '{"a": ', "[1, 2]", '"text"', "null"])
def test_tool_arguments_that_are_not_an_object_render_as_empty_input(arguments: str) -> None:
    reply = Reply(tool_calls=[ToolCallPart("call_1", "f", arguments)])
    block = render_response(reply, response_id="x", model="m")["content"][0]
    assert block == {"type": "tool_use", "id": "call_1", "name": "f", "input": {}}


def test_empty_reply_has_no_content_blocks() -> None:  # pitfall 7
    rendered = render_response(Reply(), response_id="x", model="m")
    assert rendered["content"] == [] and SDKMessage.model_validate(rendered).content == []


def test_redacted_reasoning_renders_as_redacted_thinking() -> None:  # pitfall 11
    reply = Reply(reasoning=[ReasoningPart("", "opaque", redacted=True)])
    rendered = render_response(reply, response_id="x", model="m")
    assert rendered["content"] == [{"type": "redacted_thinking", "data": "opaque"}]
    assert SDKMessage.model_validate(rendered).content[0].type == "redacted_thinking"


def test_sdk_reads_a_rendered_response() -> None:
    events: list[Event] = [
        TextDelta("Hi!"),
        ToolCallStart(0, "call_x", "f"),
        ToolCallDelta(0, '{"q": 1}'),
        Finish("stop"),
        Usage(50, 2, cached_input_tokens=40, cost_usd=0.001),
    ]
    rendered = render_response(fold(events), response_id="msg_1", model="face")
    message = sdk_client(lambda _: httpx2.Response(200, json=rendered)).messages.create(
        model="face", max_tokens=10, messages=SDK_MESSAGES
    )
    assert [block.type for block in message.content] == ["text", "tool_use"]
    assert message.content[1].model_dump(include={"id", "input"}) == {
        "id": "call_x",
        "input": {"q": 1},
    }
    assert (message.stop_reason, message.usage.input_tokens) == ("tool_use", 10)
    assert message.usage.cache_read_input_tokens == 40
    assert getattr(message.usage, "cost_usd", None) == 0.001


# --- event stream ----------------------------------------------------------------------------


def encode_all(encoder: StreamEncoder, events: list[Event]) -> bytes:
    return b"".join(encoder.encode(event) for event in events) + encoder.close()


def frames_of(stream: bytes) -> list[dict[str, Any]]:
    return [
        {"event": message.event, "data": orjson.loads(message.data)}
        for message in SSEParser().feed(stream)
    ]


def golden_stream(name: str) -> tuple[dict[str, Any], bytes]:
    golden = load(FMT, name)
    encoder = StreamEncoder(golden["response_id"], golden["model"])
    return golden, encode_all(encoder, canonical(golden["events"]))


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_stream_encoder_golden(name: str) -> None:
    golden, stream = golden_stream(name)
    frames = frames_of(stream)
    assert frames == golden["frames"]
    assert all(frame["event"] == frame["data"]["type"] for frame in frames)
    for frame in frames:
        if frame["event"] == "error":
            ErrorResponse.model_validate(frame["data"])
        elif frame["event"] != "ping":
            STREAM_EVENT.validate_python(frame["data"])


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_stream_is_well_formed(name: str) -> None:
    """Anthropic's grammar: message_start, ping, then blocks that never overlap, numbered
    0, 1, … in order, each start → deltas → stop; message_delta; message_stop; or an error
    event as the very last frame (pitfall 19)."""
    _, stream = golden_stream(name)
    kinds = [frame["event"] for frame in frames_of(stream)]
    assert kinds[:2] == ["message_start", "ping"]
    if "error" in kinds:
        assert kinds.index("error") == len(kinds) - 1
    else:
        assert kinds[-2:] == ["message_delta", "message_stop"]
    open_index, next_index = None, 0
    for frame in frames_of(stream):
        index = frame["data"].get("index")
        if frame["event"] == "content_block_start":
            assert (open_index, index) == (None, next_index)
            open_index, next_index = index, next_index + 1
        elif frame["event"] in ("content_block_delta", "content_block_stop"):
            assert index == open_index
            open_index = None if frame["event"] == "content_block_stop" else open_index
        elif frame["event"] in ("message_delta", "message_stop"):
            assert open_index is None


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_sdk_stream_accumulator_reads_the_encoder_output(name: str) -> None:
    golden, stream = golden_stream(name)
    client = sdk_client(lambda _: event_stream(stream))
    error = next((f["data"] for f in golden["frames"] if f["event"] == "error"), None)
    with client.messages.stream(model="m", max_tokens=10, messages=SDK_MESSAGES) as events:
        if error is not None:
            with pytest.raises(anthropic.APIStatusError) as caught:
                events.get_final_message()
            assert caught.value.body == error
            return
        message = events.get_final_message()
    expected = fold(canonical(golden["events"]))
    assert message.id == golden["response_id"]
    assert "".join(b.text for b in message.content if b.type == "text") == expected.text
    assert [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"] == [
        (c.id, c.name, partial_json(c.arguments)) for c in expected.tool_calls
    ]
    assert [
        ReasoningPart(b.thinking, b.signature) for b in message.content if b.type == "thinking"
    ] == expected.reasoning
    delta = next(f["data"] for f in golden["frames"] if f["event"] == "message_delta")
    assert message.stop_reason == delta["delta"]["stop_reason"]
    assert message.usage.input_tokens == delta["usage"]["input_tokens"]  # message_delta wins


def test_sdk_text_stream_helper() -> None:
    _, stream = golden_stream("stream_text")
    client = sdk_client(lambda _: event_stream(stream))
    with client.messages.stream(model="m", max_tokens=10, messages=SDK_MESSAGES) as events:
        assert "".join(events.text_stream) == "Hello!"


def test_close_without_events_still_ends_well_formed() -> None:  # pitfall 19
    frames = frames_of(StreamEncoder("msg_1", "m").close())
    assert [f["event"] for f in frames] == [
        "message_start",
        "ping",
        "message_delta",
        "message_stop",
    ]
    assert frames[2]["data"]["delta"]["stop_reason"] == "end_turn"


def test_message_start_is_sent_once_with_the_clients_model() -> None:
    encoder = StreamEncoder("msg_1", "face")
    first = frames_of(encoder.encode(MessageStart("up", "up-model")))
    assert [f["event"] for f in first] == ["message_start", "ping"]
    assert first[0]["data"]["message"]["model"] == "face"
    assert first[0]["data"]["message"]["id"] == "msg_1"
    assert encoder.encode(MessageStart("up", "up-model")) == b""
    assert first[1] == {"event": "ping", "data": {"type": "ping"}}
    assert frames_of(PING) == [first[1]]


def test_message_stop_is_sent_once_and_nothing_follows_it() -> None:
    encoder = StreamEncoder("msg_1", "m")
    stream = encode_all(encoder, [TextDelta("a"), Finish("stop"), Finish("length"), Usage(1, 1)])
    assert encoder.close() == b""
    assert encoder.encode(TextDelta("late")) == b""
    assert encoder.encode(Usage(9, 9)) == b""
    kinds = [f["event"] for f in frames_of(stream)]
    assert kinds.count("message_stop") == 1 and kinds[-1] == "message_stop"


def test_finish_waits_for_usage() -> None:
    encoder = StreamEncoder("msg_1", "m")
    before = encoder.encode(TextDelta("a")) + encoder.encode(Finish("stop"))
    assert [f["event"] for f in frames_of(before)][-1] == "content_block_stop"
    after = frames_of(encoder.encode(Usage(7, 3, cost_usd=0.5)))
    assert [f["event"] for f in after] == ["message_delta", "message_stop"]
    assert after[0]["data"]["usage"] == {
        "input_tokens": 7,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 3,
        "cost_usd": 0.5,
    }


def test_content_after_finish_is_ignored() -> None:
    encoder = StreamEncoder("msg_1", "m")
    encoder.encode(Finish("stop"))
    for event in (TextDelta("x"), ToolCallStart(0, "c", "f"), ReasoningDelta("r")):
        assert encoder.encode(event) == b""


def test_deltas_for_unknown_or_ended_tool_calls_are_dropped() -> None:
    encoder = StreamEncoder("msg_1", "m")
    stream = encode_all(
        encoder,
        [
            ToolCallDelta(5, '{"orphan": 1}'),
            ToolCallEnd(5),
            ToolCallStart(0, "c", "f"),
            ToolCallStart(0, "c", "f"),  # a repeated start opens nothing
            ToolCallDelta(0, "{}"),
            ToolCallEnd(0),
            ToolCallDelta(0, "late"),
        ],
    )
    deltas = [f["data"]["delta"] for f in frames_of(stream) if f["event"] == "content_block_delta"]
    assert deltas == [{"type": "input_json_delta", "partial_json": "{}"}]


def test_reasoning_end_without_text_or_signature_opens_nothing() -> None:
    encoder = StreamEncoder("msg_1", "m")
    stream = encode_all(encoder, [ReasoningEnd(None), ReasoningEnd(""), TextDelta("x")])
    starts = [f for f in frames_of(stream) if f["event"] == "content_block_start"]
    assert [f["data"]["content_block"]["type"] for f in starts] == ["text"]


def test_unsigned_thinking_is_closed_by_the_next_block() -> None:
    events: list[Event] = [ReasoningDelta("hm"), TextDelta("a"), Finish("stop"), Usage()]
    frames = frames_of(encode_all(StreamEncoder("msg_1", "m"), events))
    assert [f["event"] for f in frames[2:6]] == [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
    ]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "invalid_request_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "overloaded_error"),
        (504, "api_error"),
        (529, "overloaded_error"),
    ],
)
def test_error_event_type_follows_the_status(status: int, kind: str) -> None:
    encoder = StreamEncoder("msg_1", "m")
    frames = frames_of(encoder.encode(StreamError(status, "some_code", "Try again.")))
    assert frames == [
        {
            "event": "error",
            "data": {"type": "error", "error": {"type": kind, "message": "Try again."}},
        }
    ]
    assert error_type(status) == kind
    assert encoder.close() == b""


def test_sdk_raises_on_an_error_event_before_any_content() -> None:
    stream = StreamEncoder("msg_1", "m").encode(StreamError(429, "rate_limited", "Slow down."))
    client = sdk_client(lambda _: event_stream(stream))
    with pytest.raises(anthropic.APIStatusError) as caught:
        list(client.messages.create(model="m", max_tokens=1, messages=SDK_MESSAGES, stream=True))
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Slow down."},
    }


def test_signature_only_reasoning_survives_the_sdk() -> None:  # pitfall 11
    events: list[Event] = [ReasoningEnd("sig"), ToolCallStart(0, "toolu_1", "f"), ToolCallEnd(0)]
    client = sdk_client(lambda _: event_stream(encode_all(StreamEncoder("msg_1", "m"), events)))
    with client.messages.stream(model="m", max_tokens=10, messages=SDK_MESSAGES) as stream:
        message = stream.get_final_message()
    assert [block.to_dict() for block in message.content] == [
        {"type": "thinking", "thinking": "", "signature": "sig"},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
    ]
    assert message.stop_reason == "tool_use"
    sent: list[Any] = []  # the next turn, as the SDK sends the reply back

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(orjson.loads(request.content))
        return httpx2.Response(200, json=render_response(Reply(), response_id="msg_2", model="m"))

    sdk_client(handler).messages.create(
        model="m",
        max_tokens=10,
        messages=[*SDK_MESSAGES, message.to_param(), {"role": "user", "content": "go on"}],
    )
    assert parse_request(sent[0]).request.messages[1].parts == (
        ReasoningPart("", "sig"),
        ToolCallPart("toolu_1", "f", "{}"),
    )


def test_reasoning_end_text_and_tool_events_fold_like_the_stream() -> None:
    """The non-streamed and streamed renderings hold the same blocks."""
    events: list[Event] = [
        ReasoningDelta("r"),
        ReasoningEnd("s"),
        TextDelta("t"),
        ToolCallStart(0, "call_1", "f"),
        ToolCallDelta(0, '{"x":1}'),
        ToolCallEnd(0),
        Finish("tool_calls"),
        Usage(3, 4),
    ]
    whole = render_response(fold(events), response_id="msg_1", model="m")
    client = sdk_client(lambda _: event_stream(encode_all(StreamEncoder("msg_1", "m"), events)))
    with client.messages.stream(model="m", max_tokens=10, messages=SDK_MESSAGES) as stream:
        streamed = stream.get_final_message()
    assert [block.to_dict() for block in streamed.content] == whole["content"]
    assert streamed.stop_reason == whole["stop_reason"]


# --- helpers ---------------------------------------------------------------------------------


def partial_json(arguments: str) -> Any:
    """What the SDK's accumulator makes of argument text, cut short or not."""
    return jiter.from_json((arguments or "{}").encode(), partial_mode=True)


def event_stream(content: bytes) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=content)


def sdk_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://gateway.test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )
