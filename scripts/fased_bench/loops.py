"""The event loop of the bench processes: uvloop when importable (as Fased uses it), unless
`FASED_BENCH_LOOP=asyncio` asks for the standard one."""

from __future__ import annotations

import asyncio
import os


def install_fast_loop() -> str:
    """Make `asyncio.run` use uvloop when it is importable; returns the loop's name."""
    if os.environ.get("FASED_BENCH_LOOP") == "asyncio":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
