"""The conversion matrix rig: three fake upstreams (Chat Completions, Responses, Messages) behind
one gateway, and one client per inbound API, each the official SDK of that API.

Each client speaks its own format and reduces what its SDK parsed to one `Outcome`, so a test
can compare every pair the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from anthropic import AsyncAnthropic
from openai import AsyncOpenAI

from tests.conftest import TOKEN

WEATHER = "get_weather"
ARGS = {"city": "Paris", "unit": "celsius"}
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city"],
}
QUESTION = "What is the weather in Paris?"
ANSWER = "It is sunny in Paris today."
TOOL_RESULT = "22C and sunny"


@dataclass
class Outcome:
    text: str = ""
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # id, name, args
    finish: str = ""  # "stop" or "tool_calls", normalised
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None


class Client(Protocol):
    async def ask(self, model: str, *, stream: bool, tools: bool) -> Outcome: ...

    async def follow_up(self, model: str, call_id: str, *, stream: bool) -> Outcome: ...

    async def close(self) -> None: ...


class ChatClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = AsyncOpenAI(api_key=TOKEN, base_url=f"{base_url}/v1", max_retries=0)

    def _tools(self) -> list[Any]:
        function = {"name": WEATHER, "description": "Weather", "parameters": SCHEMA}
        return [{"type": "function", "function": function}]

    async def _run(self, model: str, messages: list[Any], *, stream: bool, tools: bool) -> Outcome:
        extra: dict[str, Any] = {"tools": self._tools()} if tools else {}
        if stream:
            async with self.sdk.chat.completions.stream(
                model=model, messages=messages, stream_options={"include_usage": True}, **extra
            ) as events:
                completion = await events.get_final_completion()
        else:
            raw = await self.sdk.chat.completions.with_raw_response.create(
                model=model, messages=messages, **extra
            )
            completion = raw.parse()
        choice = completion.choices[0]
        calls = [
            (c.id, c.function.name, json.loads(c.function.arguments))
            for c in choice.message.tool_calls or []
        ]
        usage = completion.usage
        assert usage is not None
        cost = (
            (usage.model_extra or {}).get("cost_usd")
            if stream
            else float(raw.headers["X-Faces-Cost-USD"])
        )
        finish = "tool_calls" if choice.finish_reason == "tool_calls" else choice.finish_reason
        return Outcome(
            choice.message.content or "",
            calls,
            finish,
            usage.prompt_tokens,
            usage.completion_tokens,
            cost,
        )

    async def ask(self, model: str, *, stream: bool, tools: bool) -> Outcome:
        return await self._run(
            model, [{"role": "user", "content": QUESTION}], stream=stream, tools=tools
        )

    async def follow_up(self, model: str, call_id: str, *, stream: bool) -> Outcome:
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": WEATHER, "arguments": json.dumps(ARGS)},
        }
        messages = [
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call_id, "content": TOOL_RESULT},
        ]
        return await self._run(model, messages, stream=stream, tools=True)

    async def close(self) -> None:
        await self.sdk.close()


class ResponsesClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = AsyncOpenAI(api_key=TOKEN, base_url=f"{base_url}/v1", max_retries=0)

    async def _run(self, model: str, items: list[Any], *, stream: bool, tools: bool) -> Outcome:
        extra: dict[str, Any] = {}
        if tools:
            extra["tools"] = [
                {"type": "function", "name": WEATHER, "parameters": SCHEMA, "strict": False}
            ]
        if stream:
            async with self.sdk.responses.stream(model=model, input=items, **extra) as events:
                response = await events.get_final_response()
            cost = (response.usage.model_extra or {}).get("cost_usd") if response.usage else None
        else:
            raw = await self.sdk.responses.with_raw_response.create(
                model=model, input=items, **extra
            )
            response = raw.parse()
            cost = float(raw.headers["X-Faces-Cost-USD"])
        calls = [
            (item.call_id, item.name, json.loads(item.arguments))
            for item in response.output
            if item.type == "function_call"
        ]
        usage = response.usage
        assert usage is not None and response.status == "completed"
        return Outcome(
            response.output_text,
            calls,
            "tool_calls" if calls else "stop",
            usage.input_tokens,
            usage.output_tokens,
            cost,
        )

    async def ask(self, model: str, *, stream: bool, tools: bool) -> Outcome:
        return await self._run(
            model, [{"role": "user", "content": QUESTION}], stream=stream, tools=tools
        )

    async def follow_up(self, model: str, call_id: str, *, stream: bool) -> Outcome:
        items = [
            {"role": "user", "content": QUESTION},
            {
                "type": "function_call",
                "call_id": call_id,
                "name": WEATHER,
                "arguments": json.dumps(ARGS),
            },
            {"type": "function_call_output", "call_id": call_id, "output": TOOL_RESULT},
        ]
        return await self._run(model, items, stream=stream, tools=True)

    async def close(self) -> None:
        await self.sdk.close()


class MessagesClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = AsyncAnthropic(api_key=TOKEN, base_url=base_url, max_retries=0)

    async def _run(self, model: str, messages: list[Any], *, stream: bool, tools: bool) -> Outcome:
        extra: dict[str, Any] = {}
        if tools:
            extra["tools"] = [{"name": WEATHER, "description": "Weather", "input_schema": SCHEMA}]
        if stream:
            async with self.sdk.messages.stream(
                model=model, max_tokens=512, messages=messages, **extra
            ) as events:
                cost = None
                async for event in events:  # the accumulated message keeps only known fields
                    if event.type == "message_delta":
                        cost = (event.usage.model_extra or {}).get("cost_usd")
                message = await events.get_final_message()
        else:
            raw = await self.sdk.messages.with_raw_response.create(
                model=model, max_tokens=512, messages=messages, **extra
            )
            message = await raw.parse()
            cost = float(raw.headers["X-Faces-Cost-USD"])
        text = "".join(block.text for block in message.content if block.type == "text")
        calls = [
            (block.id, block.name, dict(block.input))  # type: ignore[call-overload]
            for block in message.content
            if block.type == "tool_use"
        ]
        usage = message.usage
        read = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
        finish = "tool_calls" if message.stop_reason == "tool_use" else "stop"
        assert message.stop_reason in ("tool_use", "end_turn")
        return Outcome(text, calls, finish, usage.input_tokens + read, usage.output_tokens, cost)

    async def ask(self, model: str, *, stream: bool, tools: bool) -> Outcome:
        messages = [{"role": "user", "content": QUESTION}]
        return await self._run(model, messages, stream=stream, tools=tools)

    async def follow_up(self, model: str, call_id: str, *, stream: bool) -> Outcome:
        messages = [
            {"role": "user", "content": QUESTION},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call_id, "name": WEATHER, "input": ARGS}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": call_id, "content": TOOL_RESULT}
                ],
            },
        ]
        return await self._run(model, messages, stream=stream, tools=True)

    async def close(self) -> None:
        await self.sdk.close()


def tool_result_sent(api: str, body: dict[str, Any]) -> tuple[str, str]:
    """(call id, result text) of the tool result the upstream received, in its own format."""
    if api == "chat":
        message = next(m for m in body["messages"] if m["role"] == "tool")
        return message["tool_call_id"], message["content"]
    if api == "responses":
        item = next(i for i in body["input"] if i.get("type") == "function_call_output")
        return item["call_id"], item["output"]
    blocks = [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    block = next(b for b in blocks if b["type"] == "tool_result")
    content = block["content"]
    text = content if isinstance(content, str) else "".join(p["text"] for p in content)
    return block["tool_use_id"], text
