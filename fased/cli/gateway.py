"""`fased gateway [run]` and `fased token`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fased.cli.options import ConfigOption, err, load_or_exit
from fased.deps import ensure_token, prepare_state
from fased.errors import StartupError
from fased.log import configure_logging
from fased.server import run_gateway

AuthMode = Annotated[str | None, typer.Option("--auth", help="token | password | none")]


def _overrides(
    port: int | None, bind: str | None, token: str | None, password: str | None, auth: str | None
) -> dict[str, Any]:
    gateway: dict[str, Any] = {}
    if port is not None:
        gateway["port"] = port
    if bind is not None:
        gateway["bind"] = bind
    auth_over = {k: v for k, v in (("token", token), ("password", password), ("mode", auth)) if v}
    if auth_over:
        gateway["auth"] = auth_over
    return {"gateway": gateway} if gateway else {}


def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    port: Annotated[int | None, typer.Option(help="Port (default 18789).")] = None,
    bind: Annotated[str | None, typer.Option(help="loopback | lan | an IP address.")] = None,
    token: Annotated[str | None, typer.Option(help="Gateway token (else generated).")] = None,
    password: Annotated[str | None, typer.Option(help="Gateway password.")] = None,
    auth: AuthMode = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes sharing the port (SO_REUSEPORT); see SPEC §12.")
    ] = 1,
) -> None:
    """Run the gateway in the foreground (state in ~/.fased or $FASED_STATE_DIR)."""
    if ctx.invoked_subcommand is not None:
        return
    overrides = _overrides(port, bind, token, password, auth)
    settings, paths = load_or_exit(config, overrides)
    logging = settings.logging
    configure_logging("debug" if verbose else logging.level, logging.format)
    try:
        code = run_gateway(settings, paths, overrides, workers)
    except StartupError as exc:
        err.print(f"fased: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)


def token(config: ConfigOption = None) -> None:
    """Print the gateway token (generated on first start when none is configured)."""
    settings, paths = load_or_exit(config)
    configured = settings.gateway.auth.token
    if configured:
        typer.echo(configured)
        return
    if settings.gateway.auth.mode != "token":
        err.print(f"fased: auth mode is {settings.gateway.auth.mode!r}; there is no token.")
        raise typer.Exit(1)
    prepare_state(paths)
    typer.echo(ensure_token(settings, paths) or Path(paths.token_file).read_text().strip())
