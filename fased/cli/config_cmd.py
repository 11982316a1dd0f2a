"""`fased config check`: load the configuration exactly as the gateway would, and summarise it."""

from __future__ import annotations

import os
from collections.abc import Mapping

import typer

from fased.accounts.access import check_startup
from fased.cli.options import ConfigOption, err, load_or_exit
from fased.config import Paths, Settings
from fased.errors import StartupError
from fased.providers.registry import ZERO_CONFIG, builtin_kinds

# gateway.http.endpoints field → the route it serves
ENDPOINT_ROUTES = {
    "chat_completions": "/v1/chat/completions",
    "messages": "/v1/messages",
    "responses": "/v1/responses",
}


def check(config: ConfigOption = None) -> None:
    """Validate the config (file, environment, start-up guards) without starting anything."""
    settings, paths = load_or_exit(config)
    try:
        check_startup(settings)
    except StartupError as exc:
        err.print(f"fased: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    typer.echo(f"config OK: {source(paths)}")
    for label, value in summary(settings, paths, os.environ):
        typer.echo(f"  {label + ':':<11} {value}")


def source(paths: Paths) -> str:
    present = paths.explicit or paths.config_file.exists()
    return str(paths.config_file) if present else "defaults (no file)"


def summary(settings: Settings, paths: Paths, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) lines for the operator; never a secret."""
    gateway = settings.gateway
    return [
        ("listen", f"{gateway.host}:{gateway.port} (bind {gateway.bind})"),
        ("auth", describe_auth(settings, paths)),
        ("endpoints", describe_endpoints(settings)),
        ("providers", describe_providers(settings, env)),
        ("state dir", str(paths.state_dir)),
    ]


def describe_auth(settings: Settings, paths: Paths) -> str:
    auth = settings.gateway.auth
    if auth.mode == "none":
        return "none (every request is the owner; loopback only)"
    if auth.mode == "password":
        return "password (set)"
    if auth.token:
        return "token (set in the config or FASED_GATEWAY_TOKEN)"
    return f"token (generated on first start in {paths.token_file}; `fased token` prints it)"


def describe_endpoints(settings: Settings) -> str:
    endpoints = settings.gateway.http.endpoints
    enabled = [
        route for field, route in ENDPOINT_ROUTES.items() if getattr(endpoints, field).enabled
    ]
    if not enabled:
        return "no chat API enabled (set gateway.http.endpoints.<name>.enabled)"
    return ", ".join(enabled)


def describe_providers(settings: Settings, env: Mapping[str, str]) -> str:
    kinds = builtin_kinds()
    described = []
    for name, provider in settings.providers.items():
        kind = kinds.get(provider.kind)
        missing_key = kind is not None and kind.needs_key and not provider.api_key
        described.append(f"{name} ({provider.kind}{', apiKey missing' if missing_key else ''})")
    for name, variable, kind_name in ZERO_CONFIG:
        if name not in settings.providers and env.get(variable):
            described.append(f"{name} ({kind_name}, from ${variable})")
    if not described:
        return "none: only the offline echo model (see config/fased.example.json5)"
    return ", ".join(described)
