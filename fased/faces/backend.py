"""The faces backend, opened once in `open_deps`: blob store, upload parsers (with the
transcriber when `uploads.transcription` is set), the face service, the compiler and its
workers. Closed in reverse: workers stopped (their jobs freed for the next start), then the
transcription client.

`compile.model`, `compile.workers`, `uploads.transcription` and `uploads.maxConcurrentPdf` are
read here, at start: changing them takes a restart (`Deps.apply` reports them).
`compile.chunkTokens` is the starting value of `DocumentService.chunk_tokens`, which a reload
updates (see `fased.deps`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from fased.config import Paths, Settings
from fased.errors import StartupError
from fased.faces.compile.llm import llm_registry
from fased.faces.compile.offline import offline_registry
from fased.faces.compile.registry import ExtractorRegistry
from fased.faces.compile.runner import CompileRunner
from fased.faces.documents import DocumentService
from fased.faces.ingest import ParseLimits, Transcriber, build_registry
from fased.faces.service import FaceService
from fased.providers.catalog import Catalog
from fased.providers.registry import ProviderRegistry, declared_providers
from fased.store.blobs import BlobStore
from fased.store.engine import Database


@dataclass(frozen=True, slots=True)
class FacesBackend:
    faces: FaceService
    documents: DocumentService
    compiler: CompileRunner


def blob_root(settings: Settings, paths: Paths) -> Path:
    return Path(settings.storage.blobs).expanduser() if settings.storage.blobs else paths.blobs


def compile_registry(
    settings: Settings, catalog: Catalog, providers: ProviderRegistry
) -> ExtractorRegistry:
    """The offline compiler, or the LLM one when `compile.model` is set."""
    model = settings.compile.model
    if not model:
        return offline_registry()
    entry = catalog.lookup(model)
    if entry is None:
        raise StartupError(
            f"compile.model {model!r} is not in the model catalog; add it under models.catalog "
            "or set compile.model to null for the offline compiler"
        )
    return llm_registry(providers, entry)


async def open_transcriber(
    settings: Settings, env: Mapping[str, str], stack: AsyncExitStack
) -> Transcriber | None:
    wanted = settings.uploads.transcription
    if wanted is None:
        return None
    provider = declared_providers(settings, env).get(wanted.provider)
    if provider is None or not provider.base_url:
        raise StartupError(
            f"uploads.transcription.provider: no provider {wanted.provider!r} with a baseUrl "
            "is configured; add it under providers (an OpenAI-compatible one)"
        )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_connect=10))
    stack.push_async_callback(session.close)
    return Transcriber(session, provider.base_url, wanted.model, provider.api_key)


@asynccontextmanager
async def open_faces(
    settings: Settings,
    paths: Paths,
    db: Database,
    providers: ProviderRegistry,
    *,
    catalog: Catalog,
    default_model: str,
    env: Mapping[str, str],
) -> AsyncIterator[FacesBackend]:
    async with AsyncExitStack() as stack:
        parsers = build_registry(
            await open_transcriber(settings, env, stack),
            pdf_children=settings.uploads.max_concurrent_pdf,
        )
        blobs = BlobStore(blob_root(settings, paths))
        faces = FaceService(
            db, blobs, catalog=catalog, default_model=default_model, agents=settings.agents
        )
        compiler = CompileRunner(
            faces.documents,
            faces.claims,
            faces.get,
            compile_registry(settings, catalog, providers),
            workers=settings.compile.workers,
            chunk_tokens=settings.compile.chunk_tokens,
        )
        compiler.change_hooks.append(faces.invalidate)
        documents = DocumentService(
            faces,
            compiler,
            parsers,
            limits=ParseLimits(),
            chunk_tokens=settings.compile.chunk_tokens,
        )
        await faces.start()
        stack.push_async_callback(faces.close)
        await compiler.start()
        stack.push_async_callback(compiler.close)
        yield FacesBackend(faces, documents, compiler)
