"""A thread chunk's turns, located in the chunk's text, and whose turns are the face's.

A thread chunk's text is its turns rendered as `speaker: text` lines; each turn's text is found
in it in order, so a claim about a turn can quote it with exact offsets. Only the face's turns
are evidence about the face: what the other speakers say of themselves is not the face's fact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fased.faces.model import Chunk, Turn

# A transcript line, for a thread chunk that carries no parsed turns: `Name: text`.
_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}?):[ \t]*(?P<text>\S.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class LocatedTurn:
    """A turn and where its text is in the chunk: `chunk.text[start:end] == text`."""

    position: int
    speaker: str
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    def text_in(self, chunk: Chunk) -> str:
        return chunk.text[self.start : self.end]


def locate_turns(chunk: Chunk) -> list[LocatedTurn]:
    """The chunk's turns with their offsets in `chunk.text`; turns not found are left out."""
    if not chunk.turns:
        return [
            LocatedTurn(i, m["speaker"].strip(), m.start("text"), m.end("text"))
            for i, m in enumerate(_LINE.finditer(chunk.text))
        ]
    located: list[LocatedTurn] = []
    cursor = 0
    for position, turn in enumerate(chunk.turns):
        text = turn.text.strip()
        at = chunk.text.find(text, cursor) if text else -1
        if at < 0:
            continue
        located.append(LocatedTurn(position, turn.speaker, at, at + len(text)))
        cursor = at + len(text)
    return located


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def resolve_face_speaker(
    turns: Sequence[Turn] | Sequence[LocatedTurn], names: Sequence[str], given: str | None = None
) -> str | None:
    """Which speaker is the face, by this rule, first match wins:

    1. `given` (the upload's `face_speaker`), spelled as in the turns when it matches one
       case-insensitively;
    2. the speaker named like the face: its name, an alias, or the name's first word
       (case-insensitive), in the order of `names`;
    3. the speaker with the most turns; a tie goes to the one who spoke first.

    None for a thread with no turns.
    """
    speakers = list(dict.fromkeys(turn.speaker for turn in turns))
    if given is not None:
        return next((s for s in speakers if _same(s, given)), given)
    candidates = [n for name in names if name.strip() for n in (name, name.split()[0])]
    for name in candidates:
        match = next((s for s in speakers if _same(s, name)), None)
        if match is not None:
            return match
    if not speakers:
        return None
    counts = Counter(turn.speaker for turn in turns)
    return max(speakers, key=lambda s: (counts[s], -speakers.index(s)))


def split_turns(
    chunk: Chunk, face_speaker: str | None, names: Sequence[str]
) -> tuple[list[LocatedTurn], list[LocatedTurn]]:
    """The chunk's turns as (the face's, everyone else's)."""
    located = locate_turns(chunk)
    speaker = resolve_face_speaker(located, names, face_speaker)
    face = [t for t in located if speaker is not None and _same(t.speaker, speaker)]
    others = [t for t in located if t not in face]
    return face, others
