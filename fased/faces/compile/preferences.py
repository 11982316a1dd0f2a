"""Beta: preferences, values and beliefs.

- preferences (`beta:pref:<object>`, polarity in the statement): `I love hiking` → `loves
  hiking`; `I don't like crowded beaches` → `dislikes crowded beaches`; `I can't stand X` →
  `hates X`; `I prefer trains over planes` → `prefers trains over planes`; lists give one claim
  per item. `I'd love to…` is a wish, not a preference (hedged).
- values (`beta:value:<concept>`): `I value X`, `I care deeply about X`, `what matters most to
  me is X`, `X is important to me`, `I believe in X`.
- beliefs (`beta:belief:<topic>`, the topic the first content words of the clause): `I think
  that X`, `I believe X`, `in my opinion, X`; `I don't think X` → `doubts that X`. A clause
  about oneself (`I think I'll…`) is a plan, not a belief.
"""

from __future__ import annotations

import re

from fased.faces.compile import phrases
from fased.faces.compile.background import STOPWORDS
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "preferences"
_OBJECT = (
    r"(?P<v>(?!that\s|it\b|how\b|when\b|you\b|it['\u2019]s|to\s+(?:think|say|believe|imagine)\b)"
    r"[^.;:!?()\n\"“”]{2,100})"
)
_BELIEF_SUBJECT = re.compile(
    r"^(?:i|i'm|i'll|i'd|i've|me|we|we'll|so|too|like|about|of|it'll|maybe|yes|no|not)\b",
    re.IGNORECASE,
)
TOPIC_WORDS = 4


def _pref(verbs: str, statement: str, negated: str | None, confidence: float) -> Rule:
    return Rule(
        rf"{{S}}{{AND}}{{NEG}}{{ADV}}\s+(?:{verbs})\s+{_OBJECT}",
        "beta:pref:{v}",
        statement,
        confidence,
        phrases.items,
        negated=negated,
    )


def belief(text: str) -> tuple[str, ...]:
    """A belief's clause: four words or more, not about the speaker, to its first boundary."""
    value = phrases.main_clause(text)
    words = value.split()
    if len(words) < 4 or _BELIEF_SUBJECT.match(value.replace("\u2019", "'")):
        return ()
    return (" ".join(words[:16]),)


def topic(text: str) -> str:
    """The belief's topic: its first content words (`remote work is overrated` → those)."""
    words = re.findall(r"[^\W_]+(?:['\u2019][^\W_]+)?", text.casefold())
    return " ".join([w for w in words if w not in STOPWORDS][:TOPIC_WORDS])


RULES: tuple[Rule, ...] = (
    _pref(r"love|loves|adore|adores", "loves {v}", "dislikes {v}", 0.8),
    _pref(r"like|likes|enjoy|enjoys|am\s+into|is\s+into|am\s+fond\s+of|is\s+fond\s+of",
          "likes {v}", "dislikes {v}", 0.75),
    _pref(r"dislike|dislikes", "dislikes {v}", None, 0.8),
    _pref(r"hate|hates|loathe|loathes|detest|detests|can{APOS}t\s+stand|cannot\s+stand"
          r"|can{APOS}t\s+bear", "hates {v}", None, 0.8),
    Rule(
        rf"{{BE}}{{NEG}}{{ADV}}\s+(?:a\s+)?(?:big\s+|huge\s+|great\s+)?fan\s+of\s+{_OBJECT}",
        "beta:pref:{v}", "likes {v}", 0.75, phrases.items, negated="dislikes {v}",
    ),
    Rule(
        r"{S}{ADV}\s+(?:prefers?|would\s+rather\s+have)\s+(?P<v>[\w'\u2019 -]{2,40}?)\s+"
        r"(?:over|to|rather\s+than|than)\s+(?P<w>[\w'\u2019 -]{2,40}?)"
        r"(?=[.,;:!?]|\s+(?:because|any)\b|$)",
        "beta:pref:{v}", "prefers {v} over {w}", 0.8, phrases.phrase,
    ),
    Rule(
        r"{POSS}\s+(?:all-time\s+)?favou?rite\s+(?P<w>[\w -]{2,30}?)\s+(?:is|are)\s+" + _OBJECT,
        "beta:pref:{v}", "favourite {w}: {v}", 0.8, phrases.phrase,
    ),
    # values
    Rule(
        r"{S}{AND}{ADV}\s+values?\s+" + _OBJECT,
        "beta:value:{v}", "values {v}", 0.85, phrases.items,
    ),
    Rule(
        r"{S}{AND}{ADV}\s+cares?(?:\s+(?:deeply|a\s+lot|so\s+much|most|passionately))?\s+about\s+"
        + _OBJECT,
        "beta:value:{v}", "values {v}", 0.75, phrases.items,
    ),
    Rule(
        r"(?<![\w'\u2019])[Ww]hat\s+(?:really\s+)?matters\s+(?:most\s+)?to\s+{OBJ}\s+is\s+"
        + _OBJECT,
        "beta:value:{v}", "values {v}", 0.85, phrases.items,
    ),
    Rule(
        r"(?<![\w'\u2019])(?P<v>[\w'\u2019-]+(?:\s+[\w'\u2019-]+){0,2})\s+(?:is|are)\s+(?:\w+\s+)?(?:important"
        r"|everything|sacred|non-negotiable)\s+to\s+{OBJ}(?![\w'\u2019])",
        "beta:value:{v}", "values {v}", 0.75, phrases.lower,
    ),
    Rule(
        r"{S}{AND}{ADV}\s+believes?\s+(?:strongly\s+|firmly\s+)?in\s+" + _OBJECT,
        "beta:value:{v}", "believes in {v}", 0.8, phrases.items,
    ),
    # beliefs
    Rule(
        r"{S}{NEG}{ADV}\s+(?:think|thinks|believe|believes|am\s+convinced|is\s+convinced"
        r"|feel|feels)\s+(?!in\s)(?:that\s+)?(?P<v>[^;:!?()\n\"“”]{8,200})",
        "beta:belief:{q}", "believes {v}", 0.7, belief, negated="doubts that {v}", qualifier=topic,
    ),
    Rule(
        r"(?<![\w'\u2019])[Ii]n\s+{POSS}\s+(?:honest\s+)?(?:opinion|view),\s+(?P<v>[^;:!?()\n]{8,200})",
        "beta:belief:{q}", "believes {v}", 0.7, belief, qualifier=topic,
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Preferences, values and beliefs the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
