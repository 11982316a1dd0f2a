"""Anthropic Messages, upstream side: the body we send and the replies we read back.

The bodies are checked against the `anthropic` SDK's request types; the upstream fixtures are
also fed to the SDK's own stream accumulator, and what it assembles must be what our decoder
assembles.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import orjson
import pytest
from anthropic.types import MessageParam
from anthropic.types.message_create_params import MessageCreateParamsStreaming
from pydantic import TypeAdapter

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    ImagePart,
    Message,
    MessageStart,
    NamedTool,
    OutputFormat,
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
    ToolSpec,
    Usage,
)
from fased.errors import BadRequest, UpstreamError
from fased.wire import openai_chat, openai_chat_upstream
from fased.wire.anthropic_messages import StreamEncoder, parse_request, render_response
from fased.wire.anthropic_messages_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
)
from fased.wire.sse import SSEParser, encode_event
from tests.wire.golden import canonical, load, names

FMT = "anthropic_messages"
PARAMS: TypeAdapter[Any] = TypeAdapter(MessageCreateParamsStreaming)
SDK_MESSAGES: list[MessageParam] = [{"role": "user", "content": "hi"}]


def decode(events: list[Any]) -> list[Event]:
    decoder = UpstreamStreamDecoder()
    return [out for event in events for out in decoder.feed(event)] + decoder.close()


def build(request: ChatRequest) -> dict[str, Any]:
    return build_upstream_request(request, request.model, default_max_tokens=4096).body


def sdk_validates(body: dict[str, Any]) -> None:
    """The SDK's request types accept the body (iterables are validated when walked)."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple | Iterator) or type(value).__name__ == (
            "ValidatorIterator"
        ):
            for item in value:
                walk(item)

    walk(PARAMS.validate_python({**body, "stream": True}))


# --- request -------------------------------------------------------------------------------


def test_build_upstream_request_golden() -> None:
    golden = load(FMT, "upstream_request")
    built = build_upstream_request(
        canonical(golden["canonical"]),
        golden["upstream_model"],
        default_max_tokens=golden["default_max_tokens"],
    )
    assert built.body == golden["body"]
    assert list(built.dropped) == golden["dropped"]
    sdk_validates(built.body)


def test_none_fields_are_left_out() -> None:
    request = ChatRequest("m", (Message("user", (TextPart("hi"),)),), tool_choice="auto")
    body, dropped = build_upstream_request(request, "claude-x", default_max_tokens=1024)
    assert body == {
        "model": "claude-x",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "stream": False,
    }
    assert dropped == ()


ROUND_TRIPS = [
    ChatRequest("m", (Message("user", (TextPart("hi"),)),), max_tokens=5),
    ChatRequest(
        "m",
        (
            Message(
                "user",
                (
                    TextPart("look"),
                    ImagePart("data:image/png;base64,AAAA"),
                    ImagePart("https://x/y.png"),
                ),
            ),
            Message(
                "assistant",
                (
                    ReasoningPart("thought", "sig"),
                    ReasoningPart("", "opaque", redacted=True),
                    TextPart("calling"),
                    ToolCallPart("call_1", "f", '{"x":1,"a":[1,2]}'),
                    ToolCallPart("toolu_2", "g", "{}"),
                ),
            ),
            Message("tool", (ToolResultPart("call_1", "done"),)),
            Message("tool", (ToolResultPart("toolu_2", "failed", is_error=True),)),
            Message("user", (TextPart("thanks"),)),
            Message("assistant", (TextPart("prefill"),)),
        ),
        system=("persona", "the client's own system text"),
        tools=(
            ToolSpec("f", "does f", {"type": "object"}),
            ToolSpec("g", None, {"type": "object"}),
        ),
        tool_choice=NamedTool("g"),
        max_tokens=10,
        stop=("a", "b"),
        output_format=OutputFormat("json_schema", schema={"type": "object"}),
        parallel_tool_calls=False,
        user="u",
        stream=True,
    ),
    ChatRequest(
        "m",
        (Message("user", (TextPart("x"),)),),
        tools=(ToolSpec("f", None, {"type": "object"}),),
        tool_choice="none",
        max_tokens=1,
    ),
    ChatRequest(
        "m",
        (Message("user", (TextPart("x"),)),),
        tools=(ToolSpec("f", None, {"type": "object"}),),
        tool_choice="required",
        parallel_tool_calls=True,
        max_tokens=1,
    ),
]


