"""What in a chunk is evidence about the face, cut into sentences; and claims built from it.

In a document, the whole chunk; in a thread, only the face's turns. Every claim an offline
extractor makes is built by `new_claim`, which takes the quote from the span, so
`chunk.text[span[0]:span[1]] == quote` holds by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fased.faces.compile.keys import component_of
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.turns import split_turns
from fased.faces.model import Chunk, Claim

# A sentence ends at . ! ? … (and closing quotes/brackets) before whitespace, or at a newline.
_END = re.compile(r"[.!?…]+[\"'\u2019”)\]]*(?=\s|$)|\n")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Prof|Jr|Sr|vs|etc|approx|Mt|No|Fig|e\.g|i\.e)|\b[A-Z])\.$"
)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the chunk: `chunk.text[start:end] == text`."""

    start: int
    end: int
    text: str


def evidence_spans(chunk: Chunk, context: ExtractContext) -> list[tuple[int, int]]:
    """The parts of `chunk.text` that speak about the face, as (start, end) offsets."""
    if context.kind == "document":
        return [(0, len(chunk.text))]
    face, _ = split_turns(chunk, context.face_speaker, context.names)
    return [(turn.start, turn.end) for turn in face]


def split_sentences(text: str, start: int, end: int) -> list[Sentence]:
    """The sentences of `text[start:end]`, whitespace trimmed, offsets in `text`."""
    sentences: list[Sentence] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if match.group() != "\n" and _ABBREVIATION.search(text, cursor, match.end()):
            continue
        _append(sentences, text, cursor, match.end())
        cursor = match.end()
    _append(sentences, text, cursor, end)
    return sentences


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(start, end, text[start:end]))


def sentences(chunk: Chunk, context: ExtractContext) -> list[Sentence]:
    """Every sentence of the chunk's evidence, in order."""
    return [
        sentence
        for start, end in evidence_spans(chunk, context)
        for sentence in split_sentences(chunk.text, start, end)
    ]


def new_claim(
    chunk: Chunk,
    context: ExtractContext,
    *,
    extractor: str,
    key: str,
    statement: str,
    span: tuple[int, int],
    confidence: float,
    fact: tuple[str, str] | None = None,
) -> Claim:
    """A claim quoting `chunk.text[span]`, by the offline extractor `extractor`."""
    start, end = span
    if not 0 <= start < end <= len(chunk.text):
        raise ValueError(f"span {span} is outside the chunk (length {len(chunk.text)})")
    return Claim(
        key=key,
        component=component_of(key),
        statement=statement,
        quote=chunk.text[start:end],
        span=span,
        chunk_index=chunk.index,
        extractor=f"offline:{extractor}",
        confidence=round(confidence, 4),
        document_id=context.document_id,
        fact=fact,
    )
