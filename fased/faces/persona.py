"""The persona a chat injects (SPEC §8.4), and the primitives of any face, synthetic included.

`persona(face, query, budget)` is on the chat hot path: a cached profile (by face id, version,
budget and the query's terms) costs a dict lookup; a new query against a cached index costs BM25
scoring and fitting; only a new face version loads claims and derives (see `FaceContent`). A face
with no facts and no primitives has no persona at all (SPEC §4: `main` with no documents is a
plain assistant), not even the header line.

A synthetic face (§9) has no primitives of its own: its formula is evaluated over its operands'
(looked up by alias among the owner's faces), and it is cached under a version made of its own
version and every operand's id and version, so a change to any operand is seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fased.canonical import Message, TextPart
from fased.faces.content import FaceContent
from fased.faces.face import Face
from fased.faces.formula import FaceOperand, aliases, evaluate, parse
from fased.faces.model import Primitive
from fased.faces.render import ProfileCache, ProfileInput, RenderedProfile

RECENT_USER_TURNS = 3
EMPTY = RenderedProfile(text="", tokens=0, lines=0)

FaceLookup = Callable[[str, str], Awaitable[Face | None]]


@dataclass(frozen=True, slots=True)
class FaceView:
    """What rendering and comparing need of a face: its facts and primitives, and the version
    they are cached under."""

    face: Face
    version: int | str
    basic_facts: dict[str, str]
    primitives: tuple[Primitive, ...]

    @property
    def empty(self) -> bool:
        return not self.basic_facts and not self.primitives


def recent_user_text(messages: Sequence[Message], turns: int = RECENT_USER_TURNS) -> str:
    """The text of the last `turns` user messages: what the persona's relevance is scored on."""
    texts: list[str] = []
    for message in reversed(messages):
        if message.role == "user":
            texts.append(" ".join(p.text for p in message.parts if isinstance(p, TextPart)))
            if len(texts) == turns:
                break
    return "\n".join(reversed(texts))


class Personas:
    __slots__ = ("_content", "_lookup", "profiles")

    def __init__(self, content: FaceContent, lookup: FaceLookup) -> None:
        self._content = content
        self._lookup = lookup
        self.profiles = ProfileCache()

    async def view(self, face: Face) -> FaceView:
        """The face's facts and primitives (a synthetic face's evaluated over its operands)."""
        if not face.formula:
            primitives = await self._content.primitives(face)
            return FaceView(face, face.version, dict(face.basic_facts), primitives)
        node = parse(face.formula)
        operands: dict[str, FaceOperand] = {}
        versions = [str(face.version)]
        for alias in aliases(node):
            operand = await self._lookup(face.owner_id, alias)
            if operand is None:
                continue  # `evaluate` lists every unknown alias in one 422
            own = () if operand.formula else await self._content.primitives(operand)
            operands[alias] = FaceOperand(alias, own, operand.basic_facts, operand.formula)
            versions.append(f"{operand.id}@{operand.version}")
        evaluated = evaluate(node, operands.get)
        facts = dict(face.basic_facts)  # its own facts first, then the operands' in order
        for name, value in evaluated.basic_facts.items():
            facts.setdefault(name, value)
        return FaceView(face, ":".join(versions), facts, evaluated.primitives)

    async def primitives(self, face: Face) -> tuple[Primitive, ...]:
        return (await self.view(face)).primitives

    async def profile(self, face: Face, *, budget: int, query: str = "") -> RenderedProfile:
        """The rendered profile (empty for a face with nothing to say)."""
        if not face.formula:
            found = self.profiles.lookup(face.id, face.version, budget=budget, query=query)
            if found is not None:
                return found
        view = await self.view(face)
        if view.empty:
            return EMPTY
        cached = self.profiles.lookup(face.id, view.version, budget=budget, query=query)
        if cached is not None:
            return cached
        profile_input = ProfileInput(face.name, face.alias, view.basic_facts)
        return self.profiles.render(
            face.id, view.version, profile_input, view.primitives, budget=budget, query=query
        )

    async def persona(self, face: Face, *, query: str, budget: int) -> str:
        return (await self.profile(face, budget=budget, query=query)).text

    def discard(self, face_id: str) -> None:
        self.profiles.discard(face_id)
        self._content.discard(face_id)
