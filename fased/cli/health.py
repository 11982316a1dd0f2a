"""`fased health` and `fased status`: asked of the running gateway over the control channel."""

from __future__ import annotations

import typer

from fased.cli.channel import JsonOption, TokenOption, UrlOption, call_or_exit, print_json, target
from fased.cli.options import ConfigOption, load_or_exit


def uptime(ms: int) -> str:
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def health(
    as_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Is the gateway up and ready (database reachable, a provider configured)?"""
    settings, paths = load_or_exit(config)
    payload = call_or_exit(target(settings, paths, url, token), "health")
    if as_json:
        print_json(payload)
    else:
        checks = payload["checks"]
        typer.echo(
            f"gateway {payload['status']}: database {'ok' if checks['database'] else 'DOWN'}, "
            f"providers {'ok' if checks['providers'] else 'NONE'}, "
            f"up {uptime(payload['uptimeMs'])}"
        )
    if not payload["ok"]:
        raise typer.Exit(1)


def status(
    as_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """What the running gateway serves: version, listen address, models, clients, runs."""
    settings, paths = load_or_exit(config)
    payload = call_or_exit(target(settings, paths, url, token), "status")
    if as_json:
        print_json(payload)
        return
    gateway, channel = payload["gateway"], payload["channel"]
    endpoints = [name for name, on in gateway["endpoints"].items() if on] or ["none"]
    lines = [
        ("version", f"{payload['version']} (up {uptime(payload['uptimeMs'])})"),
        ("listen", f"port {gateway['port']} (bind {gateway['bind']}, auth {gateway['auth']})"),
        ("endpoints", ", ".join(endpoints)),
        ("agent", f"{payload['defaultAgentId']} (default model {payload['defaultModel']})"),
        ("providers", ", ".join(payload["providers"]) or "none"),
        ("channel", f"{channel['clients']} client(s), {channel['activeRuns']} run(s) active"),
    ]
    for label, value in lines:
        typer.echo(f"{label + ':':<11} {value}")
