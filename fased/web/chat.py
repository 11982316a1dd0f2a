"""`POST /v1/chat/completions` (SPEC §5.1): parse, run the agent, render. Nothing else."""

from __future__ import annotations

import time

from aiohttp import web

from fased.web.runs import json_reply, read_body, reply_of, response_id, start_run, stream_reply
from fased.wire import openai_chat, sse


async def chat_completions(request: web.Request) -> web.StreamResponse:
    inbound = openai_chat.parse_request(await read_body(request))
    chat = inbound.request
    run = await start_run(request, chat, "chat")
    rid, created = response_id(request, "chatcmpl-"), int(time.time())
    if chat.stream:
        encoder = openai_chat.StreamEncoder(rid, chat.model, created, inbound.include_usage)
        return await stream_reply(request, run, encoder, sse.PING)
    reply = await reply_of(run)
    body = openai_chat.render_response(reply, response_id=rid, model=chat.model, created=created)
    return json_reply(run, reply, body)
