"""Delta reasoning tendencies from cue phrases (`delta:reasoning:<style>`).

`on the other hand` weighs both sides, `the data shows` reasons from evidence, `intuitively`
trusts intuition, `first principles` reasons from fundamentals… One claim per style whose cues
occur in the face's text at least `min_count` times, quoting the sentence of the first cue;
confidence grows with the number of cues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fased.faces.compile.evidence import new_claim, sentences
from fased.faces.compile.registry import ExtractContext
from fased.faces.model import Chunk, Claim

NAME = "reasoning"


@dataclass(frozen=True, slots=True)
class Style:
    name: str
    statement: str
    cues: str  # a regex alternation, matched case-insensitively on word boundaries
    min_count: int = 1


STYLES: tuple[Style, ...] = (
    Style("balanced", "weighs both sides", r"on the other hand|that said|then again|to be fair"
          r"|both sides|trade-?offs?|pros and cons|at the same time"),
    Style("empirical", "reasons from evidence and data", r"the (?:data|numbers|evidence)"
          r" (?:shows?|says?|suggests?)|studies (?:show|suggest)|research (?:shows|suggests)"
          r"|statistically|evidence-based|measured|(?:look|looking) at the data"
          r"|according to the data"),
    Style("intuitive", "trusts intuition", r"intuitively|gut feeling|my gut|instinctively"
          r"|(?:my|her|his) instinct|feels right"),
    Style("first-principles", "reasons from first principles", r"first principles"
          r"|fundamentally|from scratch|root cause|boils down to|at its core"),
    Style("analogical", "thinks in analogies", r"it'?s (?:a bit |kind of )?like|analogy"
          r"|similar to how|reminds me of", 2),
    Style("skeptical", "questions claims before accepting them", r"i doubt|skeptical"
          r"|sceptical|not convinced|prove it|citation needed|where'?s the evidence"),
    Style("tentative", "hedges and qualifies", r"i might be wrong|i'?m not sure|perhaps"
          r"|arguably|it seems|probably|i suspect", 2),
    Style("systematic", "works step by step", r"step by step|first of all|firstly|secondly"
          r"|systematically|checklist|break it down|one thing at a time"),
    Style("experiential", "reasons from experience", r"in my experience|i'?ve seen"
          r"|learned the hard way|from experience"),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """One claim per reasoning style the face's text shows."""
    evidence = sentences(chunk, context)
    claims: list[Claim] = []
    for style in STYLES:
        cue = re.compile(rf"(?<![\w'\u2019])(?:{style.cues})(?![\w'\u2019])", re.IGNORECASE)
        hits = [s for s in evidence for _ in cue.finditer(s.text.replace("\u2019", "'"))]
        if len(hits) < style.min_count:
            continue
        claims.append(
            new_claim(
                chunk,
                context,
                extractor=NAME,
                key=f"delta:reasoning:{style.name}",
                statement=style.statement,
                span=(hits[0].start, hits[0].end),
                confidence=min(0.8, 0.45 + 0.1 * (len(hits) - 1)),
            )
        )
    return claims
