"""The system context of a run (SPEC §4.3): persona, profile addendum, referenced faces, then
the request's own system/developer text, appended and never replacing the persona."""

from __future__ import annotations

from fased.faces.face import Face


def system_context(
    face: Face | None, persona: str, request_system: tuple[str, ...]
) -> tuple[str, ...]:
    """`persona` is the face's rendered profile for this run (`FaceService.persona`)."""
    if face is None:
        return request_system
    head = tuple(text for text in (persona, face.profile_addendum) if text)
    return head + request_system if head else request_system
