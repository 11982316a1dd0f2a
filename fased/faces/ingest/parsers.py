"""The built-in upload parsers, composed from a text extractor and what the upload is.

A *text extractor* turns an upload's bytes into text (decode, strip Markdown, extract a PDF in
its child process, transcribe audio/video). `document_parser` makes that text a
`DocumentSource`; `transcript_parser` reads it as a `Name: text` transcript. Chat exports
(JSON/JSONL) have structure of their own and go straight to turns (`export_parser`). Synchronous
work runs in a worker thread, so a large upload never stalls the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fased.errors import Unprocessable
from fased.faces.ingest.markdown import strip_markdown
from fased.faces.ingest.text import decode_text, require_text
from fased.faces.ingest.threads import EXPECTED_JSON, build_thread, transcript_thread
from fased.faces.ingest.upload import ParseLimits, Upload
from fased.faces.model import DocumentSource, Source, ThreadSource, Turn

Parser = Callable[[Upload, ParseLimits], Awaitable[Source]]
TextExtractor = Callable[[Upload, ParseLimits], Awaitable[str]]
TurnsReader = Callable[[bytes], list[Turn]]


async def plain_text(upload: Upload, limits: ParseLimits) -> str:
    return await asyncio.to_thread(decode_text, upload.data)


async def markdown_text(upload: Upload, limits: ParseLimits) -> str:
    text = await asyncio.to_thread(decode_text, upload.data)
    return await asyncio.to_thread(strip_markdown, text)


def document_parser(extract: TextExtractor, *, what: str) -> Parser:
    """Upload → text → `DocumentSource` in the upload's perspective."""

    async def parse(upload: Upload, limits: ParseLimits) -> Source:
        text = await extract(upload, limits)
        require_text(text, max_chars=limits.max_text_chars, what=what)
        return DocumentSource(text, upload.perspective)

    return parse


def transcript_parser(extract: TextExtractor, *, what: str) -> Parser:
    """Upload → text → `Name: text` turns → `ThreadSource`."""

    async def parse(upload: Upload, limits: ParseLimits) -> Source:
        text = await extract(upload, limits)
        require_text(text, max_chars=limits.max_text_chars, what=what)
        return await asyncio.to_thread(transcript_thread, text, upload.face_speaker, what=what)

    return parse


def export_parser(read_turns: TurnsReader, *, what: str) -> Parser:
    """Upload → chat-export turns → `ThreadSource`."""

    async def parse(upload: Upload, limits: ParseLimits) -> Source:
        turns = await asyncio.to_thread(read_turns, upload.data)
        _check_size(turns, limits.max_text_chars, what=what)
        thread: ThreadSource = build_thread(
            turns, upload.face_speaker, expected=EXPECTED_JSON, what=what
        )
        return thread

    return parse


def _check_size(turns: list[Turn], max_chars: int, *, what: str) -> None:
    size = sum(len(turn.speaker) + len(turn.text) + 3 for turn in turns)
    if size > max_chars:
        raise Unprocessable(
            f"The {what} is too large: about {size} characters of text, the limit is "
            f"{max_chars}; split it into smaller uploads."
        )
