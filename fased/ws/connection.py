"""One control-channel connection (SPEC §11).

On open: a `connect.challenge` event. The first frame must be the `connect` request, within the
handshake timeout; its params are validated, the protocol version negotiated (close 1002 on a
mismatch) and the credential checked through the same limiter as HTTP (close 1008 on any
failure, after an error response). Then every request frame is checked (unique id, known
method, scope, params validated by the method's model) before its handler runs in its own
task; errors become error responses here and nowhere else, and the socket stays open. Output
goes through the bounded `Outbox`; a client that falls too far behind is closed 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import replace

import structlog
from aiohttp import WSMsgType, web

import fased
from fased.accounts import access
from fased.accounts.principal import Principal
from fased.deps import Deps
from fased.errors import FasedError, Forbidden, InternalError, RateLimited, ServiceUnavailable
from fased.ws.hub import now_ms
from fased.ws.methods.registry import Call, Method, MethodRegistry, Services
from fased.ws.outbox import Outbox
from fased.ws.protocol import (
    ClientInfo,
    Close,
    ConnectParams,
    Model,
    Payload,
    ProtocolViolation,
    RequestFrame,
    Scope,
    encode_error,
    encode_event,
    encode_result,
    error_shape,
    frame_id,
    hello_ok,
    parse_json,
    parse_request,
    validate,
)

log = structlog.get_logger()

MISSING = (
    "Missing credentials: send params.auth.token (or password) in the connect request "
    "(`fased token` prints the token)."
)
INVALID = "Invalid credentials: the token or password in params.auth was not accepted."


def scoped(principal: Principal, requested: tuple[Scope, ...] | None) -> Principal:
    """The scopes a connection gets: those it asked for that its credential allows."""
    if requested is None:
        return principal
    return replace(principal, scopes=frozenset(s for s in requested if principal.allows(s)))


def close_for(exc: FasedError) -> tuple[int, str]:
    """The close code and reason after a failed handshake."""
    code = Close.PROTOCOL_ERROR if exc.code == "protocol_mismatch" else Close.POLICY_VIOLATION
    return code, exc.code.replace("_", " ")


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        deps: Deps,
        services: Services,
        registry: MethodRegistry,
    ) -> None:
        self.conn_id = f"conn_{uuid.uuid4().hex[:16]}"
        self.principal: Principal | None = None
        self.client: ClientInfo | None = None
        self._ws, self._request, self._deps = ws, request, deps
        self._services, self._registry = services, registry
        self._policy = services.policy
        self._seq = 0
        self._opened_ms = now_ms()
        self._outbox = Outbox(ws, self._policy.max_buffered_bytes, self._overflowed)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._closing: asyncio.Task[None] | None = None

    # --- output ----------------------------------------------------------------------------

    def event(self, name: str, payload: Payload) -> None:
        self._seq += 1
        self._outbox.put(encode_event(name, payload, self._seq))

    def respond(self, request_id: str, payload: Payload) -> None:
        self._outbox.put(encode_result(request_id, payload))

    def _fail(self, request_id: str | None, exc: FasedError) -> None:
        self._outbox.put(encode_error(request_id, error_shape(exc)))

    def presence(self) -> Payload:
        client = self.client.model_dump(by_alias=True) if self.client else None
        return {"connId": self.conn_id, "client": client, "connectedAt": self._opened_ms}

    # --- lifetime --------------------------------------------------------------------------

    async def serve(self) -> None:
        hub = self._services.hub
        hub.open(self)
        try:
            if hub.closing:
                await self.close(Close.SERVICE_RESTART, "gateway stopping")
                return
            self.event("connect.challenge", {"nonce": secrets.token_urlsafe(16), "ts": now_ms()})
            if await self._handshake():
                hub.join(self)
                await self._receive()
        finally:
            hub.leave(self)
            self._services.runs.forget(self)
            for task in list(self._tasks.values()):
                task.cancel()
            try:  # aiohttp may cancel this handler once the peer's socket is gone
                await self.close(Close.NORMAL, "")
            finally:
                log.info("channel_closed", code=self._ws.close_code)

    async def settle(self) -> None:
        """Wait for this connection's requests and runs in flight."""
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks)
        await self._services.runs.settle(self)

    async def close(self, code: int, reason: str, *, await_reply: bool = True) -> None:
        """Flush what is queued (bounded), then close; idempotent."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._shut(code, reason, await_reply))
        await asyncio.shield(self._closing)

    def _overflowed(self) -> None:
        log.warning("channel_slow_consumer", limit=self._policy.max_buffered_bytes)
        if self._closing is None:
            self._closing = asyncio.create_task(
                self._shut(Close.POLICY_VIOLATION, "slow consumer", await_reply=True)
            )

    async def _shut(self, code: int, reason: str, await_reply: bool) -> None:
        timeout = self._policy.close_timeout
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._outbox.drain()
        self._outbox.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout * 2 if await_reply else 0.05):
                await self._ws.close(code=code, message=reason.encode(), drain=False)
        transport = self._request.transport
        if self._ws.close_code in (None, 1006) and transport and transport.get_write_buffer_size():
            transport.abort()  # the peer never read its output: don't keep its buffers

    # --- the handshake ---------------------------------------------------------------------

    async def _handshake(self) -> bool:
        try:
            async with asyncio.timeout(self._policy.handshake_timeout):
                message = await self._ws.receive()
        except TimeoutError:
            await self.close(Close.POLICY_VIOLATION, "connect timeout")
            return False
        if message.type is WSMsgType.BINARY:
            await self.close(Close.POLICY_VIOLATION, "connect expected")
        if message.type is not WSMsgType.TEXT:
            return False
        request_id: str | None = None
        try:
            data = parse_json(message.data)
            request_id = frame_id(data)
            frame = parse_request(data)
            params = self._connect_params(frame)
            principal = await self._authenticate(params)
        except FasedError as exc:
            self._fail(request_id, exc)
            await self.close(*close_for(exc))
            return False
        self._hello(frame.id, scoped(principal, params.scopes), params.client)
        return True

    def _connect_params(self, frame: RequestFrame) -> ConnectParams:
        if frame.method != "connect":
            raise ProtocolViolation(
                f"The first request must be connect, not {frame.method!r}.",
                code="connect_required",
            )
        params = validate(ConnectParams, frame.params or {}, "connect params")
        if not params.speaks_ours:
            raise ProtocolViolation(
                f"This gateway speaks protocol 1; the client speaks "
                f"{params.min_protocol}..{params.max_protocol}. Update the client.",
                code="protocol_mismatch",
                details={"minProtocol": 1, "maxProtocol": 1},
            )
        return params

    async def _authenticate(self, params: ConnectParams) -> Principal:
        gateway = self._deps.settings.gateway
        request = self._request
        forwarded = request.headers.get("X-Forwarded-For")
        address = access.client_address(request.remote or "", forwarded, gateway.trusted_proxies)
        return await access.admit(
            params.auth.credential if params.auth else None,
            address,
            credentials=self._deps.credentials,
            limiter=self._deps.limiter,
            exempt_loopback=gateway.auth.rate_limit.exempt_loopback,
            missing=MISSING,
            invalid=INVALID,
        )

    def _hello(self, request_id: str, principal: Principal, client: ClientInfo) -> None:
        self.principal, self.client = principal, client
        self._remember(request_id)
        started = self._deps.started_at
        self.respond(
            request_id,
            hello_ok(
                version=fased.__version__,
                conn_id=self.conn_id,
                methods=self._registry.method_names,
                events=self._registry.event_names,
                default_agent_id=self._deps.faces.default_id,
                uptime_ms=max(0, int((time.time() - started) * 1000)),
                policy=self._policy,
            ),
        )
        log.info(
            "channel_connected", client=client.id, mode=client.mode, scopes=len(principal.scopes)
        )

    # --- requests --------------------------------------------------------------------------

    async def _receive(self) -> None:
        while True:
            message = await self._ws.receive()
            if message.type is WSMsgType.TEXT:
                self._on_frame(message.data)
            elif message.type is WSMsgType.BINARY:
                self._fail(None, ProtocolViolation("Frames are JSON text, not binary."))
            else:  # closing, closed, or an error aiohttp already closed the socket for
                return

    def _on_frame(self, text: str) -> None:
        request_id: str | None = None
        try:
            data = parse_json(text)
            request_id = frame_id(data)
            frame = parse_request(data)
            method, params = self._admit(frame)
        except FasedError as exc:
            self._fail(request_id, exc)
            return
        task = asyncio.create_task(self._call(frame.id, method, params))
        self._tasks[frame.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(frame.id, None))

    def _admit(self, frame: RequestFrame) -> tuple[Method, Model]:
        """Every check a request passes before its handler runs."""
        if frame.id in self._tasks or frame.id in self._recent:
            raise ProtocolViolation(
                f"Request id {frame.id!r} was already used.", code="duplicate_id"
            )
        self._remember(frame.id)
        if frame.method == "connect":
            raise ProtocolViolation("Already connected.", code="already_connected")
        method = self._registry.get(frame.method)
        if self.principal is None or not self.principal.allows(method.scope):
            raise Forbidden(
                f"{method.name} needs scope {method.scope}; connect with it in params.scopes.",
                code="missing_scope",
            )
        if self._services.hub.closing:
            raise ServiceUnavailable("The gateway is stopping; reconnect when it is back.")
        if len(self._tasks) >= self._policy.max_in_flight:
            raise RateLimited(
                f"{self._policy.max_in_flight} requests are already in flight on this "
                "connection; wait for their responses.",
                code="too_many_requests",
            )
        return method, validate(method.params, frame.params or {}, f"params of {method.name}")

    def _remember(self, request_id: str) -> None:
        self._recent[request_id] = None
        if len(self._recent) > self._policy.recent_ids:
            self._recent.popitem(last=False)

    async def _call(self, request_id: str, method: Method, params: Model) -> None:
        assert self.principal is not None
        call = Call(self._deps, self.principal, self, self._services, method.name, request_id)
        try:
            payload = await method.handler(call, params)
        except FasedError as exc:
            self._fail(request_id, exc)
        except Exception:
            log.exception("channel_method_failed", method=method.name)
            message = f"Internal error; quote connection {self.conn_id} to the operator."
            self._fail(request_id, InternalError(message))
        else:
            if payload is not None:
                self.respond(request_id, payload)