@pytest.mark.parametrize("request_", ROUND_TRIPS)
def test_parse_request_of_the_upstream_body_gives_the_request_back(request_: ChatRequest) -> None:
    built = build_upstream_request(request_, request_.model, default_max_tokens=4096)
    assert built.dropped == ()
    body = orjson.loads(orjson.dumps(built.body))
    assert parse_request(body).request == request_
    sdk_validates(body)


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_golden_requests_survive_a_trip_through_the_upstream_body(name: str) -> None:
    """Everything the inbound side carries goes upstream unchanged but sampling and strict, and
    thinking where a forced tool choice rules it out."""
    request = parse_request(load(FMT, name)["body"]).request
    built = build_upstream_request(request, request.model, default_max_tokens=1)
    again = parse_request(built.body).request
    tools = tuple(dataclasses.replace(spec, strict=None) for spec in request.tools)
    forced = request.tool_choice == "required" or isinstance(request.tool_choice, NamedTool)
    expected = dataclasses.replace(
        request,
        messages=merged(request.messages),
        tools=tools,
        temperature=None,
        top_p=None,
        reasoning=None if forced else request.reasoning,
    )
    assert again == expected
    sdk_validates(built.body)


def merged(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """Consecutive user (or assistant) messages travel as one turn."""
    out: list[Message] = []
    for message in messages:
        if out and message.role != "tool" and out[-1].role == message.role:
            out.append(dataclasses.replace(message, parts=out.pop().parts + message.parts))
        else:
            out.append(message)
    return tuple(out)


def test_turns_alternate_and_tool_results_come_first() -> None:
    request = ChatRequest(
        "m",
        (
            Message("user", (TextPart("a"),)),
            Message("user", (TextPart("b"),)),
            Message("assistant", (ToolCallPart("c1", "f", "{}"),)),
            Message("assistant", (ToolCallPart("c2", "f", "{}"),)),
            Message("user", (TextPart("by the way"),)),
            Message("tool", (ToolResultPart("c1", "1"),)),
            Message("tool", (ToolResultPart("c2", "2"),)),
            Message("assistant", (TextPart(""),)),
            Message("user", (TextPart(""),)),
        ),
    )
    turns = build(request)["messages"]
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user"]
    assert [block.get("text") or block.get("tool_use_id") for block in turns[2]["content"]] == [
        "c1",
        "c2",
        "by the way",
    ]
    assert len(turns[1]["content"]) == 2


def test_chat_system_messages_hoisted_become_system_blocks_in_order() -> None:  # pitfall 8
    chat = openai_chat.parse_request(
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "one"},
                {"role": "user", "content": "hi"},
                {"role": "developer", "content": "two"},
                {"role": "user", "content": "again"},
            ],
        }
    ).request
    body = build(chat)
    assert body["system"] == [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}],
        }
    ]


def test_chat_tool_turn_with_empty_content_sends_no_empty_text() -> None:  # pitfalls 6, 7
    chat = openai_chat.parse_request(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": "call_Aq9",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_Aq9", "content": "ok"},
            ],
        }
    ).request
    assert build(chat)["messages"][1:] == [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "call_Aq9", "name": "f", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "call_Aq9", "content": "ok"}],
        },
    ]


@pytest.mark.parametrize("call_id", ["toolu_01A09q90qw90lq917835lq9", "call_Aq9v-x", "fc_68a1"])
def test_tool_ids_pass_unchanged(call_id: str) -> None:  # pitfall 6
    request = ChatRequest(
        "m",
        (
            Message("user", (TextPart("x"),)),
            Message("assistant", (ToolCallPart(call_id, "f", "{}"),)),
            Message("tool", (ToolResultPart(call_id, "ok"),)),
        ),
    )
    turns = build(request)["messages"]
    assert turns[1]["content"][0]["id"] == turns[2]["content"][0]["tool_use_id"] == call_id


