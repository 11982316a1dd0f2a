"""The `fased` command: a thin shell over the library (STYLE: simonw/llm's CLI)."""

from __future__ import annotations

import typer

from fased.cli import agent, config_cmd, documents, faces, gateway, health, service, sessions

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

faces_app = typer.Typer(help="Faces on the running gateway.", no_args_is_help=True)
faces_app.command("create")(faces.create)
faces_app.command("list")(faces.list_faces)
faces_app.command("show")(faces.show)
faces_app.command("upload")(documents.upload)
faces_app.command("sync")(documents.sync)
faces_app.command("profile")(faces.profile)
faces_app.command("delete")(faces.delete)
faces_app.command("export")(faces.export)
faces_app.command("import")(faces.import_card)
app.add_typer(faces_app, name="faces")


def main() -> None:
    app()
