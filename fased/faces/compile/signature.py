"""Signature phrases: words and n-grams the face uses in several turns and the others never.

An n-gram (one to three words) counts once per turn it appears in; it must appear in at least
`MIN_TURNS` face turns and in no other speaker's turn. A single word must not be everyday
English (`COMMON_WORDS`); an n-gram of everyday words only (`I would`, `you know`) needs
`EVERYDAY_MIN_TURNS`. The top `TOP` by (turns,
length, phrase) win, a phrase inside an already chosen one skipped; each quotes its first
occurrence, as written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from fased.faces.compile.background import COMMON_WORDS
from fased.faces.compile.stylometry import WORD
from fased.faces.compile.turns import LocatedTurn
from fased.faces.model import Chunk

MIN_TURNS = 2
EVERYDAY_MIN_TURNS = 3  # an n-gram of everyday words only (`I would`) needs three turns
MAX_N = 3
TOP = 3


def _ngrams(text: str) -> set[str]:
    words = [w.casefold().replace("\u2019", "'") for w in WORD.findall(text)]
    return {
        " ".join(words[i : i + n]) for n in range(1, MAX_N + 1) for i in range(len(words) - n + 1)
    }


def _eligible(phrase: str, turns: int) -> bool:
    words = phrase.split()
    if len(words) == 1:
        return phrase not in COMMON_WORDS and len(phrase) >= 2 and not phrase.isdigit()
    return turns >= EVERYDAY_MIN_TURNS or not all(w in COMMON_WORDS for w in words)


def _first_occurrence(chunk: Chunk, turns: list[LocatedTurn], phrase: str) -> tuple[int, int]:
    words = [re.escape(w).replace("'", "['\u2019]") for w in phrase.split()]
    pattern = re.compile(
        r"(?<![\w'\u2019])" + r"\W+".join(words) + r"(?![\w'\u2019])", re.IGNORECASE
    )
    for turn in turns:
        match = pattern.search(chunk.text, turn.start, turn.end)
        if match:
            return match.span()
    raise ValueError(f"signature phrase {phrase!r} is not in the face's turns")


def _chosen(face: Counter[str], others: set[str]) -> Iterator[str]:
    ranked = sorted(
        (p for p, n in face.items() if n >= MIN_TURNS and p not in others and _eligible(p, n)),
        key=lambda p: (-face[p], -p.count(" "), p),
    )
    chosen: list[str] = []
    for phrase in ranked:
        if len(chosen) == TOP:
            break
        if any(f" {phrase} " in f" {c} " for c in chosen):
            continue
        chosen.append(phrase)
        yield phrase


def signature_phrases(
    chunk: Chunk, face: list[LocatedTurn], others: list[LocatedTurn]
) -> list[tuple[str, tuple[int, int]]]:
    """The face's signature phrases in the chunk and where each first occurs."""
    face_counts: Counter[str] = Counter()
    for turn in face:
        face_counts.update(_ngrams(turn.text_in(chunk)))
    other_grams = {g for turn in others for g in _ngrams(turn.text_in(chunk))}
    return [(p, _first_occurrence(chunk, face, p)) for p in _chosen(face_counts, other_grams)]
