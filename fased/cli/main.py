"""The `fased` command: a thin shell over the library (STYLE: simonw/llm's CLI)."""

from __future__ import annotations

import typer

from fased.cli import agent, config_cmd, gateway, health, service, sessions

app = typer.Typer(
    name="fased",
    help="Fased: a self-hosted gateway for persona agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
gateway_app = typer.Typer(help="Run or install the gateway daemon.", invoke_without_command=True)
gateway_app.callback()(gateway.run)
gateway_app.command("run")(gateway.run)
gateway_app.command("install")(service.install)
app.add_typer(gateway_app, name="gateway")

config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
config_app.command("check")(config_cmd.check)
app.add_typer(config_app, name="config")

app.command("token")(gateway.token)
app.command("agent")(agent.agent)
app.command("health")(health.health)
app.command("status")(health.status)

sessions_app = typer.Typer(help="Session transcripts on the running gateway.", no_args_is_help=True)
sessions_app.command("list")(sessions.list_sessions)
sessions_app.command("show")(sessions.show)
sessions_app.command("reset")(sessions.reset)
app.add_typer(sessions_app, name="sessions")


def main() -> None:
    app()
