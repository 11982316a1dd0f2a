"""The daemon: bind, serve, reload on SIGHUP, drain and stop on SIGTERM/SIGINT (SPEC §1)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from fased.accounts.access import check_startup
from fased.app import create_app
from fased.config import Paths, Settings, load_settings
from fased.deps import database_url, ensure_token, prepare_state
from fased.errors import ConfigError, StartupError
from fased.keys import CHANNEL, DEPS
from fased.store.engine import migrate

log = structlog.get_logger()


def bind_socket(
    host: str, port: int, *, reuse_port: bool = False, listen: bool = True
) -> socket.socket:
    """The listening socket; `reuse_port` lets the workers of `--workers N` share the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
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
    if listen:
        sock.listen(1024)
        sock.setblocking(False)
    return sock


@dataclass
class Daemon:
    settings: Settings
    paths: Paths
    overrides: dict[str, Any] = field(default_factory=dict)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    port: int | None = None  # a worker's: the port its parent checked (else gateway.port)
    reuse_port: bool = False  # a worker shares the port with its siblings
    worker: int = 0  # a worker's index: its metrics' `worker` label

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
        port = gateway.port if self.port is None else self.port
        sock = bind_socket(gateway.host, port, reuse_port=self.reuse_port)
        app = create_app(self.settings, self.paths, overrides=self.overrides, worker=self.worker)
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
            await self._stop_accepting_and_close_channel(runner, app)
        finally:
            await runner.cleanup()
            log.info("gateway_stopped")

    async def _stop_accepting_and_close_channel(
        self, runner: web.AppRunner, app: web.Application
    ) -> None:
        """SPEC §1: stop accepting; then the channel's `shutdown` event, drain and 1012 while its
        sockets are still read (aiohttp stops reading them in `runner.cleanup`, before the
        HTTP drain, which runs concurrently until then and finishes in `cleanup`)."""
        for site in list(runner.sites):
            await site.stop()
        await app[CHANNEL].shutdown(app[DEPS].settings.gateway.shutdown_timeout_seconds)

    def _install_signals(self, app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload, app)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (a dependency on Linux and macOS: ~9% fewer
    instructions per request, docs/performance.md), else asyncio's; `FASED_EVENT_LOOP=asyncio`
    keeps asyncio's."""
    if os.environ.get("FASED_EVENT_LOOP", "uvloop").lower() == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_async(main: Coroutine[Any, Any, None]) -> None:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(main)


def run_gateway(settings: Settings, paths: Paths, overrides: dict[str, Any], workers: int) -> int:
    """Run the gateway in the foreground: in this process, or as `workers` processes."""
    if workers <= 1:
        run_async(Daemon(settings, paths, overrides).serve())
        return 0
    return Workers(settings, paths, overrides, workers).run()


async def prepare_shared_state(settings: Settings, paths: Paths) -> None:
    """What the workers would otherwise race for: the state dir, the token file, the schema."""
    prepare_state(paths)
    ensure_token(settings, paths)
    await migrate(database_url(settings, paths))


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# how a worker ends when the parent stops it: drained (0), or killed by the forwarded signal
# before its daemon had installed its handlers (a stop during start-up)
STOPPED = frozenset({0, -signal.SIGTERM, -signal.SIGINT})


@dataclass
class Workers:
    """`fased gateway --workers N`: N forked daemons, each listening on the one port with its
    own SO_REUSEPORT socket, so that the kernel spreads connections between them.

    They share state through the database (and rate limits through Redis when
    `rateLimits.storage` names it). This parent checks the port once (a plain bind fails, as a
    single gateway's would, when anything listens there), prepares the state, forks, forwards
    SIGTERM/SIGINT/SIGHUP to the workers and waits: when one exits on its own, it stops the
    others and exits non-zero (a supervisor such as systemd restarts the whole gateway).
    """

    settings: Settings
    paths: Paths
    overrides: dict[str, Any]
    count: int
    pids: dict[int, int] = field(default_factory=dict)  # pid → worker index
    stopping: bool = False

    def run(self) -> int:
        check_startup(self.settings)
        gateway = self.settings.gateway
        probe = bind_socket(gateway.host, gateway.port, listen=False)
        port = int(probe.getsockname()[1])
        probe.close()
        run_async(prepare_shared_state(self.settings, self.paths))
        previous = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}
        try:
            for index in range(self.count):
                if self.stopping:
                    break
                self._fork(index, port)
            if self.stopping:  # a stop during the forks may have missed the newest worker
                self._forward(signal.SIGTERM, None)
            log.info("gateway_workers_started", workers=self.count, pids=sorted(self.pids))
            return self._wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _fork(self, index: int, port: int) -> None:
        pid = os.fork()
        if pid:
            self.pids[pid] = index
            return
        code = 1
        try:
            # Until the daemon installs its handlers: a stop ends the worker at once (the parent
            # counts that as a clean stop), a reload is ignored (the worker is reading the
            # config it would reload; SIG_DFL would kill it).
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            structlog.contextvars.bind_contextvars(worker=index)
            daemon = Daemon(
                self.settings, self.paths, self.overrides, port=port, reuse_port=True, worker=index
            )
            run_async(daemon.serve())
            code = 0
        except StartupError as exc:
            log.error("gateway_worker_failed", error=str(exc))
        except BaseException:
            log.exception("gateway_worker_crashed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _forward(self, signum: int, _frame: object) -> None:
        if signum != signal.SIGHUP:
            self.stopping = True
        for pid in list(self.pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _wait(self) -> int:
        code = 0
        while self.pids:
            pid, status = os.wait()
            index = self.pids.pop(pid, None)
            exit_code = os.waitstatus_to_exitcode(status)
            if index is None or (self.stopping and exit_code in STOPPED):
                continue
            log.error("gateway_worker_exited", worker=index, pid=pid, code=exit_code)
            code = 1
            if not self.stopping:
                self._forward(signal.SIGTERM, None)
        log.info("gateway_workers_stopped", workers=self.count, code=code)
        return code


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
