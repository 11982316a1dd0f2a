"""Face import/export as pure mappings: Fased JSON (`fased.face/v1`) and Character Card V2.

**Fased JSON** is the whole face, exactly: `{"format": "fased.face/v1", "face": {alias, name,
basic_facts: {name: value}, default_model, formula, profile_addendum}, "primitives": [{key,
component, statement, weight, support, fact: [name, value] | null, sources: [document ids]}],
"claims": [{key, component, statement, quote, span: [start, end], chunk_index, extractor,
confidence, document_id, fact}]}`, primitives by key (unique), claims by document, chunk, span.
Import is strict: an unknown field is refused, not dropped (a fact may be `{"value": …}`).

**Character Card V2** (`chara_card_v2` 2.0): `description` is the `@facts` line of the basic
facts then the alpha and beta lines, `personality` the delta and epsilon lines, in the profile
grammar (by component, weight, key); `mes_example` has each example turn as a `<START>` line and
a `{{char}}: …` line; `system_prompt` is `{{original}}` (the frontend's prompt) then the profile
addendum. `extensions.fased` keeps the whole face as Fased JSON minus the claims (their verbatim
quotes of private documents stay home when a card is shared).

Importing a card: when `extensions.fased` re-exports to the card's visible text, the card is
ours and unedited and comes back exactly. Otherwise the text is read: sigil lines keep their
component (and an extension primitive with that component and statement lends its key, weight
and support); `@facts` lines and `Age: 25` lines of known fact names become basic facts; any
other line is split into sentences, each a primitive `<component>:card:<digest>` in the
component its wording suggests (values, likes → beta; thinking, knowledge → delta; speech,
habits → epsilon), else description → alpha, personality → epsilon. `{{char}}` turns of
`mes_example` and `first_mes` become example turns (`epsilon:example:<digest>`, the compiler's
digest, so one turn has one key wherever it came from); `system_prompt` (less `{{original}}`)
and `scenario` become the profile addendum. A card without `spec` is read as V1.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fased.errors import Unprocessable
from fased.faces import render
from fased.faces.compile.keys import digest
from fased.faces.formula import ALIAS_PATTERN
from fased.faces.model import COMPONENTS, SIGILS, Claim, Component, Primitive
from fased.faces.render import (
    EXAMPLE_KEY_PREFIX,
    EXAMPLE_LABEL,
    FACTS_PREFIX,
)

FASED_FORMAT = "fased.face/v1"
CCV2_SPEC = "chara_card_v2"
CCV2_VERSION = "2.0"
EXTENSION = "fased"
ORIGINAL = "{{original}}"
MAX_PRIMITIVES = 10_000
MAX_CLAIMS = 200_000
MAX_STATEMENT = 4_000
MAX_FACT_VALUE = 500  # SPEC §7
MAX_CARD_TEXT = 200_000
FOREIGN_FACTS = frozenset(
    ("age", "gender", "pronouns", "species", "race", "nationality", "occupation", "job",
     "profession", "location", "home", "hometown", "birthday", "height", "education", "religion")
)  # fmt: skip
RESERVED_ALIASES = frozenset({"fased", "default", "diff", "import"})
_HINTS: tuple[tuple[Component, re.Pattern[str]], ...] = (
    ("beta", re.compile(r"\b(values?|believes?|beliefs?|loves?|likes?|hates?|dislikes?|"
                        r"prefers?|cares?|opinions?|principles?|morals?)\b", re.I)),
    ("delta", re.compile(r"\b(thinks?|reason\w*|analy\w*|logical|knows?|knowledge\w*|"
                         r"expert\w*|skilled|intelligen\w*|studies|studied)\b", re.I)),
    ("epsilon", re.compile(r"\b(speaks?|talks?|says?|voice|tone|accent|often|always|habits?|"
                           r"tends?|swears?|stutters?|laughs?|smiles?|mannerisms?)\b", re.I)),
)  # fmt: skip
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_KEY_VALUE = re.compile(r"^([A-Za-z][A-Za-z _]{0,30}):\s*(\S.*)$")
_TEXT_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example",
                "system_prompt")  # fmt: skip

Text = Annotated[str, Field(max_length=MAX_CARD_TEXT)]
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class FaceFields:
    alias: str
    name: str
    basic_facts: Mapping[str, str] = field(default_factory=dict)
    default_model: str | None = None
    formula: str | None = None
    profile_addendum: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedFace:
    face: FaceFields
    primitives: tuple[Primitive, ...]
    claims: tuple[Claim, ...] = ()


# -- the Fased JSON schema ------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _FactValue(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    value: Annotated[str, Field(max_length=MAX_FACT_VALUE)]


class _Face(_Strict):
    alias: Annotated[str, Field(pattern=f"^{ALIAS_PATTERN.pattern}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    basic_facts: dict[str, Annotated[str, Field(max_length=MAX_FACT_VALUE)] | _FactValue] = {}
    default_model: str | None = None
    formula: Annotated[str, Field(max_length=1024)] | None = None
    profile_addendum: Text | None = None


class _Keyed(_Strict):
    key: Annotated[str, Field(pattern=r"^(alpha|beta|delta|epsilon):\S{1,200}$")]
    component: Component
    statement: Annotated[str, Field(min_length=1, max_length=MAX_STATEMENT)]
    fact: tuple[str, str] | None = None

    @model_validator(mode="after")
    def _key_names_component(self) -> _Keyed:
        if not self.key.startswith(f"{self.component}:"):
            raise ValueError(f"key {self.key!r} must start with '{self.component}:'")
        return self


class _Primitive(_Keyed):
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    support: Annotated[int, Field(ge=0)]
    sources: tuple[str, ...] = ()


class _Claim(_Keyed):
    quote: Text
    span: tuple[int, int]
    chunk_index: Annotated[int, Field(ge=0)]
    extractor: str
    confidence: Annotated[float, Field(ge=0, le=1)]
    document_id: str = ""


class _FasedCard(_Strict):
    format: Literal["fased.face/v1"]
    face: _Face
    primitives: Annotated[list[_Primitive], Field(max_length=MAX_PRIMITIVES)] = []
    claims: Annotated[list[_Claim], Field(max_length=MAX_CLAIMS)] = []

    @model_validator(mode="after")
    def _unique_keys(self) -> _FasedCard:
        keys = [primitive.key for primitive in self.primitives]
        if len(keys) != len(set(keys)):
            raise ValueError("primitive keys must be unique")
        return self


def _validate(model: type[Model], data: object, what: str) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
            for item in error.errors()[:5]
        ]
        raise Unprocessable(f"Invalid {what}: " + "; ".join(problems)) from None


# -- Fased JSON -------------------------------------------------------------------------------


def _plain(record: Primitive | Claim) -> dict[str, Any]:
    """A record as JSON-ready data, fields in declaration order, tuples as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(record).items()}


