"""The upload parser registry: which parser reads which (kind, format), and `parse_upload`.

Built once (in `open_deps`) with `build_registry(transcriber, pdf_children=…)`; an extension
registers a parser through the same `register` call the built-ins use. `parse(upload)`
recognises the file's format (`formats.detect`), finds the parser registered for the upload's
kind and that format, and returns the `Source`. A format we do not know, or one not accepted for
that kind, is a 415 that lists what is accepted.
"""

from __future__ import annotations

import enum
import shutil
from collections.abc import Sequence

from fased.errors import UnsupportedMediaType
from fased.faces.ingest.formats import FORMATS, Format, detect, media_type
from fased.faces.ingest.media import MediaText, Transcriber
from fased.faces.ingest.parsers import (
    Parser,
    TextExtractor,
    document_parser,
    export_parser,
    markdown_text,
    plain_text,
    transcript_parser,
)
from fased.faces.ingest.pdf import MAX_CHILDREN, PdfExtractor
from fased.faces.ingest.threads import parse_json_turns, parse_jsonl_turns
from fased.faces.ingest.upload import UPLOAD_KINDS, ParseLimits, Upload, UploadKind
from fased.faces.model import Source


class ParserRegistry:
    """Parsers by (upload kind, format name); formats recognised by name and media type."""

    __slots__ = ("_formats", "_parsers")

    def __init__(self, formats: Sequence[Format] = FORMATS) -> None:
        self._formats = tuple(formats)
        self._parsers: dict[tuple[UploadKind, str], Parser] = {}

    def register(self, kind: UploadKind, format_name: str, parser: Parser) -> None:
        if all(f.name != format_name for f in self._formats):
            raise ValueError(f"unknown upload format {format_name!r}")
        self._parsers[(kind, format_name)] = parser

    def supported(self, kind: UploadKind) -> list[Format]:
        """The formats accepted for `kind`, in the registry's order."""
        return [f for f in self._formats if (kind, f.name) in self._parsers]

    def resolve(self, upload: Upload) -> Parser:
        """The parser for `upload`; 415 naming the supported types when there is none."""
        found = detect(self._formats, upload.filename, upload.content_type)
        parser = self._parsers.get((upload.type, found.name)) if found else None
        if parser is not None:
            return parser
        raise UnsupportedMediaType(self._unsupported(upload, found), param="file")

    async def parse(self, upload: Upload, limits: ParseLimits) -> Source:
        return await self.resolve(upload)(upload, limits)

    def _unsupported(self, upload: Upload, found: Format | None) -> str:
        accepted = ", ".join(f.describe() for f in self.supported(upload.type)) or "none"
        supported = f"Supported for type={upload.type}: {accepted}."
        if found is None:
            declared = media_type(upload.content_type) or "no media type"
            return (
                f"Unsupported file type: {upload.filename!r} ({declared}). {supported} "
                "Name the file with one of these extensions."
            )
        others = [k for k in UPLOAD_KINDS if (k, found.name) in self._parsers]
        where = f"accepted only as type={' or '.join(others)}" if others else "not accepted"
        return f"A {found.label} upload is {where}. {supported}"


class _Lookup(enum.Enum):
    ON_PATH = "on_path"


FFMPEG_ON_PATH = _Lookup.ON_PATH


def build_registry(
    transcriber: Transcriber | None = None,
    *,
    ffmpeg: str | _Lookup | None = FFMPEG_ON_PATH,
    pdf_children: int = MAX_CHILDREN,
) -> ParserRegistry:
    """The built-in parsers; `transcriber` None leaves audio/video as a 422 naming the config.

    `ffmpeg` is the ffmpeg executable for video (default: found on PATH now; None: none).
    `pdf_children`: the most PDF child processes this registry runs at once (`PdfExtractor`).
    """
    ffmpeg_path = shutil.which("ffmpeg") if ffmpeg is FFMPEG_ON_PATH else ffmpeg
    assert not isinstance(ffmpeg_path, _Lookup)
    media = MediaText(transcriber, ffmpeg=ffmpeg_path)
    pdf = PdfExtractor(pdf_children)
    text_formats: tuple[tuple[str, TextExtractor, str], ...] = (
        ("text", plain_text, "file"),
        ("markdown", markdown_text, "file"),
        ("pdf", pdf.text, "PDF"),
        ("audio", media.audio, "transcribed audio"),
        ("video", media.video, "transcribed video"),
    )
    registry = ParserRegistry()
    for name, extract, what in text_formats:
        registry.register("document", name, document_parser(extract, what=what))
        registry.register("thread", name, transcript_parser(extract, what=what))
    registry.register("thread", "json", export_parser(parse_json_turns, what="JSON file"))
    registry.register("thread", "jsonl", export_parser(parse_jsonl_turns, what="JSONL file"))
    return registry


async def parse_upload(
    upload: Upload, *, limits: ParseLimits, registry: ParserRegistry | None = None
) -> Source:
    """`upload` parsed into a `Source` (see the module docstring); built-in parsers by default.

    Raises `UnsupportedMediaType` (415) and `Unprocessable` (422), or, for audio/video, the
    transcription provider's `UpstreamError` (502) / `UpstreamTimeout` (504). Without
    `registry`, one is built for this call alone, so its PDF bound is shared with no other call.
    """
    return await (registry or build_registry()).parse(upload, limits=limits)
