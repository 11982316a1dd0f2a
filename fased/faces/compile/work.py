"""Alpha facts about work and study: occupation, employer, education, degree.

`I work as a nurse`, `I'm a senior software engineer at Spotify`, `She is a retired teacher`
(an occupation from the lexicon after `a`/`an`, so `I'm a big fan` is not one), `works at|for
<Org>`, `studied physics at <Org>`, `graduated from <Org>`, `holds a PhD in <field>`.
`If I were a doctor` is hedged and `I'm not a politician` negated: neither is a fact.
"""

from __future__ import annotations

from fased.faces.compile import phrases
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "work"
_MODIFIER = r"(?:(?!(?:of|the|an?|and|with|for|to|at)\s)[\w-]+\s+)"
_OCCUPATION = rf"(?P<v>{_MODIFIER}{{0,3}}?{{OCC}})"
_FIELD = (
    r"(?P<v>[\w'\u2019-]+(?:\s+[\w'\u2019-]+){0,3}?)(?=\s+(?:at|from|in|and|with|for)\b|[.,;]|$)"
)
_DEGREE = (
    r"(?P<deg>Ph\.?D\.?|doctorate|[Mm]aster{APOS}?s(?:\s+degree)?|[Bb]achelor{APOS}?s"
    r"(?:\s+degree)?|MSc|BSc|MBA|MA|BA|degree)"
)

RULES: tuple[Rule, ...] = (
    # occupation
    Rule(
        r"{S}{NEG}{ADV}\s+works?\s+as\s+an?\s+(?P<v>{WORDS})",
        "alpha:fact:occupation", "{v}", 0.9, phrases.phrase, fact="occupation",
    ),
    Rule(
        rf"{{BE}}{{NEG}}{{ADV}}\s+an?\s+{_OCCUPATION}",
        "alpha:fact:occupation", "{v}", 0.8, phrases.occupation, fact="occupation",
    ),
    Rule(
        rf"{{HAVE}}{{ADV}}\s+been\s+an?\s+{_OCCUPATION}\s+for\b",
        "alpha:fact:occupation", "{v}", 0.75, phrases.occupation, fact="occupation",
    ),
    Rule(
        r"{BE}{NEG}\s+(?P<v>retired|unemployed|self-employed)\b",
        "alpha:fact:occupation", "{v}", 0.7, phrases.lower, fact="occupation",
    ),
    # employer
    Rule(
        r"{S}{AND}{NEG}{ADV}\s+works?\s+(?:at|for)\s+(?P<v>{ORG})",
        "alpha:fact:employer", "works at {v}", 0.85, phrases.proper, fact="employer",
    ),
    Rule(
        r"{S}{ADV}\s+works?\s+as\s+an?\s+[^.,;!?]{1,40}?\s+(?:at|for)\s+(?P<v>{ORG})",
        "alpha:fact:employer", "works at {v}", 0.85, phrases.proper, fact="employer",
    ),
    Rule(
        rf"{{BE}}{{NEG}}{{ADV}}\s+an?\s+{_MODIFIER}{{0,3}}?{{OCC}}\s+(?:at|for|with)\s+(?P<v>{{ORG}})",
        "alpha:fact:employer", "works at {v}", 0.85, phrases.proper, fact="employer",
    ),
    Rule(
        r"{BE}{NEG}\s+employed\s+(?:at|by)\s+(?P<v>{ORG})",
        "alpha:fact:employer", "works at {v}", 0.85, phrases.proper, fact="employer",
    ),
    # education
    Rule(
        rf"{{S}}\s+(?:studied|studies|study|majored\s+in|read)\s+{_FIELD}\s+at\s+(?P<at>{{ORG}})",
        "alpha:fact:education", "studied {v} at {at}", 0.85, phrases.phrase,
        fact="education", fact_value="{v}, {at}",
    ),
    Rule(
        rf"{{S}}\s+(?:studied|studies|majored\s+in)\s+{_FIELD}",
        "alpha:fact:education", "studied {v}", 0.7, phrases.phrase, fact="education",
    ),
    Rule(
        r"{S}\s+(?:studied|graduated)\s+(?:at|from)\s+(?P<v>{ORG})",
        "alpha:fact:education", "studied at {v}", 0.75, phrases.proper, fact="education",
    ),
    Rule(
        rf"(?:{{HAVE}}|{{S}}{{AND}}\s+(?:holds?|earned|got|completed|did|received))\s+(?:an?\s+)?"
        rf"{_DEGREE}\s+in\s+{_FIELD}",
        "alpha:fact:degree", "{deg} in {v}", 0.85, phrases.phrase,
        fact="degree", fact_value="{deg} in {v}",
    ),
    Rule(
        rf"{{POSS}}\s+{_DEGREE}\s+(?:is\s+|was\s+)?in\s+{_FIELD}",
        "alpha:fact:degree", "{deg} in {v}", 0.8, phrases.phrase,
        fact="degree", fact_value="{deg} in {v}",
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Work and study facts the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
