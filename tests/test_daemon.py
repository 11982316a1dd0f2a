"""`fased gateway` as a new user runs it: a real process, signals, a fresh state dir."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.daemon import fased, free_port, running

pytestmark = pytest.mark.timeout(90)
HI = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}


def write_config(state: Path, text: str) -> None:
    state.mkdir(parents=True, exist_ok=True)
    (state / "fased.json5").write_text(text)


async def post(url: str, token: str, body: dict[str, Any]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(f"{url}/v1/chat/completions", json=body, headers=headers) as r:
            return r.status, await r.text()


async def test_fresh_machine_no_config(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state) as gateway:
        await gateway.wait_ready()
        token_file = state / "gateway.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert (state / "fased.db").exists() and (state / "blobs").is_dir()
        token = fased(state, "token").stdout.strip()
        assert token == token_file.read_text().strip() and len(token) >= 32
        status, body = await post(gateway.url, token, HI)
        assert status == 404 and "endpoint_disabled" in body
        async with aiohttp.ClientSession() as session:
            await session.get(f"{gateway.url}/health?secret=hunter2&x=1")
        assert gateway.stop() == 0
        output = gateway.output()
    assert token not in output and "hunter2" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert "gateway_listening" in events and "gateway_stopped" in events
    access = [line for line in lines if line["event"] == "http_request"]
    assert {"path": "/health", "status": 200} in [
        {"path": a["path"], "status": a["status"]} for a in access
    ]
    assert all(a["request_id"].startswith("req_") for a in access)


async def test_sighup_reloads_and_keeps_old_config_when_invalid(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state, '{gateway: {auth: {token: "reload-token-123456"}}}')
    with running(state) as gateway:
        await gateway.wait_ready()
        assert (await post(gateway.url, "reload-token-123456", HI))[0] == 404
        write_config(
            state,
            """{gateway: {auth: {token: "reload-token-123456"},
                http: {endpoints: {chatCompletions: {enabled: true}}}}}""",
        )
        gateway.signal(signal.SIGHUP)
        for _ in range(50):
            status, _ = await post(gateway.url, "reload-token-123456", HI)
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200
        write_config(state, "{gateway: {nope: 1}}")
        gateway.signal(signal.SIGHUP)
        await asyncio.sleep(0.5)
        assert (await post(gateway.url, "reload-token-123456", HI))[0] == 200
        assert gateway.stop() == 0
        assert "config_reload_failed" in gateway.output()
        assert "gateway.nope: unknown key" in gateway.output()


async def slow_upstream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "slow"}
    for index in range(10):
        delta = {"role": "assistant", "content": f"w{index} "}
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await asyncio.sleep(0.15)
    done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
    return response


async def test_sigterm_drains_a_stream_in_flight(tmp_path: Path, aiohttp_server: Any) -> None:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", slow_upstream)
    upstream = await aiohttp_server(app, host="127.0.0.1")
    state = tmp_path / "state"
    write_config(
        state,
        f"""{{gateway: {{auth: {{token: "drain-token-123456"}}, shutdownTimeoutSeconds: 20,
              http: {{endpoints: {{chatCompletions: {{enabled: true}}}}}}}},
            providers: {{slow: {{kind: "openai-compatible", baseUrl: "{upstream.make_url("/v1")}",
                                 models: "slow/*"}}}},
            models: {{default: "slow/model"}}}}""",
    )
    with running(state) as gateway:
        await gateway.wait_ready()
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": "Bearer drain-token-123456"}
            body = {**HI, "stream": True}
            async with session.post(
                f"{gateway.url}/v1/chat/completions", json=body, headers=headers
            ) as response:
                first = await response.content.readline()
                assert first.startswith(b"data: ")
                gateway.signal(signal.SIGTERM)
                rest = (await response.read()).decode()
        assert rest.rstrip().endswith("data: [DONE]")
        assert "w9" in rest
        assert gateway.process.wait(timeout=30) == 0
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(gateway.url, "drain-token-123456", HI)
    with sqlite3.connect(state / "fased.db") as db:
        rows = db.execute("SELECT status, output_tokens FROM usage_records").fetchall()
    assert rows == [("ok", rows[0][1])] and rows[0][1] > 0  # flushed at shutdown


async def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state) as first:
        await first.wait_ready()
        second = fased(tmp_path / "other", "gateway", "--port", str(first.port))
    assert second.returncode != 0
    assert f"port {first.port} on 127.0.0.1 is already in use" in second.stderr
    assert "Traceback" not in second.stderr


def test_refuses_lan_bind_without_auth(tmp_path: Path) -> None:
    port = free_port()
    result = fased(tmp_path / "state", "gateway", "--bind", "lan", "--port", str(port))
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"fased: refusing to bind gateway to 0.0.0.0:{port} without auth (set "
        "gateway.auth.token/password, or FASED_GATEWAY_TOKEN/FASED_GATEWAY_PASSWORD)"
    )


def test_password_mode_without_password_refuses(tmp_path: Path) -> None:
    result = fased(tmp_path / "state", "gateway", "--auth", "password", "--port", str(free_port()))
    assert result.returncode != 0
    assert "no password is set" in result.stderr


def test_invalid_config_refuses_with_path_lines(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state, "{gateway: {port: 'x', bogus: true}, agents: {list: [{id: 'Bad Id'}]}}")
    result = fased(state, "gateway")
    assert result.returncode == 2
    assert "gateway.port:" in result.stderr
    assert "gateway.bogus: unknown key" in result.stderr
    assert "agents.list.0.id:" in result.stderr


def test_agent_cli_streams_through_the_same_run(tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = fased(state, "agent", "--local", "--message", "hello there")
    assert result.returncode == 0, result.stderr
    assert "hello there" in result.stdout
    as_json = fased(state, "agent", "--local", "--message", "again", "--json", "--session", "s1")
    data = json.loads(as_json.stdout)
    assert data["provider"] == "echo" and data["session"] == "s1" and "again" in data["text"]
    assert data["usage"]["output_tokens"] > 0
