"""`fased agent --message …`: one turn through the running gateway's control channel, streamed
as it arrives; when no gateway answers (or with `--local`), the same agent run in this process.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from fased.accounts.principal import OWNER
from fased.agent.run import run_agent
from fased.canonical import ReplyBuilder, StreamError, TextDelta
from fased.cli.channel import (
    ChannelError,
    NoGateway,
    Payload,
    Target,
    TokenOption,
    UrlOption,
    open_channel,
    print_json,
    target,
)
from fased.cli.options import ConfigOption, err, load_or_exit
from fased.config import Paths, Settings
from fased.deps import open_deps
from fased.errors import FasedError
from fased.log import configure_logging
from fased.ws.methods.agent import AgentParams
from fased.ws.runs import usage_payload


class Printer:
    """Writes the reply as it streams (not with --json)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = False

    def text(self, piece: str) -> None:
        if not self.quiet:
            self.started = True
            sys.stdout.write(piece)
            sys.stdout.flush()

    def end(self) -> None:
        if self.started:
            sys.stdout.write("\n")


async def run_remote(where: Target, params: AgentParams, printer: Printer) -> Payload:
    started: Payload = {}

    def on_event(name: str, payload: Payload) -> None:
        stream, data = payload.get("stream"), payload.get("data") or {}
        if name != "agent":
            return
        if stream == "lifecycle" and data.get("phase") == "start":
            started.update(data)
        elif stream == "assistant" and "text" in data:
            printer.text(data["text"])

    async with open_channel(where) as channel:
        body = params.model_dump(by_alias=True, exclude_none=True)
        _, final = await channel.request("agent", body, on_event=on_event, answers=2)
    result = final["result"]
    return {
        "runId": final["runId"],
        "text": result["text"],
        "model": started.get("model"),
        "provider": started.get("provider"),
        "agent": started.get("agentId"),
        "session": started.get("sessionKey"),
        "usage": result["usage"],
        "cost_usd": result["cost_usd"],
    }


async def run_local(
    settings: Settings, paths: Paths, params: AgentParams, printer: Printer
) -> Payload:
    request_id = f"req_{uuid.uuid4().hex}"
    request = params.agent_request(OWNER, "cli", request_id, settings.agents.default_id)
    async with open_deps(settings, paths) as deps:
        run = await run_agent(deps, request)
        builder = ReplyBuilder()
        async for event in run.events():
            builder.add(event)
            if isinstance(event, StreamError):
                raise FasedError(event.message, code=event.code)
            if isinstance(event, TextDelta):
                printer.text(event.text)
        reply = builder.snapshot()
        return {
            "text": reply.text,
            "model": run.entry.id,
            "provider": run.provider_name,
            "agent": run.agent_id,
            "session": run.session.key,
            "usage": usage_payload(reply.usage),
            "cost_usd": reply.usage.cost_usd,
        }


def turn(message: str, agent_id: str | None, model: str | None, session: str | None) -> AgentParams:
    fields: dict[str, Any] = {
        "message": message,
        "agentId": agent_id,
        "model": model,
        "sessionKey": session,
        "idempotencyKey": uuid.uuid4().hex,
    }
    try:
        return AgentParams.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problem = exc.errors()[0]
        err.print(f"fased: --{problem['loc'][0]}: {problem['msg']}", markup=False)
        raise typer.Exit(2) from None


def agent(
    message: Annotated[str, typer.Option("--message", "-m", help="What to say.")],
    agent_id: Annotated[str | None, typer.Option("--agent", help="Agent (face) id.")] = None,
    model: Annotated[str | None, typer.Option(help="LLM override, e.g. gpt-4o-mini.")] = None,
    session: Annotated[str | None, typer.Option(help="Session key to continue.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the final result as JSON.")
    ] = False,
    local: Annotated[
        bool, typer.Option("--local", help="Run in this process, not through the gateway.")
    ] = False,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Talk to an agent through the running gateway; the reply streams to the terminal."""
    settings, paths = load_or_exit(config)
    configure_logging("warning", "console")
    params = turn(message, agent_id, model, session)
    printer = Printer(quiet=as_json)
    result: Payload | None = None
    try:
        if not local:
            result = remote_or_none(target(settings, paths, url, token), params, printer)
        if result is None:
            result = asyncio.run(run_local(settings, paths, params, printer))
    except (FasedError, ChannelError) as exc:
        printer.end()
        err.print(f"fased: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    printer.end()
    if as_json:
        print_json(result)


def remote_or_none(where: Target, params: AgentParams, printer: Printer) -> Payload | None:
    """The run through the gateway, or None (said on stderr) when no gateway answers."""
    try:
        return asyncio.run(run_remote(where, params, printer))
    except NoGateway:
        err.print(
            f"fased: no gateway answers at {where.url}; running in this process "
            "(start one with `fased gateway`; --local skips this check)",
            markup=False,
        )
        return None
