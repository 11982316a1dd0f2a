"""Responses, rendered for the client: the Response object and the typed event stream.

Rendered output is checked against golden JSON, with the `openai` SDK's own models (the
`Response` model and the `ResponseStreamEvent` union), and end to end through the SDK's HTTP
client, its SSE parser and its `responses.stream()` accumulator (an `httpx2.MockTransport`
stands in for the gateway, serving the encoder's bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
import orjson
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from fased.canonical import (
    Event,
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    Reply,
    ReplyBuilder,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
)
from fased.errors import UpstreamError
from fased.wire.openai_responses import (
    InboundResponses,
    StreamEncoder,
    parse_request,
    render_response,
)
from fased.wire.sse import SSEParser
from tests.wire.golden import canonical, load, names

FMT = "openai_responses"
STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def fold(events: list[Event]) -> Reply:
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


def reasoning_of(events: list[Event]) -> list[ReasoningPart]:
    """The reasoning parts a run's events carry (what the web layer would pass on)."""
    parts, text = [], ""
    for event in events:
        if isinstance(event, ReasoningDelta):
            text += event.text
        elif isinstance(event, ReasoningEnd):
            parts.append(ReasoningPart(text, event.signature))
            text = ""
    return parts


def inbound_of(golden: dict[str, Any]) -> InboundResponses | None:
    return parse_request(golden["request"]) if "request" in golden else None


# --- the Response object -----------------------------------------------------------------------


def golden_response(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    golden = load(FMT, name)
    rendered = render_response(
        fold(canonical(golden["events"])),
        response_id=golden["response_id"],
        model=golden["model"],
        created=golden["created"],
        request=inbound_of(golden),
        reasoning=canonical(golden.get("reasoning", [])),
    )
    return golden, rendered


@pytest.mark.parametrize("name", names(FMT, "response_"))
def test_render_response_golden(name: str) -> None:
    golden, rendered = golden_response(name)
    assert rendered == golden["expected"]
    assert orjson.loads(orjson.dumps(rendered)) == golden["expected"]  # JSON-safe as is
    parsed = Response.model_validate(rendered)
    assert parsed.id == golden["response_id"] and parsed.object == "response"
    assert parsed.output, "never output: [] for a reply with content (pitfall 17)"


def test_response_echoes_the_request_settings() -> None:
    _, rendered = golden_response("response_text")
    assert rendered["instructions"] == "Be brief."
    assert rendered["tools"] == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Look up a fact.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            "strict": False,
        }
    ]
    assert (rendered["temperature"], rendered["max_output_tokens"]) == (0.7, 400)
    assert rendered["text"]["format"]["name"] == "joke"
    assert (rendered["store"], rendered["metadata"]) == (False, {"ticket": "T-1"})
    assert rendered["previous_response_id"] == "resp_68c0e0000000"
    parsed = Response.model_validate(rendered)
    assert parsed.usage is not None and parsed.usage.input_tokens_details.cached_tokens == 1024
    assert getattr(parsed.usage, "cost_usd", None) == 0.00123


def test_status_and_item_ids() -> None:
    _, rendered = golden_response("response_tool_calls")
    assert [item["id"] for item in rendered["output"]] == [
        "rs_0b1c2d3e_0",
        "msg_0b1c2d3e_0",
        "fc_0b1c2d3e_0",
        "fc_0b1c2d3e_1",
    ]
    assert [item.get("call_id") for item in rendered["output"][2:]] == [
        "call_DdmO9pD3xa9XTPNJ32zg2hcA",
        "call_EemP0qE4yb0YUQOK43ah3idB",
    ]
    _, incomplete = golden_response("response_incomplete")
    assert incomplete["status"] == "incomplete"
    assert incomplete["incomplete_details"] == {"reason": "max_output_tokens"}
    assert incomplete["output"][-1]["status"] == "incomplete"


def test_a_tool_call_only_turn_has_no_message_item() -> None:  # pitfalls 2 and 7
    _, rendered = golden_response("response_tool_call_only")
    assert [item["type"] for item in rendered["output"]] == ["function_call"]
    assert rendered["output"][0]["arguments"] == ""