def test_tool_ids_anthropic_rejects_get_one_stable_stand_in() -> None:  # pitfall 6
    ids = ["functions.get_weather:0", "functions.get_weather:1"]
    chat = openai_chat.parse_request(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        for i in ids
                    ],
                },
                *({"role": "tool", "tool_call_id": i, "content": "ok"} for i in ids),
            ],
        }
    ).request
    body = build(chat)
    calls = [block["id"] for block in body["messages"][1]["content"]]
    results = [block["tool_use_id"] for block in body["messages"][2]["content"]]
    assert calls == results and len(set(calls)) == 2
    assert all(re.fullmatch(r"toolu_[0-9a-f]{24}", call_id) for call_id in calls)
    assert build(chat) == body  # stable
    sdk_validates(body)


def test_cache_control_never_leaks_toward_openai() -> None:  # pitfall 9
    marked = {"type": "ephemeral"}
    request = parse_request(
        {
            "model": "m",
            "max_tokens": 5,
            "system": [{"type": "text", "text": "s", "cache_control": marked}],
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "x", "cache_control": marked}],
                }
            ],
        }
    ).request
    assert b"cache_control" not in orjson.dumps(
        openai_chat_upstream.build_upstream_request(request, "gpt-4o")
    )


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        (None, True, None),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("auto", None, {"type": "auto"}),
        ("required", True, {"type": "any", "disable_parallel_tool_use": False}),
        ("none", False, {"type": "none"}),
        (NamedTool("auto"), None, {"type": "tool", "name": "auto"}),
    ],
)
def test_tool_choice_mapping(choice: Any, parallel: bool | None, expected: Any) -> None:
    request = ChatRequest(
        "m",
        (Message("user", (TextPart("x"),)),),
        tools=(ToolSpec("f"),),
        tool_choice=choice,
        parallel_tool_calls=parallel,
    )
    body = build(request)
    assert body.get("tool_choice") == expected
    assert body["tools"] == [{"name": "f", "input_schema": {"type": "object", "properties": {}}}]


def test_tool_choice_is_not_sent_without_tools() -> None:
    request = ChatRequest("m", (Message("user", (TextPart("x"),)),), tool_choice="required")
    assert "tool_choice" not in build(request)


@pytest.mark.parametrize(
    ("fmt", "config", "dropped"),
    [
        (OutputFormat("text"), None, ()),
        (OutputFormat("json_object"), None, ("output_format",)),
        (OutputFormat("json_schema", "x"), None, ("output_format",)),
        (
            OutputFormat("json_schema", "x", {"type": "object"}, True),
            {"format": {"type": "json_schema", "schema": {"type": "object"}}},
            (),
        ),
    ],
)
def test_output_format_mapping(fmt: OutputFormat, config: Any, dropped: tuple[str, ...]) -> None:
    request = ChatRequest("m", (Message("user", (TextPart("x"),)),), output_format=fmt)
    built = build_upstream_request(request, "m", default_max_tokens=1)
    assert (built.body.get("output_config"), built.dropped) == (config, dropped)


