"""The method registry (STYLE rule 6): name → params model, required scope, handler.

The connection looks a method up, checks the scope, validates the params with the method's
model and only then runs the handler with a `Call`: everything a handler may use (the deps,
the caller, the channel's services) and nothing of the socket. A handler returns the payload of
its (last) response, or None when it has answered already with `Call.reply`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import Field

from fased.accounts.principal import Principal
from fased.deps import Deps
from fased.ws.dedupe import Idempotency
from fased.ws.hub import Hub
from fased.ws.protocol import ChannelPolicy, Model, Payload, ProtocolViolation, Scope
from fased.ws.runs import Runs

P = TypeVar("P", bound=Model)


class NoParams(Model):
    pass


class Idempotent(Model):
    """Params of a side-effecting method: a retry with the same key gets the same outcome."""

    idempotency_key: str | None = Field(None, min_length=1, max_length=256)


class Client(Protocol):
    """The connection, as a handler sees it."""

    @property
    def conn_id(self) -> str: ...

    def event(self, name: str, payload: Payload) -> None: ...

    def respond(self, request_id: str, payload: Payload) -> None: ...


@dataclass(frozen=True, slots=True)
class Services:
    """What the channel shares across connections (built once in `create_app`)."""

    hub: Hub
    runs: Runs
    dedupe: Idempotency
    policy: ChannelPolicy
    overrides: dict[str, Any]  # the daemon's command-line overrides, re-applied on config.patch
    config_lock: asyncio.Lock


@dataclass(frozen=True, slots=True)
class Call:
    deps: Deps
    principal: Principal
    client: Client
    services: Services
    method: str
    request_id: str

    def reply(self, payload: Payload) -> None:
        """Answer now (`agent` answers twice; `chat.send` answers before its run starts)."""
        self.client.respond(self.request_id, payload)

    async def once(
        self, idempotency_key: str | None, make: Callable[[], Awaitable[Payload]]
    ) -> Payload:
        key = (self.principal.id, self.method, idempotency_key) if idempotency_key else None
        return await self.services.dedupe.once(key, make)


Handler = Callable[[Call, Any], Awaitable[Payload | None]]


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    params: type[Model]
    scope: Scope
    handler: Handler


class MethodRegistry:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}
        self._events: list[str] = []

    def add(
        self,
        name: str,
        params: type[P],
        scope: Scope,
        handler: Callable[[Call, P], Awaitable[Payload | None]],
    ) -> None:
        if name in self._methods or name == "connect":
            raise ValueError(f"method {name} is already registered")
        self._methods[name] = Method(name, params, scope, handler)

    def events(self, *names: str) -> None:
        self._events.extend(n for n in names if n not in self._events)

    def get(self, name: str) -> Method:
        method = self._methods.get(name)
        if method is None:
            raise ProtocolViolation(
                f"Unknown method {name!r}; hello-ok's features.methods lists them.",
                code="unknown_method",
            )
        return method

    @property
    def method_names(self) -> list[str]:
        return list(self._methods)

    @property
    def event_names(self) -> list[str]:
        return list(self._events)
