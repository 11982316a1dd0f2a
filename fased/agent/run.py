"""The agent run (SPEC §4.3): the one function every entry point calls.

`run_agent` resolves everything that can fail with a client error (model, face, provider,
session) before a byte is sent, and returns an `AgentRun` whose `events()` calls the upstream
and yields canonical events: MessageStart, content, Finish (or StreamError), then exactly one
Usage carrying the cost. Usage is recorded exactly once, also when the client goes away.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace

import structlog

from fased.accounts.principal import Principal
from fased.agent.context import build_context
from fased.agent.resolve import Resolver
from fased.agent.sessions import SessionKey, merge_history, session_key, window
from fased.canonical import (
    ChatRequest,
    Event,
    InboundFormat,
    Message,
    ReplyBuilder,
    StreamError,
    Usage,
)
from fased.deps import Deps
from fased.errors import FasedError
from fased.faces.face import Face
from fased.providers.base import Provider
from fased.providers.catalog import CatalogEntry
from fased.providers.tokens import estimate_message_tokens, estimate_tokens
from fased.store.usage import UsageRecord, UsageStatus

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class AgentRequest:
    chat: ChatRequest
    principal: Principal
    endpoint: InboundFormat
    request_id: str
    agent_header: str | None = None
    session_header: str | None = None


@dataclass(slots=True)
class AgentRun:
    """A resolved run, ready to call its upstream."""

    deps: Deps
    request: AgentRequest
    face: Face | None
    entry: CatalogEntry
    provider: Provider
    session: SessionKey
    upstream: ChatRequest
    new_turns: tuple[Message, ...]
    _recorded: bool = field(default=False)

    @property
    def provider_name(self) -> str:
        return self.provider.name

    @property
    def agent_id(self) -> str | None:
        return self.face.alias if self.face else None

    async def events(self) -> AsyncGenerator[Event, None]:
        builder = ReplyBuilder()
        usage: Usage | None = None
        status: UsageStatus = "cancelled"
        try:
            upstream = self.provider.stream(self.upstream, self.entry)
            async with contextlib.aclosing(upstream):
                async for event in upstream:
                    if isinstance(event, Usage):
                        usage = event
                        continue
                    builder.add(event)
                    yield event
                    if isinstance(event, StreamError):
                        status = "error"
            if status != "error":
                status = "ok"
        except FasedError as exc:
            status = "error"
            if not builder.started:
                raise
            yield StreamError(exc.status, exc.code, exc.message)
        finally:
            final = self._record(usage, builder, status)
        if status == "ok" and self.session.keyed:
            await self._remember(builder)
        yield final

    def _record(self, usage: Usage | None, builder: ReplyBuilder, status: UsageStatus) -> Usage:
        """Record usage once: the upstream's numbers, else an estimate of what was generated."""
        if usage is None:
            reply = builder.snapshot()
            usage = Usage(
                input_tokens=sum(estimate_message_tokens(m) for m in self.upstream.messages)
                + sum(estimate_tokens(s) for s in self.upstream.system),
                output_tokens=estimate_tokens(reply.text)
                + sum(estimate_tokens(c.arguments) for c in reply.tool_calls),
            )
        final = replace(usage, cost_usd=self.entry.cost(usage))
        if not self._recorded:
            self._recorded = True
            self.deps.usage.record(self._usage_record(final, status))
        return final

    def _usage_record(self, usage: Usage, status: UsageStatus) -> UsageRecord:
        request = self.request
        return UsageRecord(
            request_id=request.request_id,
            owner_id=request.principal.id,
            key_id=request.principal.key_id,
            agent_id=self.agent_id,
            session_key=self.session.key if self.session.keyed else None,
            endpoint=request.endpoint,
            provider=self.provider.name,
            model=self.entry.id,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=usage.cost_usd or 0.0,
            status=status,
            created_at=time.time(),
        )

    async def _remember(self, builder: ReplyBuilder) -> None:
        turns = (*self.new_turns, builder.snapshot().message())
        await self.deps.sessions.append(
            self.request.principal.id,
            self.session.key,
            self.agent_id or "",
            turns,
            [estimate_message_tokens(m) for m in turns],
        )


async def run_agent(deps: Deps, request: AgentRequest) -> AgentRun:
    """Resolve a request into a run; raises `FasedError` for anything the client must fix."""
    chat = request.chat
    owner = request.principal.id
    resolver = Resolver(deps.faces, deps.catalog, deps.default_model)
    resolution = await resolver.resolve(owner, chat.model, request.agent_header)
    face, entry = resolution.face, resolution.entry
    provider = deps.providers.for_entry(entry)
    agent_id = face.alias if face else deps.faces.default_id
    key = session_key(
        agent_id, request.endpoint, request.session_header, chat.user, request.request_id
    )
    new = chat.messages
    if key.keyed:
        settings = deps.settings.session
        idle = settings.idle_minutes * 60 if settings.idle_minutes else None
        stored = await deps.sessions.load(owner, key.key, idle_after=idle)
        merged = merge_history(stored, chat.messages)
        messages = window(merged.messages, settings.history_tokens, estimate_message_tokens)
        chat = replace(chat, messages=messages)
        new = merged.new
    budget = deps.settings.compile.profile_tokens
    context = await build_context(deps.faces, owner, face, chat, budget)
    upstream = replace(
        chat,
        model=entry.id,
        messages=context.messages,
        system=context.system,
        system_cache=context.system_cache,
    )
    log.debug("agent_run_resolved", agent=agent_id, model=entry.id, provider=provider.name)
    return AgentRun(deps, request, face, entry, provider, key, upstream, new)
