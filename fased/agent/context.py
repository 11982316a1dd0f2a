"""The system context of a run (SPEC §4.3): persona, profile addendum, referenced faces, then
the request's own system/developer text, appended and never replacing the persona."""

from __future__ import annotations

from fased.faces.directory import Face


def system_context(face: Face | None, request_system: tuple[str, ...]) -> tuple[str, ...]:
    if face is None:
        return request_system
    head = tuple(text for text in (face.persona, face.profile_addendum) if text)
    return head + request_system if head else request_system
