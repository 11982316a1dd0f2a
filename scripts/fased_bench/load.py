"""The load: `wrk` with a Lua script when it is installed, else a built-in aiohttp generator.

Both are closed loops (N connections, each sending its next request when the last one is
answered, keep-alive), bounded in time, and only ever aimed at 127.0.0.1. The built-in one also
measures the time to the first body byte (TTFB), which `wrk` cannot; `probe_ttfb` uses it for
that alone when `wrk` drives the throughput runs.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

RESOLUTION = 100  # histogram buckets per e-fold: ~1% wide
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Shot:
    """One kind of request, as every connection of a run sends it."""

    url: str
    body: bytes
    headers: dict[str, str]
    stream: bool

    def __post_init__(self) -> None:
        if urlsplit(self.url).hostname not in LOOPBACK:
            raise ValueError(f"the bench only loads 127.0.0.1, not {self.url}")


class Histogram:
    """Latencies in log-spaced buckets (~1% wide): bounded memory, percentiles to ~1%."""

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0

    def add(self, seconds: float) -> None:
        self._buckets[int(math.log(max(seconds, 1e-7) * 1e6) * RESOLUTION)] += 1
        self.count += 1

    def percentile(self, p: float) -> float | None:
        """The p-th percentile in milliseconds (None when empty)."""
        if not self.count:
            return None
        rank, seen = math.ceil(self.count * p / 100), 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                return math.exp((bucket + 0.5) / RESOLUTION) / 1000
        return None


@dataclass
class Outcome:
    """What one load run measured. Latencies in milliseconds."""

    driver: str
    requests: int
    errors: int
    seconds: float
    p50: float | None
    p90: float | None
    p99: float | None
    ttfb_p50: float | None = None
    ttfb_p99: float | None = None
    error_sample: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- built-in generator --------------------------------------------------------------------


class _Run:
    def __init__(self, shot: Shot) -> None:
        self.shot = shot
        self.latency, self.ttfb = Histogram(), Histogram()
        self.requests = self.errors = 0
        self.samples: list[str] = []

    async def connection(self, session: aiohttp.ClientSession, deadline: float) -> None:
        shot = self.shot
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                async with session.post(shot.url, data=shot.body, headers=shot.headers) as reply:
                    await reply.content.readany()
                    first = time.perf_counter()
                    async for _ in reply.content.iter_any():
                        pass
                    ok = reply.status < 400
                    failure = f"HTTP {reply.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                ok, failure = False, f"{type(exc).__name__}: {exc}"
            end = time.perf_counter()
            if not ok:
                self.errors += 1
                if len(self.samples) < 5:
                    self.samples.append(failure)
                continue
            self.requests += 1
            self.latency.add(end - start)
            if shot.stream:
                self.ttfb.add(first - start)


async def builtin(shot: Shot, connections: int, seconds: float) -> Outcome:
    run = _Run(shot)
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(run.connection(session, deadline) for _ in range(connections)))
        elapsed = time.perf_counter() - start
    stream = shot.stream and run.ttfb.count
    return Outcome(
        driver="builtin",
        requests=run.requests,
        errors=run.errors,
        seconds=elapsed,
        p50=run.latency.percentile(50),
        p90=run.latency.percentile(90),
        p99=run.latency.percentile(99),
        ttfb_p50=run.ttfb.percentile(50) if stream else None,
        ttfb_p99=run.ttfb.percentile(99) if stream else None,
        error_sample=run.samples,
    )


# --- wrk ------------------------------------------------------------------------------------

LUA = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests":%%d,"us":%%d,"connect":%%d,"read":%%d,"write":%%d,"status":%%d,' ..
    '"timeout":%%d,"p50":%%d,"p90":%%d,"p99":%%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua(shot: Shot) -> str:
    body = shot.body.decode()
    if "]==]" in body:
        raise ValueError("the request body cannot contain ]==]")
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in shot.headers.items())
    return LUA % {"body": body, "headers": headers}


def run_wrk(shot: Shot, connections: int, seconds: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="fased-bench-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(_lua(shot))
        whole = max(1, math.ceil(seconds))  # wrk takes whole seconds
        command = ["wrk", "-t1", f"-c{connections}", f"-d{whole}s"]
        command += ["--timeout", "10s", "-s", str(script), shot.url]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=whole + 60, check=False
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"requests"')]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    data = json.loads(lines[-1])
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Outcome(
        driver="wrk",
        requests=max(0, data["requests"] - data["status"]),
        errors=errors,
        seconds=data["us"] / 1e6,
        p50=data["p50"] / 1000,
        p90=data["p90"] / 1000,
        p99=data["p99"] / 1000,
        error_sample=[
            f"{key}={data[key]}"
            for key in data
            if key in ("connect", "read", "write", "status", "timeout") and data[key]
        ],
    )


async def drive(shot: Shot, connections: int, seconds: float, *, use_wrk: bool) -> Outcome:
    if use_wrk:
        return await asyncio.to_thread(run_wrk, shot, connections, seconds)
    return await builtin(shot, connections, seconds)
