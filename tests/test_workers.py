"""`fased gateway --workers N`: processes sharing one port (SO_REUSEPORT), stopped together."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon import fased, running

pytestmark = pytest.mark.timeout(90)
TOKEN = "workers-token-0123456789"
HI = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}
REDIS = ("127.0.0.1", 6379)


def write_config(state: Path, extra: str = "") -> None:
    state.mkdir(parents=True, exist_ok=True)
    (state / "fased.json5").write_text(
        f"""{{gateway: {{auth: {{token: "{TOKEN}", rateLimit: {{maxAttempts: 3}}}},
                      trustedProxies: ["127.0.0.1/32"],
                      http: {{endpoints: {{chatCompletions: {{enabled: true}}}}}}}},
             {extra}}}"""
    )


def access_log(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "http_request"]


async def post_fresh(url: str, headers: dict[str, str], count: int) -> list[int]:
    """`count` requests, each on a new connection (the kernel spreads connections)."""
    statuses = []
    for _ in range(count):
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.post(f"{url}/v1/chat/completions", json=HI, headers=headers) as reply,
        ):
            await reply.read()
            statuses.append(reply.status)
    return statuses


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


async def test_two_workers_serve_one_port_and_stop_together(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state)
    with running(state, "--workers", "2") as gateway:
        await gateway.wait_ready()
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert await post_fresh(gateway.url, good, 40) == [200] * 40
        second = fased(tmp_path / "other", "gateway", "--port", str(gateway.port))
        assert second.returncode != 0 and "already in use" in second.stderr
        gateway.signal(signal.SIGTERM)
        assert gateway.process.wait(timeout=30) == 0
        output = gateway.output()
    served_by = {line["worker"] for line in access_log(output) if line["status"] == 200}
    assert served_by == {0, 1}
    stopped = [json.loads(line) for line in output.splitlines() if "gateway_stopped" in line]
    assert {line.get("worker") for line in stopped} == {0, 1}
    with pytest.raises(aiohttp.ClientConnectionError):  # no worker is left listening
        await post_fresh(gateway.url, {}, 1)


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")
async def test_a_lockout_via_one_worker_holds_on_the_other(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state, 'rateLimits: {storage: "redis://127.0.0.1:6379/0"},')
    # a fresh client address per run (forwarded by the trusted 127.0.0.1), so no key is shared
    address = f"2001:db8::{os.getpid():x}:{os.urandom(2).hex()}"
    with running(state, "--workers", "2") as gateway:
        await gateway.wait_ready()
        bad = {"Authorization": "Bearer wrong", "X-Forwarded-For": address}
        assert await post_fresh(gateway.url, bad, 3) == [401, 401, 429]
        good = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": address}
        assert await post_fresh(gateway.url, good, 30) == [429] * 30
        gateway.signal(signal.SIGTERM)
        assert gateway.process.wait(timeout=30) == 0
        output = gateway.output()
    refused_by = {line["worker"] for line in access_log(output) if line["status"] == 429}
    assert refused_by == {0, 1}


async def test_sighup_reaches_every_worker(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_config(state)
    with running(state, "--workers", "2") as gateway:
        await gateway.wait_ready()
        for _ in range(100):  # one worker answering does not mean both are up
            if gateway.output().count("gateway_listening") == 2:
                break
            await asyncio.sleep(0.1)
        gateway.signal(signal.SIGHUP)
        for _ in range(50):
            if gateway.output().count("config_reloaded") == 2:
                break
            await asyncio.sleep(0.1)
        assert gateway.stop() == 0
        reloaded = [
            json.loads(line) for line in gateway.output().splitlines() if "reloaded" in line
        ]
    assert {line["worker"] for line in reloaded} == {0, 1}


async def test_a_stop_or_reload_during_start_up_is_clean(tmp_path: Path) -> None:
    """Signals that reach the workers before their handlers exist: a reload is ignored (it
    used to kill the worker, and with it the gateway), a stop ends them and the gateway exits 0."""
    state = tmp_path / "state"
    write_config(state)
    with running(state, "--workers", "2") as gateway:
        for _ in range(200):  # the workers are forked: signal before they listen
            if "gateway_workers_started" in gateway.output():
                break
            await asyncio.sleep(0.01)
        gateway.signal(signal.SIGHUP)
        await gateway.wait_ready()
        assert gateway.process.poll() is None
        assert "gateway_worker_exited" not in gateway.output()
        assert gateway.stop() == 0
    with running(state, "--workers", "2") as gateway:
        for _ in range(200):
            if "gateway_workers_started" in gateway.output():
                break
            await asyncio.sleep(0.01)
        assert gateway.stop() == 0, gateway.output()
