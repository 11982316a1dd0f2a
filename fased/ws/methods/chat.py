"""`chat.send`, `chat.abort`, `chat.history`: a chat session driven over the channel.

`chat.send` answers `{runId, status:"started"}` at once and the reply follows as `chat` events
`{runId, seq, sessionKey, state}`: `delta` (text as it arrives), then one of `final`,
`aborted` (by `chat.abort`, or when every listener left) or `error`.
"""

from __future__ import annotations

from pydantic import Field

from fased.canonical import Event, TextDelta
from fased.ws.methods.agent import TurnParams, start_run
from fased.ws.methods.registry import Call, MethodRegistry
from fased.ws.protocol import Model, Payload, error_shape
from fased.ws.runs import Outcome, Run, usage_payload

SESSION_KEY = Field(min_length=1, max_length=512)


class SendParams(TurnParams):
    session_key: str = SESSION_KEY
    idempotency_key: str = Field(min_length=1, max_length=256)


class AbortParams(Model):
    session_key: str = SESSION_KEY
    run_id: str | None = Field(None, min_length=1, max_length=128)


class HistoryParams(Model):
    session_key: str = SESSION_KEY
    limit: int = Field(50, ge=1, le=1000)


class ChatStream:
    """`chat` events."""

    event = "chat"

    def opened(self, run: Run) -> list[Payload]:
        return []

    def update(self, run: Run, event: Event) -> list[Payload]:
        if isinstance(event, TextDelta):
            return [{"sessionKey": run.session_key, "state": "delta", "text": event.text}]
        return []

    def closed(self, run: Run, outcome: Outcome) -> list[Payload]:
        body: Payload = {"sessionKey": run.session_key, "state": outcome.status}
        if outcome.error is not None:
            shape = error_shape(outcome.error)
            body.update(state="error", error={"code": shape.code, "message": shape.message})
        elif outcome.status == "ok":
            body.update(
                state="final",
                message={"role": "assistant", "text": outcome.text},
                usage=usage_payload(outcome.usage),
                cost_usd=outcome.usage.cost_usd if outcome.usage else None,
            )
        else:
            body["text"] = outcome.text
        return [body]


STREAM = ChatStream()


async def send(call: Call, params: SendParams) -> None:
    started = await call.once(params.idempotency_key, lambda: start_run(call, params, STREAM))
    runs = call.services.runs
    run = runs.get(started["runId"], call.principal.id)
    run.listen(call.client)
    status = "started" if run.status == "running" else run.status
    call.reply({"runId": run.id, "sessionKey": run.session_key, "status": status})
    runs.launch(run)


async def abort(call: Call, params: AbortParams) -> Payload:
    runs = call.services.runs
    owner = call.principal.id
    if params.run_id is not None:
        run = runs.get(params.run_id, owner)
        targets = [run] if run.session_key == params.session_key else []
    else:
        targets = runs.of_session(owner, params.session_key)
    aborted = [run.id for run in targets if runs.abort(run)]
    return {"sessionKey": params.session_key, "aborted": bool(aborted), "runIds": aborted}


async def history(call: Call, params: HistoryParams) -> Payload:
    turns = await call.deps.sessions.preview(call.principal.id, params.session_key, params.limit)
    return {
        "sessionKey": params.session_key,
        "messages": [
            {"role": t.message.role, "text": t.message.text(), "ts": int(t.created_at * 1000)}
            for t in turns or []
        ],
    }


def register(registry: MethodRegistry) -> None:
    registry.add("chat.send", SendParams, "operator.write", send)
    registry.add("chat.abort", AbortParams, "operator.write", abort)
    registry.add("chat.history", HistoryParams, "operator.read", history)
    registry.events("chat")
