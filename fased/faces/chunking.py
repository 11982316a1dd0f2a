"""Sources → chunks small enough for one extraction step (SPEC §8).

- A document is cut on paragraph boundaries (blank lines), a paragraph too big for one chunk on
  sentence boundaries (and line breaks), a sentence too big on whitespace, and a word too big at
  the character budget. The pieces are then packed greedily, in order, into chunks of at most
  `chunk_tokens` (by `estimate_tokens`). Chunks are trimmed of surrounding whitespace and never
  empty; `text[c.start:c.end] == c.text` for the document's full text.
- A thread's full text is `thread_text(turns)`: `speaker: text` lines joined by `\\n`. Chunks are
  whole turns packed the same way (`c.text == thread_text(c.turns)`); a single turn too big for
  one chunk is cut like a paragraph, each piece a chunk holding that speaker's piece as its turn.

Pure and deterministic: the same source and budget give the same chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from fased.faces.model import Chunk, DocumentSource, Source, Turn
from fased.providers.tokens import CHARS_PER_TOKEN, estimate_tokens

Span = tuple[int, int]

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_END = r"[.!?\u2026\u3002\uff01\uff1f]"  # . ! ? ellipsis, CJK full stop, CJK ! and ?
_CLOSE = r"[\"'\u201d\u2019)\]]"  # a closing quote or bracket after the end mark
_SENTENCE_BREAK = re.compile(
    rf"(?:(?<={_END})|(?<={_END}{_CLOSE}))\s+|\n\s*|(?<=[\u3002\uff01\uff1f])(?=\S)"
)
_WORD_BREAK = re.compile(r"\s+")
_LEVELS: tuple[re.Pattern[str], ...] = (_PARAGRAPH_BREAK, _SENTENCE_BREAK, _WORD_BREAK)


def thread_text(turns: Iterable[Turn]) -> str:
    """A thread's full text: one `speaker: text` line per turn, joined by newlines."""
    return "\n".join(_turn_line(turn) for turn in turns)


def chunk_source(source: Source, *, chunk_tokens: int) -> list[Chunk]:
    """`source` cut into chunks of at most about `chunk_tokens` tokens (module docstring)."""
    if chunk_tokens < 1:
        raise ValueError("chunk_tokens must be at least 1")
    if isinstance(source, DocumentSource):
        return _chunk_document(source.text, chunk_tokens)
    return _chunk_thread(source.turns, chunk_tokens)


def _chunk_document(text: str, budget: int) -> list[Chunk]:
    span = _trim(text, 0, len(text))
    if span is None:
        return []
    spans = _pack(text, _pieces(text, span, budget, _LEVELS), budget)
    return [Chunk(index, s, e, text[s:e]) for index, (s, e) in enumerate(spans)]


def _chunk_thread(turns: Sequence[Turn], budget: int) -> list[Chunk]:
    text = thread_text(turns)
    chunks: list[Chunk] = []
    for first, last in _turn_groups(text, _line_spans(turns), budget):
        start, end = first[1][0], last[1][1]
        if first is last and not _fits(text, start, end, budget):
            chunks.extend(_split_turn(text, first[2], first[1], budget, len(chunks)))
        else:
            group = tuple(turns[first[0] : last[0] + 1])
            chunks.append(Chunk(len(chunks), start, end, text[start:end], group))
    return chunks


def _turn_line(turn: Turn) -> str:
    return f"{turn.speaker}: {turn.text}"


def _line_spans(turns: Sequence[Turn]) -> list[tuple[int, Span, Turn]]:
    spans: list[tuple[int, Span, Turn]] = []
    position = 0
    for index, turn in enumerate(turns):
        end = position + len(_turn_line(turn))
        spans.append((index, (position, end), turn))
        position = end + 1
    return spans


def _turn_groups(
    text: str, lines: list[tuple[int, Span, Turn]], budget: int
) -> Iterator[tuple[tuple[int, Span, Turn], tuple[int, Span, Turn]]]:
    """Runs of consecutive turns whose lines fit the budget together (a lone turn may not)."""
    if not lines:
        return
    first = last = lines[0]
    for line in lines[1:]:
        if _fits(text, first[1][0], line[1][1], budget):
            last = line
        else:
            yield first, last
            first = last = line
    yield first, last


def _split_turn(text: str, turn: Turn, span: Span, budget: int, offset: int) -> list[Chunk]:
    """One oversized turn as several chunks, each carrying its piece of the turn."""
    body_start = span[0] + len(turn.speaker) + 2  # after "speaker: "
    chunks = []
    for number, (s, e) in enumerate(_pack(text, _pieces(text, span, budget, _LEVELS), budget)):
        piece = Turn(turn.speaker, text[max(s, body_start) : e].strip())
        chunks.append(Chunk(offset + number, s, e, text[s:e], (piece,)))
    return chunks


def _fits(text: str, start: int, end: int, budget: int) -> bool:
    return estimate_tokens(text[start:end]) <= budget


def _trim(text: str, start: int, end: int) -> Span | None:
    """`[start, end)` without surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _split(text: str, span: Span, separator: re.Pattern[str]) -> list[Span]:
    """The non-blank pieces of `span` between matches of `separator`, trimmed."""
    pieces: list[Span] = []
    position = span[0]
    for match in separator.finditer(text, span[0], span[1]):
        piece = _trim(text, position, match.start())
        if piece is not None:
            pieces.append(piece)
        position = match.end()
    last = _trim(text, position, span[1])
    return [*pieces, last] if last is not None else pieces


def _pieces(
    text: str, span: Span, budget: int, levels: Sequence[re.Pattern[str]]
) -> Iterator[Span]:
    """Spans that each fit the budget, cut at the coarsest boundary that makes them fit."""
    if _fits(text, *span, budget):
        yield span
    elif not levels:
        yield from _hard_split(text, span, budget)
    else:
        for piece in _split(text, span, levels[0]):
            yield from _pieces(text, piece, budget, levels[1:])


def _hard_split(text: str, span: Span, budget: int) -> Iterator[Span]:
    """A span with no whitespace, cut into runs of at most the budget's characters."""
    start, end = span
    while start < end:
        stop = min(end, start + budget * CHARS_PER_TOKEN)
        while stop > start + 1 and not _fits(text, start, stop, budget):
            stop -= 1
        yield start, stop
        start = stop


def _pack(text: str, pieces: Iterable[Span], budget: int) -> list[Span]:
    """Consecutive pieces merged greedily while the merged span fits the budget."""
    packed: list[Span] = []
    for start, end in pieces:
        if packed and _fits(text, packed[-1][0], end, budget):
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed
