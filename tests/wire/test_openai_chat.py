"""Chat Completions, client side: inbound parsing, `chat.completion`, the chunk stream.

Rendered output is checked three ways: against golden JSON in OpenAI's documented shapes, with
the `openai` SDK's own models, and end to end through the SDK's HTTP client and stream parser
(an `httpx2.MockTransport` stands in for the gateway, serving the encoder's bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from fased.canonical import (
    Event,
    Finish,
    MessageStart,
    ReplyBuilder,
    StreamError,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallPart,
    ToolCallStart,
    ToolResultPart,
    Usage,
)
from fased.errors import BadRequest, UpstreamError
from fased.wire.openai_chat import InboundChat, StreamEncoder, parse_request, render_response
from fased.wire.sse import DONE, SSEParser
from tests.wire.golden import canonical, fuzz, load, names

FMT = "openai_chat"
USER = {"role": "user", "content": "hi"}
SDK_MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [USER], **fields}


# --- inbound ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_parse_request_golden(name: str) -> None:
    golden = load(FMT, name)
    parsed = parse_request(golden["body"])
    assert parsed == InboundChat(canonical(golden["canonical"]), golden["include_usage"])


def test_system_and_developer_messages_are_hoisted_in_order() -> None:  # pitfall 8
    messages = [
        {"role": "developer", "content": "one"},
        USER,
        {"role": "assistant", "content": "ok"},
        {
            "role": "system",
            "content": [{"type": "text", "text": "tw"}, {"type": "text", "text": "o"}],
        },
        {"role": "system", "content": ""},
        {"role": "user", "content": "again"},
    ]
    request = parse_request({"model": "m", "messages": messages}).request
    assert request.system == ("one", "two")
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]


@pytest.mark.parametrize("content", ["", None, [{"type": "text", "text": ""}]])
def test_tool_call_turn_has_no_empty_text_part(content: Any) -> None:  # pitfall 7
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [USER, {"role": "assistant", "content": content, "tool_calls": [call]}]
    assistant = parse_request({"model": "m", "messages": messages}).request.messages[1]
    assert assistant.parts == (ToolCallPart("call_1", "f", "{}"),)


def test_a_tool_turn_counts_as_the_user_turn() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c", "content": "42"},
    ]
    assert parse_request({"model": "m", "messages": messages}).request.messages[1].role == "tool"


def test_include_usage_and_defaults() -> None:
    parsed = parse_request(body())
    assert parsed.include_usage is False
    assert parsed.request.stream is False
    assert parsed.request.messages[0].parts == (TextPart("hi"),)
    with_usage = parse_request(body(stream=True, stream_options={"include_usage": True}))
    assert with_usage.include_usage is True and with_usage.request.stream is True


REJECTED: list[tuple[Any, str | None, str]] = [
    ([], None, "must be a JSON object"),
    ({"messages": [USER]}, "model", "`model` is required"),
    ({"model": "", "messages": [USER]}, "model", "non-empty string"),
    ({"model": 4, "messages": [USER]}, "model", "non-empty string"),
    ({"model": "m"}, "messages", "non-empty list"),
    ({"model": "m", "messages": []}, "messages", "non-empty list"),
    ({"model": "m", "messages": {"role": "user"}}, "messages", "non-empty list"),
    ({"model": "m", "messages": ["hi"]}, "messages[0]", "must be a JSON object"),
    ({"model": "m", "messages": [{"role": "bot", "content": "x"}]}, "messages[0].role", "'bot'"),
    ({"model": "m", "messages": [{"content": "x"}]}, "messages[0].role", "must be system"),
    (
        {"model": "m", "messages": [{"role": "system", "content": "x"}]},
        "messages",
        "Missing user message in `messages`.",
    ),
    ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content", "is required"),
    ({"model": "m", "messages": [{"role": "user", "content": 7}]}, "messages[0].content", "string"),
    (
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "input_text"}]}]},
        "messages[0].content[0].type",
        "'input_text' is not supported here; use text or image_url",
    ),
    (
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
        "messages[0].content[0].text",
        "must be a string",
    ),
    (
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
        "messages[0].content[0].image_url",
        "JSON object",
    ),
    (
        {
            "model": "m",
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
        },
        "messages[0].content[0].image_url.url",
        "is required",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "system", "content": [{"type": "image_url"}]}]},
        "messages[1].content[0].type",
        "use text.",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "tool", "content": "x"}]},
        "messages[1].tool_call_id",
        "set it to the id of the tool call",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "assistant", "tool_calls": {"id": "x"}}]},
        "messages[1].tool_calls",
        "must be a list",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "assistant", "tool_calls": [{"id": "c"}]}]},
        "messages[1].tool_calls[0].function",
        "JSON object",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "assistant", "tool_calls": [{"function": {}}]}]},
        "messages[1].tool_calls[0].id",
        "is required",
    ),
    (
        {
            "model": "m",
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 1}}],
                },
            ],
        },
        "messages[1].tool_calls[0].function.arguments",
        "string of JSON",
    ),
    (
        {
            "model": "m",
            "messages": [
                USER,
                {"role": "assistant", "tool_calls": [{"id": "c", "type": "custom"}]},
            ],
        },
        "messages[1].tool_calls[0].type",
        "only 'function' calls",
    ),
    (
        {"model": "m", "messages": [USER, {"role": "function", "content": "x"}]},
        "messages[1].name",
        "required",
    ),
    (body(tools=[{"type": "web_search"}]), "tools[0].type", "'web_search' is not supported"),
    (body(tools={"type": "function"}), "tools", "must be a list"),
    (body(tools=[{"type": "function"}]), "tools[0].function", "JSON object"),
    (
        body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
        "tools[0].function.parameters",
        "JSON object",
    ),
    (
        body(tools=[{"type": "function", "function": {"name": "f", "strict": "yes"}}]),
        "tools[0].function.strict",
        "true or false",
    ),
    (body(functions=[{"description": "x"}]), "functions[0].name", "is required"),
    (body(tool_choice="any"), "tool_choice", "use 'auto', 'none', 'required'"),
    (body(tool_choice={"type": "function", "function": {}}), "tool_choice", "is not valid"),
    (body(tool_choice={"type": "allowed_tools"}), "tool_choice", "is not valid"),
    (body(function_call=3), "function_call", "is not valid"),
    (body(temperature="0.5"), "temperature", "number from 0 to 2"),
    (body(temperature=2.5), "temperature", "number from 0 to 2"),
    (body(temperature=True), "temperature", "number from 0 to 2"),
    (body(top_p=-0.1), "top_p", "number from 0 to 1"),
    (body(max_tokens=0), "max_tokens", "integer of at least 1"),
    (body(max_tokens=1.5), "max_tokens", "integer of at least 1"),
    (body(max_completion_tokens="100"), "max_completion_tokens", "integer of at least 1"),
    (body(stop=["a", 1]), "stop", "string or a list of strings"),
    (body(stop={"a": 1}), "stop", "string or a list of strings"),
    (body(response_format="json"), "response_format", "JSON object"),
    (body(response_format={"type": "xml"}), "response_format.type", "'json_schema'"),
    (body(response_format={"type": "json_schema"}), "response_format.json_schema", "JSON object"),
    (
        body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
        "response_format.json_schema.name",
        "is required",
    ),
    (body(n=2), "n", "n > 1 is not supported; send one request per choice."),
    (body(n="2"), "n", "integer"),
    (body(n=0), "n", "integer of at least 1"),
    (body(user=123), "user", "must be a string"),
    (body(stream="yes"), "stream", "true or false"),
    (body(parallel_tool_calls=1), "parallel_tool_calls", "true or false"),
    (body(stream_options=True), "stream_options", "JSON object"),
    (
        body(stream_options={"include_usage": "true"}),
        "stream_options.include_usage",
        "true or false",
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


JUNK: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], [1], {}, {"type": "text"}]


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_any_junk_anywhere_is_a_bad_request_or_accepted(name: str) -> None:
    """Fuzz: every field of the golden bodies replaced by every junk value."""
    golden = load(FMT, name)["body"]
    outcomes = fuzz(golden, parse_request, JUNK)
    assert outcomes["accepted"] > 0 and outcomes["rejected"] > 0


def test_sdk_request_bodies_parse() -> None:
    """What the real `openai` SDK sends is accepted and read correctly."""
    sent: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(orjson.loads(request.content))
        return httpx2.Response(
            200, json=render_response(ReplyBuilder().build(), response_id="x", model="m", created=1)
        )

    client = sdk_client(handler)
    client.chat.completions.create(
        model="face",
        messages=[
            {"role": "developer", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                ],
            },
        ],
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        tool_choice="required",
        max_completion_tokens=50,
        stop=["\n"],
        response_format={"type": "json_object"},
        user="u",
    )
    request = parse_request(sent[0]).request
    assert request.system == ("Be brief.",)
    assert request.messages[0].parts[1] == canonical({"_t": "ImagePart", "url": "https://x/y.png"})
    assert (request.tool_choice, request.max_tokens, request.stop) == ("required", 50, ("\n",))
    assert request.output_format is not None and request.output_format.type == "json_object"
    assert request.user == "u"


# --- chat.completion -------------------------------------------------------------------------


def fold(events: list[Event]) -> Any:
    builder = ReplyBuilder()
    for event in events:
        builder.add(event)
    return builder.build()


@pytest.mark.parametrize("name", names(FMT, "response_"))
def test_render_response_golden(name: str) -> None:
    golden = load(FMT, name)
    reply = fold(canonical(golden["events"]))
    rendered = render_response(
        reply, response_id=golden["response_id"], model=golden["model"], created=golden["created"]
    )
    assert rendered == golden["expected"]
    assert orjson.loads(orjson.dumps(rendered)) == golden["expected"]  # JSON-safe as is
    parsed = ChatCompletion.model_validate(rendered)
    assert parsed.choices[0].finish_reason == golden["expected"]["choices"][0]["finish_reason"]
    assert parsed.usage is not None
    assert parsed.usage.prompt_tokens_details is not None
    assert parsed.usage.prompt_tokens_details.cached_tokens == reply.usage.cached_input_tokens


def test_render_response_refuses_an_errored_reply() -> None:
    reply = fold([TextDelta("half"), Finish("error")])
    with pytest.raises(UpstreamError):
        render_response(reply, response_id="x", model="m", created=1)


def test_sdk_reads_a_rendered_response() -> None:
    events: list[Event] = [TextDelta("Hi!"), Finish("length"), Usage(5, 2, cost_usd=0.001)]
    rendered = render_response(fold(events), response_id="chatcmpl-1", model="face", created=7)
    client = sdk_client(lambda _: httpx2.Response(200, json=rendered))
    completion = client.chat.completions.create(model="face", messages=SDK_MESSAGES)
    assert completion.choices[0].message.content == "Hi!"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.total_tokens == 7
    assert getattr(completion.usage, "cost_usd", None) == 0.001


# --- chunk stream ----------------------------------------------------------------------------


def encode_all(encoder: StreamEncoder, events: list[Event]) -> bytes:
    return b"".join(encoder.encode(event) for event in events) + encoder.close()


def frames_of(stream: bytes) -> list[Any]:
    return [
        m.data if m.data == "[DONE]" else orjson.loads(m.data) for m in SSEParser().feed(stream)
    ]


def golden_stream(name: str) -> tuple[dict[str, Any], bytes]:
    golden = load(FMT, name)
    encoder = StreamEncoder(
        golden["response_id"], golden["model"], golden["created"], golden["include_usage"]
    )
    return golden, encode_all(encoder, canonical(golden["events"]))


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_stream_encoder_golden(name: str) -> None:
    golden, stream = golden_stream(name)
    assert frames_of(stream) == golden["frames"]
    assert stream.endswith(b"\n\n" + DONE) and stream.count(DONE) == 1
    for frame in golden["frames"]:
        if isinstance(frame, dict) and "error" not in frame:
            ChatCompletionChunk.model_validate(frame)


@pytest.mark.parametrize("name", names(FMT, "stream_"))
def test_sdk_stream_parser_reads_the_encoder_output(name: str) -> None:
    golden, stream = golden_stream(name)
    client = sdk_client(lambda _: event_stream(stream))
    chunks = client.chat.completions.create(model="m", messages=SDK_MESSAGES, stream=True)
    expected_error = next(
        (f["error"] for f in golden["frames"] if isinstance(f, dict) and "error" in f), None
    )
    if expected_error is None:
        received = list(chunks)
        assert len(received) == len(golden["frames"]) - 1
        assert received[-1].model_dump(exclude_unset=True) == golden["frames"][-2]
        return
    with pytest.raises(openai.APIError) as caught:
        list(chunks)
    assert caught.value.message == expected_error["message"]
    assert caught.value.body == expected_error


def test_sdk_stream_helper_assembles_tool_calls() -> None:
    _, stream = golden_stream("stream_tool_calls")
    client = sdk_client(lambda _: event_stream(stream))
    with client.chat.completions.stream(model="m", messages=SDK_MESSAGES) as events:
        completion = events.get_final_completion()
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking both."
    assert [
        (c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []
    ] == [
        ("call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_weather", '{"city":"Paris"}'),
        ("call_EemP0qE4yb0YUQOK43ah3idB", "get_weather", '{"city":"Rome"}'),
    ]
    assert completion.usage is not None and getattr(completion.usage, "cost_usd", None) == 0.0004


def test_close_without_events_still_ends_well_formed() -> None:  # pitfall 19
    frames = frames_of(StreamEncoder("id", "m", 1, include_usage=True).close())
    assert [f["choices"][0]["delta"] for f in frames[:2]] == [
        {"role": "assistant", "content": ""},
        {},
    ]
    assert frames[1]["choices"][0]["finish_reason"] == "stop"
    assert frames[2:] == ["[DONE]"]  # no usage was reported, so no usage chunk


def test_close_after_tool_calls_finishes_with_tool_calls() -> None:  # pitfalls 2 and 19
    encoder = StreamEncoder("id", "m", 1, include_usage=False)
    frames = frames_of(
        encode_all(encoder, [ToolCallStart(0, "call_1", "f"), ToolCallDelta(0, "{}")])
    )
    assert frames[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_done_is_sent_once_and_nothing_follows_it() -> None:
    encoder = StreamEncoder("id", "m", 1, include_usage=True)
    stream = encode_all(encoder, [TextDelta("a"), Finish("stop"), Finish("length")])
    assert encoder.close() == b""
    assert encoder.encode(TextDelta("late")) == b""
    assert stream.count(DONE) == 1
    assert [f["choices"][0]["finish_reason"] for f in frames_of(stream)[:-1]] == [
        None,
        None,
        "stop",
    ]


def test_message_start_sends_the_role_chunk_once() -> None:
    encoder = StreamEncoder("id", "m", 1, include_usage=False)
    first = encoder.encode(MessageStart("up", "up-model"))
    assert frames_of(first)[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert frames_of(first)[0]["model"] == "m"  # the client's model, not the upstream's
    assert encoder.encode(MessageStart("up", "up-model")) == b""


def test_finish_error_without_stream_error_ends_with_an_error_chunk() -> None:
    encoder = StreamEncoder("id", "m", 1, include_usage=False)
    frames = frames_of(encode_all(encoder, [TextDelta("a"), Finish("error")]))
    assert frames[-2]["error"]["type"] == "api_error"
    assert frames[-1] == "[DONE]"
    assert [f["choices"][0]["finish_reason"] for f in frames[:-2]] == [None, None]  # never "error"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (429, "rate_limit_error"),
        (400, "invalid_request_error"),
        (402, "invalid_request_error"),
        (502, "api_error"),
        (504, "api_error"),
    ],
)
def test_error_chunk_type_follows_the_status(status: int, error_type: str) -> None:
    encoder = StreamEncoder("id", "m", 1, include_usage=False)
    frames = frames_of(encoder.encode(StreamError(status, "some_code", "Try again.")))
    assert frames == [
        {
            "error": {
                "message": "Try again.",
                "type": error_type,
                "param": None,
                "code": "some_code",
            }
        },
        "[DONE]",
    ]
    assert encoder.close() == b""


# --- helpers ---------------------------------------------------------------------------------


def event_stream(content: bytes) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=content)


def sdk_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    transport = httpx2.MockTransport(handler)
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )


def test_cache_control_on_parts_is_carried_as_hints() -> None:
    """OpenAI-format clients of Claude mark breakpoints with `cache_control` on content parts
    (an OpenRouter/LiteLLM convention): system, user text and tool results keep them."""
    marked = {"type": "ephemeral"}
    request = parse_request(
        body(
            messages=[
                {"role": "system", "content": [{"type": "text", "text": "plain"}]},
                {
                    "role": "developer",
                    "content": [
                        {"type": "text", "text": "long ", "cache_control": marked},
                        {"type": "text", "text": "rules"},
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "q", "cache_control": marked}],
                },
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "c1",
                    "content": [{"type": "text", "text": "42", "cache_control": marked}],
                },
            ]
        )
    ).request
    assert request.system == ("plain", "long rules")
    assert request.system_cache == (None, "5m")
    user, _, tool = request.messages
    assert isinstance(user.parts[0], TextPart) and user.parts[0].cache == "5m"
    assert isinstance(tool.parts[0], ToolResultPart) and tool.parts[0].cache == "5m"
    assert parse_request(body()).request.system_cache == ()
    with pytest.raises(BadRequest) as caught:
        parse_request(
            body(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "q", "cache_control": {"ttl": "5m"}}],
                    }
                ]
            )
        )
    assert caught.value.param == "messages[0].content[0].cache_control.type"
