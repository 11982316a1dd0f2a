"""Alpha facts about the person: age, where they live, come from and were born, nationality,
languages and name (`alpha:fact:<name>`, with `fact=(name, value)` for the `@facts` line).

First and third person alike (`I live in Lisbon`, `She lives in Lisbon`); hedged or negated
statements (`I'd live in Berlin if I could`, `I don't live in Porto anymore`) are not facts.
Where someone lives now: `live(s) in`, `based in`, `have lived in … since`, and `moved to`
(a later year outranks an earlier move); `used to live in` is an experience, not a location.
"""

from __future__ import annotations

from fased.faces.compile import phrases
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.rules import Rule, apply_rules
from fased.faces.model import Chunk, Claim

NAME = "facts"
_AGE_END = r"(?=\s*(?:[.,;!)]|$|\s(?:and|now|this|today|but|next|soon|in)\b))"

RULES: tuple[Rule, ...] = (
    # age
    Rule(
        rf"{{BE}}(?:\s+(?:now|already|almost|nearly))?\s+(?P<v>\d{{1,3}})(?:\s+years?\s+old)?{_AGE_END}",
        "alpha:fact:age", "{v} years old", 0.85, phrases.age, fact="age",
    ),
    Rule(
        r"{BE}\s+an?\s+(?P<v>\d{1,3})[- ]years?[- ]old\b",
        "alpha:fact:age", "{v} years old", 0.85, phrases.age, fact="age",
    ),
    Rule(
        r"{S}\s+(?:just\s+)?turned\s+(?P<v>\d{1,3})\b",
        "alpha:fact:age", "{v} years old", 0.75, phrases.age, fact="age",
    ),
    Rule(
        r"{N},\s+(?:aged\s+)?(?P<v>\d{1,3}),",
        "alpha:fact:age", "{v} years old", 0.8, phrases.age, fact="age",
    ),
    # where they live now
    Rule(
        r"{S}{AND}{NEG}{ADV}\s+lives?\s+in\s+(?P<v>{PLACE})",
        "alpha:fact:location", "lives in {v}", 0.9, phrases.proper, fact="location",
    ),
    Rule(
        r"{BE}{NEG}{ADV}\s+(?:based|living|settled)\s+in\s+(?P<v>{PLACE})",
        "alpha:fact:location", "lives in {v}", 0.85, phrases.proper, fact="location",
    ),
    Rule(
        r"{BE}\s+an?\s+[^.,;:!?]{1,40}?\s+(?:based|living)\s+in\s+(?P<v>{PLACE})",
        "alpha:fact:location", "lives in {v}", 0.8, phrases.proper, fact="location",
    ),
    Rule(
        r"{HAVE}{ADV}\s+(?:lived|been\s+living)\s+in\s+(?P<v>{PLACE})\s+(?:since|for)\b",
        "alpha:fact:location", "lives in {v}", 0.8, phrases.proper, fact="location",
    ),
    Rule(
        r"{S}{AND}{ADV}\s+(?:re)?(?:located|moved|relocated)\s+to\s+(?P<v>{PLACE})"
        r"(?:\s+in\s+(?P<year>(?:19|20)\d\d))?",
        "alpha:fact:location", "lives in {v}", 0.7, phrases.proper, fact="location",
    ),
    # where they come from
    Rule(
        r"{BE}{NEG}{ADV}\s+(?:originally\s+)?from\s+(?P<v>{PLACE})",
        "alpha:fact:origin", "from {v}", 0.85, phrases.proper, fact="origin",
    ),
    Rule(
        r"{S}{ADV}\s+(?:comes?|hails?)\s+(?:originally\s+)?from\s+(?P<v>{PLACE})",
        "alpha:fact:origin", "from {v}", 0.8, phrases.proper, fact="origin",
    ),
    Rule(
        r"{WAS}\s+born\s+(?:and\s+(?:raised|bred)\s+)?in\s+(?P<v>{PLACE})",
        "alpha:fact:birthplace", "born in {v}", 0.9, phrases.proper, fact="birthplace",
    ),
    Rule(
        r"{S}\s+grew\s+up\s+in\s+(?P<v>{PLACE})",
        "alpha:fact:hometown", "grew up in {v}", 0.85, phrases.proper, fact="hometown",
    ),
    # nationality
    Rule(
        r"{BE}{NEG}\s+(?:an?\s+)?(?:(?:proud|half)\s+)?(?P<v>{DEMONYM})",
        "alpha:fact:nationality", "{v}", 0.8, phrases.proper, fact="nationality",
    ),
    Rule(
        r"{S}{ADV}\s+(?:holds?|has|have)\s+(?:an?\s+)?(?P<v>{DEMONYM})\s+(?:citizenship|passport)",
        "alpha:fact:nationality", "{v}", 0.8, phrases.proper, fact="nationality",
    ),
    # languages
    Rule(
        r"{S}{AND}{ADV}\s+speaks?\s+(?:(?:fluent|some|basic)\s+)?(?P<v>{LANGS})",
        "alpha:fact:languages", "speaks {v}", 0.85, phrases.languages, fact="languages",
    ),
    Rule(
        r"{BE}{ADV}\s+(?:fluent|bilingual|trilingual|native)\s+in\s+(?P<v>{LANGS})",
        "alpha:fact:languages", "speaks {v}", 0.85, phrases.languages, fact="languages",
    ),
    Rule(
        r"{POSS}\s+(?:native|first|mother)\s+(?:language|tongue)\s+is\s+(?P<v>{LANG})",
        "alpha:fact:native_language", "native {v} speaker", 0.85, phrases.proper,
        fact="native_language",
    ),
    # name
    Rule(
        r"{POSS}\s+(?:full\s+)?name\s+is\s+(?P<v>{NAME})",
        "alpha:fact:name", "named {v}", 0.9, phrases.proper, fact="name",
    ),
    Rule(
        r"(?<![\w'\u2019])(?:[Cc]all\s+me|[Pp]eople\s+call\s+me)\s+(?P<v>{NAME})",
        "alpha:fact:nickname", "called {v}", 0.6, phrases.proper, fact="nickname",
        voices=frozenset({"first-person"}),
    ),
)  # fmt: skip


def extract(chunk: Chunk, context: ExtractContext) -> list[Claim]:
    """Personal facts the chunk states about the face."""
    return apply_rules(RULES, chunk, context, NAME)
