"""`fased sessions list|show|reset`: the running gateway's session transcripts."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

import typer

from fased.cli.channel import JsonOption, TokenOption, UrlOption, call_or_exit, print_json, target
from fased.cli.options import ConfigOption, load_or_exit

KeyArgument = Annotated[str, typer.Argument(help="Session key (see `fased sessions list`).")]


def when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


def list_sessions(
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """List sessions, most recently used first."""
    settings, paths = load_or_exit(config)
    payload = call_or_exit(target(settings, paths, url, token), "sessions.list", {"limit": limit})
    if as_json:
        print_json(payload)
        return
    if not payload["sessions"]:
        typer.echo("no sessions yet (`fased agent --session KEY -m …` starts one)")
    for item in payload["sessions"]:
        typer.echo(
            f"{item['key']}  agent {item['agentId']}  {item['turns']} turn(s)  "
            f"updated {when(item['updatedAt'])}"
        )


def show(
    key: KeyArgument,
    limit: Annotated[int, typer.Option(help="The last this many turns.")] = 20,
    as_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Print a session's last turns."""
    settings, paths = load_or_exit(config)
    where = target(settings, paths, url, token)
    payload = call_or_exit(where, "sessions.preview", {"key": key, "limit": limit})
    if as_json:
        print_json(payload)
        return
    for item in payload["turns"]:
        typer.echo(f"[{when(item['ts'])}] {item['role']}: {item['text']}")


def reset(
    key: KeyArgument,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Forget a session's turns (the key stays usable)."""
    settings, paths = load_or_exit(config)
    params = {"key": key, "idempotencyKey": uuid.uuid4().hex}
    call_or_exit(target(settings, paths, url, token), "sessions.reset", params)
    typer.echo(f"session {key} reset")
