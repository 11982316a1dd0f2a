"""Epsilon example turns: a few of the face's own turns, verbatim (`epsilon:example:<digest>`).

Chosen deterministically per chunk: turns of `MIN_WORDS`…`MAX_WORDS` words, scored by how
distinctive they are (the share of their words the other speakers never use, plus a point for
a style marker: emoji, `!`, a casual or formal marker word) less how far their length is from
the face's median turn; best first, ties to the earlier turn, identical texts once. Between 2
and 4 a chunk: a quarter of the face's turns, at least 2 and at most 4 (fewer only when fewer
turns qualify).
"""

from __future__ import annotations

from statistics import median

from fased.faces.compile.evidence import new_claim
from fased.faces.compile.keys import digest
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.stylometry import CASUAL, FORMAL, WORD, emoji_in
from fased.faces.compile.turns import LocatedTurn, split_turns
from fased.faces.model import Chunk, Claim

NAME = "examples"
MIN_WORDS = 4
MAX_WORDS = 60
MIN_EXAMPLES = 2
MAX_EXAMPLES = 4
_MARKERS = CASUAL | FORMAL


def _words(text: str) -> list[str]:
    return [w.casefold().replace("\u2019", "'") for w in WORD.findall(text)]


def _score(text: str, others_vocabulary: set[str], typical: float) -> float:
    words = _words(text)
    distinct = sum(w not in others_vocabulary for w in words) / len(words)
    marked = bool(emoji_in(text)) or "!" in text or any(w in _MARKERS for w in words)
    return distinct + (1.0 if marked else 0.0) - abs(len(words) - typical) / typical


def choose(texts: list[str], other_texts: list[str]) -> list[int]:
    """The positions (in `texts`) of the example turns, best first."""
    eligible = [i for i, t in enumerate(texts) if MIN_WORDS <= len(_words(t)) <= MAX_WORDS]
    if not eligible:
        return []
    vocabulary = {w for t in other_texts for w in _words(t)}
    typical = float(median(len(_words(texts[i])) for i in eligible))
    ranked = sorted(eligible, key=lambda i: (-round(_score(texts[i], vocabulary, typical), 9), i))
    wanted = max(MIN_EXAMPLES, min(MAX_EXAMPLES, len(texts) // 4))
    chosen: list[int] = []
    for i in ranked:
        if len(chosen) < wanted and digest(texts[i]) not in {digest(texts[j]) for j in chosen}:
            chosen.append(i)
    return chosen


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """The chunk's example turns of the face, each quoting itself."""
    face, others = split_turns(chunk, context.face_speaker, context.names)
    texts = [t.text_in(chunk) for t in face]
    picks: list[LocatedTurn] = [face[i] for i in choose(texts, [t.text_in(chunk) for t in others])]
    return [
        new_claim(
            chunk,
            context,
            extractor=NAME,
            key=f"epsilon:example:{digest(turn.text_in(chunk))}",
            statement=turn.text_in(chunk),
            span=(turn.start, turn.end),
            confidence=0.6,
        )
        for turn in picks
    ]
