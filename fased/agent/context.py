"""The system context of a run (SPEC §4.3, §9): the persona, the profile addendum, the profiles
of faces referenced with `${alias}`, then the request's own system/developer text — appended,
never replacing the persona. Templates are expanded here, once, before any profile is added."""

from __future__ import annotations

from dataclasses import dataclass

from fased.agent.templates import expand, referenced, templated
from fased.canonical import CacheHint, ChatRequest, Message
from fased.errors import Unprocessable
from fased.faces.face import Face
from fased.faces.persona import recent_user_text
from fased.faces.service import FaceService


@dataclass(frozen=True, slots=True)
class Context:
    """What the run sends upstream in place of the request's own system text and messages."""

    messages: tuple[Message, ...]  # templates expanded
    system: tuple[str, ...]  # persona, addendum, referenced profiles, the request's own
    system_cache: tuple[CacheHint | None, ...]  # the request's breakpoints, still on its own


async def _referenced(faces: FaceService, owner_id: str, chat: ChatRequest) -> list[Face]:
    names = referenced(chat)
    if not names:
        return []
    found = {name: await faces.get(owner_id, name) for name in names}
    unknown = [name for name, face in found.items() if face is None]
    if unknown:
        listed = ", ".join(f"${{{name}}}" for name in unknown)
        raise Unprocessable(
            f"Unknown face(s) in templates: {listed}. Reference faces you own by alias, or "
            "write \\${name} for a literal.",
            code="unknown_face",
        )
    return [face for face in found.values() if face is not None]


async def build_context(
    faces: FaceService, owner_id: str, face: Face | None, chat: ChatRequest, budget: int
) -> Context:
    """Expand templates in `chat` and assemble its system segments (raises 422 for unknown
    `${alias}` names)."""
    others: list[Face] = []
    if templated(chat):  # the common case is none: one scan, no copy
        others = await _referenced(faces, owner_id, chat)
        chat = expand(chat, {face.alias: face.name for face in others})  # unescapes \${…}
    query = recent_user_text(chat.messages)
    head: list[str] = []
    if face is not None:
        head += [await faces.persona(owner_id, face, query, budget), face.profile_addendum or ""]
    for other in others:
        if face is not None and other.id == face.id:
            continue  # the primary face is named, not added twice
        profile = await faces.persona(owner_id, other, query, budget)
        if profile:
            head.append(f"Profile of {other.name} (referenced as ${{{other.alias}}}):\n{profile}")
    added = tuple(text for text in head if text)
    cache = (None,) * len(added) + chat.system_cache if chat.system_cache else ()
    return Context(chat.messages, added + chat.system, cache)
