"""Deps: everything with a lifetime that requests need, opened once in `open_deps`.

The settings can be swapped by a reload (SIGHUP, or `config.patch`); what depends on them and can
change without a restart (credentials, faces, the catalog, the resolver, the chunk size of
documents compiled from then on) is rebuilt in `apply`; the faces of `agents.list` are synced
into the database by the face service. What is read only at start (`RESTART_KEYS`: the
listening address, the database, provider clients, the rate-limit store, the compile workers
and their extractor, the transcription client, the PDF child bound) needs a restart, and
`apply` names the keys that changed, as the config file spells them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from pydantic.alias_generators import to_camel

from fased.accounts.credentials import Credentials
from fased.accounts.lockout import AuthLimiter
from fased.config import Paths, Settings
from fased.faces.backend import FacesBackend, open_faces
from fased.faces.compile.runner import CompileRunner
from fased.faces.documents import DocumentService
from fased.faces.service import FaceService
from fased.metrics import Metrics
from fased.providers.catalog import Catalog
from fased.providers.registry import ProviderRegistry, open_providers
from fased.store.engine import Database, migrate, open_database
from fased.store.responses import ResponseStore
from fased.store.sessions import SessionStore
from fased.store.usage import UsageRecorder

log = structlog.get_logger()

# Settings read only when the gateway starts, by field path, in the config file's order.
RESTART_KEYS = (
    "gateway.port",
    "gateway.bind",
    "gateway.shutdown_timeout_seconds",  # the server's drain time, set when it starts
    "logging",  # structlog is configured once, when the process starts
    "providers",
    "compile.model",  # the extractor registry (swapping it mid-document would mix compilers)
    "compile.workers",  # the worker tasks
    "storage",
    "rate_limits",
    "uploads.max_concurrent_pdf",  # the PDF extractor's semaphore
    "uploads.transcription",  # the transcription client and its HTTP session
)


@dataclass(slots=True)
class Deps:
    settings: Settings
    paths: Paths
    token: str | None
    db: Database
    sessions: SessionStore
    usage: UsageRecorder
    providers: ProviderRegistry
    faces: FaceService
    documents: DocumentService
    compiler: CompileRunner
    metrics: Metrics
    responses: ResponseStore = field(init=False)
    limiter: AuthLimiter = field(init=False)
    credentials: Credentials = field(init=False)
    catalog: Catalog = field(init=False)
    default_model: str = field(init=False)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.responses = ResponseStore(self.db)
        self.limiter = auth_limiter(self.settings)
        self._derive()

    def _derive(self) -> None:
        auth = self.settings.gateway.auth
        token = auth.token or self.token
        self.credentials = Credentials(token, auth.password, open_access=auth.mode == "none")
        self.catalog = Catalog.build(self.settings)
        self.default_model = self.providers.default_model(self.settings)
        self.faces.configure(self.catalog, self.default_model, self.settings.agents)
        # Fixed per document when it is prepared (a failed one resumes with its own): live.
        self.documents.chunk_tokens = self.settings.compile.chunk_tokens

    def apply(self, settings: Settings) -> list[str]:
        """Hot-apply a new config; returns the changed keys that need a restart."""
        old = self.settings
        pending = restart_needed(old, settings)
        if old.gateway.auth.rate_limit != settings.gateway.auth.rate_limit:
            self.limiter = auth_limiter(settings)
        self.settings = settings
        self._derive()
        return pending


def restart_needed(old: Settings, new: Settings) -> list[str]:
    """The `RESTART_KEYS` whose value differs, as camelCase config keys (`compile.workers`)."""
    return [
        ".".join(to_camel(part) for part in path.split("."))
        for path in RESTART_KEYS
        if _value(old, path) != _value(new, path)
    ]


def _value(settings: Settings, path: str) -> object:
    value: object = settings
    for name in path.split("."):
        value = getattr(value, name)
    return value


def faces_of(backend: FacesBackend) -> tuple[FaceService, DocumentService, CompileRunner]:
    return backend.faces, backend.documents, backend.compiler


def auth_limiter(settings: Settings) -> AuthLimiter:
    rate = settings.gateway.auth.rate_limit
    return AuthLimiter(
        settings.rate_limits.storage,
        max_attempts=rate.max_attempts,
        window_seconds=rate.window_seconds,
        lockout_seconds=rate.lockout_seconds,
    )


def database_url(settings: Settings, paths: Paths) -> str:
    return settings.storage.database or str(paths.database)


def ensure_token(settings: Settings, paths: Paths) -> str | None:
    """The gateway token: configured, else the one in `gateway.token`, else a new one (0600)."""
    if settings.gateway.auth.token or settings.gateway.auth.mode != "token":
        return None
    path: Path = paths.token_file
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    log.info("gateway_token_generated", path=str(path), hint="`fased token` prints it")
    return token


def prepare_state(paths: Paths) -> None:
    paths.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.blobs.mkdir(exist_ok=True, mode=0o700)


@asynccontextmanager
async def open_deps(
    settings: Settings, paths: Paths, metrics: Metrics | None = None
) -> AsyncIterator[Deps]:
    """Open every resource in order and close them in reverse (usage flushed last-but-one).
    `metrics`: the app's (`create_app`), recorded into by the usage recorder and providers."""
    metrics = Metrics() if metrics is None else metrics
    prepare_state(paths)
    token = ensure_token(settings, paths)
    url = database_url(settings, paths)
    await migrate(url)
    async with AsyncExitStack() as stack:
        db = await open_database(url)
        stack.push_async_callback(db.close)
        usage = UsageRecorder(db, metrics=metrics)
        await usage.start()
        stack.push_async_callback(usage.close)
        providers = await open_providers(settings, os.environ, metrics=metrics)
        stack.push_async_callback(providers.close)
        backend = await stack.enter_async_context(
            open_faces(
                settings,
                paths,
                db,
                providers,
                catalog=Catalog.build(settings),
                default_model=providers.default_model(settings),
                env=os.environ,
            )
        )
        yield Deps(
            settings,
            paths,
            token,
            db,
            SessionStore(db),
            usage,
            providers,
            *faces_of(backend),
            metrics,
        )
