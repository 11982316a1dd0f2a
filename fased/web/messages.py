"""`POST /v1/messages` (SPEC §5.2): Anthropic's Messages API, any model behind it."""

from __future__ import annotations

import structlog
from aiohttp import web

from fased.web.runs import json_reply, read_body, reply_of, response_id, start_run, stream_reply
from fased.wire import anthropic_messages
from fased.wire.anthropic_messages_render import PING

log = structlog.get_logger()


async def messages(request: web.Request) -> web.StreamResponse:
    inbound = anthropic_messages.parse_request(await read_body(request))
    chat = inbound.request
    if inbound.ignored:
        log.info("request_fields_ignored", endpoint="messages", fields=list(inbound.ignored))
    run = await start_run(request, chat, "messages")
    rid = response_id(request, "msg_")
    if chat.stream:
        encoder = anthropic_messages.StreamEncoder(rid, chat.model)
        return await stream_reply(request, run, encoder, PING)
    reply = await reply_of(run)
    body = anthropic_messages.render_response(reply, response_id=rid, model=chat.model)
    return json_reply(run, reply, body)