def export_fased(
    face: FaceFields, primitives: Sequence[Primitive], claims: Sequence[Claim] = ()
) -> dict[str, Any]:
    """The face as Fased JSON: primitives by key, claims by document, chunk, span, key."""
    ordered_claims = sorted(
        claims, key=lambda c: (c.document_id, c.chunk_index, c.span, c.key, c.extractor, c.quote)
    )
    return {
        "format": FASED_FORMAT,
        "face": {**asdict(face), "basic_facts": dict(face.basic_facts)},
        "primitives": [_plain(p) for p in sorted(primitives, key=lambda p: p.key)],
        "claims": [_plain(c) for c in ordered_claims],
    }


def import_fased(data: object) -> ImportedFace:
    """The pieces of a Fased JSON card; 422 naming the first problems when it is invalid."""
    card = _validate(_FasedCard, data, "Fased face card")
    facts = {k: v if isinstance(v, str) else v.value for k, v in card.face.basic_facts.items()}
    face = FaceFields(**{**card.face.model_dump(), "basic_facts": facts})
    return ImportedFace(
        face=face,
        primitives=tuple(Primitive(**p.model_dump()) for p in card.primitives),
        claims=tuple(Claim(**c.model_dump()) for c in card.claims),
    )


# -- Character Card V2: export ----------------------------------------------------------------


