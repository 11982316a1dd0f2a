"""`config.get` / `config.patch`: the config file, guarded by its hash, validated, written
atomically and hot-applied."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import json5
import pytest
from aiohttp.test_utils import TestClient

from fased.app import create_app
from fased.config import Paths, load_settings
from fased.ws.config_file import merge_patch, redact
from tests.conftest import AUTH, TOKEN
from tests.ws.conftest import FAST, Peer, connect

CHAT = "/v1/chat/completions"
BODY = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}
FILE = f"""// the operator's file
{{
  gateway: {{ auth: {{ token: "{TOKEN}" }} }},
  providers: {{ up: {{ kind: "openai-compatible", baseUrl: "http://u:pw@127.0.0.1:9/v1",
                      apiKey: "${{UP_KEY}}", models: "up/*" }} }},
}}
"""


@pytest.fixture
async def from_file(
    aiohttp_client: Any, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> TestClient[Any, Any]:
    """The app started from a real config file, as the daemon starts it."""
    monkeypatch.setenv("UP_KEY", "sk-upstream-secret")
    paths.state_dir.mkdir(parents=True)
    paths.config_file.write_text(FILE)
    app = create_app(load_settings(paths), paths, channel_policy=FAST)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client


async def base_hash(peer: Peer) -> str:
    return str((await peer.ok("config.get"))["hash"])


async def test_get_redacts_secrets_and_hashes_the_file(from_file: TestClient[Any, Any]) -> None:
    peer = await connect(from_file)
    got = await peer.ok("config.get")
    assert got["exists"] is True and got["hash"].startswith("sha256:")
    provider = got["config"]["providers"]["up"]
    assert provider["apiKey"] == "[redacted]"
    assert provider["baseUrl"] == "http://u:[redacted]@127.0.0.1:9/v1"
    assert got["config"]["gateway"]["auth"]["token"] == "[redacted]"
    assert got["config"]["gateway"]["http"]["endpoints"]["chatCompletions"] == {"enabled": False}
    assert TOKEN not in str(got) and "sk-upstream-secret" not in str(got) and "pw@" not in str(got)


async def test_stale_hash_is_refused_and_the_file_kept(
    from_file: TestClient[Any, Any], paths: Paths
) -> None:
    peer = await connect(from_file)
    patch = {"gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": True}}}}}
    res = await peer.call("config.patch", {"patch": patch, "baseHash": "sha256:0ld"})
    assert res["error"]["code"] == "CONFLICT" and res["error"]["details"]["code"] == "stale_config"
    assert "config.get" in res["error"]["message"]
    assert paths.config_file.read_text() == FILE


async def test_patch_is_validated_written_and_applied(
    from_file: TestClient[Any, Any], paths: Paths
) -> None:
    assert (await from_file.post(CHAT, json=BODY, headers=AUTH)).status == 404
    peer = await connect(from_file)
    patch = {"gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": True}}}}}
    params = {"patch": patch, "baseHash": await base_hash(peer), "idempotencyKey": "p1"}
    done = await peer.ok("config.patch", params)
    assert done["applied"] is True and done["restartRequired"] == []
    assert (await from_file.post(CHAT, json=BODY, headers=AUTH)).status == 200  # hot-applied
    written = json5.loads(paths.config_file.read_text())
    assert written["gateway"]["http"]["endpoints"]["chatCompletions"] == {"enabled": True}
    assert written["providers"]["up"]["apiKey"] == "${UP_KEY}"  # references stay references
    assert stat.S_IMODE(paths.config_file.stat().st_mode) == 0o600
    assert Path(f"{paths.config_file}.bak").read_text() == FILE
    assert done["hash"] == await base_hash(peer)
    assert await peer.ok("config.patch", params) == done  # a retry: the same outcome


async def test_restart_keys_are_named(from_file: TestClient[Any, Any]) -> None:
    peer = await connect(from_file)
    patch = {"gateway": {"port": 18790}, "session": {"historyTokens": 100}}
    done = await peer.ok("config.patch", {"patch": patch, "baseHash": await base_hash(peer)})
    assert done["restartRequired"] == ["gateway.port"]
    assert "restart the gateway to apply gateway.port" in done["message"]


async def test_keys_read_at_start_are_named_and_live_ones_applied(
    from_file: TestClient[Any, Any],
) -> None:
    peer = await connect(from_file)
    patch = {"compile": {"workers": 3, "chunkTokens": 900}, "uploads": {"maxConcurrentPdf": 2}}
    done = await peer.ok("config.patch", {"patch": patch, "baseHash": await base_hash(peer)})
    assert done["restartRequired"] == ["compile.workers"]  # chunkTokens live, the PDF bound same
    assert "restart the gateway to apply compile.workers." in done["message"]


async def test_invalid_patch_is_refused_with_problems(
    from_file: TestClient[Any, Any], paths: Paths
) -> None:
    peer = await connect(from_file)
    base = await base_hash(peer)
    bad = await peer.call("config.patch", {"patch": {"gateway": {"bogus": 1}}, "baseHash": base})
    assert bad["error"]["details"]["problems"] == ["gateway.bogus: unknown key"]
    exposed = {"gateway": {"bind": "lan", "auth": {"token": None}}}
    refused = await peer.call("config.patch", {"patch": exposed, "baseHash": base})
    assert "refusing to bind" in refused["error"]["message"]
    assert paths.config_file.read_text() == FILE
    assert (await peer.ok("health"))["ok"] is True


async def test_patch_creates_the_file_when_there_is_none(aiohttp_client: Any, paths: Paths) -> None:
    app = create_app(load_settings(paths, {"gateway": {"auth": {"token": TOKEN}}}), paths)
    client = await aiohttp_client(app)
    peer = await connect(client)
    got = await peer.ok("config.get")
    assert got["exists"] is False
    patch = {"session": {"historyTokens": 1234}}
    await peer.ok("config.patch", {"patch": patch, "baseHash": got["hash"]})
    assert json5.loads(paths.config_file.read_text()) == patch


def test_merge_patch_is_rfc_7396() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3], "n": {"x": None}}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3], "n": {}}


def test_redact_covers_nested_secrets_and_urls() -> None:
    data = {"x": [{"password": "p", "apiKey": None}], "url": "redis://:hunter2@h:6379/0"}
    assert redact(data) == {
        "x": [{"password": "[redacted]", "apiKey": None}],
        "url": "redis://:[redacted]@h:6379/0",
    }
