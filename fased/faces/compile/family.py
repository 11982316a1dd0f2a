"""Alpha facts about family: marital status, partner, children, siblings, pets.

`I'm married to João`, `She is divorced`, `I have two kids`, `He is a father of three`,
`I have an older sister`, `I'm an only child`, `I have a dog named Pixel`, `my cat Miso`.
Only the face's own: `My sister has three kids` has another subject and claims nothing.
"""

from __future__ import annotations

from fased.faces.compile import phrases
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "family"
_KIN_ADJ = r"(?:(?:older|younger|little|big|baby|twin|grown(?:-up)?|young|teenage|adult)\s+)?"
_CHILDREN = rf"(?P<v>{{NUM}}\s+{_KIN_ADJ}(?:kids?|children|child|sons?|daughters?|boys|girls))\b"
_SIBLINGS = rf"(?P<v>{{NUM}}\s+{_KIN_ADJ}(?:brothers?|sisters?|siblings?|half-siblings?))\b"
_PETS = r"(?P<v>{NUM}\s+(?:[a-z]+\s+){0,2}?{PET})"

RULES: tuple[Rule, ...] = (
    Rule(
        r"{BE}{NEG}{ADV}\s+(?P<v>married|divorced|single|engaged|widowed|separated)\b",
        "alpha:fact:marital_status", "{v}", 0.85, phrases.lower, fact="marital_status",
    ),
    Rule(
        r"{BE}{ADV}\s+(?P<v>married|engaged)\s+to\s+(?P<w>{NAME})",
        "alpha:fact:marital_status", "{v} to {w}", 0.9, phrases.lower,
        fact="marital_status",
    ),
    Rule(
        r"{POSS}\s+(?P<v>wife|husband|spouse|fianc[ée]e?)\b",
        "alpha:fact:partner", "has a {v}", 0.6, phrases.lower, fact="partner",
    ),
    Rule(
        rf"{{HAVE}}{{NEG}}{{ADV}}\s+{_CHILDREN}",
        "alpha:fact:children", "has {v}", 0.85, phrases.lower, fact="children",
    ),
    Rule(
        r"{BE}{ADV}\s+(?:an?\s+)?(?:proud\s+|single\s+)?(?:mother|father|mom|mum|dad|parent)"
        r"\s+of\s+(?P<v>\d{1,2}|two|three|four|five|six|seven|eight|one)\b",
        "alpha:fact:children", "has {v} children", 0.85, phrases.lower,
        fact="children", fact_value="{v} children",
    ),
    Rule(
        rf"{{HAVE}}{{NEG}}{{ADV}}\s+{_SIBLINGS}",
        "alpha:fact:siblings", "has {v}", 0.85, phrases.lower, fact="siblings",
    ),
    Rule(
        r"{BE}\s+(?:an\s+)?(?P<v>only\s+child)\b",
        "alpha:fact:siblings", "no siblings ({v})", 0.85, phrases.lower,
        fact="siblings", fact_value="none",
    ),
    Rule(
        rf"{{HAVE}}{{NEG}}{{ADV}}\s+{_PETS}\s+(?:named|called)\s+(?P<w>{{NAME}})",
        "alpha:fact:pets", "has {v} named {w}", 0.85, phrases.lower,
        fact="pets", fact_value="{v} ({w})",
    ),
    Rule(
        rf"{{HAVE}}{{NEG}}{{ADV}}\s+{_PETS}",
        "alpha:fact:pets", "has {v}", 0.75, phrases.lower, fact="pets",
    ),
    Rule(
        r"{POSS}\s+(?:(?:old|little|new)\s+)?(?P<v>{PET}),?\s+(?P<w>{NAME})",
        "alpha:fact:pets", "has a {v} named {w}", 0.65, phrases.lower,
        fact="pets", fact_value="a {v} ({w})",
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Family facts the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