class _CardData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Text = ""
    personality: Text = ""
    scenario: Text = ""
    first_mes: Text = ""
    mes_example: Text = ""
    system_prompt: Text = ""
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = {}


class _Ccv2Card(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    spec: Literal["chara_card_v2"]
    spec_version: str = CCV2_VERSION
    data: _CardData


def _card_order(primitive: Primitive) -> tuple[int, float, str]:
    return (COMPONENTS.index(primitive.component), -primitive.weight, primitive.key)


def export_ccv2(
    face: FaceFields,
    primitives: Sequence[Primitive],
    *,
    creator: str = "",
    character_version: str = "",
) -> dict[str, Any]:
    """The face as a Character Card V2 (every V2 field present; no character book)."""
    ordered = sorted(primitives, key=_card_order)
    facts = render.facts_line(
        (render.fact_name(k), v) for k, v in face.basic_facts.items() if render.fact_name(k)
    )
    lines = [render.primitive_line(p) for p in ordered if not render.is_example(p)]
    split = sum(1 for p in ordered if p.component in ("alpha", "beta"))
    examples = [p.statement.strip() for p in ordered if render.is_example(p)]
    addendum = (face.profile_addendum or "").strip()
    data = {
        "name": face.name,
        "description": "\n".join(filter(None, [facts, *lines[:split]])),
        "personality": "\n".join(lines[split:]),
        "scenario": "",
        "first_mes": "",
        "mes_example": "\n".join(f"<START>\n{{{{char}}}}: {turn}" for turn in examples),
        "creator_notes": f"Exported from Fased; the full face is in extensions.{EXTENSION}.",
        "system_prompt": f"{ORIGINAL}\n{addendum}" if addendum else "",
        "post_history_instructions": "",
        "alternate_greetings": [],
        "tags": [],
        "creator": creator,
        "character_version": character_version,
        "extensions": {EXTENSION: export_fased(face, primitives)},
    }
    return {"spec": CCV2_SPEC, "spec_version": CCV2_VERSION, "data": data}


# -- Character Card V2: import ----------------------------------------------------------------


def derive_alias(name: str) -> str:
    """An alias from a display name: ASCII, lower case, `-` between words, ≤ 64 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    alias = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-_")[:64].rstrip("-_")
    alias = alias or "face"
    return f"{alias[:59]}-face" if alias in RESERVED_ALIASES else alias


def _primitive(component: Component, statement: str, *, example: bool = False) -> Primitive:
    statement = statement.strip()[:MAX_STATEMENT]
    slot = EXAMPLE_KEY_PREFIX if example else f"{component}:card:"
    return Primitive(slot + digest(statement), component, statement, weight=1.0, support=1)


def _component_for(sentence: str, default: Component) -> Component:
    return next((component for component, hint in _HINTS if hint.search(sentence)), default)


@dataclass(slots=True)
class _Parsed:
    """What the card's text says, accumulated line by line."""

    name: str
    known: dict[tuple[str, str], list[Primitive]]  # (component, statement) → ours, in order
    facts: dict[str, str] = field(default_factory=dict)
    primitives: dict[str, Primitive] = field(default_factory=dict)

    def add(self, component: Component, statement: str, *, example: bool = False) -> None:
        ours = self.known.get((component, render.one_line(statement)))
        if ours:
            primitive = ours.pop(0)
        elif statement.strip() and len(self.primitives) < MAX_PRIMITIVES:
            primitive = _primitive(component, statement, example=example)
        else:
            return
        self.primitives.setdefault(primitive.key, primitive)

    def line(self, raw: str, default: Component) -> None:
        text = _substitute(raw, self.name).strip()
        sigil = next((c for c in COMPONENTS if text.startswith(SIGILS[c] + " ")), None)
        match = _KEY_VALUE.match(text)
        if text.startswith(FACTS_PREFIX.strip()):
            self.facts.update(render.parse_facts(text))
        elif sigil is not None:
            self.sigil_line(sigil, text[2:].strip())
        elif match and render.fact_name(match[1]) in FOREIGN_FACTS:
            self.facts.setdefault(render.fact_name(match[1]), match[2].strip())
        else:
            for sentence in _SENTENCE_END.split(_BULLET.sub("", text)):
                self.add(_component_for(sentence, default), sentence)

    def sigil_line(self, component: Component, body: str) -> None:
        quoted = _QUOTED.fullmatch(body.removeprefix(EXAMPLE_LABEL))
        if component == "epsilon" and body.startswith(EXAMPLE_LABEL) and quoted:
            self.add("epsilon", render.unescape(quoted[1]), example=True)
        else:
            self.add(component, body)


def _substitute(text: str, name: str) -> str:
    text = text.replace("{{char}}", name).replace("<BOT>", name)
    return text.replace("{{user}}", "the user").replace("<USER>", "the user")


def example_turns(mes_example: str) -> list[str]:
    """The character's turns in a `mes_example` (`<START>` blocks of `{{char}}:` lines)."""
    turns: list[list[str]] = []
    current: list[str] | None = None
    for line in mes_example.splitlines():
        head = line.strip()
        if head.startswith(("{{char}}:", "<BOT>:")):
            current = [head.split(":", 1)[1].strip()]
            turns.append(current)
        elif head.startswith(("{{user}}:", "<USER>:", "<START>")):
            current = None
        elif current is not None:
            current.append(line)
    return [text for turn in turns if (text := "\n".join(turn).strip())]


def _unedited(data: _CardData, ours: ImportedFace | None) -> ImportedFace | None:
    """`ours` when it re-exports to exactly this card's visible text."""
    if ours is None:
        return None
    card = export_ccv2(ours.face, ours.primitives)["data"]
    return ours if all(card[name] == getattr(data, name) for name in _TEXT_FIELDS) else None


def _parse_card(data: _CardData, ours: ImportedFace | None) -> ImportedFace:
    """A foreign or edited card, read from its text (what matches `ours` keeps its metadata)."""
    known: dict[tuple[str, str], list[Primitive]] = defaultdict(list)
    for primitive in sorted(ours.primitives if ours else (), key=_card_order):
        known[(primitive.component, render.one_line(primitive.statement))].append(primitive)
    face = ours.face if ours else FaceFields(derive_alias(data.name), data.name)
    parsed = _Parsed(data.name, known)
    for raw in data.description.splitlines():
        parsed.line(raw, "alpha")
    for raw in data.personality.splitlines():
        parsed.line(raw, "epsilon")
    for turn in [data.first_mes, *example_turns(data.mes_example)]:
        parsed.add("epsilon", _substitute(turn, data.name), example=True)
    prompt = data.system_prompt.replace(ORIGINAL, "").strip()
    scenario = f"Scenario: {data.scenario.strip()}" if data.scenario.strip() else ""
    addendum = "\n\n".join(filter(None, [prompt, _substitute(scenario, data.name)]))
    facts = {name: value[:MAX_FACT_VALUE] for name, value in parsed.facts.items()}
    fields = FaceFields(face.alias, data.name, facts, face.default_model, None, addendum or None)
    return ImportedFace(fields, tuple(parsed.primitives[k] for k in sorted(parsed.primitives)))


def import_ccv2(card: object) -> ImportedFace:
    """A face from a Character Card V2 (or V1) object; 422 when it is not a valid card."""
    if isinstance(card, Mapping) and "spec" not in card:
        card = {"spec": CCV2_SPEC, "spec_version": CCV2_VERSION, "data": card}
    data = _validate(_Ccv2Card, card, "Character Card V2").data
    try:
        ours: ImportedFace | None = import_fased(data.extensions.get(EXTENSION))
    except Unprocessable:  # not ours, or not intact: read the text alone
        ours = None
    return _unedited(data, ours) or _parse_card(data, ours)
