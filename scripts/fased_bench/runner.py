"""One benchmark run: start the targets, drive every scenario at every concurrency with the
targets alternating (and a scenario compared with another, such as the persona with the bare
model, alternating with that baseline on Fased), measure what each server used, stop
everything."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import subprocess
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
    rounds: int  # short runs per target and concurrency, alternating; the best is kept
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
    round_rps: list[float] = field(default_factory=list)  # every round's; the row is the best
    # set on a baseline measured in the rounds of another scenario: that scenario's name
    paired: str = ""

    @property
    def label(self) -> str:
        return label(self.scenario, self.paired)


def label(scenario: str, paired: str) -> str:
    """How a row is named in the tables: `persona (bare)` is the persona's baseline (`chat`),
    measured on Fased in the persona's rounds."""
    return f"{paired} (bare)" if paired else scenario


@dataclass
class Bench:
    plan: Plan
    logs: Path
    servers: dict[str, Server] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    memory: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def started(self) -> AsyncIterator[None]:
        try:
            litellm = self.plan.litellm and await self.install_litellm()
            upstream = targets.start_upstream(self.logs)
            self.servers["direct"] = upstream
            self.servers["forwarder"] = targets.start_forwarder(upstream.url, self.logs)
            starting = {"fased": targets.start_fased(upstream.url, self.logs)}
            if self.plan.workers > 1:
                scaled = targets.start_fased(upstream.url, self.logs, self.plan.workers)
                starting["scaled"] = scaled
            if litellm:
                starting["litellm"] = targets.start_litellm(
                    upstream.url, self.logs, self.plan.cache
                )
            tasks = {name: asyncio.ensure_future(start) for name, start in starting.items()}
            await asyncio.wait(tasks.values())
            for name, task in tasks.items():  # registered first: stopped even if another failed
                if not task.exception():
                    self.servers[name] = task.result()
            failed = tasks.pop("litellm", None)
            if failed is not None and failed.exception():  # the rest is still worth measuring
                self.notes.append(f"LiteLLM not measured: {failed.exception()}")
                print(self.notes[-1], flush=True)
            for task in tasks.values():
                task.result()
            yield
        finally:
            for server in reversed(self.servers.values()):
                server.stop()

    async def install_litellm(self) -> bool:
        """Before anything starts, so that a long install disturbs no measurement."""
        try:
            await asyncio.to_thread(targets.litellm_venv, self.plan.cache, self.logs)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            self.notes.append(f"LiteLLM not measured: {exc}")
            print(self.notes[-1], flush=True)
            return False
        return True

    def turns(self, scenario: Scenario, concurrency: int) -> list[tuple[Scenario, str]]:
        """What takes turns in the rounds: the scenario on each of its targets and, when it is
        compared with another scenario (its `baseline`), that one on Fased as well, so that
        both are measured in the same moments of a shared machine."""
        names = [t for t in scenario.targets if t in self.servers]
        if concurrency == 1:  # workers share load, not latency
            names = [t for t in names if t != "scaled"]
        turns = [(scenario, name) for name in names]
        if scenario.baseline != scenario.name and "fased" in names:
            baseline = next(s for s in scenarios() if s.name == scenario.baseline)
            turns.append((baseline, "fased"))
        return turns

    async def run(self) -> None:
        plan = self.plan
        for scenario in scenarios():
            if plan.only and scenario.name not in plan.only:
                continue
            warmed: set[tuple[str, str]] = set()
            for concurrency in plan.concurrencies:
                turns = self.turns(scenario, concurrency)
                for each, name in turns:
                    if (each.name, name) not in warmed and plan.warmup > 0:
                        await self.load(each, name, concurrency, plan.warmup)
                        warmed.add((each.name, name))
                self.rows += await self.rounds(scenario, turns, concurrency)
        await self.repeat()

    async def rounds(
        self, scenario: Scenario, turns: list[tuple[Scenario, str]], concurrency: int
    ) -> list[Row]:
        """`plan.rounds` short runs of each turn, alternating in a rotating order; each turn's
        row is its best round (the one least disturbed by anything else on the machine), with
        every round's requests/s kept beside it. A baseline's row names the scenario it was
        paired with."""
        runs: list[list[Row]] = [[] for _ in turns]
        order = list(range(len(turns)))
        for index in range(self.plan.rounds):
            turn = (index + len(self.rows)) % len(turns)
            for slot in order[turn:] + order[:turn]:
                runs[slot].append(await self.measure(*turns[slot], concurrency))
        best = []
        for (each, _), tries in zip(turns, runs, strict=True):
            row = max(tries, key=lambda r: r.rps)
            row.round_rps = [r.rps for r in tries]
            if each is not scenario:
                row.paired = scenario.name
            best.append(row)
            print(_progress(row), flush=True)
        return best

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
        seconds = self.plan.duration / self.plan.rounds
        outcome = await self.load(scenario, target, concurrency, seconds)
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
        return row

    def document(self, budget: dict[str, Any]) -> dict[str, Any]:
        return {
            "machine": machine(),
            "plan": {**asdict(self.plan), "cache": str(self.plan.cache)},
            "rows": [asdict(row) for row in self.rows],
            "memory_repeats_mb": self.memory,
            "notes": self.notes,
            "budget": budget,
        }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _progress(row: Row) -> str:
    return (
        f"  {row.label:<28} {row.target:<10} c={row.concurrency:<3} "
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
        "gateway_loop": os.environ.get("FASED_EVENT_LOOP", loop),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
