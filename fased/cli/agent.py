"""`fased agent --message …`: one turn through the same agent run as the HTTP APIs."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Annotated

import orjson
import typer

from fased.accounts.principal import OWNER
from fased.agent.run import AgentRequest, run_agent
from fased.canonical import ChatRequest, Message, ReplyBuilder, StreamError, TextDelta, TextPart
from fased.cli.options import ConfigOption, err, load_or_exit
from fased.config import Paths, Settings
from fased.deps import open_deps
from fased.errors import FasedError
from fased.log import configure_logging


async def _run_local(
    settings: Settings, paths: Paths, request: AgentRequest, as_json: bool
) -> dict[str, object]:
    async with open_deps(settings, paths) as deps:
        run = await run_agent(deps, request)
        builder = ReplyBuilder()
        async for event in run.events():
            builder.add(event)
            if isinstance(event, StreamError):
                raise FasedError(event.message, code=event.code)
            if isinstance(event, TextDelta) and not as_json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
        reply = builder.snapshot()
        if not as_json:
            sys.stdout.write("\n")
        return {
            "text": reply.text,
            "model": run.entry.id,
            "provider": run.provider_name,
            "agent": run.agent_id,
            "session": run.session.key,
            "usage": {
                "input_tokens": reply.usage.input_tokens,
                "output_tokens": reply.usage.output_tokens,
            },
            "cost_usd": reply.usage.cost_usd,
        }


def agent(
    message: Annotated[str, typer.Option("--message", "-m", help="What to say.")],
    agent_id: Annotated[str | None, typer.Option("--agent", help="Agent (face) id.")] = None,
    model: Annotated[str | None, typer.Option(help="LLM override, e.g. gpt-4o-mini.")] = None,
    session: Annotated[str | None, typer.Option(help="Session key to continue.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the final result as JSON.")
    ] = False,
    local: Annotated[
        bool,
        typer.Option(
            "--local", help="Run in this process (the only mode until the WebSocket channel lands)."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Talk to an agent; the reply streams to the terminal."""
    settings, paths = load_or_exit(config)
    configure_logging("warning", "console")
    target = f"fased:{agent_id}" if agent_id else "fased"
    if model:
        target = f"{agent_id or settings.agents.default_id}@{model}"
    chat = ChatRequest(model=target, messages=(Message("user", (TextPart(message),)),), stream=True)
    request = AgentRequest(
        chat=chat,
        principal=OWNER,
        endpoint="cli",
        request_id=f"req_{uuid.uuid4().hex}",
        session_header=session,
    )
    try:
        result = asyncio.run(_run_local(settings, paths, request, as_json))
    except FasedError as exc:
        err.print(f"fased: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