def test_rerendering_gives_the_same_object() -> None:
    first = golden_response("response_tool_calls")[1]
    assert golden_response("response_tool_calls")[1] == first


def test_content_filter_and_explicit_status() -> None:
    reply = fold([TextDelta("x"), Finish("content_filter")])
    rendered = render_response(reply, response_id="resp_1", model="m", created=1)
    assert (rendered["status"], rendered["incomplete_details"]) == (
        "incomplete",
        {"reason": "content_filter"},
    )
    cancelled = render_response(
        reply, response_id="resp_1", model="m", created=1, status="cancelled"
    )
    assert Response.model_validate(cancelled).status == "cancelled"


def test_render_response_refuses_an_errored_reply() -> None:
    with pytest.raises(UpstreamError):
        render_response(
            fold([TextDelta("half"), Finish("error")]), response_id="r", model="m", created=1
        )


def test_sdk_reads_a_rendered_response() -> None:
    _, rendered = golden_response("response_tool_calls")
    client = sdk_client(lambda _: httpx2.Response(200, json=rendered))
    response = client.responses.create(model="face", input="hi")
    assert response.output_text == "Checking both."
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.call_id, c.arguments) for c in calls] == [
        ("call_DdmO9pD3xa9XTPNJ32zg2hcA", '{"city":"Paris"}'),
        ("call_EemP0qE4yb0YUQOK43ah3idB", '{"city":"Rome"}'),
    ]
    assert (
        response.usage is not None and response.usage.output_tokens_details.reasoning_tokens == 64
    )


# --- the event stream --------------------------------------------------------------------------


def encode_all(encoder: StreamEncoder, events: list[Event]) -> bytes:
    return b"".join(encoder.encode(event) for event in events) + encoder.close()


def frames_of(stream: bytes) -> list[dict[str, Any]]:
    frames = []
    for message in SSEParser().feed(stream):
        frame = orjson.loads(message.data)
        assert message.event == frame["type"]  # `event:` equals data.type (pitfall 16)
        frames.append(frame)
    return frames


def golden_stream(name: str) -> tuple[dict[str, Any], bytes, StreamEncoder]:
    golden = load(FMT, name)
    encoder = StreamEncoder(
        golden["response_id"], golden["model"], golden["created"], inbound_of(golden)
    )
    return golden, encode_all(encoder, canonical(golden["events"])), encoder


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_stream_encoder_golden(name: str) -> None:
    golden, stream, encoder = golden_stream(name)
    frames = frames_of(stream)
    assert frames == golden["frames"]
    assert [f["sequence_number"] for f in frames] == list(range(len(frames)))  # pitfall 16
    assert [f["type"] for f in frames[:2]] == ["response.created", "response.in_progress"]
    assert [f["type"] in TERMINAL for f in frames].count(True) == 1
    assert frames[-1]["type"] in TERMINAL and frames[-1]["response"] == encoder.final_response
    for frame in frames:
        STREAM_EVENT.validate_python(frame)


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_every_item_streams_in_openai_order(name: str) -> None:  # pitfall 16
    _, stream, _ = golden_stream(name)
    per_item: dict[int, list[str]] = {}
    for frame in frames_of(stream):
        if "output_index" in frame:
            per_item.setdefault(frame["output_index"], []).append(frame["type"])
    for kinds in per_item.values():
        assert kinds[0] == "response.output_item.added" and kinds[-1] == "response.output_item.done"
        if "response.output_text.delta" in kinds:
            assert kinds[1] == "response.content_part.added"
            assert kinds[-4:-1] == [
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
            ]
        if "response.function_call_arguments.delta" in kinds or kinds[1:2] == [
            "response.function_call_arguments.done"
        ]:
            assert kinds[-2] == "response.function_call_arguments.done"  # always sent (1)


@pytest.mark.parametrize(
    "name", ["stream_text", "stream_tool_calls", "stream_reasoning", "stream_incomplete"]
)
def test_terminal_response_is_what_render_response_gives(name: str) -> None:  # pitfall 17
    golden, stream, _ = golden_stream(name)
    events = canonical(golden["events"])
    rendered = render_response(
        fold(events),
        response_id=golden["response_id"],
        model=golden["model"],
        created=golden["created"],
        request=inbound_of(golden),
        reasoning=reasoning_of(events),
    )
    assert frames_of(stream)[-1]["response"] == rendered


