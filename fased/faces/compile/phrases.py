"""Cleaners: the value a rule captured, cut down to the phrase a claim states.

Captures are generous (up to the sentence's next punctuation); a cleaner cuts at the first
clause boundary (`because`, `but`, `when`…), drops what cannot be a value (pronouns, a lone
article) and returns zero or more values: `items` splits lists (`hiking, cooking and jazz`).
"""

from __future__ import annotations

import re

from fased.faces.compile import lexicon
from fased.faces.compile.background import STOPWORDS
from fased.faces.compile.lexicon import words

MAX_WORDS = 5
MAX_ITEMS = 4
# A second predicate starts a new clause: "jazz and cares deeply about…" is not a list item.
_VERBS = (
    r"is|are|was|were|has|have|had|does|did|says|said|goes|went|gets|got|makes|made|takes|took"
    r"|lives|works|loves|likes|hates|enjoys|prefers|values|cares|believes|thinks|wants|needs"
    r"|plays|runs|spends|keeps|feels|tries|reads|writes|love|like|hate|enjoy|prefer|value|care"
    r"|believe|think|want|need|can|will|would|should"
)
_CLAUSE = re.compile(
    r"\s+(?:because|but|when|whenever|while|since|so|although|though|if|which|who|whom|where|"
    r"than|unless|until|even|whereas|as\s+long\s+as|and\s+then|and\s+(?:i|she|he|they|we)|"
    rf"and\s+(?:\w+ly\s+)?(?:{_VERBS})|rather|instead|more|over|above)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_CONJUNCTION = re.compile(
    r"\s*(?:,|\b(?:because|but|although|though|whereas|which|unless|while|so\s+that)\b).*$",
    re.IGNORECASE | re.DOTALL,
)
_PREPOSITION = re.compile(
    r"\s+(?:with|in|at|on|for|from|to|during|after|before|by|every|each|about|into|like|"
    r"around|near|without|these|those|this|that|lately|anymore|nowadays|too|again)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_LIST = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+", re.IGNORECASE)
_NOT_A_VALUE = words(
    """
    it them this that these those you him her me us everything anything something nothing
    everyone anyone someone one all lot lots way things thing stuff people there here what
    """
)
_LEADING = re.compile(r"^(?:(?:some|being|really|very|just)\s+)+", re.IGNORECASE)
_MONTHS_AND_DAYS = words(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday i
    """
)
_JUDGEMENTS = words(
    """
    good great bad terrible awful excellent amazing brilliant lousy decent fantastic horrible
    wonderful poor better worse best worst natural born hopeless fine
    """
)
_QUALIFIER = re.compile(r"^(?:fluent|some|basic|conversational|a\s+little)\s+", re.IGNORECASE)


def _squash(text: str) -> str:
    return " ".join(text.split()).strip(" .,;:'\"\u2019“”")


def clause(text: str) -> str:
    """The capture up to its first clause boundary."""
    return _CLAUSE.sub("", _squash(text))


def main_clause(text: str) -> str:
    """The capture up to its first comma or conjunction (a whole clause, `more` and all)."""
    return _CONJUNCTION.sub("", _squash(text))


def _cut(text: str, max_words: int) -> str | None:
    text = _LEADING.sub("", _PREPOSITION.sub("", _squash(text)))
    words = [w for w in text.split() if any(c.isalnum() for c in w)][:max_words]
    if not words or words[0].casefold() in _NOT_A_VALUE:
        return None
    return " ".join(words).strip(" ,'\u2019")


def phrase(text: str) -> tuple[str, ...]:
    """One noun phrase: `hiking in the Alps with Tom` → `hiking`."""
    value = _cut(clause(text), MAX_WORDS)
    return (value,) if value else ()


def items(text: str) -> tuple[str, ...]:
    """A list of noun phrases: `hiking, cooking and jazz` → three values."""
    values = (_cut(part, MAX_WORDS) for part in _LIST.split(clause(text)))
    return tuple(dict.fromkeys(v for v in values if v))[:MAX_ITEMS]


def verb_phrase(text: str) -> tuple[str, ...]:
    """What someone does: up to six words, to the first clause boundary or `and`, without
    trailing function words (`run along the river before my` → `run along the river`)."""
    head = re.split(r"\s+and\s+", clause(text), maxsplit=1)[0]
    words = head.split()[:6]
    while len(words) > 1 and words[-1].casefold() in STOPWORDS:
        words.pop()
    return (" ".join(words),) if words and words[0].isalpha() else ()


def proper(text: str) -> tuple[str, ...]:
    """A place, an organisation or a name: a leading `the` dropped; months/days refused."""
    value = re.sub(r"^the\s+", "", _squash(text))
    if not value or value.casefold() in _MONTHS_AND_DAYS:
        return ()
    return (value,)


def age(text: str) -> tuple[str, ...]:
    """An age in years, 5 to 110."""
    return (text,) if text.isdigit() and 5 <= int(text) <= 110 else ()


def occupation(text: str) -> tuple[str, ...]:
    """An occupation in lower case, without an age or a nationality among its modifiers; a
    judgement (`a terrible cook`, `a great listener`) is not an occupation."""
    if any(w.casefold() in _JUDGEMENTS for w in text.split()):
        return ()
    words = [
        w.casefold()
        for w in _squash(text).split()
        if not any(c.isdigit() for c in w) and w.casefold() not in lexicon.DEMONYMS
    ]
    return (" ".join(words),) if words else ()


def languages(text: str) -> tuple[str, ...]:
    """`Portuguese, English and some Spanish` → `English, Portuguese, Spanish` (sorted)."""
    names = {_QUALIFIER.sub("", part).strip().title() for part in _LIST.split(_squash(text))}
    names.discard("")
    return (", ".join(sorted(names)),) if names else ()


def verbatim(text: str) -> tuple[str, ...]:
    """The capture as it is, whitespace squashed, up to eight words."""
    words = _squash(text).split()[:8]
    return (" ".join(words),) if words else ()


def lower(text: str) -> tuple[str, ...]:
    """The capture as it is, in lower case."""
    value = _squash(text).casefold()
    return (value,) if value else ()
