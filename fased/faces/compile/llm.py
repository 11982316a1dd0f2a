"""The LLM compiler (SPEC §8.2, with `compile.model` set): claims per chunk as structured output.

Each chunk goes to the compile model through the provider layer (the same providers and catalog
as chat; a non-streamed call with `temperature: 0` and a strict JSON schema as the output
format). The model answers `{"claims": [{component, slot, qualifier, statement, quote,
confidence, fact_name, fact_value}]}`; each claim becomes a `Claim` with a canonical key
(`alpha:fact:<fact_name>` for a fact, so it pools with the offline compiler's facts; else
`<component>:<slot>:<qualifier>` slugged), its span located in the chunk. **A claim whose quote
is not found verbatim in the chunk is dropped** (the model made it up, or paraphrased; in a
thread it must be in the face's own turns). An
answer that is not the JSON asked for fails the chunk, and so its document, with an error that
says so (a `make` resumes at that chunk).

Threads also get the offline stylometry and example-turn extractors (`llm_registry`): sentence
lengths and verbatim turns are measured, not inferred.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

import orjson
import structlog

from fased.canonical import ChatRequest, Message, OutputFormat, ReplyBuilder, StreamError, TextPart
from fased.errors import UpstreamError
from fased.faces.compile import examples, style
from fased.faces.compile.evidence import evidence_spans
from fased.faces.compile.keys import make_key, slug
from fased.faces.compile.registry import ExtractContext, ExtractorRegistry
from fased.faces.model import COMPONENTS, Chunk, Claim, Component
from fased.faces.render import fact_name, one_line
from fased.providers.catalog import CatalogEntry
from fased.providers.registry import ProviderRegistry

log = structlog.get_logger()

NAME: Final = "llm"
MAX_STATEMENT: Final = 300
_NULLABLE_STRING = {"type": ["string", "null"]}
CLAIMS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "component": {"type": "string", "enum": list(COMPONENTS)},
                    "slot": {"type": "string"},
                    "qualifier": {"type": "string"},
                    "statement": {"type": "string"},
                    "quote": {"type": "string"},
                    "confidence": {"type": "number"},
                    "fact_name": _NULLABLE_STRING,
                    "fact_value": _NULLABLE_STRING,
                },
                "required": [
                    "component",
                    "slot",
                    "qualifier",
                    "statement",
                    "quote",
                    "confidence",
                    "fact_name",
                    "fact_value",
                ],
                "additionalProperties": False,
            },
        }
    },
    "required": ["claims"],
    "additionalProperties": False,
}
INSTRUCTIONS: Final = """\
You extract a persona's traits from one piece of text, as claims in JSON.
Components: alpha = identity and self-concept (facts, roles, relationships, experiences, goals);
beta = values, preferences, stances, beliefs; delta = reasoning style, cognitive tendencies,
knowledge domains; epsilon = behaviour, habits, speech style, quirks.
For each claim give: component; slot (one word: fact, role, relationship, experience, goal,
value, preference, belief, stance, reasoning, domain, habit, style, quirk); qualifier (1-4 words
naming what it is about, e.g. "honesty", "morning routine"); statement (a short line without
the subject and without prose glue, e.g. "values honesty over tact", "lives in Berlin");
quote (text copied EXACTLY, character for character, from the text, that supports the claim);
confidence (0 to 1); fact_name and fact_value for a basic fact (age, location, occupation,
nationality, education, languages, family...), else null.
Only claims about the person described (in a conversation: only that speaker's own turns).
Never invent a quote; leave out what the text does not support."""


def _prompt(chunk: Chunk, context: ExtractContext) -> str:
    who = context.face_name or "the person"
    if context.kind == "thread":
        about = f"A conversation. The persona is the speaker {context.face_speaker or who!r}."
    elif context.perspective == "third-person":
        about = f"A text about {who}, written by someone else."
    else:
        about = f"A text written by {who} in the first person."
    return f"{about}\n\n<text>\n{chunk.text}\n</text>"


def _claim(
    item: dict[str, Any], chunk: Chunk, context: ExtractContext, extractor: str
) -> Claim | None:
    """One answered claim as a `Claim`; None when its quote is not in the chunk (or it is
    malformed)."""
    quote, statement = str(item.get("quote") or ""), one_line(str(item.get("statement") or ""))
    start = _locate(quote, chunk, context)
    component = item.get("component")
    if start < 0 or not statement or component not in COMPONENTS:
        return None
    fact = _fact(item)
    if fact is not None:
        key, component = make_key("alpha", "fact", fact[0]), "alpha"
    else:
        slot = slug(str(item.get("slot") or ""), 1) or "trait"
        key = make_key(component, slot, slug(str(item.get("qualifier") or "")) or slug(statement))
    return Claim(
        key=key,
        component=_component(component),
        statement=statement[:MAX_STATEMENT],
        quote=quote,
        span=(start, start + len(quote)),
        chunk_index=chunk.index,
        extractor=extractor,
        confidence=min(1.0, max(0.0, float(item.get("confidence") or 0.0))),
        document_id=context.document_id,
        fact=fact,
    )


def _locate(quote: str, chunk: Chunk, context: ExtractContext) -> int:
    """Where `quote` is, verbatim, in the chunk's evidence (a thread: the face's own turns);
    -1 when it is not there."""
    if not quote.strip():
        return -1
    spans = evidence_spans(chunk, context)
    start = chunk.text.find(quote)
    while start >= 0:
        if any(s <= start and start + len(quote) <= e for s, e in spans):
            return start
        start = chunk.text.find(quote, start + 1)
    return -1


def _fact(item: dict[str, Any]) -> tuple[str, str] | None:
    name, value = fact_name(str(item.get("fact_name") or "")), item.get("fact_value")
    if not name or not isinstance(value, str) or not value.strip():
        return None
    return name, one_line(value)


def _component(name: str) -> Component:
    return next(component for component in COMPONENTS if component == name)


class LlmExtractor:
    """Claims from the compile model; `extract` is registered with `register_async`."""

    __slots__ = ("entry", "providers")

    def __init__(self, providers: ProviderRegistry, entry: CatalogEntry) -> None:
        self.providers = providers  # resolved per call: a provider that is down fails a chunk
        self.entry = entry

    @property
    def name(self) -> str:
        return f"{NAME}:{self.entry.id}"

    async def extract(self, chunk: Chunk, context: ExtractContext) -> list[Claim]:
        answer = await self._ask(chunk, context)
        try:
            items = orjson.loads(answer)["claims"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise UpstreamError(
                f"The compile model {self.entry.id} did not answer with the JSON asked for."
            ) from None
        claims = [
            _claim(item, chunk, context, self.name) for item in items if isinstance(item, dict)
        ]
        kept = [claim for claim in claims if claim is not None]
        if len(kept) < len(items):
            log.info("llm_claims_dropped", model=self.entry.id, dropped=len(items) - len(kept))
        return kept

    async def _ask(self, chunk: Chunk, context: ExtractContext) -> str:
        request = ChatRequest(
            model=self.entry.id,
            messages=(Message("user", (TextPart(_prompt(chunk, context)),)),),
            system=(INSTRUCTIONS,),
            temperature=0,
            output_format=OutputFormat("json_schema", "claims", CLAIMS_SCHEMA, True),
        )
        builder = ReplyBuilder()
        events = self.providers.for_entry(self.entry).stream(request, self.entry)
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, StreamError):
                    raise UpstreamError(f"The compile model failed: {event.message}")
                builder.add(event)
        return builder.snapshot().text


def llm_registry(providers: ProviderRegistry, entry: CatalogEntry) -> ExtractorRegistry:
    """The LLM compiler: the model's claims, plus measured stylometry and turns for threads."""
    registry = ExtractorRegistry()
    registry.register_async(NAME, LlmExtractor(providers, entry).extract)
    registry.register(style.NAME, style.extract, ("thread",))
    registry.register(examples.NAME, examples.extract, ("thread",))
    return registry