def sdk_stream(stream: bytes) -> Any:
    client = sdk_client(lambda _: event_stream(stream))
    return client.responses.stream(model="m", input="hi")


@pytest.mark.parametrize(
    "name", ["stream_text", "stream_tool_calls", "stream_reasoning", "stream_cut"]
)
def test_sdk_stream_accumulator_assembles_the_response(name: str) -> None:
    golden, stream, _ = golden_stream(name)
    with sdk_stream(stream) as events:
        seen = [event.type for event in events]
        final = events.get_final_response()
    assert seen == [frame["type"] for frame in golden["frames"]]
    assert (
        unparsed(final.model_dump(exclude_unset=True, mode="json"))
        == golden["frames"][-1]["response"]
    )
    assert final.output_text == fold(canonical(golden["events"])).text


def unparsed(value: Any) -> Any:
    """The SDK's parsed models add `parsed` to text parts and `parsed_arguments` to calls."""
    if isinstance(value, dict):
        return {k: unparsed(v) for k, v in value.items() if k not in ("parsed", "parsed_arguments")}
    return [unparsed(v) for v in value] if isinstance(value, list) else value


def test_sdk_accumulator_reads_tool_calls() -> None:
    _, stream, _ = golden_stream("stream_tool_calls")
    with sdk_stream(stream) as events:
        snapshots = [
            e.snapshot for e in events if e.type == "response.function_call_arguments.delta"
        ]
        final = events.get_final_response()
    assert snapshots == ['{"', '{"city":"Rome"}', '{"city":"Paris"}']
    calls = [item for item in final.output if item.type == "function_call"]
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_weather", '{"city":"Paris"}'),
        ("call_EemP0qE4yb0YUQOK43ah3idB", "get_weather", '{"city":"Rome"}'),
        ("call_FfnQ1rF5zc1ZVRPL54bi4jeC", "get_time", ""),
    ]
    assert final.usage is not None and getattr(final.usage, "cost_usd", None) == 0.0004


def test_sdk_sees_an_incomplete_response_as_not_completed() -> None:
    """As with OpenAI itself: the accumulator has no final response without response.completed,
    and the raw events carry the incomplete Response."""
    _, stream, _ = golden_stream("stream_incomplete")
    with sdk_stream(stream) as events:
        last = list(events)[-1]
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            events.get_final_response()
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details.reason == "max_output_tokens"


def test_sdk_raises_the_stream_error() -> None:
    golden, stream, _ = golden_stream("stream_error")
    error_frame = next(f for f in golden["frames"] if f["type"] == "error")
    with sdk_stream(stream) as events, pytest.raises(openai.APIError) as caught:
        list(events)
    assert caught.value.message == "The upstream server reported an error: overloaded"
    assert caught.value.body == error_frame["error"]
    client = sdk_client(lambda _: event_stream(stream))
    with pytest.raises(openai.APIError):
        list(client.responses.create(model="m", input="hi", stream=True))


def test_the_failed_response_says_what_happened() -> None:
    golden, _, encoder = golden_stream("stream_error")
    failed = Response.model_validate(golden["frames"][-1]["response"])
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.code, failed.error.message) == (
        "server_error",
        "The upstream server reported an error: overloaded",
    )
    assert encoder.final_response is not None and encoder.final_response["status"] == "failed"


@pytest.mark.parametrize(
    ("status", "code"), [(429, "rate_limit_exceeded"), (502, "server_error"), (504, "server_error")]
)
def test_failed_error_code_follows_the_status(status: int, code: str) -> None:
    encoder = StreamEncoder("resp_e", "m", 1)
    frames = frames_of(
        encoder.encode(StreamError(status, "some_code", "Try again.")) + encoder.close()
    )
    error, failed = frames[-2], frames[-1]
    assert (error["code"], error["error"]["code"]) == ("some_code", "some_code")
    assert failed["response"]["error"] == {"code": code, "message": "Try again."}


