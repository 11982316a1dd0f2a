"""`Deps.apply` (a SIGHUP reload or `config.patch`): what is applied live, and the keys read only
at start named as needing a restart, in the reload's log line."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from fased.config import Paths
from fased.keys import DEPS
from fased.server import Daemon
from tests.conftest import AUTH, TOKEN, ClientFactory, make_settings
from tests.faces.api import Client, create, ok, upload

START_ONLY = {
    "gateway": {"shutdownTimeoutSeconds": 5},
    "logging": {"level": "debug"},
    "compile": {"model": "echo", "workers": 3},
    "uploads": {"maxConcurrentPdf": 4, "transcription": {"provider": "up", "model": "whisper-1"}},
}


async def test_keys_read_at_start_are_named_when_they_change(gateway: ClientFactory) -> None:
    client = await gateway()
    deps = client.app[DEPS]
    changed = make_settings(START_ONLY)
    assert deps.apply(changed) == [
        "gateway.shutdownTimeoutSeconds",
        "logging",
        "compile.model",
        "compile.workers",
        "uploads.maxConcurrentPdf",
        "uploads.transcription",
    ]
    assert deps.settings is changed
    assert deps.apply(make_settings(START_ONLY)) == []  # the same values again: nothing


async def test_unchanged_or_live_keys_are_not_named(gateway: ClientFactory) -> None:
    client = await gateway()
    restated = {
        "compile": {"model": None, "workers": 2, "chunkTokens": 900, "profileTokens": 500},
        "uploads": {"maxConcurrentPdf": 2, "transcription": None, "maxBytes": 1024},
        "rateLimits": {"storage": "memory://"},
    }
    assert client.app[DEPS].apply(make_settings(restated)) == []


async def test_chunk_tokens_apply_to_documents_compiled_from_then_on(
    gateway: ClientFactory,
) -> None:
    client = await gateway({"compile": {"chunkTokens": 100, "workers": 0}})  # nothing compiles
    await create(client, "marta")
    before, after = [await upload(client, "marta", "journal_marta.txt") for _ in range(2)]
    small = await make(client, before)
    deps = client.app[DEPS]
    assert deps.apply(make_settings({"compile": {"chunkTokens": 100_000, "workers": 0}})) == []
    assert await make(client, before) == small  # already started: keeps its chunks
    assert small["chunks_total"] > 2 and (await make(client, after))["chunks_total"] == 1


async def make(client: Client, document: str) -> Any:
    return await ok(await client.post(f"/v1/compile/documents/{document}/make", headers=AUTH), 202)


async def test_a_reload_logs_the_keys_that_need_a_restart(
    gateway: ClientFactory, paths: Paths
) -> None:
    client = await gateway()
    daemon = Daemon(client.app[DEPS].settings, paths)
    paths.config_file.write_text(
        f'{{gateway: {{auth: {{token: "{TOKEN}"}}}}, compile: {{workers: 5}}}}'
    )
    with capture_logs() as first:
        daemon.reload(client.app)
    with capture_logs() as again:
        daemon.reload(client.app)  # the same file: nothing changed
    assert reloaded(first) == ["compile.workers"]
    assert reloaded(again) is None


def reloaded(logs: list[dict[str, object]]) -> object:
    [event] = [e for e in logs if e["event"] == "config_reloaded"]
    return event["restart_needed_for"]
