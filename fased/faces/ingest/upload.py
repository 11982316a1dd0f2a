"""What an upload is, and the limits its parsing runs under (SPEC §7 uploads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fased.faces.model import Perspective

UploadKind = Literal["document", "thread"]
UPLOAD_KINDS: tuple[UploadKind, ...] = ("document", "thread")

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as the web layer received it (multipart `file` plus its form fields).

    `type` is the upload's kind, `document` or `thread`; `content_type` is the media type the
    client declared for the file (may be empty or `application/octet-stream`). `label` belongs to
    the document record, not to the parsed source.
    """

    type: UploadKind
    filename: str
    content_type: str
    data: bytes
    perspective: Perspective = "first-person"
    face_speaker: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds on parsing one upload; exceeding any fails that upload with a 422.

    - `pdf_*`: the PDF child process's CPU seconds (RLIMIT_CPU), address space (RLIMIT_AS),
      the wall-clock time the parent waits before killing it, and the most pages read.
    - `max_text_chars`: the most text any upload may yield (PDF, text, transcript).
    - `ffmpeg_timeout_seconds`: extracting a video's audio track.
    - `transcription_timeout_seconds`: one request to the transcription endpoint.
    """

    pdf_cpu_seconds: int = 20
    pdf_memory_bytes: int = 768 * MIB
    pdf_timeout_seconds: float = 30.0
    pdf_max_pages: int = 2000
    max_text_chars: int = 5_000_000
    ffmpeg_timeout_seconds: float = 300.0
    transcription_timeout_seconds: float = 600.0
