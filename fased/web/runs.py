"""What every chat endpoint does around its translator: read the body, start the agent run,
deliver it as one JSON reply or as SSE (SPEC §4.3, §5). The endpoints differ only in format."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson
from aiohttp import web

from fased.agent.run import AgentRequest, AgentRun, run_agent
from fased.canonical import ChatRequest, Event, InboundFormat, Reply
from fased.keys import DEPS, PRINCIPAL, REQUEST_ID
from fased.web.bodies import read_json
from fased.web.streaming import StreamEncoder, collect, format_cost, stream_sse


async def read_body(request: web.Request) -> Any:
    return await read_json(request, request.app[DEPS].settings.gateway.http.max_body_bytes)


def agent_header(request: web.Request) -> str | None:
    return request.headers.get("x-fased-agent-id") or request.headers.get("x-fased-agent")


def response_id(request: web.Request, prefix: str) -> str:
    """`chatcmpl-…`, `msg_…`, `resp_…`: the request id under the format's own prefix."""
    return prefix + request[REQUEST_ID].removeprefix("req_")


async def start_run(request: web.Request, chat: ChatRequest, endpoint: InboundFormat) -> AgentRun:
    return await run_agent(
        request.app[DEPS],
        AgentRequest(
            chat=chat,
            principal=request[PRINCIPAL],
            endpoint=endpoint,
            request_id=request[REQUEST_ID],
            agent_header=agent_header(request),
            session_header=request.headers.get("x-fased-session-key"),
        ),
    )


async def reply_of(run: AgentRun) -> Reply:
    return await collect(run.events())


def json_reply(run: AgentRun, reply: Reply, body: dict[str, Any]) -> web.Response:
    headers = {
        "X-Faces-Provider": run.provider_name,
        "X-Faces-Cost-USD": format_cost(reply.usage.cost_usd),
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=headers)


async def stream_reply(
    request: web.Request,
    run: AgentRun,
    encoder: StreamEncoder,
    ping: bytes,
    events: AsyncGenerator[Event, None] | None = None,
) -> web.StreamResponse:
    """Stream the run (or `events`, a tap on it) as SSE with the provider header."""
    return await stream_sse(
        request,
        events or run.events(),
        encoder,
        headers={"X-Faces-Provider": run.provider_name},
        ping=ping,
        keep_alive=request.app[DEPS].settings.gateway.http.stream_keep_alive_seconds,
    )
