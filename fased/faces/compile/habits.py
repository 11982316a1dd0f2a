"""Epsilon habits and routines (`epsilon:habit:<slug>`, statement `<frequency>: <activity>`).

`Every morning I run along the river` → `every morning: run along the river`; `I usually cook
dinner` → `usually: cook dinner`; `I never drink coffee after noon` → `never: drink coffee
after noon`; `She always reviews code before lunch` → `always: review code before lunch`.
A habit may be conditional (`if it rains I…`), so hedges do not drop it; `I always thought…`
is a state of mind, not a habit (cognitive and state verbs are refused).
"""

from __future__ import annotations

from fased.faces.compile import phrases
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "habits"
_PERIOD = (
    r"(?:morning|day|evening|night|week|weekend|month|year|summer|winter|spring|autumn"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
_FREQUENCY = (
    rf"(?P<freq>(?i:(?:every|each)\s+(?:single\s+)?{_PERIOD}|on\s+(?:{_PERIOD}s|weekdays)"
    r"|most\s+(?:mornings|days|evenings|nights|weekends)|(?:once|twice|\w+\s+times)"
    r"\s+a\s+(?:day|week|month|year)))"
)
_NOT_HABITS = (
    r"think|thought|knew|know|wanted|want|wonder|wondered|felt|feel|believe|believed|say|said"
    r"|forget|forgot|remember|loved|love|liked|like|hated|hate|been|was|am|had|have|has|get"
    r"|got|assumed|found|dreamed|wished|told|tell|see|saw|seem|seemed|will|would|did|do|does"
    r"|don['\u2019]t|doesn['\u2019]t|can|could|should|must|need|needed|hope|hoped|end\s+up|ended\s+up"
    r"|still|also|just|really|actually|even|only|already"  # an adverb: the pattern backtracked
)
_ACTIVITY = rf"(?P<v>(?!(?:{_NOT_HABITS})\b)[a-z][^.,;:!?()\n]{{1,60}}?)"
_ENDS = r"(?=[.,;:!?]|\s+(?:and|but|because|so|when|while|unless|if)\b|$)"

RULES: tuple[Rule, ...] = (
    Rule(
        rf"{_FREQUENCY}\s*,?\s+{{S}}{{ADV}}\s+{_ACTIVITY}{_ENDS}",
        "epsilon:habit:{v}", "{freq}: {v}", 0.8, phrases.verb_phrase, hedged=True, verb=True,
        lower=("freq",),
    ),
    Rule(
        rf"{{S}}{{ADV}}\s+{_ACTIVITY}\s+{_FREQUENCY}{_ENDS}",
        "epsilon:habit:{v}", "{freq}: {v}", 0.75, phrases.verb_phrase, hedged=True, verb=True,
        lower=("freq",),
    ),
    Rule(
        r"{S}\s+(?P<freq>usually|always|never|often|rarely|typically|normally|generally"
        rf"|regularly|seldom|tend\s+to|tends\s+to)\s+{_ACTIVITY}{_ENDS}",
        "epsilon:habit:{v}", "{freq}: {v}", 0.7, phrases.verb_phrase, hedged=True, verb=True,
        lower=("freq",),
    ),
    Rule(
        r"{POSS}\s+(?P<freq>(?:morning|daily|evening|weekly|bedtime|night-time)\s+"
        r"(?:routine|ritual))"
        rf"\s+(?:is|includes|starts\s+with|involves)\s+{_ACTIVITY}{_ENDS}",
        "epsilon:habit:{v}", "{freq}: {v}", 0.75, phrases.verb_phrase, hedged=True,
        lower=("freq",),
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Habits and routines the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
