"""File formats an upload may be in, and how one is recognised.

Recognition order: the file name's extension (most specific: browsers and curl often declare
`.md`, `.jsonl` or `.m4a` as `text/plain` or `application/octet-stream`), then the declared media
type exactly, then the media type's family (`audio/*`, `video/*`). Pure data and lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str
    extensions: tuple[str, ...]
    media_types: tuple[str, ...] = ()
    media_families: tuple[str, ...] = ()  # "audio/" matches every audio/* type

    def describe(self) -> str:
        shown = ", ".join(self.extensions[:3])
        more = ", …" if len(self.extensions) > 3 else ""
        return f"{self.label} ({shown}{more})"


FORMATS: tuple[Format, ...] = (
    Format("text", "plain text", (".txt", ".text", ".log"), ("text/plain",)),
    Format(
        "markdown",
        "Markdown",
        (".md", ".markdown", ".mdown", ".mkd"),
        ("text/markdown", "text/x-markdown"),
    ),
    Format("pdf", "PDF", (".pdf",), ("application/pdf", "application/x-pdf")),
    Format("json", "JSON chat export", (".json",), ("application/json", "text/json")),
    Format(
        "jsonl",
        "JSONL chat export",
        (".jsonl", ".ndjson"),
        ("application/jsonl", "application/x-ndjson", "application/x-jsonlines"),
    ),
    Format(
        "audio",
        "audio",
        (".mp3", ".m4a", ".wav", ".ogg", ".oga", ".opus", ".flac", ".aac", ".mpga", ".weba"),
        media_families=("audio/",),
    ),
    Format(
        "video",
        "video",
        (".mp4", ".mov", ".webm", ".mkv", ".m4v", ".avi", ".mpeg", ".mpg"),
        media_families=("video/",),
    ),
)


def media_type(content_type: str) -> str:
    """`text/plain; charset=utf-8` → `text/plain`."""
    return content_type.split(";", 1)[0].strip().lower()


def detect(formats: Iterable[Format], filename: str, content_type: str) -> Format | None:
    """The format of a file named `filename` declared as `content_type`, if we know it."""
    candidates = tuple(formats)
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    declared = media_type(content_type)
    checks: tuple[Callable[[Format], bool], ...] = (
        lambda f: bool(suffix) and suffix in f.extensions,
        lambda f: bool(declared) and declared in f.media_types,
        lambda f: any(declared.startswith(family) for family in f.media_families),
    )
    for check in checks:
        found = next((f for f in candidates if check(f)), None)
        if found is not None:
            return found
    return None