def test_sampling_is_reported_not_sent() -> None:
    request = ChatRequest("m", (Message("user", (TextPart("x"),)),), temperature=0.2, top_p=0.5)
    built = build_upstream_request(request, "m", default_max_tokens=1)
    assert "temperature" not in built.body and "top_p" not in built.body
    assert built.dropped == ("temperature", "top_p")


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://x/y.png", {"type": "url", "url": "https://x/y.png"}),
        ("http://x/y.png", {"type": "url", "url": "http://x/y.png"}),
        (
            "data:image/webp;base64,UklG",
            {"type": "base64", "media_type": "image/webp", "data": "UklG"},
        ),
        (
            "data:image/jpg;base64,/9j/",
            {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"},
        ),
    ],
)
def test_image_sources(url: str, source: dict[str, Any]) -> None:
    request = ChatRequest("m", (Message("user", (ImagePart(url),)),))
    assert build(request)["messages"][0]["content"] == [{"type": "image", "source": source}]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x/y.png", "An image URL is not supported"),
        ("data:image/png,AAAA", "An image URL is not supported"),
        ("data:image/png;base64,", "An image URL is not supported"),
        ("data:image/bmp;base64,Qk0=", "Image type 'image/bmp' is not supported"),
    ],
)
def test_unsupported_images_are_a_bad_request(url: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        build(ChatRequest("m", (Message("user", (ImagePart(url),)),)))
    assert message in caught.value.message and caught.value.message.endswith(".")


def test_reasoning_outside_an_assistant_turn_is_not_sent() -> None:
    request = ChatRequest("m", (Message("user", (ReasoningPart("x", "s"), TextPart("hi"))),))
    built = build_upstream_request(request, "m", default_max_tokens=1)
    assert built.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert built.dropped == ("reasoning",)


# --- response --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_response_"))
def test_parse_upstream_response_golden(name: str) -> None:
    golden = load(FMT, name)
    assert parse_upstream_response(golden["body"]) == canonical(golden["events"])
    anthropic.types.Message.model_validate(golden["body"])  # the fixture is what the SDK reads


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "non-object body"),
        ({"type": "message"}, "no `content` list"),
        ({"content": "hi"}, "no `content` list"),
        ({"content": ["hi"]}, "content block 0 is not an object"),
        ({"content": [{"type": "tool_use", "id": "t", "input": {}}]}, "no `name` or `input`"),
        ({"content": [{"type": "tool_use", "name": "f", "input": "{}"}]}, "no `name` or `input`"),
        (
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "reported an error: Overloaded",
        ),
        ({"error": "boom"}, "reported an error: boom"),
    ],
)
def test_malformed_upstream_response_is_an_upstream_error(body: Any, message: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_upstream_response(body)
    assert message in caught.value.message
    assert caught.value.status == 502


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("something_new", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reason_mapping(reason: Any, expected: str) -> None:
    events = parse_upstream_response({"content": [], "stop_reason": reason})
    assert events == [MessageStart("", ""), Finish(expected)]  # type: ignore[arg-type]


def test_our_rendered_response_parses_back_to_the_same_reply() -> None:
    events: list[Event] = [
        ReasoningDelta("r"),
        ReasoningEnd("s"),
        TextDelta("Hi"),
        ToolCallStart(0, "call_1", "f"),
        ToolCallDelta(0, '{"a":1}'),
        ToolCallEnd(0),
        Finish("tool_calls"),
        Usage(100, 7, cached_input_tokens=60, reasoning_tokens=3, cache_write_input_tokens=30),
    ]
    rendered = render_response(fold(events), response_id="msg_1", model="m")
    assert parse_upstream_response(rendered) == [MessageStart("msg_1", "m"), *events]


# --- stream ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_golden(name: str) -> None:
    golden = load(FMT, name)
    assert decode(golden["events"]) == canonical(golden["expected"])


def wire_of(events: list[dict[str, Any]]) -> bytes:
    return b"".join(encode_event(event["type"], event) for event in events)


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_through_sse_bytes_split_anywhere(name: str) -> None:
    golden = load(FMT, name)
    wire = wire_of(golden["events"])
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(wire)), 25))
    pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    parser, decoder, events = SSEParser(), UpstreamStreamDecoder(), []
    for piece in pieces:
        for message in parser.feed(piece):
            events += decoder.feed(orjson.loads(message.data))
    assert parser.flush() == []
    assert events + decoder.close() == canonical(golden["expected"])


@pytest.mark.parametrize(
    "name", [n for n in names(FMT, "upstream_stream_") if n not in ("upstream_stream_error",)]
)
def test_sdk_and_decoder_assemble_the_same_reply(name: str) -> None:
    """The fixture is what Anthropic sends: the SDK accumulates it, and our decoder folded
    into a Reply holds the same text, thinking, tool calls, stop reason and usage."""
    events = load(FMT, name)["events"]
    client = sdk_client(wire_of(events))
    with client.messages.stream(model="m", max_tokens=10, messages=SDK_MESSAGES) as stream:
        for _ in stream:  # a cut stream has no message_stop: take what was accumulated
            pass
        message = stream.current_message_snapshot
    reply = fold(decode(events))
    assert reply.text == "".join(b.text for b in message.content if b.type == "text")
    assert reply.reasoning == [
        ReasoningPart(b.thinking, b.signature) for b in message.content if b.type == "thinking"
    ]
    calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
    if "cut" not in name:  # a cut call's arguments are not JSON
        assert [(c.id, c.name, orjson.loads(c.arguments)) for c in reply.tool_calls] == calls
        assert reply.finish == canonical_finish_of(message.stop_reason)
    usage = message.usage
    read, write = usage.cache_read_input_tokens or 0, usage.cache_creation_input_tokens or 0
    assert reply.usage.input_tokens == usage.input_tokens + read + write  # pitfall 13
    assert (reply.usage.cached_input_tokens, reply.usage.cache_write_input_tokens) == (read, write)
    assert reply.usage.output_tokens == usage.output_tokens  # message_delta's count (14)


