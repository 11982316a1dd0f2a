"""`fased faces …` as a new user runs it: against a real `fased gateway` subprocess (create →
upload a Markdown journal → sync with its progress bar → profile → export/import → delete),
and with no gateway running."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fased.cli.api import open_api
from fased.cli.channel import Target
from fased.cli.documents import compile_face
from tests.conftest import TOKEN, ClientFactory
from tests.daemon import Gateway, fased, free_port, running
from tests.faces.api import CORPUS, create, upload
from tests.test_daemon import write_config

pytestmark = pytest.mark.timeout(180)

JOURNAL = "# Marta's journal\n\n" + (CORPUS / "journal_marta.txt").read_text()


def cli(gateway: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    result = fased(gateway.state, "faces", *args, FASED_GATEWAY__PORT=str(gateway.port))
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(gateway: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    result = cli(gateway, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def as_json(gateway: Gateway, *args: str) -> Any:
    return json.loads(ok(gateway, *args, "--json").stdout)


def compiled_lines(profile: str) -> list[str]:
    return [line for line in profile.splitlines() if line[:2] in ("α ", "β ", "δ ", "ε ")]


async def test_a_face_from_create_to_delete(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state, "{compile: {chunkTokens: 100}}")
    journal = tmp_path / "journal.md"
    journal.write_text(JOURNAL)
    with running(state) as gateway:
        await gateway.wait_ready()
        created = ok(gateway, "create", "marta", "--name", "Marta", "--fact", "Pet=Pixel")
        assert created.stdout.startswith("created face marta (face_")
        assert "marta" in ok(gateway, "list").stdout
        uploaded = ok(gateway, "upload", "marta", str(journal))
        assert "uploaded journal.md to marta as doc_" in uploaded.stdout
        assert "uploading journal.md" in uploaded.stderr  # the upload's progress bar
        synced = ok(gateway, "sync", "marta")
        assert "following compile events on the WebSocket channel" in synced.stderr
        chunks = as_json(gateway, "show", "marta")["documents"][0]["chunks_total"]
        assert chunks > 2 and "marta: synced" in synced.stderr
        assert f"{chunks}/{chunks} chunks" in synced.stderr  # the bar, at its end
        assert f"marta: synced (1 document(s), {chunks} chunks)" in synced.stdout
        face = as_json(gateway, "show", "marta")["face"]
        assert face["sync_status"] == "synced" and sum(face["component_counts"].values()) > 5

        profile = ok(gateway, "profile", "marta", "--budget", "400", "--query", "running")
        assert "@facts" in profile.stdout and "pet=Pixel" in profile.stdout
        lines = compiled_lines(profile.stdout)
        assert len(lines) > 5 and "β values honesty" in lines
        assert "tokens of 400" in profile.stderr

        exported = tmp_path / "marta.fased.json"
        ok(gateway, "export", "marta", "-o", str(exported))
        assert json.loads(exported.read_text())["face"]["alias"] == "marta"
        card = json.loads(ok(gateway, "export", "marta", "--format", "ccv2").stdout)
        assert card["spec"] == "chara_card_v2" and card["data"]["name"] == "Marta"
        imported = ok(gateway, "import", str(exported), "--alias", "marta-copy")
        assert imported.stdout.startswith("imported face marta-copy (face_")
        copy = ok(gateway, "profile", "marta-copy", "--budget", "400", "--query", "running")
        assert copy.stdout == profile.stdout  # the same claims: the same persona, byte for byte
        taken = cli(gateway, "import", str(exported))
        assert taken.returncode == 1 and "already have a face with alias 'marta'" in taken.stderr

        for alias in ("marta-copy", "marta"):
            assert ok(gateway, "delete", alias, "--yes").stdout == (
                f"deleted face {alias} and its documents\n"
            )
        assert "marta" not in ok(gateway, "list").stdout
        missing = cli(gateway, "show", "marta")
        assert (missing.returncode, missing.stdout) == (1, "")
        assert missing.stderr == "fased: Face not found or not owned by you\n"


async def test_upload_with_sync_and_delete_a_document(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state, "{compile: {chunkTokens: 100}}")
    with running(state) as gateway:
        await gateway.wait_ready()
        ok(gateway, "create", "priya")
        path = tmp_path / "interview.txt"
        path.write_bytes((CORPUS / "interview_priya.txt").read_bytes())
        result = as_json(gateway, "upload", "priya", str(path), "--sync", "--poll")
        document = result["document"]["id"]
        assert result["sync"]["via"] == "polling" and result["sync"]["face"]["alias"] == "priya"
        (status,) = result["sync"]["documents"]
        assert (status["document_id"], status["prepare_status"]) == (document, "synced")
        assert status["chunks_completed"] == status["chunks_total"] > 1
        again = ok(gateway, "sync", "priya")
        assert again.stdout == "priya: synced; nothing to compile\n"
        gone = ok(gateway, "delete", "priya", "--document", document, "-y")
        assert gone.stdout.startswith(f"deleted document {document} of priya (")
        assert "compile tokens given back" in gone.stdout
        empty = ok(gateway, "profile", "priya")  # nothing left to say: a plain assistant
        assert empty.stdout == "" and "empty: no facts or compiled primitives yet" in empty.stderr


def test_no_gateway_is_one_clear_line(tmp_path: Path) -> None:
    state, port = tmp_path / "state", free_port()
    journal = tmp_path / "j.md"
    journal.write_text("# hi\n")
    for args in (("list",), ("sync", "marta"), ("upload", "marta", str(journal), "--sync")):
        result = fased(state, "faces", *args, FASED_GATEWAY__PORT=str(port))
        assert result.returncode == 1, result
        assert result.stderr == (
            f"fased: no gateway answers at http://127.0.0.1:{port} (start one with "
            "`fased gateway`)\n"
        )
        assert result.stdout == ""


async def test_sync_polls_when_the_channel_is_unavailable(
    gateway: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = await gateway({"compile": {"chunkTokens": 100}})
    await create(client, "marta")
    document = await upload(client, "marta", "journal_marta.txt")
    http = Target(str(client.make_url("/ws")), {"token": TOKEN})
    dead = Target(f"ws://127.0.0.1:{free_port()}/ws", {"token": TOKEN})
    async with open_api(http) as api:
        result = await compile_face(api, dead, "marta", poll=False, bar=False)
    assert result["via"] == "polling" and result["face"]["sync_status"] == "synced"
    assert [s["document_id"] for s in result["documents"]] == [document]
    assert "following by polling GET /v1/compile/documents/{doc} (the WebSocket channel is " in (
        capsys.readouterr().err
    )
