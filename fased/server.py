"""The daemon: bind, serve, reload on SIGHUP, drain and stop on SIGTERM/SIGINT (SPEC §1)."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from fased.accounts.access import check_startup
from fased.app import create_app
from fased.config import Paths, Settings, load_settings
from fased.errors import ConfigError, StartupError
from fased.keys import DEPS

log = structlog.get_logger()


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use (another gateway running? "
                "stop it, or pick another port with --port or gateway.port)"
            ) from None
        raise StartupError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


@dataclass
class Daemon:
    settings: Settings
    paths: Paths
    overrides: dict[str, Any] = field(default_factory=dict)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def reload(self, app: web.Application) -> None:
        try:
            settings = load_settings(self.paths, self.overrides)
            check_startup(settings)
        except (ConfigError, StartupError) as exc:
            log.error("config_reload_failed", problems=str(exc).splitlines(), kept="old config")
            return
        pending = app[DEPS].apply(settings)
        self.settings = settings
        log.info("config_reloaded", restart_needed_for=pending or None)

    async def serve(self) -> None:
        check_startup(self.settings)
        gateway = self.settings.gateway
        sock = bind_socket(gateway.host, gateway.port)
        app = create_app(self.settings, self.paths, overrides=self.overrides)
        runner = web.AppRunner(
            app,
            handle_signals=False,
            shutdown_timeout=gateway.shutdown_timeout_seconds,
            handler_cancellation=True,
            access_log_class=AccessLogger,
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            self._install_signals(app)
            port = sock.getsockname()[1]
            deps = app[DEPS]
            log.info(
                "gateway_listening",
                url=f"http://{gateway.host}:{port}",
                state_dir=str(self.paths.state_dir),
                auth=gateway.auth.mode,
            )
            log.info("default_model", message=deps.providers.default_model_message(self.settings))
            await self.stopping.wait()
            log.info("gateway_stopping", drain_seconds=gateway.shutdown_timeout_seconds)
        finally:
            await runner.cleanup()
            log.info("gateway_stopped")

    def _install_signals(self, app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload, app)


class AccessLogger(AbstractAccessLogger):
    """One `http_request` event per request: method, path (never the query), status, time."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        log.info(
            "http_request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round(time * 1000, 2),
            request_id=response.headers.get("X-Request-Id"),
            remote=request.remote,
        )
