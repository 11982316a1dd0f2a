"""A face's documents (SPEC §7): upload, list, delete, and queue them for compiling (§8).

- Upload parses at once (`fased.faces.ingest`: text, Markdown, PDF in a limited child process,
  chat exports, transcripts, transcribed audio/video; nothing blocks the event loop), so a file
  that cannot be read is refused with its reason (415/422) and a hostile PDF fails only its own
  upload. The bytes go to the content-addressed blob store, the parsed source to the document
  row (`pending`): compiling reads the row, never the file again.
- Delete removes the document's claims in the same transaction (a new face version: the
  persona changes at once, no re-sync) and gives back its compile tokens; the blob goes when no
  document refers to it any more.
- `make` queues one document, `sync` every pending (or failed) one of a face. A failed
  document resumes from its last completed chunk; a synced one is compiled again from scratch
  (the same claims come out: compiling is deterministic).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from fased.errors import Conflict, NotFound, Unprocessable
from fased.faces.chunking import chunk_source
from fased.faces.compile.progress import DocumentStatus
from fased.faces.compile.runner import CompileRunner
from fased.faces.face import Face
from fased.faces.ingest import ParseLimits, ParserRegistry, Upload
from fased.faces.ingest.formats import media_type
from fased.faces.model import DocumentSource, Source
from fased.faces.records import decode_source, encode_source
from fased.faces.service import FaceService
from fased.store.documents import DocumentDraft, DocumentRecord

DOCUMENT_NOT_FOUND = "Document not found or not owned by you"


def document_not_found() -> NotFound:
    return NotFound(DOCUMENT_NOT_FOUND, code="document_not_found")


def document_object(record: DocumentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "document",
        "face_id": record.face_id,
        "type": record.kind,
        "label": record.label,
        "filename": record.filename,
        "media_type": record.media_type,
        "perspective": record.perspective,
        "face_speaker": record.face_speaker,
        "prepare_status": record.prepare_status,
        "chunks_total": record.chunks_total,
        "chunks_completed": record.chunks_completed,
        "compile_tokens": record.compile_tokens,
        "error": record.error,
        "created_at": int(record.created_at),
        "updated_at": int(record.updated_at),
    }


def _draft(face: Face, upload: Upload, source: Source, encoded: str, blob: str) -> DocumentDraft:
    document = isinstance(source, DocumentSource)
    speaker = None if isinstance(source, DocumentSource) else source.face_speaker
    return DocumentDraft(
        face_id=face.id,
        kind=upload.type,
        source=encoded,
        label=upload.label,
        filename=upload.filename or None,
        media_type=media_type(upload.content_type) or None,
        blob=blob,
        perspective=source.perspective if isinstance(source, DocumentSource) else None,
        face_speaker=None if document else (speaker or upload.face_speaker),
    )


class DocumentService:
    """Documents of the faces `faces` manages, compiled by `runner`."""

    def __init__(
        self,
        faces: FaceService,
        runner: CompileRunner,
        parsers: ParserRegistry,
        *,
        limits: ParseLimits,
        chunk_tokens: int,
    ) -> None:
        self.faces = faces
        self.store = faces.documents
        self.runner = runner
        self.parsers = parsers
        self.limits = limits
        self.chunk_tokens = chunk_tokens

    async def upload(self, owner_id: str, face_ref: str, upload: Upload) -> DocumentRecord:
        face = await self._concrete(owner_id, face_ref)
        source = await self.parsers.parse(upload, self.limits)
        blob = await self.faces.blobs.put(upload.data)
        encoded = await asyncio.to_thread(encode_source, source)
        record = await self.store.add(owner_id, _draft(face, upload, source, encoded, blob))
        await self.runner.announce(record)
        return record

    async def list(self, owner_id: str, face_ref: str) -> Sequence[DocumentRecord]:
        face = await self.faces.require(owner_id, face_ref)
        return await self.store.list(owner_id, face.id)

    async def delete(self, owner_id: str, face_ref: str, document_id: str) -> DocumentRecord:
        face = await self.faces.require(owner_id, face_ref)
        found = await self.store.get(owner_id, document_id)
        if found is None or found.face_id != face.id:
            raise document_not_found()
        deleted = await self.store.delete(owner_id, document_id)
        self.faces.invalidate(owner_id, face.id)
        if deleted is None:
            raise document_not_found()
        if deleted.blob:
            await self.faces.drop_blobs([deleted.blob])
        return deleted

    async def status(self, owner_id: str, document_id: str) -> DocumentStatus:
        record = await self.store.get(owner_id, document_id)
        if record is None:
            raise document_not_found()
        return await self.runner.status(record)

    async def make(self, owner_id: str, document_id: str) -> DocumentStatus:
        """Queue the document for compiling (see the module docstring)."""
        record = await self.store.get(owner_id, document_id)
        if record is None:
            raise document_not_found()
        if record.kind == "import":
            raise Conflict(
                "An imported document has nothing to compile: its primitives came with it.",
                code="nothing_to_compile",
            )
        prepared = await self._prepare(record)
        self.runner.wake()
        return await self.runner.announce(prepared)

    async def sync(self, owner_id: str, face_ref: str) -> tuple[Face, Sequence[DocumentStatus]]:
        """Queue every pending or failed document of the face."""
        face = await self._concrete(owner_id, face_ref)
        statuses = []
        for record in await self.store.to_compile(owner_id, face.id):
            statuses.append(await self.runner.announce(await self._prepare(record)))
        self.runner.wake()
        return await self.faces.require(owner_id, face.id), statuses

    async def _prepare(self, record: DocumentRecord) -> DocumentRecord:
        if record.prepare_status == "preparing":
            return record
        text = await self.store.source(record.owner_id, record.id)
        if text is None:
            raise document_not_found()
        resume = record.prepare_status == "failed" and record.chunk_tokens
        budget = record.chunk_tokens if resume and record.chunk_tokens else self.chunk_tokens
        source = await asyncio.to_thread(decode_source, text)
        chunks = await asyncio.to_thread(chunk_source, source, chunk_tokens=budget)
        prepared = await self.store.prepare(record, chunks_total=len(chunks), chunk_tokens=budget)
        if prepared is None:  # someone else changed it first: show what it is now
            current = await self.store.get(record.owner_id, record.id)
            if current is None:
                raise document_not_found()
            return current
        return prepared

    async def _concrete(self, owner_id: str, face_ref: str) -> Face:
        face = await self.faces.require(owner_id, face_ref)
        if face.formula:
            raise Unprocessable(
                f"{face.alias!r} is a synthetic face (formula {face.formula!r}): it has no "
                "documents of its own; upload to the faces in its formula.",
                code="synthetic_face",
            )
        return face
