"""Plain-text transcripts: `Name: text` lines → turns.

- A turn line is an optional timestamp, a speaker name and a colon followed by a space (or the end
  of the line): `Alice: hi`, `[12:01] Alice: hi`, `12:01 - Alice: hi`, `(12:01:30) Alice: hi`,
  `[2024-05-01 12:01] Alice: hi`, `1/5/24, 12:01 - Alice: hi` (WhatsApp).
- A name starts with a letter and has at most four words and 40 characters (`Dr. Smith`,
  `Anne-Marie`, `Speaker 2`), so `https://…` or a long clause before a colon is not a speaker.
- Any other non-blank line continues the previous turn (joined with `\\n`, its timestamp dropped);
  lines before the first turn (a title, a date) are a header and are dropped.
"""

from __future__ import annotations

import re

from fased.faces.model import Turn

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?(?:\s?[AaPp]\.?[Mm]\.?)?"
_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
_STAMP = rf"(?:{_DATE}(?:,\s*|T|\s+))?{_TIME}"
_PREFIX = rf"[ \t]*(?:\[{_STAMP}\]|\({_STAMP}\)|{_STAMP})[ \t]*(?:[-\u2013\u2014|][ \t]*)?"
_NAME = r"[^\W\d_][\w.'\u2019()-]*(?: [\w.'\u2019()-]+){0,3}"
_TURN_LINE = re.compile(rf"^(?:{_PREFIX})?[ \t]*(?P<name>{_NAME})[ \t]*:(?:[ \t]+(?P<text>.*))?$")
_STAMP_ONLY = re.compile(rf"^{_PREFIX}")
_MAX_NAME_CHARS = 40


def parse_transcript(text: str) -> list[Turn]:
    """The turns of a `Name: text` transcript, in order; [] when no line looks like a turn."""
    turns: list[tuple[str, list[str]]] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        match = _TURN_LINE.match(line)
        if match and len(match.group("name")) <= _MAX_NAME_CHARS:
            turns.append((match.group("name"), [(match.group("text") or "").strip()]))
        elif turns and line.strip():
            turns[-1][1].append(_STAMP_ONLY.sub("", line, count=1).strip())
    joined = (Turn(name, "\n".join(part for part in parts if part)) for name, parts in turns)
    return [turn for turn in joined if turn.text]
