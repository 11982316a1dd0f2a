"""Alpha self-concept beyond facts: roles, relationships, experiences, goals.

- roles (`alpha:role:<slug>`): `As a mother, I…`, `I'm the founder of X`, `I volunteer at X`;
- relationships (`alpha:relationship:<relation>`): a named person, `my sister Inês`;
- experiences (`alpha:experience:<slug>`): `I've been nursing for eleven years`,
  `I spent three years in Japan`, `I used to live in Berlin`;
- goals (`alpha:goal:<slug>`): `my goal is to…`, `I hope/plan/want to…` — hedged by nature, so
  `I'd like to…` counts; `I don't want to…` does not. A bare `I want to` is too casual in chat
  (`I want to grab pizza`) and is read in documents only.
"""

from __future__ import annotations

from fased.faces.compile import lexicon, phrases
from fased.faces.compile.registry import ExtractContext, SourceKind
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "identity"
_ROLES = lexicon.alternation(
    lexicon.OCCUPATIONS
    | {"mother", "father", "mom", "mum", "dad", "parent", "immigrant", "volunteer", "runner"}
    | {"woman", "man", "daughter", "son", "caregiver", "christian", "muslim", "jew", "feminist"}
)
_SPAN = (
    r"(?P<n>(?:almost|nearly|over|more\s+than|about)?\s*(?:\d{1,2}|a|one|two|three|four|five"
    r"|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|a\s+few|several)"
    r"\s+(?:years?|decades?|months?))"
)
_VP = r"(?P<v>[a-z][^.,;:!?()\n]{1,60}?)"
_DOCUMENTS: frozenset[SourceKind] = frozenset({"document"})

RULES: tuple[Rule, ...] = (
    # roles
    Rule(
        rf"(?<![\w'\u2019])[Aa]s\s+an?\s+(?P<v>(?:[\w-]+\s+){{0,2}}?{_ROLES}(?:\s+of\s+\w+)?),\s+{{S}}",
        "alpha:role:{v}", "{v}", 0.7, phrases.lower,
    ),
    Rule(
        r"{BE}{ADV}\s+(?:the\s+|an?\s+)?(?P<v>(?:co-?)?(?:founder|head|president|chair|captain"
        r"|leader|organi[sz]er|director|coach|editor|treasurer|owner|host)\s+of\s+{WORDS})",
        "alpha:role:{v}", "{v}", 0.8, phrases.verbatim,
    ),
    Rule(
        r"{S}{ADV}\s+volunteers?\s+(?P<v>(?:as|at|with)\s+{WORDS})",
        "alpha:role:volunteer", "volunteers {v}", 0.75, phrases.lower,
    ),
    # relationships: a named person
    Rule(
        r"{POSS}\s+(?:(?:closest|oldest|old|dear|late)\s+)?(?P<rel>{REL}),?\s+(?P<v>{NAME})",
        "alpha:relationship:{rel}", "{rel} {v}", 0.7, phrases.proper,
    ),
    # experiences
    Rule(
        rf"{{HAVE}}{{ADV}}\s+been\s+(?P<v>\w+ing(?:\s+[^.,;:!?\n]{{1,40}}?)?)\s+for\s+{_SPAN}",
        "alpha:experience:{v}", "has been {v} for {n}", 0.8, phrases.phrase,
    ),
    Rule(
        rf"{{HAVE}}{{ADV}}\s+been\s+an?\s+(?P<v>[\w -]{{2,40}}?)\s+for\s+{_SPAN}",
        "alpha:experience:{v}", "has been a {v} for {n}", 0.75, phrases.phrase,
    ),
    Rule(
        rf"{{HAVE}}{{ADV}}\s+(?P<v>\w+ed\s+[^.,;:!?\n]{{1,40}}?)\s+for\s+{_SPAN}",
        "alpha:experience:{v}", "has {v} for {n}", 0.75, phrases.verbatim,
    ),
    Rule(
        rf"{{S}}{{ADV}}\s+spent\s+{_SPAN}\s+(?P<v>(?:in|at|as|working|living|studying)\s+{{WORDS}})",
        "alpha:experience:{v}", "spent {n} {v}", 0.75, phrases.verbatim,
    ),
    Rule(
        rf"{{S}}\s+used\s+to\s+{_VP}(?=[.,;:!?]|\s+(?:but|and|before|until)\b|$)",
        "alpha:experience:{v}", "used to {v}", 0.6, phrases.verb_phrase, verb=True,
    ),
    # goals
    Rule(
        r"{POSS}\s+(?:(?:main|biggest|big|long-term|ultimate|life|one|real)\s+)?"
        r"(?:goal|dream|ambition|aim|plan|mission)\s+(?:is|has\s+always\s+been|was)\s+to\s+"
        + _VP + r"(?=[.,;:!?]|\s+(?:before|by|within|someday|one\s+day)\b|$)",
        "alpha:goal:{v}", "goal: {v}", 0.85, phrases.verb_phrase, hedged=True,
    ),
    Rule(
        r"{S}{NEG}{ADV}\s+(?:hopes?|plans?|intends?|aims?|am\s+hoping|is\s+hoping|am\s+planning"
        r"|is\s+planning|(?:am|is)\s+determined)\s+to\s+" + _VP + r"(?=[.,;:!?]|\s+(?:before|by"
        r"|within|someday|one\s+day|eventually)\b|$)",
        "alpha:goal:{v}", "goal: {v}", 0.75, phrases.verb_phrase, hedged=True,
    ),
    Rule(
        r"(?:{S}{NEG}{ADV}\s+(?:wants?|would\s+(?:like|love))|(?<![\w'\u2019])[Ii]{APOS}d"
        r"(?:\s+really)?\s+(?:like|love))\s+to\s+"
        + _VP + r"(?=[.,;:!?]|\s+(?:before|by|within|someday|one\s+day|eventually)\b|$)",
        "alpha:goal:{v}", "goal: {v}", 0.55, phrases.verb_phrase, hedged=True,
        kinds=_DOCUMENTS,
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Roles, relationships, experiences and goals the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
