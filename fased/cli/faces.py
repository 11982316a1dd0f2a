"""`fased faces create|list|show|profile|delete|export|import`: the running gateway's faces,
through its HTTP API (SPEC §7). Uploading and compiling are in `fased.cli.documents`."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from fased.cli.api import GatewayUrlOption, gateway_target, open_api
from fased.cli.channel import JsonOption, Payload, Target, TokenOption, print_json, run_or_exit
from fased.cli.options import ConfigOption, err
from fased.cli.tables import documents_table, face_table, faces_table, out

FaceArgument = Annotated[str, typer.Argument(help="The face's alias (or id).")]


class CardFormat(enum.StrEnum):
    fased = "fased"
    ccv2 = "ccv2"


async def request(target: Target, method: str, path: str, **options: Any) -> Any:
    async with open_api(target) as api:
        return await api.call(method, path, **options)


def facts_of(pairs: list[str]) -> dict[str, str]:
    facts: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            err.print(f"fased: --fact takes KEY=VALUE, not {pair!r}", markup=False)
            raise typer.Exit(2)
        facts[key.strip()] = value.strip()
    return facts


def create(
    alias: Annotated[str, typer.Argument(help="How requests name it: a-z, 0-9, _ and -.")],
    name: Annotated[str | None, typer.Option(help="Its name (default: the alias).")] = None,
    fact: Annotated[
        list[str] | None, typer.Option("--fact", help="A basic fact KEY=VALUE (repeatable).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Its LLM (default: yours).")] = None,
    formula: Annotated[str | None, typer.Option(help="A synthetic face: 'a | b'.")] = None,
    description: Annotated[str | None, typer.Option(help="A note for you.")] = None,
    addendum: Annotated[str | None, typer.Option(help="Text added after its persona.")] = None,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a face."""
    body = {
        "alias": alias,
        "name": name or alias,
        "basic_facts": facts_of(fact or []),
        "default_model": model,
        "formula": formula,
        "description": description,
        "profile_addendum": addendum,
    }
    body = {k: v for k, v in body.items() if v is not None}
    face = run_or_exit(request(gateway_target(config, url, token), "POST", "/v1/faces", json=body))
    if as_json:
        print_json(face)
    else:
        typer.echo(f"created face {face['alias']} ({face['id']})")


def list_faces(
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """List your faces, oldest first."""
    faces = run_or_exit(request(gateway_target(config, url, token), "GET", "/v1/faces"))["data"]
    if as_json:
        print_json(faces)
    elif not faces:
        typer.echo("no faces yet (`fased faces create ALIAS` makes one)")
    else:
        out.print(faces_table(faces))


async def face_and_documents(target: Target, face: str) -> Payload:
    async with open_api(target) as api:
        found = await api.get(f"/v1/faces/{face}")
        documents = await api.get(f"/v1/faces/{found['id']}/documents")
        return {"face": found, "documents": documents["data"]}


def show(
    face: FaceArgument,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a face and its documents."""
    shown = run_or_exit(face_and_documents(gateway_target(config, url, token), face))
    if as_json:
        print_json(shown)
        return
    out.print(face_table(shown["face"]))
    if shown["documents"]:
        out.print()
        out.print(documents_table(shown["documents"]))


def profile(
    face: FaceArgument,
    budget: Annotated[
        int | None, typer.Option(help="Token budget (default: the gateway's).")
    ] = None,
    query: Annotated[str | None, typer.Option(help="Rank by relevance to this text.")] = None,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Print the persona a chat with the face injects."""
    params = {"budget": str(budget) if budget is not None else None, "query": query}
    wanted = {k: v for k, v in params.items() if v is not None}
    path = f"/v1/faces/{face}/profile"
    data = run_or_exit(request(gateway_target(config, url, token), "GET", path, params=wanted))[
        "data"
    ]
    if as_json:
        print_json(data)
        return
    if data["profile"]:
        typer.echo(data["profile"])
    empty = "" if data["profile"] else "; empty: no facts or compiled primitives yet"
    err.print(
        f"{data['alias']}: {data['tokens']} tokens of {data['budget']} (version {data['version']})"
        + empty,
        markup=False,
    )


def delete(
    face: FaceArgument,
    document: Annotated[
        str | None, typer.Option(help="Delete only this document (its contribution goes).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete a face with its documents, or one of its documents."""
    what = f"document {document} of {face}" if document else f"face {face} and its documents"
    if not yes:
        typer.confirm(f"Delete {what}?", abort=True)
    path = f"/v1/faces/{face}" + (f"/documents/{document}" if document else "")
    gone = run_or_exit(request(gateway_target(config, url, token), "DELETE", path))
    returned = gone.get("compile_tokens_returned")
    suffix = f" ({returned} compile tokens given back)" if returned else ""
    typer.echo(f"deleted {what}{suffix}")


def export(
    face: FaceArgument,
    card: Annotated[CardFormat, typer.Option("--format", help="Fased JSON or a V2 card.")] = (
        CardFormat.fased
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Export a face as Fased JSON or a Character Card V2."""
    params = {"format": card.value}
    path = f"/v1/faces/{face}/export"
    data = run_or_exit(request(gateway_target(config, url, token), "GET", path, params=params))
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"exported {face} ({card.value}) to {output}", markup=False)


def import_card(
    file: Annotated[
        Path,
        typer.Argument(help="A Fased JSON or Character Card file.", exists=True, dir_okay=False),
    ],
    alias: Annotated[str | None, typer.Option(help="Import under this alias.")] = None,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Import a face from a Fased JSON or Character Card file."""
    try:
        card = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        err.print(f"fased: {file} is not JSON ({exc})", markup=False)
        raise typer.Exit(1) from None
    params = {"alias": alias} if alias else None
    target = gateway_target(config, url, token)
    face = run_or_exit(request(target, "POST", "/v1/faces/import", json=card, params=params))
    if as_json:
        print_json(face)
    else:
        typer.echo(f"imported face {face['alias']} ({face['id']}) from {file}")
