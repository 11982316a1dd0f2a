"""As a new user: `fased gateway` running, the CLI and other clients on its channel."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.daemon import Gateway, fased, fased_env, free_port, running
from tests.test_daemon import slow_upstream, write_config
from tests.ws.conftest import CLIENT

pytestmark = pytest.mark.timeout(90)


def cli(gateway: Gateway, *args: str) -> Any:
    return fased(gateway.state, *args, FASED_GATEWAY__PORT=str(gateway.port))


async def test_agent_goes_through_the_channel(tmp_path: Path) -> None:
    with running(tmp_path / "state") as gateway:
        await gateway.wait_ready()
        plain = cli(gateway, "agent", "--message", "hi there")
        assert plain.returncode == 0, plain.stderr
        assert plain.stdout == "Echo: hi there\n" and plain.stderr == ""
        url = f"ws://127.0.0.1:{gateway.port}/ws"
        as_json = fased(
            gateway.state, "agent", "-m", "again", "--session", "s1", "--json", "--url", url
        )
        data = json.loads(as_json.stdout)
        assert data["runId"].startswith("run_") and data["text"] == "Echo: again"
        assert (data["provider"], data["agent"], data["session"]) == ("echo", "main", "s1")
        assert data["usage"]["output_tokens"] > 0 and data["cost_usd"] == 0.0
        assert gateway.output().count('"channel_run_finished"') == 2


async def test_health_status_and_sessions(tmp_path: Path) -> None:
    with running(tmp_path / "state") as gateway:
        await gateway.wait_ready()
        health = cli(gateway, "health")
        assert health.returncode == 0 and health.stdout.startswith("gateway ready: database ok")
        status = cli(gateway, "status")
        assert "default model echo" in status.stdout and "providers:  echo" in status.stdout
        cli(gateway, "agent", "-m", "remember me", "--session", "notes")
        listed = cli(gateway, "sessions", "list")
        assert listed.stdout.startswith("notes  agent main  2 turn(s)")
        shown = cli(gateway, "sessions", "show", "notes")
        assert (
            "user: remember me" in shown.stdout and "assistant: Echo: remember me" in shown.stdout
        )
        assert cli(gateway, "sessions", "reset", "notes").stdout == "session notes reset\n"
        assert cli(gateway, "sessions", "show", "notes").stdout == ""
        missing = cli(gateway, "sessions", "show", "nope")
        assert missing.returncode == 1 and "Session 'nope' not found" in missing.stderr
        wrong = cli(gateway, "health", "--token", "wrong")
        assert wrong.returncode == 1 and "Invalid credentials" in wrong.stderr


def test_no_gateway_runs_in_process_and_says_so(tmp_path: Path) -> None:
    state, port = tmp_path / "state", free_port()
    result = fased(state, "agent", "--message", "hello", FASED_GATEWAY__PORT=str(port))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hello\n"
    assert f"no gateway answers at ws://127.0.0.1:{port}/ws; running in this process" in (
        result.stderr
    )
    health = fased(state, "health", FASED_GATEWAY__PORT=str(port))
    assert health.returncode == 1 and "no gateway answers" in health.stderr
    local = fased(state, "agent", "--local", "-m", "x", FASED_GATEWAY__PORT=str(port))
    assert local.stderr == "" and local.stdout == "Echo: x\n"


async def test_the_reply_streams_as_it_arrives(tmp_path: Path, aiohttp_server: Any) -> None:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", slow_upstream)  # 10 words, 0.15 s apart
    upstream = await aiohttp_server(app, host="127.0.0.1")
    state = tmp_path / "state"
    write_config(
        state,
        f"""{{providers: {{slow: {{kind: "openai-compatible",
                                   baseUrl: "{upstream.make_url("/v1")}", models: "slow/*"}}}},
            models: {{default: "slow/model"}}}}""",
    )
    with running(state) as gateway:
        await gateway.wait_ready()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fased", "agent", "-m", "go",
            env=fased_env(state, FASED_GATEWAY__PORT=str(gateway.port)),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.read(3), 20)
        assert first == b"w0 " and process.returncode is None  # printed before the reply ended
        rest = await process.stdout.read()
        assert await process.wait() == 0
        assert (first + rest).decode() == " ".join(f"w{i}" for i in range(10)) + " \n"


async def channel(session: aiohttp.ClientSession, url: str, token: str, name: str) -> Any:
    ws = await session.ws_connect(url)
    await ws.receive_json()
    params = {
        "minProtocol": 1,
        "maxProtocol": 1,
        "client": {**CLIENT, "id": name},
        "auth": {"token": token},
    }
    await ws.send_json({"type": "req", "id": "c", "method": "connect", "params": params})
    assert (await ws.receive_json())["ok"] is True
    return ws


async def test_presence_then_sigterm_sends_shutdown_and_1012(tmp_path: Path) -> None:
    with running(tmp_path / "state") as gateway:
        await gateway.wait_ready()
        token = (gateway.state / "gateway.token").read_text().strip()
        url = f"ws://127.0.0.1:{gateway.port}/ws"
        async with aiohttp.ClientSession() as session:
            first = await channel(session, url, token, "first")
            second = await channel(session, url, token, "second")
            seen = await first.receive_json()
            assert seen["event"] == "presence" and seen["payload"]["client"]["id"] == "second"
            gateway.signal(signal.SIGTERM)
            for ws in (first, second):
                shutdown = await ws.receive_json(timeout=10)
                assert shutdown["event"] == "shutdown"
                assert shutdown["payload"] == {"reason": "gateway stopping"}
                closing = await ws.receive(timeout=10)
                assert closing.type is aiohttp.WSMsgType.CLOSE
                assert (closing.data, closing.extra) == (1012, "gateway stopping")
        assert gateway.process.wait(timeout=30) == 0
        assert "gateway_stopped" in gateway.output()
