"""The faces backend on a real SQLite file, without the HTTP layer: the face service, the
document service and a compile runner with no background workers (tests drive `run_once`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fased.config import AgentsSettings
from fased.faces.compile.offline import offline_registry
from fased.faces.compile.progress import DocumentStatus
from fased.faces.compile.registry import ExtractorRegistry
from fased.faces.compile.runner import CompileRunner
from fased.faces.documents import DocumentService
from fased.faces.face import Face
from fased.faces.fields import FaceBody
from fased.faces.ingest import ParseLimits, Upload, build_registry
from fased.faces.service import FaceService
from fased.providers.catalog import Catalog
from fased.store import Database, open_database
from fased.store.blobs import BlobStore
from tests.conftest import make_settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
CHUNK_TOKENS = 100


@dataclass
class Backend:
    db: Database
    faces: FaceService
    documents: DocumentService
    runner: CompileRunner
    events: list[tuple[str, DocumentStatus]]

    def runner_with(self, registry: ExtractorRegistry) -> CompileRunner:
        """Another runner on the same database (another process, or a restart)."""
        runner = CompileRunner(
            self.faces.documents,
            self.faces.claims,
            self.faces.get,
            registry,
            workers=0,
            chunk_tokens=CHUNK_TOKENS,
        )
        runner.change_hooks.append(self.faces.invalidate)
        runner.progress_hooks.append(lambda owner, status: self.events.append((owner, status)))
        return runner

    async def face(self, alias: str, name: str = "Marta", owner: str = "owner") -> Face:
        return await self.faces.create(owner, FaceBody(alias=alias, name=name))

    async def upload(
        self, face: Face, filename: str, *, kind: str = "document", owner: str = "owner"
    ) -> str:
        data = (CORPUS / filename).read_bytes()
        upload = Upload("thread" if kind == "thread" else "document", filename, "", data)
        return (await self.documents.upload(owner, face.alias, upload)).id

    async def compile_all(self, runner: CompileRunner | None = None) -> None:
        while await (runner or self.runner).run_once("w"):
            pass

    async def profile(self, alias: str, owner: str = "owner") -> str:
        face = await self.faces.require(owner, alias)
        return (await self.faces.profile(face, budget=4000)).text


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[Backend]:
    db = await open_database(str(tmp_path / "fased.db"))
    await db.migrate()
    settings = make_settings()
    faces = FaceService(
        db,
        BlobStore(tmp_path / "blobs"),
        catalog=Catalog.build(settings),
        default_model="echo",
        agents=AgentsSettings(),
        ttl=60,
    )
    await faces.start()
    events: list[tuple[str, DocumentStatus]] = []
    rig = Backend(db, faces, None, None, events)  # type: ignore[arg-type]
    rig.runner = rig.runner_with(offline_registry())
    rig.documents = DocumentService(
        faces, rig.runner, build_registry(), limits=ParseLimits(), chunk_tokens=CHUNK_TOKENS
    )
    try:
        yield rig
    finally:
        await faces.close()
        await db.close()
