"""Responses, upstream side: the request we send OpenAI and the replies we read back.

Upstream fixtures are in the shape OpenAI's servers send (fields we do not model included);
they must validate with the `openai` SDK's own types, so they cannot drift from the real API.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import orjson
import pytest
from openai.types.responses import Response, ResponseStreamEvent
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
from fased.wire.openai_responses import StreamEncoder, parse_request
from fased.wire.openai_responses_upstream import (
    UpstreamStreamDecoder,
    build_upstream_request,
    parse_upstream_response,
    skipped_output_types,
)
from fased.wire.sse import SSEParser, encode_event
from tests.wire.golden import canonical, load, names

FMT = "openai_responses"
STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
SIGNATURE = "gAAAAABoOpenAI=="


def decode(events: list[Any]) -> tuple[list[Event], UpstreamStreamDecoder]:
    decoder = UpstreamStreamDecoder()
    decoded = [event for raw in events for event in decoder.feed(raw)]
    return decoded + decoder.close(), decoder


# --- request ---------------------------------------------------------------------------------


def test_build_upstream_request_golden() -> None:
    golden = load(FMT, "upstream_request")
    built = build_upstream_request(canonical(golden["canonical"]), golden["upstream_model"])
    assert built.body == golden["body"]
    assert list(built.dropped) == golden["dropped"]


def test_minimal_request() -> None:
    request = ChatRequest("m", (Message("user", (TextPart("hi"),)),), tool_choice="auto")
    built = build_upstream_request(request, "gpt-5.4", include_reasoning=False)
    assert built.body == {
        "model": "gpt-5.4",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "store": False,
        "stream": False,
    }
    assert built.dropped == ()


def test_no_item_carries_an_id() -> None:  # store false: OpenAI rejects unknown item ids
    golden = load(FMT, "request_tool_conversation")
    request = parse_request(golden["body"]).request
    body = build_upstream_request(request, "gpt-5.4").body
    assert all("id" not in item for item in body["input"])


ROUND_TRIPS = [
    ChatRequest("m", (Message("user", (TextPart("hi"),)),)),
    ChatRequest(
        "m",
        (
            Message("user", (TextPart("look"), ImagePart("data:image/png;base64,AAAA", "auto"))),
            Message(
                "assistant",
                (
                    ReasoningPart("plan", signature=SIGNATURE),
                    TextPart("calling"),
                    ToolCallPart("call_1", "f", '{"x": 1}'),
                ),
            ),
            Message("tool", (ToolResultPart("call_1", "done"),)),
            Message("assistant", (ToolCallPart("call_2", "g", ""),)),
            Message("tool", (ToolResultPart("call_2", ""),)),
            Message("user", (TextPart("thanks"),)),
        ),
        system=("Only one segment survives a round trip unchanged.",),
        tools=(
            ToolSpec("f", "does f", {"type": "object"}, True),
            ToolSpec("g", parameters={"type": "object", "properties": {}}, strict=False),
        ),
        tool_choice=NamedTool("g"),
        temperature=0.0,
        top_p=1.0,
        max_tokens=100,
        output_format=OutputFormat("json_schema", "out", {"type": "object"}, True),
        parallel_tool_calls=False,
        user="u",
        stream=True,
    ),
    ChatRequest(
        "m",
        (Message("user", (TextPart("x"),)),),
        tools=(ToolSpec("f", parameters={"type": "object"}, strict=False),),
        tool_choice="none",
        output_format=OutputFormat("json_object"),
    ),
]


@pytest.mark.parametrize("request_", ROUND_TRIPS)
def test_parse_request_of_the_upstream_body_gives_the_request_back(request_: ChatRequest) -> None:
    """Our upstream body is a valid Responses request: our own inbound parser reads it back."""
    body = orjson.loads(orjson.dumps(build_upstream_request(request_, request_.model).body))
    parsed = parse_request(body)
    assert parsed.request == request_
    assert parsed.store is False and parsed.dropped == ("include",)


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_golden_requests_survive_a_trip_through_the_upstream_body(name: str) -> None:
    """What changes on the way is what Responses requires: one instructions string, an
    explicit `strict` and schema on every tool, a `detail` on every image."""
    request = parse_request(load(FMT, name)["body"]).request
    again = parse_request(build_upstream_request(request, request.model).body).request
    assert again == dataclasses.replace(
        request,
        system=("\n\n".join(request.system),) if request.system else (),
        messages=tuple(with_image_detail(message) for message in request.messages),
        tools=tuple(
            dataclasses.replace(
                spec,
                strict=spec.strict is True,
                parameters=spec.parameters or {"type": "object", "properties": {}},
            )
            for spec in request.tools
        ),
    )


def with_image_detail(message: Message) -> Message:
    parts = tuple(
        dataclasses.replace(part, detail=part.detail or "auto")
        if isinstance(part, ImagePart)
        else part
        for part in message.parts
    )
    return dataclasses.replace(message, parts=parts)


# --- response --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_response_"))
def test_parse_upstream_response_golden(name: str) -> None:
    golden = load(FMT, name)
    Response.model_validate(golden["body"])  # the fixture is what OpenAI sends
    assert parse_upstream_response(golden["body"]) == canonical(golden["events"])
    assert skipped_output_types(golden["body"]) == ()


def test_unknown_output_items_are_reported_not_hidden() -> None:  # pitfall 5
    body = load(FMT, "upstream_response_text")["body"]
    body["output"].insert(0, {"id": "ws_1", "type": "web_search_call", "status": "completed"})
    assert skipped_output_types(body) == ("web_search_call",)
    assert parse_upstream_response(body)[1:3] == [
        ReasoningDelta("**Thinking**\n\nShort answer."),
        ReasoningEnd("gAAAAABo9mFullCipherTextForTheNextTurn=="),
    ]


def test_reasoning_without_summary_uses_its_content_and_a_bare_item_carries_nothing() -> None:
    body = {
        "output": [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": "raw"}],
            },
            {"type": "reasoning", "id": "rs_2", "summary": []},
            {"type": "function_call", "name": "f", "arguments": "{}", "id": "fc_1"},
        ],
        "status": "completed",
    }
    assert parse_upstream_response(body)[1:] == [
        ReasoningDelta("raw"),
        ReasoningEnd(None),
        ToolCallStart(0, "fc_1", "f"),
        ToolCallDelta(0, "{}"),
        ToolCallEnd(0),
        Finish("tool_calls"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "non-object body"),
        ({"output": None}, "no `output` list"),
        ({"output": ["x"]}, "not an object"),
        ({"output": [{"type": "function_call", "call_id": "c"}]}, "has no `name`"),
        ({"error": {"message": "Invalid API key"}}, "reported an error: Invalid API key"),
        ({"status": "failed", "error": None, "output": []}, "reported an error: no message given"),
    ],
)
def test_malformed_upstream_response_is_an_upstream_error(body: Any, message: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        parse_upstream_response(body)
    assert message in caught.value.message
    assert caught.value.status == 502


def test_content_filter_is_its_own_finish() -> None:
    body = {
        "status": "incomplete",
        "incomplete_details": {"reason": "content_filter"},
        "output": [],
    }
    assert parse_upstream_response(body) == [MessageStart("", ""), Finish("content_filter")]


# --- stream ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_golden(name: str) -> None:
    golden = load(FMT, name)
    events, _ = decode(golden["events"])
    assert events == canonical(golden["expected"])


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_upstream_fixtures_are_what_the_sdk_parses(name: str) -> None:
    for event in load(FMT, name)["events"]:
        if event["type"] == "error" and "error" in event:
            continue  # OpenAI's servers nest it; the SDK models only the documented flat shape
        STREAM_EVENT.validate_python(event)


@pytest.mark.parametrize("name", names(FMT, "upstream_stream_"))
def test_stream_decoder_through_sse_bytes_split_anywhere(name: str) -> None:
    golden = load(FMT, name)
    wire = b"".join(encode_event(event["type"], event) for event in golden["events"])
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(wire)), min(25, len(wire) - 1)))
    pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    parser, decoder, events = SSEParser(), UpstreamStreamDecoder(), []
    for piece in pieces:
        for message in parser.feed(piece):
            events += decoder.feed(orjson.loads(message.data))
    assert parser.flush() == []
    assert events + decoder.close() == canonical(golden["expected"])


def test_unknown_item_types_are_reported() -> None:  # pitfall 5
    _, decoder = decode(load(FMT, "upstream_stream_unknown_item")["events"])
    assert decoder.skipped == ["web_search_call"]


def test_reply_assembled_from_a_decoded_stream() -> None:
    builder = ReplyBuilder()
    events, _ = decode(load(FMT, "upstream_stream_reasoning_tools")["events"])
    for event in events:
        builder.add(event)
    reply = builder.build()
    assert reply.finish == "tool_calls"
    assert [(c.id, c.arguments) for c in reply.tool_calls] == [
        ("call_Pq7xWeather1", '{"city":"Paris"}'),
        ("call_Rq8yWeather2", '{"city":"Rome"}'),
    ]
    assert (reply.usage.input_tokens, reply.usage.cached_input_tokens) == (900, 512)  # pitfall 13


def test_our_own_encoder_output_decodes_back_to_the_same_events() -> None:
    events: list[Event] = [
        ReasoningDelta("plan"),
        ReasoningEnd(SIGNATURE),
        TextDelta("Hi "),
        TextDelta("there"),
        ToolCallStart(0, "call_1", "f"),
        ToolCallDelta(0, '{"a":1}'),
        ToolCallEnd(0),
        ToolCallStart(1, "call_2", "g"),
        ToolCallEnd(1),
        Finish("tool_calls"),
        Usage(10, 5, cached_input_tokens=4, reasoning_tokens=2, cache_write_input_tokens=1),
    ]
    encoder = StreamEncoder("resp_1", "m", 1)
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    decoded, _ = decode([orjson.loads(m.data) for m in SSEParser().feed(stream)])
    assert decoded == [MessageStart("resp_1", "m"), *events]


def test_our_own_failed_stream_decodes_to_a_stream_error() -> None:
    encoder = StreamEncoder("resp_1", "m", 1)
    events: list[Event] = [TextDelta("a"), StreamError(502, "upstream_error", "Boom."), Usage(3, 1)]
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    decoded, _ = decode([orjson.loads(m.data) for m in SSEParser().feed(stream)])
    assert decoded[1:] == [
        TextDelta("a"),
        StreamError(502, "upstream_error", "The upstream server reported an error: Boom."),
    ]


def test_a_stream_that_only_sends_the_final_response_still_gets_its_content() -> None:
    body = load(FMT, "upstream_response_tool_calls")["body"]
    events, _ = decode(
        [
            {"type": "response.created", "response": {**body, "output": []}},
            {"type": "response.completed", "response": body},
        ]
    )
    assert events == parse_upstream_response(body)


def test_nothing_after_the_end_and_the_decoder_errors() -> None:
    with pytest.raises(UpstreamError):
        UpstreamStreamDecoder().feed(["not", "an", "event"])
    assert UpstreamStreamDecoder().close() == [
        StreamError(
            502, "upstream_error", "The upstream server closed the stream without sending an event."
        )
    ]
    decoder = UpstreamStreamDecoder()
    decoder.feed({"type": "error", "message": "boom"})
    assert decoder.feed({"type": "response.output_text.delta", "delta": "x"}) == []
    assert decoder.close() == []


def test_events_for_unknown_items_and_unknown_types_are_passed_over() -> None:
    decoder = UpstreamStreamDecoder()
    assert decoder.feed({"type": "response.queued"}) == []
    assert decoder.feed({"type": "response.created", "response": {"id": "r", "model": "m"}}) == [
        MessageStart("r", "m")
    ]
    assert (
        decoder.feed(
            {"type": "response.function_call_arguments.delta", "output_index": 9, "delta": "{}"}
        )
        == []
    )
    assert decoder.feed({"type": "response.output_text.annotation.added", "output_index": 0}) == []
