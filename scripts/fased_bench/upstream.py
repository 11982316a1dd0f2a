"""A fake upstream that answers at once, for the benchmark: one fixed completion and one fixed
20-chunk stream for each upstream API (Chat Completions, Responses, Messages).

Standalone on purpose (no import of `fased` or `tests`): the harness must measure the gateway,
not share code with it. Built on aiohttp's low-level server (no router, no middleware) with
every reply rendered once at start, so that it costs the targets as little as possible.

    python -m fased_bench.upstream --port 0      # prints `listening <port>` when ready
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fased_bench.loops import install_fast_loop

TEXT_WORDS = ("Hello", " there", ",", " this", " is", " the", " fixed", " bench", " reply", ".")
TEXT = "".join(TEXT_WORDS)
CREATED = 1_700_000_000
USAGE = {"input": 24, "output": 12}
STREAM_FLAGS = (b'"stream":true', b'"stream": true')
JSON_HEADERS = {"Content-Type": "application/json"}
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _data(value: Any) -> bytes:
    return b"data: " + _dumps(value) + b"\n\n"


def _typed(value: dict[str, Any]) -> bytes:
    return f"event: {value['type']}\n".encode() + _data(value)


def _deltas(count: int) -> list[str]:
    """`count` text pieces that join to TEXT (words, then empty-free padding splits)."""
    pieces = list(TEXT_WORDS)
    while len(pieces) < count:
        longest = max(range(len(pieces)), key=lambda i: len(pieces[i]))
        word = pieces[longest]
        pieces[longest : longest + 1] = [word[: len(word) // 2], word[len(word) // 2 :]]
    return pieces


# --- Chat Completions ----------------------------------------------------------------------


def chat_whole() -> bytes:
    return _dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": TEXT},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": USAGE["input"],
                "completion_tokens": USAGE["output"],
                "total_tokens": USAGE["input"] + USAGE["output"],
            },
        }
    )


def chat_stream() -> list[bytes]:
    """20 chunks: role, 17 deltas, finish, usage; then `[DONE]`."""
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED}
    base["model"] = "bench"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _data({**base, "choices": [choice]})

    frames = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"content": piece}) for piece in _deltas(17)]
    frames.append(chunk({}, "stop"))
    usage = {
        "prompt_tokens": USAGE["input"],
        "completion_tokens": USAGE["output"],
        "total_tokens": USAGE["input"] + USAGE["output"],
    }
    frames.append(_data({**base, "choices": [], "usage": usage}))
    return [*frames, b"data: [DONE]\n\n"]


# --- Responses -----------------------------------------------------------------------------


def _response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_bench",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "model": "bench",
        "output": output,
        "usage": {
            "input_tokens": USAGE["input"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": USAGE["output"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": USAGE["input"] + USAGE["output"],
        },
    }


def _message_item(status: str, text: str | None) -> dict[str, Any]:
    content = [] if text is None else [{"type": "output_text", "text": text, "annotations": []}]
    item = {"type": "message", "id": "msg_bench", "status": status, "role": "assistant"}
    return {**item, "content": content}


def responses_whole() -> bytes:
    return _dumps(_response("completed", [_message_item("completed", TEXT)]))


def responses_stream() -> list[bytes]:
    """20 typed events: created, in_progress, item/part added, 12 deltas, done…, completed."""
    at = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": TEXT, "annotations": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _response("in_progress", [])},
        {"type": "response.in_progress", "response": _response("in_progress", [])},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": _message_item("in_progress", None),
        },
        {"type": "response.content_part.added", **at, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **at, "delta": d} for d in _deltas(12)),
        {"type": "response.output_text.done", **at, "text": TEXT},
        {"type": "response.content_part.done", **at, "part": part},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": _message_item("completed", TEXT),
        },
        {
            "type": "response.completed",
            "response": _response("completed", [_message_item("completed", TEXT)]),
        },
    ]
    return [_typed({**event, "sequence_number": n}) for n, event in enumerate(events)]


# --- Messages ------------------------------------------------------------------------------


def _message(content: list[dict[str, Any]], stop: str | None, output: int) -> dict[str, Any]:
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "bench",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": USAGE["input"], "output_tokens": output},
    }


def messages_whole() -> bytes:
    return _dumps(_message([{"type": "text", "text": TEXT}], "end_turn", USAGE["output"]))


def messages_stream() -> list[bytes]:
    """20 typed events: message_start, block start, 15 deltas, block stop, delta, stop."""
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": _message([], None, 1)},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}
            for d in _deltas(15)
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": USAGE["output"]},
        },
        {"type": "message_stop"},
    ]
    return [_typed(event) for event in events]


# --- serving -------------------------------------------------------------------------------

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def api(whole: bytes, frames: list[bytes]) -> Handler:
    async def answer(request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        if not any(flag in body for flag in STREAM_FLAGS):
            return web.Response(body=whole, headers=JSON_HEADERS)
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        for frame in frames:
            await response.write(frame)
        await response.write_eof()
        return response

    return answer


ROUTES: dict[str, Handler] = {
    "/v1/chat/completions": api(chat_whole(), chat_stream()),
    "/v1/responses": api(responses_whole(), responses_stream()),
    "/v1/messages": api(messages_whole(), messages_stream()),
}


async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
    handler = ROUTES.get(request.path)
    if handler is None or request.method != "POST":
        return web.Response(status=404, text="no such route in the bench upstream")
    return await handler(request)


async def serve(port: int) -> None:
    runner = web.ServerRunner(web.Server(dispatch), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"listening {bound}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    install_fast_loop()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
