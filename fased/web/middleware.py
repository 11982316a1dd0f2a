"""The middleware chain. `middlewares()` lists it in order (outermost first); see its comments
for why each sits where it does."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import MatchInfoError

from fased.config import Settings
from fased.errors import FasedError, InternalError, MethodNotAllowed, NotFound
from fased.keys import DEPS, PRINCIPAL, REQUEST_ID
from fased.web.error_shapes import error_response
from fased.web.guards import authenticate, check_host, check_origin

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger()

CLIENT_CLOSED = 499  # nginx's status for a request whose client went away before the answer
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PUBLIC_PATHS = frozenset({"/health", "/ready", "/ws", "/"})  # channel: auth in `connect`
ENDPOINTS: dict[str, Callable[[Settings], bool]] = {
    "/v1/chat/completions": lambda s: s.gateway.http.endpoints.chat_completions.enabled,
    "/v1/messages": lambda s: s.gateway.http.endpoints.messages.enabled,
    "/v1/responses": lambda s: s.gateway.http.endpoints.responses.enabled,
}


def _any_chat_enabled(settings: Settings) -> bool:
    return any(enabled(settings) for enabled in ENDPOINTS.values())


def endpoint_enabled(path: str, settings: Settings) -> bool:
    if path in ENDPOINTS:
        return ENDPOINTS[path](settings)
    if path == "/v1/models" or path.startswith("/v1/models/"):
        return _any_chat_enabled(settings)
    return True


def new_request_id() -> str:
    """`req_` and 32 hex digits: the time in milliseconds (12), then 80 random bits (20), as in
    UUIDv7. Time-ordered ids keep the usage table's primary-key index appending at its end:
    random ones scatter every batch over the whole index, ~4x the insert cost at 10^5 rows
    (docs/performance.md)."""
    return f"req_{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request id is always the gateway's own: it keys the usage record and the response
    ids, so a client must not choose it (a repeated id would skip its usage row). A client's
    `X-Request-Id` (or `X-Client-Request-Id`), when well-formed, is logged beside it as
    `client_request_id` so a proxy's id still threads through the logs. It also measures the
    request (`fased_http_requests_total`, `fased_http_request_duration_seconds`)."""
    started = time.perf_counter()
    request_id = new_request_id()
    request[REQUEST_ID] = request_id
    incoming = request.headers.get("X-Request-Id") or request.headers.get("X-Client-Request-Id")
    if incoming and _SAFE_ID.match(incoming):
        tokens = structlog.contextvars.bind_contextvars(
            request_id=request_id, client_request_id=incoming
        )
    else:
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:  # bind/reset directly: the `bound_contextvars` context manager costs 3x more
        response = await handler(request)
    except asyncio.CancelledError:  # aiohttp cancels the handler of a client that went away
        _measure(request, _cancelled_status(request), started)
        raise
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    _measure(request, response.status, started)
    return response


def _cancelled_status(request: web.Request) -> int:
    """499; but a WebSocket was answered 101 (aiohttp cancels its handler when its client
    closes, so this is how most connections end)."""
    upgrade = request.headers.get("Upgrade", "")
    return 101 if upgrade.lower() == "websocket" else CLIENT_CLOSED


def _measure(request: web.Request, status: int, started: float) -> None:
    """Count the request under its route's canonical path (`/v1/faces/{id}`): never the raw
    path, whose ids would make a series per request. (An app without deps measures nothing.)"""
    deps = request.app.get(DEPS)
    if deps is None:
        return
    resource = request.match_info.route.resource
    route = None if resource is None else resource.canonical
    deps.metrics.request(request.method, route, status, time.perf_counter() - started)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except FasedError as exc:
        return error_response(request.path, exc)
    except web.HTTPException as exc:
        return error_response(request.path, _from_http(exc))
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return error_response(
            request.path,
            InternalError(
                f"Internal error; quote request id {request[REQUEST_ID]} to the operator."
            ),
        )


def _from_http(exc: web.HTTPException) -> FasedError:
    if exc.status == 405:
        allow = exc.headers.get("Allow", "")
        return MethodNotAllowed(f"Method not allowed; use {allow}.", headers={"Allow": allow})
    if exc.status == 404:
        return NotFound("No such route; see the README for the served APIs.")
    error = FasedError(exc.reason or "Error", code=f"http_{exc.status}")
    error.status = exc.status
    return error


@web.middleware
async def browser_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    gateway = request.app[DEPS].settings.gateway
    check_origin(request, gateway)
    check_host(request, gateway)
    return await handler(request)


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    deps = request.app[DEPS]
    if not endpoint_enabled(request.path, deps.settings):
        raise NotFound(
            f"{request.path} is disabled; enable it under gateway.http.endpoints.",
            code="endpoint_disabled",
        )
    match = request.match_info
    if isinstance(match, MatchInfoError):
        raise match.http_exception
    if request.path not in PUBLIC_PATHS:
        request[PRINCIPAL] = await authenticate(request, deps)
    return await handler(request)


def middlewares() -> list[Middleware]:
    return [
        # Outermost: every response, errors included, carries the request id and its logs,
        # and is counted in the metrics.
        request_context,
        # Renders every FasedError in the API family's shape; nothing escapes as a traceback.
        errors,
        # Browser protections run before any other work (SPEC §3): 403 Origin, 421 Host.
        browser_guard,
        # SPEC §5 order: disabled endpoint 404, wrong method 405, then auth 401/429.
        gate,
    ]
