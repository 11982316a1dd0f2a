"""Extractors by name: each turns one chunk into claims, given what is known about its source.

An extractor is a plain function `extract(chunk, context) -> list[Claim]`, registered under a
name for the source kinds it reads; one that awaits (the LLM extractor, `llm.py`) is an async
function registered with `register_async`, and the compiler runs them all with `extract_async`.
The compiler runs every registered extractor that applies to the source's kind, in
registration order; the registry is built once (`offline_registry` for the offline compiler,
`llm.llm_registry` for the LLM one) and passed where it is needed, never held in a module
global.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from fased.faces.compile.turns import resolve_face_speaker
from fased.faces.model import Chunk, Claim, Perspective, Source, ThreadSource

SourceKind = Literal["document", "thread"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("document", "thread")
DEFAULT_PRONOUNS: tuple[str, ...] = ("she", "he", "they")


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """What an extractor knows besides the chunk.

    - `perspective`: how a document speaks of the face (`first-person`: "I live in…",
      `third-person`: "Alice lives in…"); a thread's face turns are always first person.
    - `face_name`, `aliases`, `pronouns`: how third-person text names the face.
    - `face_speaker`: the face's speaker in a thread; only its turns are evidence about the face.
      None: each chunk falls back to `resolve_face_speaker` over its own turns (build the
      context with `for_source` to resolve it once over the whole thread instead).
    """

    document_id: str
    kind: SourceKind = "document"
    perspective: Perspective = "first-person"
    face_name: str = ""
    aliases: tuple[str, ...] = ()
    pronouns: tuple[str, ...] = DEFAULT_PRONOUNS
    face_speaker: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The face's name and aliases, non-empty, in order."""
        return tuple(name for name in (self.face_name, *self.aliases) if name.strip())

    @property
    def voice(self) -> Perspective:
        """The grammatical person the evidence is in: a thread's face turns are first person."""
        return "first-person" if self.kind == "thread" else self.perspective

    @classmethod
    def for_source(
        cls,
        document_id: str,
        source: Source,
        *,
        face_name: str = "",
        aliases: Sequence[str] = (),
        pronouns: Sequence[str] = DEFAULT_PRONOUNS,
    ) -> ExtractContext:
        """The context for every chunk of `source`; a thread's face speaker resolved once."""
        face = cls(document_id, "document", "first-person", face_name, (*aliases,), (*pronouns,))
        if isinstance(source, ThreadSource):
            speaker = resolve_face_speaker(source.turns, face.names, source.face_speaker)
            return replace(face, kind="thread", face_speaker=speaker)
        return replace(face, perspective=source.perspective)


ExtractFn = Callable[[Chunk, ExtractContext], list[Claim]]
AsyncExtractFn = Callable[[Chunk, ExtractContext], Awaitable[list[Claim]]]


@dataclass(frozen=True, slots=True)
class Extractor:
    """A registered extractor: its name, the source kinds it reads, and the function."""

    name: str
    kinds: frozenset[SourceKind]
    extract: ExtractFn


@dataclass(frozen=True, slots=True)
class AsyncExtractor:
    """An extractor that awaits (a model call): registered with `register_async`."""

    name: str
    kinds: frozenset[SourceKind]
    extract: AsyncExtractFn


class ExtractorRegistry:
    """Extractors by name, run in registration order."""

    def __init__(self) -> None:
        self._extractors: dict[str, Extractor | AsyncExtractor] = {}

    def _kinds(self, name: str, kinds: Iterable[SourceKind]) -> frozenset[SourceKind]:
        if name in self._extractors:
            raise ValueError(f"extractor {name!r} is already registered")
        kind_set = frozenset(kinds)
        if not kind_set or not kind_set <= set(SOURCE_KINDS):
            raise ValueError(f"extractor {name!r}: kinds must be among {SOURCE_KINDS}")
        return kind_set

    def register(
        self, name: str, extract: ExtractFn, kinds: Iterable[SourceKind] = SOURCE_KINDS
    ) -> None:
        """Add `extract` under `name` for `kinds`; a name is registered once."""
        self._extractors[name] = Extractor(name, self._kinds(name, kinds), extract)

    def register_async(
        self, name: str, extract: AsyncExtractFn, kinds: Iterable[SourceKind] = SOURCE_KINDS
    ) -> None:
        """Add an awaiting extractor (run by `extract_async` only)."""
        self._extractors[name] = AsyncExtractor(name, self._kinds(name, kinds), extract)

    def names(self) -> tuple[str, ...]:
        return tuple(self._extractors)

    def get(self, name: str) -> Extractor | AsyncExtractor:
        return self._extractors[name]

    def applicable(self, kind: SourceKind) -> tuple[Extractor | AsyncExtractor, ...]:
        """The extractors that read `kind`, in registration order."""
        return tuple(e for e in self._extractors.values() if kind in e.kinds)

    def extract(self, chunk: Chunk, context: ExtractContext) -> list[Claim]:
        """Every applicable extractor's claims for `chunk`, extractor by extractor (synchronous
        extractors only: a registry with an applicable async one needs `extract_async`)."""
        claims: list[Claim] = []
        for extractor in self.applicable(context.kind):
            if isinstance(extractor, AsyncExtractor):
                raise TypeError(f"extractor {extractor.name!r} is async: use extract_async")
            claims.extend(extractor.extract(chunk, context))
        return claims

    async def extract_async(self, chunk: Chunk, context: ExtractContext) -> list[Claim]:
        """Every applicable extractor's claims, in registration order: the synchronous ones
        together in one worker thread (CPU work off the event loop), the async ones awaited."""
        extractors = self.applicable(context.kind)
        plain = [e for e in extractors if isinstance(e, Extractor)]
        found = dict(await asyncio.to_thread(_run_plain, plain, chunk, context))
        for extractor in extractors:
            if isinstance(extractor, AsyncExtractor):
                found[extractor.name] = await extractor.extract(chunk, context)
        return [claim for extractor in extractors for claim in found[extractor.name]]


def _run_plain(
    extractors: Sequence[Extractor], chunk: Chunk, context: ExtractContext
) -> list[tuple[str, list[Claim]]]:
    return [(e.name, e.extract(chunk, context)) for e in extractors]
