"""Run `fased` as a real subprocess against a temporary state dir."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fased_env(state: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FASED_", "OPENAI", "ANTHROPIC"))
    }
    env.update({"FASED_STATE_DIR": str(state), "HOME": str(state.parent), **extra})
    return env


def fased(state: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fased", *args],
        env=fased_env(state, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Gateway:
    def __init__(self, state: Path, port: int, *args: str) -> None:
        self.state, self.port = state, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = state.parent / f"gateway-{port}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fased", "gateway", "--port", str(port), *args],
            env=fased_env(state, FASED_LOGGING__FORMAT="json"),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `kill` takes forked workers too
        )

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    async def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"gateway exited: {self.output()}")
                try:
                    async with session.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"gateway did not start: {self.output()}")

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        finally:
            self.log.close()
        return code


@contextmanager
def running(state: Path, *args: str) -> Iterator[Gateway]:
    gateway = Gateway(state, free_port(), *args)
    try:
        yield gateway
    finally:
        with contextlib.suppress(ProcessLookupError):  # workers may outlive their parent
            os.killpg(gateway.process.pid, signal.SIGKILL)
        gateway.process.wait()
        gateway.log.close()
