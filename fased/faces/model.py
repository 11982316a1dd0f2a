"""What a face is made of (SPEC §7, §8): sources, chunks, claims, primitives.

Documents and threads are ingested into a `Source`, cut into `Chunk`s, and extractors turn each
chunk into immutable `Claim`s with provenance. Primitives are *derived* from claims: grouped by
`key`, deterministically, so deleting a document (its claims) and re-deriving gives exactly what
compiling without it gives. Everything here is plain data; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Component = Literal["alpha", "beta", "delta", "epsilon"]
COMPONENTS: tuple[Component, ...] = ("alpha", "beta", "delta", "epsilon")
SIGILS: dict[Component, str] = {"alpha": "α", "beta": "β", "delta": "δ", "epsilon": "ε"}
Perspective = Literal["first-person", "third-person"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a thread: who spoke, and what they said."""

    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class DocumentSource:
    """Text that describes the face from outside (or in its own voice, `first-person`)."""

    text: str
    perspective: Perspective = "first-person"


@dataclass(frozen=True, slots=True)
class ThreadSource:
    """A conversation; `face_speaker` names the face's own turns (None: not yet known)."""

    turns: tuple[Turn, ...]
    face_speaker: str | None = None


Source = DocumentSource | ThreadSource


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a source small enough for one extraction step.

    `text` is the chunk's text; `start`/`end` are its offsets in the source's full text (for a
    thread, in the text of its turns rendered as `speaker: text` lines joined by newlines), so a
    claim's span can be located in the original.
    """

    index: int
    start: int
    end: int
    text: str
    turns: tuple[Turn, ...] = ()  # a thread chunk's turns, in order


@dataclass(frozen=True, slots=True)
class Claim:
    """One extracted statement with its provenance; never changed after extraction.

    - `key`: the canonical key primitives are grouped by, `<component>:<slot>[:<qualifier>]`
      in lower case, e.g. `alpha:fact:location`, `beta:value:honesty`,
      `epsilon:style:sentence_length`, `epsilon:example:<digest>`. Two claims with one key are
      two pieces of evidence for one primitive.
    - `statement`: the primitive's text as it would be rendered after the sigil, short and
      without prose glue (`lives in Berlin`, `values honesty over tact`).
    - `quote`: verbatim text of the chunk that supports it; `span` its offsets in the chunk.
    - `fact`: for alpha facts, the `(name, value)` that goes on the `@facts` line.
    """

    key: str
    component: Component
    statement: str
    quote: str
    span: tuple[int, int]
    chunk_index: int
    extractor: str
    confidence: float
    document_id: str = ""
    fact: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Primitive:
    """A derived line of the persona: the winning statement for one key and its evidence."""

    key: str
    component: Component
    statement: str
    weight: float
    support: int
    fact: tuple[str, str] | None = None
    sources: tuple[str, ...] = field(default=())  # document ids that contributed, sorted
