"""Face templates (SPEC §9): `${alias}` in message text names a face and brings its profile in.

Every endpoint's text reaches the agent run as canonical system segments and message parts, so
one scan covers the fields §9 lists for each endpoint (chat `messages[*].content`; messages
`messages[*].content` and `system`; responses `input` and `instructions`). Only text parts are
scanned: images, tool calls and tool results are left untouched. `\\${name}` stays a literal
`${name}`. Expansion is a single pass over the request's own text, before any profile is added,
so profile text is never re-scanned. Pure functions; resolving the aliases is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from fased.canonical import ChatRequest, Message, Part, TextPart

# An escaped token first, so `\${x}` is consumed as one literal and never expanded.
_TOKEN = re.compile(r"\\\$\{([^}\s]*)\}|\$\{\s*([^}\s]+)\s*\}")


def _texts(request: ChatRequest) -> list[str]:
    texts = list(request.system)
    for message in request.messages:
        texts.extend(part.text for part in message.parts if isinstance(part, TextPart))
    return texts


def templated(request: ChatRequest) -> bool:
    """Whether any scanned text holds `${` (most requests: no, and nothing else is scanned)."""
    return any("${" in text for text in _texts(request))


def referenced(request: ChatRequest) -> list[str]:
    """The names referenced by `${…}`, each once, in order of first appearance."""
    names: dict[str, None] = {}
    for text in _texts(request):
        if "${" not in text:
            continue
        for match in _TOKEN.finditer(text):
            if match.group(2) is not None:
                names.setdefault(match.group(2), None)
    return list(names)


def _expand_text(text: str, display: Mapping[str, str]) -> str:
    if "${" not in text:
        return text

    def replace_token(match: re.Match[str]) -> str:
        if match.group(2) is None:  # escaped: the literal token without its backslash
            return "${" + match.group(1) + "}"
        return display[match.group(2)]

    return _TOKEN.sub(replace_token, text)


def _expand_part(part: Part, display: Mapping[str, str]) -> Part:
    if not isinstance(part, TextPart):
        return part
    return replace(part, text=_expand_text(part.text, display))  # keeps its cache hint


def _expand_message(message: Message, display: Mapping[str, str]) -> Message:
    parts = tuple(_expand_part(part, display) for part in message.parts)
    return replace(message, parts=parts) if parts != message.parts else message


def expand(request: ChatRequest, display: Mapping[str, str]) -> ChatRequest:
    """Replace every `${name}` by `display[name]` (each name must be there) and unescape `\\${}`."""
    if not templated(request):
        return request
    return replace(
        request,
        system=tuple(_expand_text(text, display) for text in request.system),
        messages=tuple(_expand_message(message, display) for message in request.messages),
    )
