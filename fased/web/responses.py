"""`POST /v1/responses` (SPEC §5.3): OpenAI's Responses API, any model behind it, with
`store` and `previous_response_id` kept per owner."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator
from dataclasses import replace

import structlog
from aiohttp import web

from fased.agent.run import AgentRun
from fased.canonical import ChatRequest, Event, Reply, ReplyBuilder
from fased.deps import Deps
from fased.errors import NotFound
from fased.keys import DEPS, PRINCIPAL
from fased.web.runs import json_reply, read_body, reply_of, response_id, start_run, stream_reply
from fased.wire import openai_responses, sse
from fased.wire.openai_responses import InboundResponses

log = structlog.get_logger()


async def _continued(deps: Deps, owner_id: str, inbound: InboundResponses) -> ChatRequest:
    """The request with the stored conversation of `previous_response_id` put first."""
    chat = inbound.request
    previous = inbound.previous_response_id
    if previous is None:
        return chat
    history = await deps.responses.conversation(owner_id, previous)
    if history is None:
        raise NotFound(
            f"Response {previous!r} not found; previous_response_id must name a stored "
            "response of yours (sent with store: true).",
            code="response_not_found",
            param="previous_response_id",
        )
    return replace(chat, messages=(*history, *chat.messages))


async def _save(
    request: web.Request,
    run: AgentRun,
    inbound: InboundResponses,
    body: dict[str, object],
    reply: Reply,
) -> None:
    if not inbound.store or reply.finish == "error":
        return
    await request.app[DEPS].responses.save(
        request[PRINCIPAL].id,
        str(body["id"]),
        model=inbound.request.model,
        previous_response_id=inbound.previous_response_id,
        messages=(*run.upstream.messages, reply.message()),
        body=body,
    )


async def _tapped(
    events: AsyncGenerator[Event, None], builder: ReplyBuilder
) -> AsyncGenerator[Event, None]:
    async with contextlib.aclosing(events):
        async for event in events:
            builder.add(event)
            yield event


async def responses(request: web.Request) -> web.StreamResponse:
    inbound = openai_responses.parse_request(await read_body(request))
    if inbound.dropped:
        log.info("request_fields_ignored", endpoint="responses", fields=list(inbound.dropped))
    deps = request.app[DEPS]
    chat = await _continued(deps, request[PRINCIPAL].id, inbound)
    run = await start_run(request, chat, "responses")
    rid, created, model = response_id(request, "resp_"), int(time.time()), chat.model

    def render(reply: Reply) -> dict[str, object]:
        return openai_responses.render_response(
            reply, response_id=rid, model=model, created=created, request=inbound
        )

    if chat.stream:
        builder = ReplyBuilder()
        encoder = openai_responses.StreamEncoder(rid, model, created, inbound)
        events = _tapped(run.events(), builder)
        response = await stream_reply(request, run, encoder, sse.PING, events)
        if encoder.final_response is not None:  # exactly what the client saw
            await _save(request, run, inbound, encoder.final_response, builder.snapshot())
        return response
    reply = await reply_of(run)
    body = render(reply)
    await _save(request, run, inbound, body, reply)
    return json_reply(run, reply, body)
