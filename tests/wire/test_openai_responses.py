"""Responses, client side: the inbound `/v1/responses` request and its input items.

Golden bodies are in OpenAI's documented request shape; the `openai` SDK's own request bodies
(captured through an `httpx2.MockTransport`) must parse too, and so must a next turn built the
way SDK users build it: the previous response's `output` items plus `function_call_output`s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
import orjson
import pytest

from fased.canonical import (
    Event,
    Finish,
    ImagePart,
    Message,
    ReasoningPart,
    ReplyBuilder,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolResultPart,
    Usage,
)
from fased.errors import BadRequest
from fased.wire.openai_responses import (
    InboundResponses,
    items_to_messages,
    parse_request,
    render_response,
)
from tests.wire.golden import canonical, fuzz, load, names

FMT = "openai_responses"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "input": "hi", **fields}


def inbound_of(golden: dict[str, Any]) -> InboundResponses:
    fields = golden["inbound"]
    return InboundResponses(
        canonical(golden["canonical"]), **{**fields, "dropped": tuple(fields["dropped"])}
    )


# --- golden requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_parse_request_golden(name: str) -> None:
    golden = load(FMT, name)
    assert parse_request(golden["body"]) == inbound_of(golden)


def test_defaults() -> None:
    parsed = parse_request(body())
    assert (parsed.store, parsed.previous_response_id, parsed.oauth_only) == (True, None, False)
    assert (parsed.instructions, parsed.metadata, parsed.dropped) == (None, {}, ())
    assert parsed.request.messages == (Message("user", (TextPart("hi"),)),)
    assert parsed.request.stream is False and parsed.request.system == ()


def test_instructions_come_before_system_and_developer_messages_in_order() -> None:  # 8
    items = [
        {"role": "developer", "content": "one"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "system",
            "content": [{"type": "input_text", "text": "tw"}, {"type": "input_text", "text": "o"}],
        },
        {"role": "system", "content": ""},
        {"role": "user", "content": "again"},
    ]
    request = parse_request(body(instructions="zero", input=items)).request
    assert request.system == ("zero", "one", "two")
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]


def test_assistant_side_items_of_one_turn_merge_into_one_message() -> None:
    items = [
        {"role": "user", "content": "go"},
        {"type": "reasoning", "summary": [], "encrypted_content": "gAAAAAx"},
        {"type": "function_call", "call_id": "call_a", "name": "f", "arguments": "{}"},
        {"type": "function_call", "call_id": "call_b", "name": "g", "arguments": {"x": 1}},
        {"type": "function_call_output", "call_id": "call_a", "output": "1"},
        {"type": "function_call_output", "call_id": "call_b", "output": "2"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "refusal", "refusal": "No."}],
        },
    ]
    messages = parse_request(body(input=items)).request.messages
    assert messages[1] == Message(
        "assistant",
        (
            ReasoningPart("", signature="gAAAAAx"),
            ToolCallPart("call_a", "f", "{}"),
            ToolCallPart("call_b", "g", '{"x":1}'),
        ),
    )
    assert [m.role for m in messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert messages[4].parts == (TextPart("No."),)


def test_a_tool_output_counts_as_the_user_turn() -> None:
    items = [
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "42"},
    ]
    messages = parse_request(body(input=items)).request.messages
    assert messages[1] == Message("tool", (ToolResultPart("c", "42"),))


def test_reasoning_item_without_text_or_signature_carries_nothing() -> None:
    items = [{"type": "reasoning", "id": "rs_1", "summary": []}, {"role": "user", "content": "x"}]
    assert [m.role for m in parse_request(body(input=items)).request.messages] == ["user"]


def test_reasoning_content_is_the_text_when_there_is_no_summary() -> None:
    item = {
        "type": "reasoning",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "raw"}],
    }
    messages = parse_request(body(input=[item, {"role": "user", "content": "x"}])).request.messages
    assert messages[0].parts == (ReasoningPart("raw"),)


def test_previous_response_id_allows_an_input_without_a_user_turn() -> None:
    parsed = parse_request({"model": "m", "previous_response_id": "resp_1"})
    assert parsed.request.messages == () and parsed.previous_response_id == "resp_1"
    assistant_only = [{"role": "assistant", "content": "so far"}]
    parsed = parse_request(body(input=assistant_only, previous_response_id="resp_1"))
    assert parsed.request.messages[0].role == "assistant"


REJECTED: list[tuple[Any, str | None, str]] = [
    ([], None, "must be a JSON object"),
    ({"input": "hi"}, "model", "`model` is required"),
    ({"model": "m"}, "input", "Missing user message in `input`."),
    (body(input=""), "input", "Missing user message in `input`."),
    (body(input=[]), "input", "Missing user message in `input`."),
    (body(input=[{"role": "system", "content": "x"}]), "input", "Missing user message"),
    (body(input={"role": "user"}), "input", "a string or a list of input items"),
    (body(input=7), "input", "a string or a list of input items"),
    (body(input=["hi"]), "input[0]", "must be a JSON object"),
    (body(input=[{"content": "x"}]), "input[0].type", "None is not supported"),
    (body(input=[{"type": "item_reference", "id": "msg_1"}]), "input[0].type", "'item_reference'"),
    (
        body(input=[{"type": "web_search_call"}]),
        "input[0].type",
        "'web_search_call' is not supported",
    ),
    (body(input=[{"role": "bot", "content": "x"}]), "input[0].role", "got 'bot'"),
    (body(input=[{"role": "user"}]), "input[0].content", "is required on user messages"),
    (body(input=[{"role": "user", "content": 3}]), "input[0].content", "string or a list"),
    (
        body(input=[{"role": "user", "content": [{"type": "text", "text": "x"}]}]),
        "input[0].content[0].type",
        "'text' is not supported here; use input_text or input_image.",
    ),
    (
        body(input=[{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]),
        "input[0].content[0].type",
        "'input_file' is not supported here",
    ),
    (
        body(input=[{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]),
        "input[0].content[0].file_id",
        "Images by `file_id` are not supported",
    ),
    (
        body(input=[{"role": "user", "content": [{"type": "input_image", "detail": "auto"}]}]),
        "input[0].content[0].image_url",
        "is required",
    ),
    (
        body(input=[{"role": "user", "content": [{"type": "input_text", "text": 1}]}]),
        "input[0].content[0].text",
        "must be a string",
    ),
    (
        body(
            input=[
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": [{"type": "input_text", "text": "x"}]},
            ]
        ),
        "input[1].content[0].type",
        "use output_text or refusal.",
    ),
    (
        body(input=[{"role": "developer", "content": [{"type": "input_image", "image_url": "u"}]}]),
        "input[0].content[0].type",
        "use input_text.",
    ),
    (
        body(input=[{"type": "function_call", "name": "f", "arguments": "{}"}]),
        "input[0].call_id",
        "is required",
    ),
    (
        body(input=[{"type": "function_call", "call_id": "c", "arguments": "{}"}]),
        "input[0].name",
        "is required",
    ),
    (
        body(input=[{"type": "function_call", "call_id": "c", "name": "f", "arguments": 1}]),
        "input[0].arguments",
        "string of JSON",
    ),
    (
        body(input=[{"type": "function_call_output", "output": "x"}]),
        "input[0].call_id",
        "is required",
    ),
    (
        body(input=[{"type": "function_call_output", "call_id": "c"}]),
        "input[0].output",
        "the tool's result as a string",
    ),
    (
        body(input=[{"type": "function_call_output", "call_id": "c", "output": {"x": 1}}]),
        "input[0].output",
        "string or a list",
    ),
    (
        body(
            input=[
                {
                    "type": "function_call_output",
                    "call_id": "c",
                    "output": [{"type": "input_image", "image_url": "u"}],
                }
            ]
        ),
        "input[0].output[0].type",
        "use input_text.",
    ),
    (body(input=[{"type": "reasoning", "summary": "x"}]), "input[0].summary", "must be a list"),
    (
        body(input=[{"type": "reasoning", "summary": [{"type": "summary_text"}]}]),
        "input[0].summary[0].text",
        "must be a string",
    ),
    (
        body(input=[{"type": "reasoning", "summary": [], "encrypted_content": 5}]),
        "input[0].encrypted_content",
        "must be a string",
    ),
    (body(tools=[{"type": "web_search"}]), "tools[0].type", "only function tools are supported."),
    (body(tools=[{"type": "function", "function": {"name": "f"}}]), "tools[0].name", "is required"),
    (body(tools={"type": "function"}), "tools", "must be a list"),
    (
        body(tools=[{"type": "function", "name": "f", "parameters": []}]),
        "tools[0].parameters",
        "JSON object",
    ),
    (
        body(tools=[{"type": "function", "name": "f", "strict": "yes"}]),
        "tools[0].strict",
        "true or false",
    ),
    (body(tool_choice="any"), "tool_choice", "use 'auto', 'none', 'required'"),
    (body(tool_choice={"type": "function"}), "tool_choice", "is not valid"),
    (body(tool_choice={"type": "web_search_preview"}), "tool_choice", "is not valid"),
    (body(tool_choice={"type": "allowed_tools", "tools": []}), "tool_choice", "is not valid"),
    (body(text="json"), "text", "JSON object"),
    (body(text={"format": "json"}), "text.format", "JSON object"),
    (body(text={"format": {"type": "xml"}}), "text.format.type", "'json_schema'"),
    (body(text={"format": {"type": "json_schema", "schema": {}}}), "text.format.name", "required"),
    (
        body(text={"format": {"type": "json_schema", "name": "n", "strict": 1}}),
        "text.format.strict",
        "true or false",
    ),
    (body(temperature=3), "temperature", "number from 0 to 2"),
    (body(top_p="1"), "top_p", "number from 0 to 1"),
    (body(max_output_tokens=0), "max_output_tokens", "integer of at least 1"),
    (body(max_output_tokens=True), "max_output_tokens", "integer of at least 1"),
    (body(store="no"), "store", "true or false"),
    (body(stream=1), "stream", "true or false"),
    (body(oauth_only="yes"), "oauth_only", "true or false"),
    (body(parallel_tool_calls="yes"), "parallel_tool_calls", "true or false"),
    (body(user=5), "user", "must be a string"),
    (body(instructions=["x"]), "instructions", "must be a string"),
    (body(metadata=[]), "metadata", "JSON object"),
    (body(metadata={"n": 1}), "metadata.n", "must be a string"),
    (body(previous_response_id=""), "previous_response_id", "non-empty id"),
    (body(previous_response_id=1), "previous_response_id", "non-empty id"),
    (body(conversation="conv_1"), "conversation", "continue with `previous_response_id`"),
    (body(prompt={"id": "pmpt_1"}), "prompt", "Prompt templates are not supported"),
    (body(background=True), "background", "Background responses are not supported"),
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


def test_background_false_is_fine() -> None:
    assert parse_request(body(background=False)).request.messages[0].text() == "hi"


JUNK: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], [1], {}, {"type": "input_text"}]


@pytest.mark.parametrize("name", names(FMT, "request_"))
def test_any_junk_anywhere_is_a_bad_request_or_accepted(name: str) -> None:
    """Fuzz: every field of the golden bodies replaced by every junk value."""
    golden = load(FMT, name)["body"]
    outcomes = fuzz(golden, parse_request, JUNK)
    assert outcomes["accepted"] > 0 and outcomes["rejected"] > 0


# --- items_to_messages and the next turn (pitfall 6) -------------------------------------------


def tool_reply_output() -> list[dict[str, Any]]:
    builder = ReplyBuilder()
    events: list[Event] = [
        TextDelta("Checking."),
        ToolCallStart(0, "call_9Qm", "get_weather"),
        ToolCallDelta(0, '{"city":"Oslo"}'),
        ToolCallEnd(0),
        Finish("tool_calls"),
        Usage(9, 4),
    ]
    for event in events:
        builder.add(event)
    rendered = render_response(
        builder.build(),
        response_id="resp_7",
        model="m",
        created=1,
        reasoning=[ReasoningPart("hm", "gAAAAAq")],
    )
    output: list[dict[str, Any]] = rendered["output"]
    return output


def test_a_stored_output_rebuilds_the_assistant_turn() -> None:
    assert items_to_messages(tool_reply_output()) == (
        Message(
            "assistant",
            (
                ReasoningPart("hm", signature="gAAAAAq"),
                TextPart("Checking."),
                ToolCallPart("call_9Qm", "get_weather", '{"city":"Oslo"}'),
            ),
        ),
    )


def test_items_to_messages_refuses_system_items_and_non_lists() -> None:
    with pytest.raises(BadRequest, match="send them as `instructions`"):
        items_to_messages([{"role": "system", "content": "x"}])
    with pytest.raises(BadRequest, match="must be a list"):
        items_to_messages({"role": "user"})


def test_next_turn_built_from_the_output_matches_the_call_by_call_id() -> None:  # pitfall 6
    items = [
        {"role": "user", "content": "Weather in Oslo?"},
        *tool_reply_output(),
        {"type": "function_call_output", "call_id": "call_9Qm", "output": "-3C"},
    ]
    messages = parse_request(body(input=items)).request.messages
    call = next(p for p in messages[1].parts if isinstance(p, ToolCallPart))
    result = messages[2].parts[0]
    assert isinstance(result, ToolResultPart) and result.tool_call_id == call.id == "call_9Qm"


# --- what the openai SDK sends -----------------------------------------------------------------


def capture(call: Callable[[openai.OpenAI], Any]) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(orjson.loads(request.content))
        reply = ReplyBuilder().build()
        return httpx2.Response(
            200, json=render_response(reply, response_id="resp_x", model="m", created=1)
        )

    call(sdk_client(handler))
    return sent[0]


def test_sdk_request_bodies_parse() -> None:
    sent = capture(
        lambda client: client.responses.create(
            model="face",
            instructions="Be brief.",
            input=[
                {"role": "developer", "content": "Use metric."},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "hi"},
                        {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
                    ],
                },
            ],
            tools=[
                {
                    "type": "function",
                    "name": "f",
                    "parameters": {"type": "object", "properties": {}},
                    "strict": False,
                }
            ],
            tool_choice={"type": "function", "name": "f"},
            max_output_tokens=50,
            text={"format": {"type": "json_object"}},
            metadata={"k": "v"},
            store=False,
            user="u",
        )
    )
    parsed = parse_request(sent)
    request = parsed.request
    assert request.system == ("Be brief.", "Use metric.")
    assert request.messages[0].parts == (TextPart("hi"), ImagePart("https://x/y.png", "low"))
    assert request.tool_choice == canonical({"_t": "NamedTool", "name": "f"})
    assert (request.max_tokens, request.user, request.tools[0].strict) == (50, "u", False)
    assert request.output_format is not None and request.output_format.type == "json_object"
    assert (parsed.store, parsed.metadata) == (False, {"k": "v"})


def test_sdk_next_turn_with_the_previous_output_parses() -> None:
    """SDK users send `previous.output` back as input, with their function outputs."""
    previous = openai.types.responses.Response.model_validate(
        {
            **render_response(ReplyBuilder().build(), response_id="resp_x", model="m", created=1),
            "output": tool_reply_output(),
        }
    )
    items: Any = [item.model_dump(exclude_none=True) for item in previous.output]
    items.append({"type": "function_call_output", "call_id": "call_9Qm", "output": "-3C"})
    sent = capture(lambda client: client.responses.create(model="face", input=items))
    messages = parse_request(sent).request.messages
    assert [m.role for m in messages] == ["assistant", "tool"]
    assert messages[1].parts == (ToolResultPart("call_9Qm", "-3C"),)


def sdk_client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )
