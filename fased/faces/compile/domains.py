"""Delta knowledge domains: keywords of the face's own text (`delta:domain:<term>`).

RAKE-like, against the built-in background of everyday English: candidates are the n-grams (up
to three words) of runs of words between stopwords and punctuation that start and end on a
word outside the background (`love triage` gives `triage`); a term must come back at least
twice in the chunk; plurals fold into singulars (`patients` → `patient`); proper nouns used as
places (`in Lisbon`), languages and nationalities, and the face's own names are not domains.
A term inside a longer one that occurs as often is dropped (`model` in `climate model`).
Score: count x (1 + ½ per extra word); the top five win, ties broken by the term. No model,
no download.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from fased.faces.compile import lexicon
from fased.faces.compile.background import COMMON_WORDS, STOPWORDS
from fased.faces.compile.evidence import evidence_spans, new_claim
from fased.faces.compile.keys import slug
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.stylometry import CASUAL
from fased.faces.model import Chunk, Claim

NAME = "domains"
TOP_TERMS = 5
MIN_COUNT = 2
MAX_PHRASE_WORDS = 3
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_JOINER = re.compile(r"^[ \t]*$")  # only spaces between two words of one run
_PLACE_CUE = re.compile(r"\b(?:in|at|to|from|near|around)\s+$")
# A language spoken is a fact and `lol` a style marker, not knowledge domains.
_NOT_DOMAINS = lexicon.LANGUAGES | lexicon.DEMONYMS | CASUAL


@dataclass(frozen=True, slots=True)
class _Word:
    norm: str
    start: int
    end: int
    rare: bool  # outside the background of everyday words


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word


def _places(text: str, start: int, end: int) -> set[str]:
    """Words written capitalised right after `in`/`at`/`to`… at least once: places and
    organisations (`in Lisbon`, `at Spotify`)."""
    seen: dict[str, list[bool]] = defaultdict(list)
    for m in _TOKEN.finditer(text, start, end):
        after_cue = _PLACE_CUE.search(text, max(start, m.start() - 8), m.start()) is not None
        seen[m.group().casefold()].append(m.group()[0].isupper() and after_cue)
    return {w for w, flags in seen.items() if any(flags)}


def _runs(text: str, start: int, end: int, excluded: set[str]) -> list[list[_Word]]:
    """Runs of consecutive content words (no stopword or punctuation between them)."""
    runs: list[list[_Word]] = [[]]
    previous_end = start
    for m in _TOKEN.finditer(text, start, end):
        word = m.group().casefold().replace("\u2019", "'")
        norm = _singular(word)
        content = word not in STOPWORDS and len(word) >= 3 and not {word, norm} & excluded
        if not content or not _JOINER.match(text[previous_end : m.start()]):
            runs.append([])
        if content:
            rare = word not in COMMON_WORDS and norm not in COMMON_WORDS
            runs[-1].append(_Word(norm, m.start(), m.end(), rare))
        previous_end = m.end()
    return [run for run in runs if run]


def _ngrams(run: list[_Word]) -> list[list[_Word]]:
    """Every n-gram of the run (up to three words) that starts and ends on a rare word."""
    return [
        run[i : i + n]
        for n in range(1, MAX_PHRASE_WORDS + 1)
        for i in range(len(run) - n + 1)
        if run[i].rare and run[i + n - 1].rare
    ]


def _terms(chunk: Chunk, context: ExtractContext) -> dict[str, list[tuple[int, int]]]:
    """Each candidate term (normalised) and where it occurs."""
    names = {w.casefold() for n in context.names for w in _TOKEN.findall(n)}
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for start, end in evidence_spans(chunk, context):
        excluded = names | _NOT_DOMAINS | _places(chunk.text, start, end)
        for run in _runs(chunk.text, start, end, excluded):
            for gram in _ngrams(run):
                found[" ".join(w.norm for w in gram)].append((gram[0].start, gram[-1].end))
    return found


def _subsumed(term: str, count: int, counts: dict[str, int]) -> bool:
    """Inside a longer candidate that occurs as often (`model` in `climate model`)."""
    return any(
        other != term and f" {term} " in f" {other} " and n >= count for other, n in counts.items()
    )


def top_terms(chunk: Chunk, context: ExtractContext) -> list[tuple[str, float, int]]:
    """The top terms as (term, score, count), best first, subsumed terms dropped."""
    return _ranked(_terms(chunk, context))


def _ranked(found: dict[str, list[tuple[int, int]]]) -> list[tuple[str, float, int]]:
    counts = {t: len(s) for t, s in found.items() if len(s) >= MIN_COUNT}
    scored = sorted(
        (
            (term, count * (1 + 0.5 * term.count(" ")), count)
            for term, count in counts.items()
            if not _subsumed(term, count, counts)
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return scored[:TOP_TERMS]


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """The chunk's top knowledge-domain terms, each quoting its first occurrence."""
    spans = _terms(chunk, context)
    firsts = {term: occurrences[0] for term, occurrences in spans.items()}
    return [
        new_claim(
            chunk,
            context,
            extractor=NAME,
            key=f"delta:domain:{slug(term)}",
            statement=f"knows about {chunk.text[firsts[term][0] : firsts[term][1]].lower()}",
            span=firsts[term],
            confidence=min(0.8, 0.3 + 0.1 * count),
        )
        for term, _score, count in _ranked(spans)
    ]
