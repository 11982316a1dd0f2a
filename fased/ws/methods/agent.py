"""`agent` and `agent.wait` (SPEC §11), on `run_agent` like every other entry point (§4.3).

`agent` answers twice: `{runId, status:"accepted"}` once the run is resolved (a request the
client must fix is answered with that error instead), then `{runId, status, result}` when it
ends; meanwhile `agent` events stream `lifecycle`, `assistant`, `tool` and `error`.
"""

from __future__ import annotations

import asyncio
import uuid

from pydantic import Field

from fased.accounts.principal import Principal
from fased.agent.run import AgentRequest, run_agent
from fased.canonical import (
    ChatRequest,
    Event,
    InboundFormat,
    Message,
    ReasoningDelta,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
)
from fased.ws.methods.registry import Call, Idempotent, MethodRegistry
from fased.ws.protocol import Model, Payload, error_shape
from fased.ws.runs import Outcome, Run, RunStream

AGENT_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class TurnParams(Idempotent):
    """One user turn for an agent (shared by `agent`, `chat.send` and `fased agent --local`)."""

    message: str = Field(min_length=1)
    agent_id: str | None = Field(None, pattern=AGENT_ID)
    model: str | None = Field(None, min_length=1, max_length=256)
    session_key: str | None = Field(None, min_length=1, max_length=512)
    extra_system_prompt: str | None = None

    def agent_request(
        self, principal: Principal, endpoint: InboundFormat, request_id: str, default_agent: str
    ) -> AgentRequest:
        """The parsed request for `run_agent`: the agent as `fased:<id>`, a model override as
        `<agent>@<model>` (SPEC §4.1)."""
        target = f"fased:{self.agent_id}" if self.agent_id else "fased"
        if self.model:
            target = f"{self.agent_id or default_agent}@{self.model}"
        system = (self.extra_system_prompt,) if self.extra_system_prompt else ()
        chat = ChatRequest(
            model=target,
            messages=(Message("user", (TextPart(self.message),)),),
            system=system,
            stream=True,
        )
        return AgentRequest(
            chat=chat,
            principal=principal,
            endpoint=endpoint,
            request_id=request_id,
            session_header=self.session_key,
        )


class AgentParams(TurnParams):
    idempotency_key: str = Field(min_length=1, max_length=256)


class WaitParams(Model):
    run_id: str = Field(min_length=1, max_length=128)
    timeout_ms: int = Field(30_000, ge=0, le=600_000)


def run_started(run: Run) -> Payload:
    agent = run.agent
    if agent is None:
        return {"phase": "start"}
    return {
        "phase": "start",
        "agentId": agent.agent_id,
        "model": agent.entry.id,
        "provider": agent.provider_name,
        "sessionKey": run.session_key,
    }


class AgentStream:
    """`agent` events: `{runId, seq, stream, data}`."""

    event = "agent"

    def opened(self, run: Run) -> list[Payload]:
        return [{"stream": "lifecycle", "data": run_started(run)}]

    def update(self, run: Run, event: Event) -> list[Payload]:
        data: Payload
        if isinstance(event, TextDelta):
            return [{"stream": "assistant", "data": {"text": event.text}}]
        if isinstance(event, ReasoningDelta):
            return [{"stream": "assistant", "data": {"reasoning": event.text}}]
        if isinstance(event, ToolCallStart):
            data = {"phase": "start", "index": event.index, "id": event.id, "name": event.name}
        elif isinstance(event, ToolCallDelta):
            data = {"phase": "delta", "index": event.index, "arguments": event.arguments}
        elif isinstance(event, ToolCallEnd):
            data = {"phase": "end", "index": event.index}
        else:
            return []
        return [{"stream": "tool", "data": data}]

    def closed(self, run: Run, outcome: Outcome) -> list[Payload]:
        end = {"stream": "lifecycle", "data": {"phase": "end", "status": outcome.status}}
        if outcome.error is None:
            return [end]
        shape = error_shape(outcome.error)
        return [{"stream": "error", "data": {"code": shape.code, "message": shape.message}}, end]


async def start_run(call: Call, params: TurnParams, stream: RunStream) -> Payload:
    """Resolve the turn (errors the client must fix are raised here) and start the run."""
    run_id = f"run_{uuid.uuid4().hex}"
    deps = call.deps
    request = params.agent_request(call.principal, "ws", run_id, deps.faces.default_id)
    agent = await run_agent(deps, request)
    call.services.runs.create(run_id, call.principal.id, agent, stream, call.client)
    return {"runId": run_id}


def final(run: Run, outcome: Outcome) -> Payload:
    return {"runId": run.id, "status": outcome.status, "result": outcome.result()}


async def agent(call: Call, params: AgentParams) -> Payload:
    started = await call.once(params.idempotency_key, lambda: start_run(call, params, STREAM))
    run = call.services.runs.get(started["runId"], call.principal.id)
    run.listen(call.client)
    call.reply({"runId": run.id, "status": "accepted"})
    call.services.runs.launch(run)
    outcome = await run.wait()
    if outcome.error is not None:
        raise outcome.error
    return final(run, outcome)


async def agent_wait(call: Call, params: WaitParams) -> Payload:
    run = call.services.runs.get(params.run_id, call.principal.id)
    try:
        async with asyncio.timeout(params.timeout_ms / 1000):
            outcome = await run.wait()
    except TimeoutError:
        return {"runId": run.id, "status": "timeout"}
    if outcome.error is not None:
        shape = error_shape(outcome.error).model_dump(by_alias=True, exclude_none=True)
        return {"runId": run.id, "status": "error", "error": shape}
    return final(run, outcome)


STREAM = AgentStream()


def register(registry: MethodRegistry) -> None:
    registry.add("agent", AgentParams, "operator.write", agent)
    registry.add("agent.wait", WaitParams, "operator.read", agent_wait)
    registry.events("agent")