def canonical_finish_of(stop_reason: Any) -> str:
    return {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}[stop_reason]


def test_our_own_encoder_output_decodes_back_to_the_same_events() -> None:
    events: list[Event] = [
        MessageStart("msg_1", "m"),
        ReasoningDelta("think"),
        ReasoningEnd("sig"),
        TextDelta("Hi "),
        ToolCallStart(0, "call_1", "f"),
        ToolCallDelta(0, '{"a":1}'),
        ToolCallEnd(0),
        ToolCallStart(1, "toolu_2", "g"),
        ToolCallEnd(1),
        Finish("tool_calls"),
        Usage(100, 5, cached_input_tokens=60, reasoning_tokens=2, cache_write_input_tokens=30),
    ]
    encoder = StreamEncoder("msg_1", "m")
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    decoded = decode([orjson.loads(m.data) for m in SSEParser().feed(stream)])
    assert decoded == [*events[:8], ToolCallDelta(1, "{}"), *events[8:]]  # pitfall 1


def test_chat_chunk_with_text_and_tool_calls_reaches_the_client_whole() -> None:  # pitfall 3
    chat = openai_chat_upstream.UpstreamStreamDecoder()
    chunk = {
        "id": "c",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": "Checking.",
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "function": {"name": "f", "arguments": '{"q":1}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4},
    }
    events = chat.feed(chunk) + chat.close()
    encoder = StreamEncoder("msg_1", "m")
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    with sdk_client(stream).messages.stream(model="m", max_tokens=9, messages=SDK_MESSAGES) as s:
        message = s.get_final_message()
    assert [b.to_dict() for b in message.content] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "call_1", "name": "f", "input": {"q": 1}},
    ]
    assert message.stop_reason == "tool_use"


def test_message_delta_usage_is_cumulative_and_the_last_value_wins() -> None:  # pitfall 14
    decoder = UpstreamStreamDecoder()
    start = {
        "type": "message_start",
        "message": {
            "id": "a",
            "model": "m",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 1},
        },
    }
    assert decoder.feed(start) == [MessageStart("a", "m")]
    decoder.feed({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 7}})
    later = {"input_tokens": 12, "cache_read_input_tokens": None, "output_tokens": 9}
    decoder.feed({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": later})
    assert decoder.feed({"type": "message_stop"}) == [
        Finish("stop"),
        Usage(input_tokens=17, output_tokens=9, cached_input_tokens=5),
    ]
    assert decoder.feed({"type": "message_start", "message": {}}) == []
    assert decoder.close() == []


def test_tool_input_in_content_block_start_is_kept_without_deltas() -> None:  # pitfall 1
    events = decode(
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "t",
                    "name": "f",
                    "input": {"city": "Rome"},
                },
            },
            {"type": "content_block_stop", "index": 0},
        ]
    )
    assert events == [
        MessageStart("", ""),
        ToolCallStart(0, "t", "f"),
        ToolCallDelta(0, '{"city":"Rome"}'),
        ToolCallEnd(0),
        Finish("tool_calls"),
    ]


def test_unknown_and_stray_events_are_skipped() -> None:
    decoder = UpstreamStreamDecoder()
    assert decoder.feed({"type": "ping"}) == []
    assert decoder.feed({"type": "future_event", "x": 1}) == []
    assert decoder.feed(
        {"type": "content_block_delta", "index": 9, "delta": {"type": "text_delta", "text": "x"}}
    ) == [MessageStart("", "")]
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}},
    }
    assert decoder.feed(start) == []
    text = {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "text", "text": "Hi"},
    }
    assert decoder.feed(text) == [TextDelta("Hi")]
    citation = {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "citations_delta", "citation": {}},
    }
    assert decoder.feed(citation) == []
    assert decoder.feed({"type": "content_block_delta", "index": 1, "delta": "x"}) == []


