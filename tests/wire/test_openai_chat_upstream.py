"""Chat Completions, upstream side: the request we send and the replies we read back."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import orjson
import pytest

from fased.canonical import (
    ChatRequest,
    Event,
    Finish,
    ImagePart,
    Message,
    MessageStart,
    NamedTool,
    OutputFormat,
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
from fased.errors import UpstreamError
from fased.wire.openai_chat import StreamEncoder, parse_request
from fased.wire.openai_chat_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
)
from fased.wire.sse import DONE, SSEParser, encode_data
from tests.wire.golden import canonical, load, names

FMT = "openai_chat"


def decode(chunks: list[Any]) -> list[Event]:
    decoder = UpstreamStreamDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


# --- request ---------------------------------------------------------------------------------


def test_build_upstream_request_golden() -> None:
    golden = load(FMT, "upstream_request")
    request = canonical(golden["canonical"])
    assert build_upstream_request(request, golden["upstream_model"]) == golden["body"]


def test_none_fields_are_left_out_and_no_stream_options_without_stream() -> None:
    request = ChatRequest("m", (Message("user", (TextPart("hi"),)),), tool_choice="auto")
    assert build_upstream_request(request, "up") == {
        "model": "up",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


ROUND_TRIPS = [
    ChatRequest("m", (Message("user", (TextPart("hi"),)),)),
    ChatRequest(
        "m",
        (
            Message(
                "user",
                (TextPart("look"), ImagePart("data:image/png;base64,AAAA", "auto")),
                name="a",
            ),
            Message("assistant", (TextPart("calling"), ToolCallPart("call_1", "f", '{"x": 1}'))),
            Message("tool", (ToolResultPart("call_1", "done"),)),
            Message("assistant", (ToolCallPart("call_2", "g", ""),)),
            Message("tool", (ToolResultPart("call_2", ""),)),
            Message("user", (TextPart("thanks"),)),
        ),
        system=("Only one segment survives a round trip unchanged.",),
        tools=(ToolSpec("f", "does f", {"type": "object"}, True), ToolSpec("g")),
        tool_choice=NamedTool("g"),
        temperature=0.0,
        top_p=1.0,
        max_tokens=10,
        stop=("a", "b"),
        output_format=OutputFormat("json_schema", "out", {"type": "object"}, True),
        parallel_tool_calls=False,
        user="u",
        stream=True,
    ),
    ChatRequest(
        "m",
        (Message("user", (TextPart("x"),)),),
        tools=(ToolSpec("f"),),
        tool_choice="none",
        output_format=OutputFormat("text"),
    ),
]


@pytest.mark.parametrize("request_", ROUND_TRIPS)
def test_parse_request_of_the_upstream_body_gives_the_request_back(request_: ChatRequest) -> None:
    body = orjson.loads(orjson.dumps(build_upstream_request(request_, request_.model)))
    assert parse_request(body).request == request_


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_golden_requests_survive_a_trip_through_the_upstream_body(name: str) -> None:
    request = parse_request(load(FMT, name)["body"]).request
    again = parse_request(build_upstream_request(request, request.model)).request
    joined = ("\n\n".join(request.system),) if request.system else ()
    assistant_text_joined = tuple(_join_assistant_text(m) for m in request.messages)
    assert again == dataclasses.replace(request, system=joined, messages=assistant_text_joined)


def _join_assistant_text(message: Message) -> Message:
    """Assistant text parts travel as one string (the shape every server accepts)."""
    if message.role != "assistant":
        return message
    text = message.text()
    calls = tuple(p for p in message.parts if isinstance(p, ToolCallPart))
    return dataclasses.replace(message, parts=((TextPart(text),) if text else ()) + calls)


# --- response --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_response_"))
def test_parse_upstream_response_golden(name: str) -> None:
    golden = load(FMT, name)
    assert parse_upstream_response(golden["body"]) == canonical(golden["events"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "non-object body"),
        ({"choices": []}, "no `choices[0]`"),
        ({"choices": None}, "no `choices[0]`"),
        ({"choices": ["x"]}, "no `choices[0]`"),
        ({"choices": [{"finish_reason": "stop"}]}, "no `choices[0].message`"),
        ({"choices": [{"message": {"tool_calls": {}}}]}, "is not a list"),
        (
            {"choices": [{"message": {"tool_calls": [{"id": "c", "function": {}}]}}]},
            "no `function.name`",
        ),
        ({"choices": [{"message": {"tool_calls": ["c"]}}]}, "no `function.name`"),
        ({"error": {"message": "Invalid API key"}}, "reported an error: Invalid API key"),
        ({"error": "overloaded"}, "reported an error: overloaded"),
    ],
)
def test_malformed_upstream_response_is_an_upstream_error(body: Any, message: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_upstream_response(body)
    assert message in caught.value.message
    assert caught.value.status == 502


def test_lenient_where_compatible_servers_differ() -> None:
    body = {
        "choices": [
            {
                "message": {
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                    "tool_calls": [{"function": {"name": "f", "arguments": None}}],
                },
                "finish_reason": "eos",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": None, "prompt_tokens_details": None},
    }
    assert parse_upstream_response(body) == [
        MessageStart("", ""),
        TextDelta("ab"),
        ToolCallStart(0, "call_0", "f"),
        ToolCallEnd(0),
        Finish("tool_calls"),
        Usage(input_tokens=3),
    ]


def test_refusal_is_the_text_and_legacy_function_call_finish_maps_to_tool_calls() -> None:
    refused = {
        "choices": [
            {"message": {"content": None, "refusal": "I can't help."}, "finish_reason": "stop"}
        ]
    }
    assert parse_upstream_response(refused)[1:] == [TextDelta("I can't help."), Finish("stop")]
    legacy = {"choices": [{"message": {"content": "x"}, "finish_reason": "function_call"}]}
    assert parse_upstream_response(legacy)[-1] == Finish("tool_calls")
    filtered = {"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]}
    assert parse_upstream_response(filtered) == [MessageStart("", ""), Finish("content_filter")]


# --- stream ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_golden(name: str) -> None:
    golden = load(FMT, name)
    assert decode(golden["chunks"]) == canonical(golden["events"])


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_through_sse_bytes_split_anywhere(name: str) -> None:
    golden = load(FMT, name)
    wire = b"".join(encode_data(chunk) for chunk in golden["chunks"])
    if "cut" not in name:
        wire += DONE
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(wire)), 25))
    pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    parser, decoder, events = SSEParser(), UpstreamStreamDecoder(), []
    for piece in pieces:
        for message in parser.feed(piece):
            if message.data != "[DONE]":
                events += decoder.feed(orjson.loads(message.data))
    assert parser.flush() == []
    assert events + decoder.close() == canonical(golden["events"])


def test_reply_assembled_from_a_decoded_stream() -> None:
    builder = ReplyBuilder()
    for event in decode(load(FMT, "upstream_stream_tool_calls")["chunks"]):
        builder.add(event)
    reply = builder.build()
    assert reply.finish == "tool_calls"
    assert [(c.id, c.arguments) for c in reply.tool_calls] == [
        ("call_DdmO9pD3xa9XTPNJ32zg2hcA", '{"location": "Paris"}'),
        ("call_EemP0qE4yb0YUQOK43ah3idB", '{"location": "Rome"}'),
    ]
    assert (reply.usage.input_tokens, reply.usage.cached_input_tokens) == (120, 64)  # pitfall 13


def test_our_own_encoder_output_decodes_back_to_the_same_events() -> None:
    events: list[Event] = [
        MessageStart("chatcmpl-1", "m"),
        TextDelta("Hi "),
        ToolCallStart(0, "call_1", "f"),
        ToolCallDelta(0, '{"a":1}'),
        ToolCallEnd(0),
        Finish("tool_calls"),
        Usage(10, 5, cached_input_tokens=4, reasoning_tokens=2),
    ]
    encoder = StreamEncoder("chatcmpl-1", "m", 1, include_usage=True)
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    chunks = [orjson.loads(m.data) for m in SSEParser().feed(stream) if m.data != "[DONE]"]
    assert decode(chunks) == events


def test_usage_before_finish_waits_and_usage_on_a_null_choices_chunk_is_read() -> None:
    decoder = UpstreamStreamDecoder()
    first = decoder.feed({"id": "a", "model": "m", "choices": None, "usage": {"prompt_tokens": 1}})
    assert first == [MessageStart("a", "m")]
    assert decoder.feed({"choices": [{"index": 0, "delta": {"content": "x"}}]}) == [TextDelta("x")]
    assert decoder.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}) == [
        Finish("length"),
        Usage(input_tokens=1),
    ]
    assert decoder.close() == []


def test_choices_other_than_the_first_and_chunks_after_finish_are_ignored() -> None:
    decoder = UpstreamStreamDecoder()
    decoder.feed({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
    assert decoder.feed({"choices": [{"index": 1, "delta": {"content": "other"}}]}) == []
    assert decoder.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}) == [
        Finish("stop")
    ]
    assert decoder.feed({"choices": [{"index": 0, "delta": {"content": "late"}}]}) == []


def test_tool_fragment_without_id_or_index_still_opens_a_call() -> None:
    events = decode(
        [{"choices": [{"delta": {"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}}]}]
    )
    assert events[1:] == [
        ToolCallStart(0, "call_0", "f"),
        ToolCallDelta(0, "{}"),
        ToolCallEnd(0),
        Finish("tool_calls"),
    ]


def test_stream_decoder_errors() -> None:
    with pytest.raises(UpstreamError):
        UpstreamStreamDecoder().feed(["not", "a", "chunk"])
    with pytest.raises(UpstreamError):
        UpstreamStreamDecoder().feed({"choices": {"index": 0}})
    assert UpstreamStreamDecoder().close() == [
        StreamError(
            502, "upstream_error", "The upstream server closed the stream without sending a chunk."
        )
    ]
    decoder = UpstreamStreamDecoder()
    assert decoder.feed({"error": "boom"}) == [
        StreamError(502, "upstream_error", "The upstream server reported an error: boom")
    ]
    assert decoder.feed({"choices": [{"delta": {"content": "x"}}]}) == []
    assert decoder.close() == []