def test_close_without_events_still_ends_well_formed() -> None:  # pitfall 19
    encoder = StreamEncoder("resp_empty", "m", 1)
    frames = frames_of(encoder.close())
    assert [f["type"] for f in frames] == [
        "response.created",
        "response.in_progress",
        "response.completed",
    ]
    assert frames[-1]["response"]["output"] == [] and encoder.close() == b""


def test_finish_error_without_stream_error_ends_failed() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    frames = frames_of(encode_all(encoder, [TextDelta("a"), Finish("error")]))
    assert [f["type"] for f in frames[-2:]] == ["error", "response.failed"]
    assert frames[-1]["response"]["output"][0]["status"] == "incomplete"


def test_the_stream_error_after_finish_error_says_what_happened() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    events: list[Event] = [
        Finish("error"),
        StreamError(504, "upstream_timeout", "Timed out."),
        Usage(1, 1),
    ]
    frames = frames_of(encode_all(encoder, events))
    assert frames[-2]["code"] == "upstream_timeout" and frames[-2]["error"]["type"] == "api_error"


def test_nothing_follows_the_terminal_event() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    stream = encode_all(encoder, [TextDelta("a"), Finish("stop"), Usage(1, 1)])
    assert encoder.close() == b""
    assert encoder.encode(TextDelta("late")) == b""
    assert [f["type"] for f in frames_of(stream)].count("response.completed") == 1


def test_content_after_the_finish_is_ignored() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    frames = frames_of(
        encode_all(encoder, [TextDelta("a"), Finish("stop"), TextDelta("b"), Usage(1, 1)])
    )
    assert frames[-1]["response"]["output"][0]["content"][0]["text"] == "a"


def test_deltas_without_an_open_call_are_dropped_not_invented() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    events: list[Event] = [
        ToolCallDelta(7, "{}"),
        ToolCallStart(0, "call_1", "f"),
        ToolCallEnd(0),
        ToolCallDelta(0, "late"),
        ToolCallStart(0, "call_1", "f"),
    ]
    frames = frames_of(encode_all(encoder, events))
    calls = [item for item in frames[-1]["response"]["output"] if item["type"] == "function_call"]
    assert [(c["call_id"], c["arguments"]) for c in calls] == [("call_1", "")]


def test_reasoning_interrupted_by_text_is_closed_without_signature() -> None:
    encoder = StreamEncoder("resp_x", "m", 1)
    frames = frames_of(encode_all(encoder, [ReasoningDelta("hm"), TextDelta("ok"), Finish("stop")]))
    output = frames[-1]["response"]["output"]
    assert [item["type"] for item in output] == ["reasoning", "message"]
    assert "encrypted_content" not in output[0]


# --- the shapes OpenAI's own servers send ------------------------------------------------------


def upstream_shapes() -> dict[str, dict[str, set[str]]]:
    """Per event type, the fields OpenAI's frames carry (the upstream fixtures, as its servers
    send them): "" for the frame itself, "<key>:<type>" for its response, item or part."""
    shapes: dict[str, dict[str, set[str]]] = {}
    for name in names(FMT, "upstream_stream_"):
        for frame in load(FMT, name)["events"]:
            for where, fields in shape_of(frame).items():
                shapes.setdefault(frame["type"], {}).setdefault(where, set()).update(fields)
    return shapes


def shape_of(frame: dict[str, Any]) -> dict[str, set[str]]:
    shape = {"": set(frame)}
    for key in ("response", "item", "part"):
        if isinstance(frame.get(key), dict):
            shape[f"{key}:{frame[key].get('type')}"] = set(frame[key])
    return shape


def test_our_events_use_only_fields_openai_sends() -> None:
    """Every field we emit exists in OpenAI's event of the same type (and in its Response,
    items and parts); cost_usd, inside usage, is the gateway's own addition."""
    reference = upstream_shapes()
    compared = 0
    for name in names(FMT, "stream_"):
        for frame in load(FMT, name)["frames"]:
            real = reference.get(frame["type"], {})
            for where, fields in shape_of(frame).items():
                if where in real:
                    compared += 1
                    assert fields <= real[where], (frame["type"], where, fields - real[where])
    assert compared > 100


# --- helpers -----------------------------------------------------------------------------------


def event_stream(content: bytes) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=content)


def sdk_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )
