"""The pattern-rule engine the fact, identity, preference and habit extractors share.

A `Rule` is a regex template over the face as subject (`{S} lives? in {PLACE}`), a key and a
statement template, and a confidence. The engine expands the template for the context (first or
third person, the face's names), runs it over each evidence sentence, and makes one claim per
cleaned value, quoting the whole sentence. Three guards keep it honest:

- questions are not statements: a sentence ending in `?` is skipped;
- hedges (`if I were`, `I'd`, `would`, `someday`, `wish`…) before the match or in its clause
  drop the match, unless the rule is `hedged=True` (goals are hedged by nature);
- negation (`don't`, `isn't`, `never`, `no longer`) is the pattern's `neg` group: the rule's
  `negated` statement is used (`dislikes X`), or the match is dropped when it has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fased.faces.compile import lexicon
from fased.faces.compile.evidence import Sentence, new_claim, sentences
from fased.faces.compile.keys import slug
from fased.faces.compile.registry import SOURCE_KINDS, ExtractContext, SourceKind
from fased.faces.compile.subject import APOS, Subject
from fased.faces.model import Chunk, Claim, Perspective

Cleaner = Callable[[str], tuple[str, ...]]

_CAP = "[A-ZÀ-ÖØ-Þ]"
_LANG = lexicon.alternation(lexicon.LANGUAGES)
_PROPER = rf"{_CAP}[\w'\u2019.&-]*"
FRAGMENTS: dict[str, str] = {
    "APOS": APOS,
    "NEG": (
        rf"(?P<neg>\s+(?:do\s+not|don{APOS}?t|does\s+not|doesn{APOS}?t|did\s+not|"
        rf"didn{APOS}?t|never|no\s+longer|not)|n{APOS}t)?"
    ),
    "ADV": (
        r"(?:\s+(?:currently|still|now|actually|really|also|just|only|mostly|recently|happily|"
        r"already|even|truly|absolutely|genuinely|totally|definitely|deeply|honestly|so|do|does|"
        r"very|much|sincerely|particularly))*"
    ),
    "PLACE": (
        rf"(?:the\s+)?{_PROPER}(?:(?:\s+|,\s+|\s+(?:de|do|da|del|di|am|upon|of)\s+){_PROPER})*"
    ),
    "ORG": rf"(?:the\s+)?{_PROPER}(?:(?:\s+|\s+(?:de|do|da|of|for|and|&)\s+){_PROPER})*",
    "NAME": rf"{_CAP}[^\W\d_]+(?:[ -]{_CAP}[^\W\d_]+)?",
    "NUM": r"(?:\d{1,2}|" + "|".join(sorted(lexicon.NUMBER_WORDS)) + r"|a\s+couple\s+of|an?)",
    "LANG": _LANG,
    "LANGS": (
        rf"{_LANG}(?:(?:,\s+|,?\s+and\s+|\s+or\s+)(?:(?:fluent|some|basic|conversational"
        rf"|a\s+little)\s+)?{_LANG})*"
    ),
    "DEMONYM": lexicon.alternation(lexicon.DEMONYMS),
    "OCC": lexicon.alternation(lexicon.OCCUPATIONS),
    "PET": lexicon.alternation(lexicon.PETS),
    "REL": lexicon.alternation(lexicon.RELATIONS),
    # "He studied X at Y and holds a PhD…": a second predicate of the same subject (no comma,
    # no relative pronoun between, so "I met a man who … and lives in …" is not the face's).
    "AND": r"(?:\s+(?:(?!\b(?:who|that|which|whose|whom|but)\b)[^.;:!?,]){1,80}?\s+and)?",
    "WORDS": r"[^.,;:!?()\n\"“”]{2,80}",
}
YEAR_BONUS = 1e-5  # per year after 1900 in a `year` group: a later move outranks an earlier one

_PLACEHOLDER = re.compile(r"\{([A-Z]+)\}")
_HEDGE = re.compile(
    r"\b(?:[Ii]f|would|wish(?:es|ed)?|someday|one\s+day|maybe|perhaps|might|could|unless|"
    r"dream(?:s|ed)?\s+of|hypothetically|imagine|were\s+to|pretend)\b|['\u2019]d\b"
)
_CLAUSE_END = re.compile(r"[,;:—\u2013]|\s-\s|\b(?:but|though|although|whereas|and|so)\b")
_IRREGULAR = {"has": "have", "is": "be", "does": "do", "goes": "go"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern and what a match of it claims.

    `pattern` names the value group `v` (cleaned by `clean` into zero or more values, one claim
    each) and may name others (`w`, `deg`, `year`…), used as they are. `key`, `statement` and
    `fact_value` are `str.format` templates over the groups; the key gets them slugged.
    `verb`: `v` is a verb phrase, its first verb put in the base form (`runs` → `run`).
    `qualifier`: computes the key's `{q}` from the value (a belief's topic); groups named in
    `lower` are put in lower case (`Every morning` at a sentence's start).
    """

    pattern: str
    key: str
    statement: str
    confidence: float
    clean: Cleaner
    fact: str | None = None
    fact_value: str = "{v}"
    negated: str | None = None
    hedged: bool = False
    verb: bool = False
    qualifier: Callable[[str], str] | None = None
    lower: tuple[str, ...] = ()
    kinds: frozenset[SourceKind] = frozenset(SOURCE_KINDS)
    voices: frozenset[Perspective] = frozenset({"first-person", "third-person"})


def expand(pattern: str, subject: Subject) -> str:
    """The rule's regex with every `{PLACEHOLDER}` replaced by its fragment."""
    fragments = {**FRAGMENTS, **subject.fragments()}
    return _PLACEHOLDER.sub(lambda m: fragments[m.group(1)], pattern)


def subject_for(context: ExtractContext) -> Subject:
    if context.voice == "first-person":
        return Subject.first_person()
    return Subject.third_person(context.names, context.pronouns)


def apply_rules(
    rules: tuple[Rule, ...], chunk: Chunk, context: ExtractContext, extractor: str
) -> list[Claim]:
    """Every claim the rules make on the chunk's evidence sentences: one per key and sentence,
    the most confident (`married to João` over `married` for one sentence)."""
    subject = subject_for(context)
    statements = [s for s in sentences(chunk, context) if not _is_question(s.text)]
    best: dict[tuple[str, tuple[int, int]], Claim] = {}
    for rule in rules:
        if context.kind not in rule.kinds or context.voice not in rule.voices:
            continue
        regex = re.compile(expand(rule.pattern, subject))
        for sentence in statements:
            for match in regex.finditer(sentence.text):
                found = _claims(
                    rule,
                    match,
                    sentence=sentence,
                    chunk=chunk,
                    context=context,
                    extractor=extractor,
                )
                for claim in found:
                    ident = (claim.key, claim.span)
                    if ident not in best or best[ident].confidence < claim.confidence:
                        best[ident] = claim
    return list(best.values())


def _groups(rule: Rule, match: re.Match[str]) -> dict[str, str]:
    """The match's groups other than `v` and `neg`, squashed (and lowered where asked)."""
    return {
        k: squash(v).casefold() if k in rule.lower else squash(v)
        for k, v in match.groupdict().items()
        if v and k not in ("v", "neg")
    }


def _claims(
    rule: Rule,
    match: re.Match[str],
    *,
    sentence: Sentence,
    chunk: Chunk,
    context: ExtractContext,
    extractor: str,
) -> list[Claim]:
    if not rule.hedged and is_hedged(sentence.text, match.end()):
        return []
    negated = match.group("neg") if "neg" in match.re.groupindex else None
    template = rule.negated if negated else rule.statement
    if template is None:
        return []
    extra = _groups(rule, match)
    confidence = rule.confidence + YEAR_BONUS * max(0, int(extra.get("year", "1900")) - 1900)
    claims = []
    for cleaned in rule.clean(match.group("v")):
        third = rule.verb and context.voice == "third-person"
        value = base_verb(cleaned) if third else cleaned
        fields = {**extra, "v": value}
        if rule.qualifier is not None:
            fields["q"] = rule.qualifier(value)
        claims.append(
            new_claim(
                chunk,
                context,
                extractor=extractor,
                key=rule.key.format(**{k: slug(f) for k, f in fields.items()}),
                statement=template.format(**fields),
                span=(sentence.start, sentence.end),
                confidence=confidence,
                fact=(rule.fact, rule.fact_value.format(**fields)) if rule.fact else None,
            )
        )
    return claims


def _is_question(text: str) -> bool:
    return text.rstrip("\"'\u2019”)] ").endswith("?")


def is_hedged(text: str, end: int) -> bool:
    """A hedge from the sentence's start to the end of the clause the match ends in."""
    boundary = _CLAUSE_END.search(text, end)
    return _HEDGE.search(text, 0, boundary.start() if boundary else len(text)) is not None


def squash(text: str) -> str:
    """Runs of whitespace as one space, a leading `the` and trailing punctuation dropped."""
    return re.sub(r"^the\s+", "", " ".join(text.split())).strip(" .,;:")


def base_verb(phrase: str) -> str:
    """`runs five miles` → `run five miles`: the third person's -s taken off the first word."""
    first, _, rest = phrase.partition(" ")
    if first in _IRREGULAR:
        first = _IRREGULAR[first]
    elif first.endswith("ies") and len(first) > 4:
        first = first[:-3] + "y"
    elif first.endswith(("sses", "shes", "ches", "xes", "zes")):
        first = first[:-2]
    elif first.endswith("s") and not first.endswith(("ss", "us", "is")):
        first = first[:-1]
    return f"{first} {rest}".strip()
