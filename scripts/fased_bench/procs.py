"""The processes under test, started on 127.0.0.1 and stopped at the end, and what they use.

Memory and CPU are read for a process and all its children (a gateway with `--workers` is a
parent and its workers): with psutil when it is installed (`pip install '.[bench]'`), else from
/proc. The peak is the kernel's high-water mark (VmHWM).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

try:
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GONE: tuple[type[BaseException], ...] = (OSError,) if psutil is None else (OSError, psutil.Error)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Usage:
    rss_mb: float
    peak_mb: float
    cpu_seconds: float


def _tree_proc(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue += [int(child) for child in task.read_text().split()]
    return pids


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_proc(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def usage_of(pid: int) -> Usage:
    """RSS, peak RSS and CPU seconds of `pid` and its descendants (vanished ones skipped)."""
    rss = peak = cpu = 0.0
    if psutil is not None:
        root = psutil.Process(pid)
        pids = [root.pid] + [child.pid for child in root.children(recursive=True)]
    else:
        pids = _tree_proc(pid)
    for each in pids:
        try:
            if psutil is not None:
                proc = psutil.Process(each)
                times = proc.cpu_times()
                rss += proc.memory_info().rss / 2**20
                cpu += times.user + times.system
            else:
                rss += _status_kb(each, "VmRSS") / 1024
                cpu += _cpu_proc(each)
            peak += _status_kb(each, "VmHWM") / 1024
        except GONE:
            continue
    return Usage(round(rss, 1), round(peak, 1), cpu)


def _with_parent(command: list[str]) -> list[str]:
    """The command, made to get SIGTERM when the harness dies, however it dies (util-linux
    `setpriv --pdeathsig`, where it exists), so a killed run leaves no server behind (a gateway
    with `--workers` passes the SIGTERM on to its workers). The signal follows the thread that
    started the process: start servers from the event loop's thread, not in `to_thread`."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else command


class Server:
    """A server process with its log file; `url` once it answers."""

    def __init__(
        self,
        name: str,
        command: list[str],
        logs: Path,
        *,
        env: dict[str, str] | None = None,
        announces: bool = False,
    ) -> None:
        """`announces`: the server prints `listening <port>` on stdout (see `read_port`)."""
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            _with_parent(command),
            stdout=subprocess.PIPE if announces else self._log,
            stderr=self._log,
            env=env,
            text=True,
            start_new_session=True,
        )
        self.url = ""

    def read_port(self, timeout: float = 30) -> int:
        """For servers that print `listening <port>` when ready (upstream, forwarder)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("listening "):
                return int(line.split()[1])
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError(f"{self.name} did not start: {self.tail()}")

    async def wait_http(self, url: str, path: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    async with session.get(url + path) as reply:
                        if reply.status == 200:
                            self.url = url
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer on {url}{path}: {self.tail()}")

    def usage(self) -> Usage:
        return usage_of(self.process.pid)

    def tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM, then SIGKILL of its process group if it does not exit in `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return self.process.returncode
