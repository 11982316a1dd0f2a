"""`scripts/bench`: Fased beside a minimal forwarder (and LiteLLM), on one machine, in one run.

Everything runs on 127.0.0.1: a fake upstream that answers at once, the targets in front of it,
and the load (`wrk` when installed, else a built-in aiohttp generator). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from fased_bench.load import wrk_available
from fased_bench.loops import install_fast_loop
from fased_bench.report import budget, print_table
from fased_bench.runner import Bench, Plan

DEFAULT_CACHE = Path.home() / ".cache" / "fased-bench"
DEFAULT_JSON = Path(tempfile.gettempdir()) / "fased-bench.json"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every scenario, a few seconds")
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds per target and concurrency (5)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=None, help="connections (1 16 64)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating runs per target; best kept (3)"
    )
    parser.add_argument("--with-litellm", action="store_true", help="also LiteLLM's proxy")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also run `fased gateway --workers N` to show the scaling (1: skip it)",
    )
    parser.add_argument(
        "--driver", choices=("auto", "wrk", "builtin"), default="auto", help="load generator"
    )
    parser.add_argument(
        "--asyncio",
        action="store_true",
        help="Fased and the forwarder on asyncio's loop (default: uvloop, as Fased runs)",
    )
    parser.add_argument("--only", nargs="+", default=None, help="these scenarios only")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="LiteLLM's venv here")
    parser.add_argument("--logs", type=Path, default=None, help="keep server logs here")
    return parser.parse_args(argv)


def plan_of(args: argparse.Namespace) -> Plan:
    if args.driver == "wrk" and not wrk_available():
        raise SystemExit("scripts/bench: --driver wrk, but wrk is not installed")
    quick = args.quick  # runs shorter than wrk's one-second minimum: the built-in driver
    use_wrk = args.driver == "wrk" or (args.driver == "auto" and not quick and wrk_available())
    concurrencies = args.concurrency or ([4] if quick else [1, 16, 64])
    duration = min(args.duration, 0.3) if quick else args.duration
    return Plan(
        duration=duration,
        concurrencies=tuple(concurrencies),
        warmup=0.0 if quick else min(1.0, duration / 2),
        probe=0.2 if quick else min(1.0, duration / (2 * args.rounds)),
        repeats=1 if quick else 3,
        rounds=1 if quick else args.rounds,
        use_wrk=use_wrk,
        litellm=args.with_litellm,
        workers=args.workers,
        cache=args.cache,
        only=tuple(args.only or ()),
    )


async def bench(args: argparse.Namespace, logs: Path) -> int:
    plan = plan_of(args)
    runner = Bench(plan, logs)
    console = Console(width=max(140, Console().width))
    console.print(f"driver: {'wrk' if plan.use_wrk else 'built-in'}; logs: {logs}")
    async with runner.started():
        await runner.run()
    lines = budget(runner.rows, runner.memory)
    print_table(runner.rows, lines, console)
    document = runner.document(lines)
    args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    console.print(f"results: {args.json}")
    return 0


def main() -> None:
    args = parse()
    # SIGTERM ends the run like Ctrl-C: the servers are stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.pop("FASED_EVENT_LOOP", None)
    if args.asyncio:
        os.environ["FASED_EVENT_LOOP"] = "asyncio"
    install_fast_loop()
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
        raise SystemExit(asyncio.run(bench(args, args.logs)))
    with tempfile.TemporaryDirectory(prefix="fased-bench-") as tmp:
        raise SystemExit(asyncio.run(bench(args, Path(tmp))))


if __name__ == "__main__":
    main()
