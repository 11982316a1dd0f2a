"""Numbers that describe how someone writes, from a list of turns; no judgement here.

`measure(texts)` counts sentences and words, punctuation habits (`!`, `?`, `…`, em-dashes),
emoji (pictographs and `:)`-style emoticons), contractions, casual and formal markers, and
capitalisation. `style.py` compares the face's numbers with the other speakers'.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fased.faces.compile.evidence import split_sentences
from fased.faces.compile.lexicon import words

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_CONTRACTION = re.compile(
    r"[^\W_]+n['\u2019]t\b|\b(?:i|you|we|they|he|she|it|that|there|what|who|where|here|let)['\u2019]"
    r"(?:m|re|ve|ll|d|s)\b",
    re.IGNORECASE,
)
_EMOTICON = re.compile(r"(?<![\w:;])[:;=]-?[()DPp3/|](?![\w)(])|<3")
_ELLIPSIS = re.compile(r"\.\.\.|…")
_DASH = re.compile(r"—|\s--\s|\s\u2013\s")
CASUAL = words(
    """
    lol lmao haha hahaha omg btw tbh idk imo gonna wanna gotta yeah yep nope yup kinda sorta
    dude ok okay k u ur pls plz thx ya ngl fr lowkey literally totally super hey yo nah ugh
    wow omw brb cuz cos y'all xd hehe ahh aww awesome cool
    """
)
FORMAL = words(
    """
    indeed certainly therefore however furthermore moreover regards sincerely kindly shall
    whom thus hence nevertheless accordingly regarding consequently apologies appreciate
    perhaps dear would whereas notwithstanding undoubtedly rather
    """
)
# Pictographs, dingbats, symbols, flags; skin-tone modifiers are not counted on their own.
_EMOJI_RANGES = ((0x1F300, 0x1F3FA), (0x1F400, 0x1FAFF), (0x2600, 0x27BF), (0x1F1E6, 0x1F1FF))


def is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES) or code in (0x2B50, 0x2B55)


def emoji_in(text: str) -> list[str]:
    """The emoji and emoticons in `text`, in order."""
    return [c for c in text if is_emoji(c)] + _EMOTICON.findall(text)


@dataclass(frozen=True, slots=True)
class StyleStats:
    """How a set of turns is written; rates are per turn, per sentence or per 100 words."""

    turns: int
    sentences: int
    words: int
    words_per_sentence: float
    exclamations_per_sentence: float
    question_turns: float  # share of turns with a question mark
    ellipses_per_turn: float
    dashes_per_turn: float
    emoji_per_turn: float
    contractions_per_100_words: float
    casual_per_100_words: float
    formal_per_100_words: float
    lowercase_start_turns: float  # share of turns that start with a lower-case letter
    emoji: tuple[tuple[str, int], ...]  # most used first
    casual: tuple[tuple[str, int], ...]
    formal: tuple[tuple[str, int], ...]


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _rate(count: int, total: int, per: float = 1.0) -> float:
    return per * count / total if total else 0.0


def measure(texts: Sequence[str]) -> StyleStats:
    """The style numbers of `texts` (one text a turn)."""
    sentences = [s.text for t in texts for s in split_sentences(t, 0, len(t))]
    words = [w.casefold().replace("\u2019", "'") for t in texts for w in WORD.findall(t)]
    emoji = Counter(e for t in texts for e in emoji_in(t))
    casual = Counter(w for w in words if w in CASUAL)
    formal = Counter(w for w in words if w in FORMAL)
    worded = [s for s in sentences if WORD.search(s)]
    return StyleStats(
        turns=len(texts),
        sentences=len(worded),
        words=len(words),
        words_per_sentence=_rate(len(words), len(worded)),
        exclamations_per_sentence=_rate(sum("!" in s for s in sentences), len(sentences)),
        question_turns=_rate(sum("?" in t for t in texts), len(texts)),
        ellipses_per_turn=_rate(sum(len(_ELLIPSIS.findall(t)) for t in texts), len(texts)),
        dashes_per_turn=_rate(sum(len(_DASH.findall(t)) for t in texts), len(texts)),
        emoji_per_turn=_rate(sum(emoji.values()), len(texts)),
        contractions_per_100_words=_rate(
            sum(len(_CONTRACTION.findall(t)) for t in texts), len(words), 100
        ),
        casual_per_100_words=_rate(sum(casual.values()), len(words), 100),
        formal_per_100_words=_rate(sum(formal.values()), len(words), 100),
        lowercase_start_turns=_rate(sum(t.lstrip()[:1].islower() for t in texts), len(texts)),
        emoji=_ranked(emoji),
        casual=_ranked(casual),
        formal=_ranked(formal),
    )
