"""`fased faces upload|sync`: a face's documents sent to the running gateway (multipart, with a
progress bar) and compiled (SPEC §7, §8), the compile followed to the end with a progress bar
(see `fased.cli.progress`)."""

from __future__ import annotations

import asyncio
import enum
import mimetypes
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from fased.cli.api import Api, GatewayUrlOption, gateway_target, open_api
from fased.cli.channel import JsonOption, Payload, Target, TokenOption, print_json, run_or_exit
from fased.cli.options import ConfigOption, err
from fased.cli.progress import Tracker, follow, progress_bar
from fased.cli.tables import out, statuses_table

READ_BYTES = 1 << 16

FaceArgument = Annotated[str, typer.Argument(help="The face's alias (or id).")]
PollOption = Annotated[
    bool,
    typer.Option("--poll", help="Poll the compile status over HTTP instead of channel events."),
]


class Kind(enum.StrEnum):
    document = "document"
    thread = "thread"


class Perspective(enum.StrEnum):
    first = "first-person"
    third = "third-person"


async def _read(path: Path, progress: Progress, task: Any) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, READ_BYTES):
            progress.advance(task, len(chunk))
            yield chunk


async def send_file(
    api: Api, face: str, path: Path, fields: dict[str, str], *, bar: bool
) -> Payload:
    """`POST /v1/faces/{face}/upload`, the file streamed under a progress bar (stderr), once
    the face is known to be there (a clear error first, not a bar and then one)."""
    await api.get(f"/v1/faces/{face}")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=err, disable=not bar) as progress:
        size = (await asyncio.to_thread(path.stat)).st_size
        task = progress.add_task(f"uploading {path.name}", total=size)
        with aiohttp.MultipartWriter("form-data") as form:
            for name, value in fields.items():
                form.append(value).set_content_disposition("form-data", name=name)
            payload = aiohttp.payload.AsyncIterablePayload(
                _read(path, progress, task), content_type=media_type
            )
            payload.set_content_disposition("form-data", name="file", filename=path.name)
            form.append_payload(payload)
            answer = await api.call("POST", f"/v1/faces/{face}/upload", data=form)
    document: Payload = answer["data"]
    return document


async def compile_face(api: Api, target: Target, face: str, *, poll: bool, bar: bool) -> Payload:
    """`POST /v1/faces/{face}/sync`, then follow every document compiling to its end."""
    started = (await api.call("POST", f"/v1/faces/{face}/sync"))["data"]
    followed = [status["document_id"] for status in started["documents"]]
    listed = (await api.get(f"/v1/faces/{started['face_id']}/documents"))["data"]
    followed += [  # already compiling (a make or sync of someone else): wait for them too
        d["id"] for d in listed if d["prepare_status"] == "preparing" and d["id"] not in followed
    ]
    tracker = Tracker(followed)
    for status in started["documents"]:
        tracker.update(status)
    via = None
    if followed:
        with progress_bar(started["alias"], enabled=bar) as show:
            via = await follow(api, target, tracker, show, poll=poll)
    face_now = await api.get(f"/v1/faces/{started['face_id']}")
    return {"face": face_now, "documents": list(tracker.statuses.values()), "via": via}


def print_compiled(result: Payload) -> None:
    face, statuses = result["face"], result["documents"]
    state = face["sync_status"] or "no documents"
    if not statuses:
        typer.echo(f"{face['alias']}: {state}; nothing to compile")
        return
    out.print(statuses_table(statuses))
    chunks = sum(int(s.get("chunks_total") or 0) for s in statuses)
    typer.echo(f"{face['alias']}: {state} ({len(statuses)} document(s), {chunks} chunks)")


def outcome(result: Payload) -> None:
    """Exit 1 when a document failed to compile."""
    if any(s.get("prepare_status") == "failed" for s in result["documents"]):
        raise typer.Exit(1)


def sync(
    face: FaceArgument,
    poll: PollOption = False,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Compile the face's pending documents, with a progress bar until they are done."""
    target = gateway_target(config, url, token)

    async def run() -> Payload:
        async with open_api(target) as api:
            return await compile_face(api, target, face, poll=poll, bar=not as_json)

    result = run_or_exit(run())
    if as_json:
        print_json(result)
    else:
        print_compiled(result)
    outcome(result)


def upload(
    face: FaceArgument,
    file: Annotated[Path, typer.Argument(help="The file.", exists=True, dir_okay=False)],
    kind: Annotated[Kind, typer.Option("--type", help="What it is.")] = Kind.document,
    perspective: Annotated[
        Perspective, typer.Option(help="Who a document's `I` is.")
    ] = Perspective.first,
    speaker: Annotated[
        str | None, typer.Option("--speaker", help="A thread's speaker who is the face.")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A label (default: the file name).")] = None,
    then_sync: Annotated[bool, typer.Option("--sync", help="Compile it now, to the end.")] = False,
    poll: PollOption = False,
    as_json: JsonOption = False,
    url: GatewayUrlOption = None,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Upload a document or a conversation thread to a face (and compile it, with --sync)."""
    fields = {"type": kind.value, "perspective": perspective.value}
    fields |= {"face_speaker": speaker} if speaker else {}
    fields |= {"label": label} if label else {}
    target = gateway_target(config, url, token)

    async def run() -> Payload:
        async with open_api(target) as api:
            document = await send_file(api, face, file, fields, bar=not as_json)
            if not as_json:
                typer.echo(
                    f"uploaded {file.name} to {face} as {document['id']} ({document['type']})"
                )
            if not then_sync:
                return {"document": document}
            compiled = await compile_face(api, target, face, poll=poll, bar=not as_json)
            return {"document": document, "sync": compiled}

    result = run_or_exit(run())
    if as_json:
        print_json(result)
    elif "sync" in result:
        print_compiled(result["sync"])
    if "sync" in result:
        outcome(result["sync"])
