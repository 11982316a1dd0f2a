"""Ingest: uploaded files → `Source`s (SPEC §7 uploads). See `registry` for the entry point."""

from fased.faces.ingest.media import Transcriber, transcribe
from fased.faces.ingest.registry import ParserRegistry, build_registry, parse_upload
from fased.faces.ingest.upload import ParseLimits, Upload, UploadKind

__all__ = [
    "ParseLimits",
    "ParserRegistry",
    "Transcriber",
    "Upload",
    "UploadKind",
    "build_registry",
    "parse_upload",
    "transcribe",
]
