"""Canonical claim keys (SPEC §8.1): `<component>:<slot>[:<qualifier>]`, in lower case.

Claims with one key are evidence for one primitive, so the qualifier must come out the same
for the same thing said twice: `slug` normalises a phrase (case, punctuation, a leading article
or possessive) and `digest` names things too long to slug (an example turn).
"""

from __future__ import annotations

import hashlib
import re

from fased.faces.compile.background import STOPWORDS
from fased.faces.model import COMPONENTS, Component

SLUG_WORDS = 4
DIGEST_CHARS = 12
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def slug(text: str, max_words: int = SLUG_WORDS, *, content_only: bool = True) -> str:
    """`"The Hard Work!"` → `hard-work`: lower-case words joined by `-`, at most `max_words`,
    without stopwords (`lead my own research group` → `lead-research-group`) unless that leaves
    nothing or `content_only` is off (a signature phrase: `no worries` → `no-worries`)."""
    words = [w.replace("\u2019", "'") for w in _WORD.findall(text.casefold())]
    content = [w for w in words if w not in STOPWORDS or not content_only] or words
    return "-".join(w.replace("'", "") for w in content[:max_words])


def digest(text: str) -> str:
    """A short stable name for a text, blind to case and runs of whitespace."""
    normal = " ".join(text.split()).casefold()
    return hashlib.sha256(normal.encode()).hexdigest()[:DIGEST_CHARS]


def make_key(component: Component, slot: str, qualifier: str = "") -> str:
    """`alpha`, `fact`, `location` → `alpha:fact:location`."""
    return f"{component}:{slot}:{qualifier}" if qualifier else f"{component}:{slot}"


def component_of(key: str) -> Component:
    """The component a key starts with; a key that starts with none is a bug."""
    head = key.split(":", 1)[0]
    for component in COMPONENTS:
        if component == head:
            return component
    raise ValueError(f"claim key {key!r} does not start with a component")
