"""The minimal reference forwarder: the practical floor for a Python LLM proxy.

An aiohttp server that passes every POST through to one upstream over one pooled ClientSession
and streams the answer back as it arrives. No auth, no parsing, no logging: whatever a real
gateway adds on top of this is its overhead (docs/performance.md).

    python scripts/forwarder.py --upstream http://127.0.0.1:8001 --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import os

import aiohttp
from aiohttp import web

HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def build(upstream: str) -> web.Application:
    app = web.Application()
    session: list[aiohttp.ClientSession] = []

    async def lifetime(_app: web.Application):  # type: ignore[no-untyped-def]
        connector = aiohttp.TCPConnector(limit=512, keepalive_timeout=30)
        session.append(aiohttp.ClientSession(connector=connector))
        yield
        await session[0].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-forwarder"}
        async with session[0].post(upstream + request.path, data=body, headers=headers) as up:
            kept = {k: v for k, v in up.headers.items() if k.lower() not in HOP}
            response = web.StreamResponse(status=up.status, headers=kept)
            await response.prepare(request)
            async for data in up.content.iter_any():
                await response.write(data)
            await response.write_eof()
            return response

    app.cleanup_ctx.append(lifetime)
    app.router.add_post("/{path:.*}", forward)
    return app


async def serve(upstream: str, port: int) -> None:
    runner = web.AppRunner(build(upstream), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print(f"listening {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True, help="base URL, e.g. http://127.0.0.1:8001")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if os.environ.get("FASED_EVENT_LOOP") != "asyncio":  # the same loop as the gateway's
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    asyncio.run(serve(args.upstream.rstrip("/"), args.port))


if __name__ == "__main__":
    main()
