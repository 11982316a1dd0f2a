"""One benchmark run: start the targets, drive every scenario at every concurrency with the
targets alternating, measure what each server used, stop everything."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fased_bench import targets
from fased_bench.load import Outcome, drive
from fased_bench.procs import Server
from fased_bench.scenarios import Scenario, scenarios


@dataclass(frozen=True)
class Plan:
    duration: float
    concurrencies: tuple[int, ...]
    warmup: float
    probe: float  # seconds of the TTFB probe at concurrency 1 when wrk drives the runs
    repeats: int  # extra runs of chat at the top concurrency, for memory flatness
    use_wrk: bool
    litellm: bool
    workers: int  # the scaling target: fased with this many workers (1: none)
    cache: Path
    only: tuple[str, ...] = ()  # scenario names; empty: all


@dataclass
class Row:
    scenario: str
    target: str
    concurrency: int
    driver: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    ttfb_p50_ms: float | None
    ttfb_p99_ms: float | None
    cpu_pct: float
    cpu_us_per_req: float | None  # the server's CPU time per answered request
    rss_mb: float
    peak_mb: float
    error_sample: list[str] = field(default_factory=list)


@dataclass
class Bench:
    plan: Plan
    logs: Path
    servers: dict[str, Server] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    memory: list[float] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def started(self) -> AsyncIterator[None]:
        try:
            upstream = targets.start_upstream(self.logs)
            self.servers["direct"] = upstream
            self.servers["forwarder"] = targets.start_forwarder(upstream.url, self.logs)
            self.servers["fased"] = await targets.start_fased(upstream.url, self.logs)
            if self.plan.workers > 1:
                scaled = await targets.start_fased(upstream.url, self.logs, self.plan.workers)
                self.servers["scaled"] = scaled
            if self.plan.litellm:
                litellm = await targets.start_litellm(upstream.url, self.logs, self.plan.cache)
                self.servers["litellm"] = litellm
            yield
        finally:
            for server in reversed(self.servers.values()):
                server.stop()

    def targets_of(self, scenario: Scenario, concurrency: int) -> list[str]:
        names = [t for t in scenario.targets if t in self.servers]
        if concurrency == 1:  # workers share load, not latency
            names = [t for t in names if t != "scaled"]
        return names

    async def run(self) -> None:
        plan, turn = self.plan, 0
        for scenario in scenarios():
            if plan.only and scenario.name not in plan.only:
                continue
            warmed: set[str] = set()
            for concurrency in plan.concurrencies:
                names = self.targets_of(scenario, concurrency)
                turn += 1
                names = names[turn % len(names) :] + names[: turn % len(names)]  # alternate
                for name in names:
                    if name not in warmed and plan.warmup > 0:
                        await self.load(scenario, name, concurrency, plan.warmup)
                        warmed.add(name)
                    self.rows.append(await self.measure(scenario, name, concurrency))
        await self.repeat()

    async def repeat(self) -> None:
        """Memory flatness: the top-concurrency chat run again, RSS read after each."""
        chat = scenarios()[0]
        top = max(self.plan.concurrencies)
        self.memory.append(self.servers["fased"].usage().rss_mb)
        for _ in range(self.plan.repeats):
            await self.load(chat, "fased", top, self.plan.duration)
            self.memory.append(self.servers["fased"].usage().rss_mb)

    async def load(
        self, scenario: Scenario, target: str, concurrency: int, seconds: float, *, wrk: bool = True
    ) -> Outcome:
        shot = scenario.shot(target, self.servers[target].url)
        return await drive(shot, concurrency, seconds, use_wrk=self.plan.use_wrk and wrk)

    async def measure(self, scenario: Scenario, target: str, concurrency: int) -> Row:
        server = self.servers[target]
        before = server.usage()
        outcome = await self.load(scenario, target, concurrency, self.plan.duration)
        after = server.usage()
        if scenario.stream and concurrency == 1 and outcome.driver == "wrk":
            probe = await self.load(scenario, target, 1, self.plan.probe, wrk=False)
            outcome.ttfb_p50, outcome.ttfb_p99 = probe.ttfb_p50, probe.ttfb_p99
            outcome.errors += probe.errors
            outcome.error_sample += probe.error_sample
        cpu_seconds = after.cpu_seconds - before.cpu_seconds
        cpu = cpu_seconds / outcome.seconds * 100
        per_request = cpu_seconds / outcome.requests * 1e6 if outcome.requests else None
        row = Row(
            scenario=scenario.name,
            target=f"fased-{self.plan.workers}w" if target == "scaled" else target,
            concurrency=concurrency,
            driver=outcome.driver,
            requests=outcome.requests,
            errors=outcome.errors,
            seconds=round(outcome.seconds, 2),
            rps=round(outcome.rps, 1),
            p50_ms=_ms(outcome.p50),
            p90_ms=_ms(outcome.p90),
            p99_ms=_ms(outcome.p99),
            ttfb_p50_ms=_ms(outcome.ttfb_p50),
            ttfb_p99_ms=_ms(outcome.ttfb_p99),
            cpu_pct=round(cpu, 1),
            cpu_us_per_req=None if per_request is None else round(per_request),
            rss_mb=after.rss_mb,
            peak_mb=after.peak_mb,
            error_sample=outcome.error_sample,
        )
        print(_progress(row), flush=True)
        return row

    def document(self, budget: dict[str, Any]) -> dict[str, Any]:
        return {
            "machine": machine(),
            "plan": {**asdict(self.plan), "cache": str(self.plan.cache)},
            "rows": [asdict(row) for row in self.rows],
            "memory_repeats_mb": self.memory,
            "budget": budget,
        }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _progress(row: Row) -> str:
    return (
        f"  {row.scenario:<24} {row.target:<10} c={row.concurrency:<3} "
        f"{row.rps:>8.1f} req/s  p50 {row.p50_ms} ms  CPU/req {row.cpu_us_per_req} µs  "
        f"errors {row.errors}"
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    loop = "asyncio"
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401

        loop = "uvloop"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "uvloop_importable": loop == "uvloop",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
