"""Agent runs started over the channel (`agent`, `chat.send`).

A run is an `AgentRun` (from `run_agent`, the one code path) whose events are folded into a
reply and turned into channel events by a `RunStream` (the `agent` or the `chat` event shape)
for every connection listening to it. A run is cancelled by `chat.abort`, or when its last
listener goes away (a client that disconnects cancels the upstream call, SPEC §4.3); what was
generated until then is still recorded by the run, once. Finished runs are kept for the
idempotency window, so a retry or `agent.wait` still finds them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal, Protocol

import structlog

from fased.agent.run import AgentRun
from fased.canonical import Event, ReplyBuilder, StreamError, Usage
from fased.errors import FasedError, InternalError, NotFound, RateLimited, UpstreamError
from fased.ws.protocol import Payload

log = structlog.get_logger()

Status = Literal["running", "ok", "error", "aborted"]


class Listener(Protocol):
    def event(self, name: str, payload: Payload) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    text: str
    usage: Usage | None = None
    error: FasedError | None = None

    def result(self) -> Payload:
        cost = self.usage.cost_usd if self.usage else None
        return {"text": self.text, "usage": usage_payload(self.usage), "cost_usd": cost}


def usage_payload(usage: Usage | None) -> Payload | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


class RunStream(Protocol):
    """How a run's progress is shown: the event name and the payload bodies (the run adds
    `runId` and its own `seq`)."""

    event: str

    def opened(self, run: Run) -> list[Payload]: ...

    def update(self, run: Run, event: Event) -> list[Payload]: ...

    def closed(self, run: Run, outcome: Outcome) -> list[Payload]: ...


@dataclass(eq=False)
class Run:
    id: str
    owner_id: str
    session_key: str
    agent: AgentRun | None  # released when the run finishes
    stream: RunStream
    listeners: set[Listener] = field(default_factory=set)
    builder: ReplyBuilder = field(default_factory=ReplyBuilder)
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    seq: int = 0
    failure: FasedError | None = None
    finished_at: float | None = None
    task: asyncio.Task[None] | None = None
    created_at: float = field(default_factory=time.monotonic)

    @property
    def status(self) -> Status:
        return self.done.result().status if self.done.done() else "running"

    def emit(self, bodies: list[Payload]) -> None:
        for body in bodies:
            self.seq += 1
            payload = {"runId": self.id, "seq": self.seq, **body}
            for listener in list(self.listeners):
                listener.event(self.stream.event, payload)

    def listen(self, listener: Listener) -> None:
        if not self.done.done():
            self.listeners.add(listener)

    async def wait(self) -> Outcome:
        return await asyncio.shield(self.done)


class Runs:
    """The gateway's channel runs by id; lookups are filtered by owner."""

    def __init__(
        self, *, keep_seconds: float, max_active_per_listener: int, max_kept: int = 1000
    ) -> None:
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._keep = keep_seconds
        self._max_active = max_active_per_listener
        self._max_kept = max_kept

    @property
    def active(self) -> list[Run]:
        return [run for run in self._runs.values() if not run.done.done()]

    def create(
        self, run_id: str, owner_id: str, agent: AgentRun, stream: RunStream, listener: Listener
    ) -> Run:
        """A run, not started yet: `launch` it once its `accepted` answer has gone out."""
        self._expire()
        if sum(listener in run.listeners for run in self.active) >= self._max_active:
            raise RateLimited(
                f"This connection already has {self._max_active} runs in progress; wait for "
                "one to finish or abort one (chat.abort).",
                code="too_many_runs",
            )
        run = Run(run_id, owner_id, agent.session.key, agent, stream, {listener})
        self._runs[run_id] = run
        return run

    def launch(self, run: Run) -> None:
        """Start calling the upstream (once; a retry's launch does nothing)."""
        if run.task is not None or run.agent is None or run.done.done():
            return
        run.task = asyncio.create_task(self._execute(run, run.agent), name=f"fased-{run.id}")
        run.task.add_done_callback(lambda task: self._finish(run, task))

    def get(self, run_id: str, owner_id: str) -> Run:
        run = self._runs.get(run_id)
        if run is None or run.owner_id != owner_id:
            raise NotFound(f"Run {run_id!r} not found (finished runs are kept 5 minutes).")
        return run

    def of_session(self, owner_id: str, session_key: str) -> list[Run]:
        return [r for r in self.active if r.owner_id == owner_id and r.session_key == session_key]

    def abort(self, run: Run) -> bool:
        if run.done.done():
            return False
        if run.task is None:
            self._finish(run, None)
        else:
            run.task.cancel()
        return True

    def forget(self, listener: Listener) -> None:
        """`listener` is gone: runs nobody listens to any more are cancelled."""
        for run in self.active:
            if listener in run.listeners:
                run.listeners.discard(listener)
                if not run.listeners:
                    self.abort(run)

    async def settle(self, listener: Listener) -> None:
        """Wait for the runs `listener` follows to finish."""
        waiting = [run.done for run in self.active if listener in run.listeners]
        if waiting:
            await asyncio.wait(waiting)

    async def _execute(self, run: Run, agent: AgentRun) -> None:
        run.emit(run.stream.opened(run))
        events = agent.events()
        async with contextlib.aclosing(events):
            async for event in events:
                run.builder.add(event)
                if isinstance(event, StreamError):
                    run.failure = UpstreamError(event.message, code=event.code)
                    run.failure.status = event.status
                run.emit(run.stream.update(run, event))

    def _finish(self, run: Run, task: asyncio.Task[None] | None) -> None:
        outcome = self._outcome(run, task)
        run.finished_at = time.monotonic()
        run.emit(run.stream.closed(run, outcome))
        run.listeners.clear()
        run.agent = None
        run.done.set_result(outcome)
        log.info("channel_run_finished", run_id=run.id, status=outcome.status)

    def _outcome(self, run: Run, task: asyncio.Task[None] | None) -> Outcome:
        reply = run.builder.snapshot()
        if task is None or task.cancelled():
            return Outcome("aborted", reply.text)
        error = task.exception()
        if error is None and run.failure is None:
            return Outcome("ok", reply.text, reply.usage)
        if error is not None and not isinstance(error, FasedError):
            log.error("channel_run_crashed", run_id=run.id, exc_info=error)
            error = InternalError(f"Internal error; quote run id {run.id} to the operator.")
        return Outcome("error", reply.text, reply.usage, error or run.failure)

    def _expire(self) -> None:
        """Forget finished runs past the window, and the oldest beyond `max_kept`."""
        horizon = time.monotonic() - self._keep
        for run in [r for r in self._runs.values() if r.task is None and r.created_at < horizon]:
            self.abort(run)  # created, and its caller went away before launching it
        finished = [r for r in self._runs.values() if r.finished_at is not None]
        excess = len(finished) - self._max_kept
        for index, run in enumerate(finished):
            if index < excess or (run.finished_at or 0.0) < horizon:
                del self._runs[run.id]
