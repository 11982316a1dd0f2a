"""Compile progress: a document's status, as `GET /v1/compile/documents/{doc}` shows it and as
the `on_progress` hook (the WebSocket `compile` event) reports it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fased.faces.model import COMPONENTS
from fased.store.documents import DocumentRecord


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    document_id: str
    face_id: str
    prepare_status: str
    chunks_total: int
    chunks_completed: int
    current_counts: dict[str, int]
    compile_tokens: int
    error: str | None

    @classmethod
    def of(cls, record: DocumentRecord, counts: Mapping[str, int]) -> DocumentStatus:
        return cls(
            document_id=record.id,
            face_id=record.face_id,
            prepare_status=record.prepare_status,
            chunks_total=record.chunks_total,
            chunks_completed=record.chunks_completed,
            current_counts={c: int(counts.get(c, 0)) for c in COMPONENTS},
            compile_tokens=record.compile_tokens,
            error=record.error,
        )

    def payload(self) -> dict[str, Any]:
        """The status object (SPEC §7), with the face and the compile tokens so far."""
        return {
            "document_id": self.document_id,
            "face_id": self.face_id,
            "prepare_status": self.prepare_status,
            "chunks_total": self.chunks_total,
            "chunks_completed": self.chunks_completed,
            "current_counts": dict(self.current_counts),
            "compile_tokens": self.compile_tokens,
            "error": self.error,
        }


ProgressHook = Callable[[str, DocumentStatus], None]
"""`on_progress(owner_id, status)`: called on the event loop after every status change and every
chunk compiled; it must not block (enqueue, don't send)."""
