"""Epsilon speech style of a thread's face turns, against the other speakers' turns.

Each feature is claimed only when the face shows it clearly and more than the others do
(`ABOVE` times their rate; with no other speaker in the chunk, the absolute threshold alone):
sentence length (always, with its average), exclamation marks, questions, ellipses, em-dashes,
emoji (or none where the others use them), contractions (freely / avoided), register (casual /
formal, with its markers), lower-case starts; and signature phrases, words or n-grams in two or
more face turns and none of the others'. Keys: `epsilon:style:<feature>`,
`epsilon:phrase:<slug>`. A chunk with fewer than `MIN_TURNS` face turns or `MIN_WORDS` words
is too little to judge style on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fased.faces.compile.evidence import new_claim, split_sentences
from fased.faces.compile.keys import slug
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.signature import signature_phrases
from fased.faces.compile.stylometry import (
    CASUAL,
    FORMAL,
    WORD,
    StyleStats,
    emoji_in,
    measure,
)
from fased.faces.compile.turns import LocatedTurn, split_turns
from fased.faces.model import Chunk, Claim

NAME = "style"
MIN_TURNS = 3
MIN_WORDS = 20
ABOVE = 1.5
PHRASE_CONFIDENCE = 0.55
SHORT, LONG = 8, 15  # words per sentence, calibrated for chat (a chat sentence runs 8 to 12)


@dataclass(frozen=True, slots=True)
class Finding:
    """A style feature: its key and statement, and how well a face turn shows it (the quote
    is the best-scoring turn, the earliest on a tie)."""

    feature: str
    statement: str
    confidence: float
    shows: Callable[[str], float]


Rate = Callable[[StyleStats], float]


def _above(face: StyleStats, others: StyleStats | None, rate: Rate, threshold: float) -> bool:
    """The face's `rate` reaches `threshold` and `ABOVE` times the others' (if any)."""
    mine = rate(face)
    return mine >= threshold and (others is None or mine >= ABOVE * rate(others) + 1e-9)


def _words_per_sentence(text: str) -> float:
    sentences = [s for s in split_sentences(text, 0, len(text)) if WORD.search(s.text)]
    return len(WORD.findall(text)) / len(sentences) if sentences else 0.0


def _sentence_length(face: StyleStats, _: StyleStats | None) -> Finding:
    avg = face.words_per_sentence
    label = "short" if avg < SHORT else "medium-length" if avg < LONG else "long"
    return Finding(
        "sentence_length",
        f"{label} sentences (avg {round(avg)} words)",
        0.4 + min(0.4, face.sentences / 50),
        lambda text: -abs(_words_per_sentence(text) - avg),
    )


def _has(pattern: str) -> Callable[[str], float]:
    regex = re.compile(pattern)
    return lambda text: float(len(regex.findall(text)))


def _punctuation(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    found = []
    if _above(face, others, lambda s: s.exclamations_per_sentence, 0.2):
        pct = round(100 * face.exclamations_per_sentence)
        found.append(
            Finding(
                "exclamation", f"frequent exclamation marks ({pct}% of sentences)", 0.6, _has("!")
            )
        )
    if _above(face, others, lambda s: s.question_turns, 0.4):
        found.append(Finding("questions", "asks a lot of questions", 0.5, _has(r"\?")))
    if _above(face, others, lambda s: s.ellipses_per_turn, 0.2):
        found.append(Finding("ellipsis", "trails off with ellipses (…)", 0.6, _has(r"\.\.\.|…")))
    if _above(face, others, lambda s: s.dashes_per_turn, 0.2):
        found.append(
            Finding("em_dash", "uses em-dashes for asides", 0.6, _has(r"—|\s--\s|\s\u2013\s"))
        )
    return found


def _emoji(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    if _above(face, others, lambda s: s.emoji_per_turn, 0.3):
        favourites = " ".join(e for e, _ in face.emoji[:3])
        rate = round(face.emoji_per_turn, 1)
        return [
            Finding(
                "emoji",
                f"frequent emoji ({favourites}; {rate} per turn)",
                0.65,
                lambda t: float(len(emoji_in(t))),
            )
        ]
    if face.emoji_per_turn == 0 and others is not None and others.emoji_per_turn >= 0.3:
        return [Finding("emoji", "no emoji", 0.5, lambda t: float(len(t)))]
    return []


def _contractions(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    rate = face.contractions_per_100_words
    if _above(face, others, lambda s: s.contractions_per_100_words, 3.0):
        return [
            Finding(
                "contractions",
                "uses contractions freely",
                0.6,
                _has(r"\w['\u2019](?:t|m|re|ve|ll|d|s)\b"),
            )
        ]
    others_use = others is None or others.contractions_per_100_words >= 2.0
    if rate <= 0.5 and face.words >= 40 and others_use:
        return [
            Finding(
                "contractions",
                "avoids contractions (writes do not, I am)",
                0.6,
                lambda t: float(len(t)),
            )
        ]
    return []


def _register(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    casual, formal = face.casual_per_100_words, face.formal_per_100_words
    if (
        casual >= 2.0
        and casual > formal
        and _above(face, others, lambda s: s.casual_per_100_words, 2.0)
    ):
        markers = ", ".join(m for m, _ in face.casual[:3])
        return [Finding("register", f"casual register ({markers})", 0.6, _markers(CASUAL))]
    if formal >= 1.0 and formal > casual and face.contractions_per_100_words <= 1.5:
        markers = ", ".join(m for m, _ in face.formal[:3])
        return [Finding("register", f"formal register ({markers})", 0.6, _markers(FORMAL))]
    return []


def _markers(words: frozenset[str]) -> Callable[[str], float]:
    return lambda text: float(sum(w.casefold() in words for w in WORD.findall(text)))


def _capitalisation(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    if _above(face, others, lambda s: s.lowercase_start_turns, 0.5):
        return [
            Finding(
                "capitalisation",
                "writes in lower case (no capital to start)",
                0.55,
                lambda t: float(t.lstrip()[:1].islower()),
            )
        ]
    return []


def findings(face: StyleStats, others: StyleStats | None) -> list[Finding]:
    """Every feature the face shows, sentence length first."""
    return [
        _sentence_length(face, others),
        *_punctuation(face, others),
        *_emoji(face, others),
        *_contractions(face, others),
        *_register(face, others),
        *_capitalisation(face, others),
    ]


def _best_turn(
    turns: list[LocatedTurn], chunk: Chunk, shows: Callable[[str], float]
) -> LocatedTurn:
    scores = [shows(t.text_in(chunk)) for t in turns]
    return turns[scores.index(max(scores))]


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Style claims for the face's turns of a thread chunk."""
    face, others = split_turns(chunk, context.face_speaker, context.names)
    stats = measure([t.text_in(chunk) for t in face])
    if stats.turns < MIN_TURNS or stats.words < MIN_WORDS:
        return []
    other_stats = measure([t.text_in(chunk) for t in others]) if others else None
    found = [
        (
            f"epsilon:style:{f.feature}",
            f.statement,
            _best_turn(face, chunk, f.shows).span,
            f.confidence,
        )
        for f in findings(stats, other_stats)
    ]
    found += [
        (f"epsilon:phrase:{slug(p, 3, content_only=False)}", f'says "{p}"', span, PHRASE_CONFIDENCE)
        for p, span in signature_phrases(chunk, face, others)
    ]
    return [
        new_claim(chunk, context, extractor=NAME, key=k, statement=s, span=sp, confidence=c)
        for k, s, sp, c in found
    ]