def test_stream_decoder_errors() -> None:
    with pytest.raises(UpstreamError):
        UpstreamStreamDecoder().feed(["not", "an", "event"])
    assert UpstreamStreamDecoder().close() == [
        StreamError(
            502, "upstream_error", "The upstream server closed the stream without sending an event."
        )
    ]
    for kind, status, code in [
        ("rate_limit_error", 429, "rate_limited"),
        ("api_error", 502, "upstream_error"),
        ("timeout_error", 504, "upstream_timeout"),
        (None, 502, "upstream_error"),
    ]:
        decoder = UpstreamStreamDecoder()
        error = {"type": "error", "error": {"type": kind, "message": "m"}}
        assert decoder.feed(error) == [
            StreamError(status, code, "The upstream server reported an error: m")
        ]
        assert decoder.feed({"type": "message_stop"}) == [] and decoder.close() == []


def test_decoded_upstream_error_reaches_the_anthropic_client_as_the_same_error() -> None:
    events = decode(load(FMT, "upstream_stream_error")["events"])
    encoder = StreamEncoder("msg_1", "m")
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    client = sdk_client(stream)
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model="m", max_tokens=1, messages=SDK_MESSAGES) as s,
    ):
        s.get_final_message()
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "overloaded_error",
            "message": "The upstream server reported an error: Overloaded",
        },
    }


# --- helpers ---------------------------------------------------------------------------------


def fold(events: list[Event]) -> Reply:
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


def sdk_client(stream: bytes) -> anthropic.Anthropic:
    def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=stream)

    return anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://upstream.test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


# --- cache breakpoints (pitfall 9) -----------------------------------------------------------

EPHEMERAL = {"type": "ephemeral"}


def test_cache_hints_go_back_on_their_blocks() -> None:
    request = ChatRequest(
        model="claude-sonnet-4-6",
        system=("persona", "client system"),
        system_cache=(None, "1h"),
        tools=(ToolSpec("f", parameters={"type": "object"}, cache="5m"),),
        messages=(
            Message("user", (TextPart("question", cache="5m"),)),
            Message("assistant", (ToolCallPart("toolu_1", "f", "{}"),)),
            Message("tool", (ToolResultPart("toolu_1", "42", cache="5m"),)),
        ),
    )
    body = build(request)
    assert body["tools"][0]["cache_control"] == EPHEMERAL
    assert "cache_control" not in body["system"][0]
    assert body["system"][1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert body["messages"][0]["content"][0]["cache_control"] == EPHEMERAL
    assert body["messages"][2]["content"][0]["cache_control"] == EPHEMERAL
    sdk_validates(body)


def test_at_most_four_breakpoints_the_last_ones_kept() -> None:
    turns = tuple(
        Message(role, (TextPart(f"turn {i}", cache="5m"),))
        for i, role in enumerate(["user", "assistant"] * 3)
    )
    request = ChatRequest(
        model="claude-sonnet-4-6", system=("s",), system_cache=("5m",), messages=turns
    )
    built = build_upstream_request(request, request.model, default_max_tokens=4096)
    marked = [
        block["text"]
        for turn in built.body["messages"]
        for block in turn["content"]
        if "cache_control" in block
    ]
    assert marked == ["turn 2", "turn 3", "turn 4", "turn 5"]
    assert "cache_control" not in built.body["system"][0]
    assert "cache_control" in built.dropped


def test_cache_hints_are_not_sent_to_openai() -> None:
    request = ChatRequest(
        model="gpt-5.4",
        system=("s",),
        system_cache=("5m",),
        tools=(ToolSpec("f", parameters={"type": "object"}, cache="5m"),),
        messages=(Message("user", (TextPart("x", cache="5m"),)),),
    )
    body = openai_chat_upstream.build_upstream_request(request, "gpt-5.4")
    assert b"cache_control" not in orjson.dumps(body)
