"""`POST /v1/chat/completions` (SPEC §5.1): parse, run the agent, render. Nothing else."""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from fased.agent.run import AgentRequest, run_agent
from fased.keys import DEPS, PRINCIPAL, REQUEST_ID
from fased.web.bodies import read_json
from fased.web.streaming import collect, format_cost, stream_sse
from fased.wire import openai_chat, sse


def agent_header(request: web.Request) -> str | None:
    return request.headers.get("x-fased-agent-id") or request.headers.get("x-fased-agent")


async def chat_completions(request: web.Request) -> web.StreamResponse:
    deps = request.app[DEPS]
    http = deps.settings.gateway.http
    inbound = openai_chat.parse_request(await read_json(request, http.max_body_bytes))
    chat = inbound.request
    run = await run_agent(
        deps,
        AgentRequest(
            chat=chat,
            principal=request[PRINCIPAL],
            endpoint="chat",
            request_id=request[REQUEST_ID],
            agent_header=agent_header(request),
            session_header=request.headers.get("x-fased-session-key"),
        ),
    )
    response_id = f"chatcmpl-{request[REQUEST_ID].removeprefix('req_')}"
    created = int(time.time())
    headers = {"X-Faces-Provider": run.provider_name}
    if chat.stream:
        encoder = openai_chat.StreamEncoder(response_id, chat.model, created, inbound.include_usage)
        return await stream_sse(
            request,
            run.events(),
            encoder,
            headers=headers,
            ping=sse.PING,
            keep_alive=http.stream_keep_alive_seconds,
        )
    reply = await collect(run.events())
    headers["X-Faces-Cost-USD"] = format_cost(reply.usage.cost_usd)
    body = openai_chat.render_response(
        reply, response_id=response_id, model=chat.model, created=created
    )
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=headers)
