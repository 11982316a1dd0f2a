"""Threads: chat exports (JSON, JSONL) and transcripts → `ThreadSource`.

Accepted JSON shapes (validated with pydantic, tolerant of fields we do not use):

- OpenAI style: `{"messages": [{"role", "content"}, …]}` or a bare list of such messages;
  `content` is a string or a list of parts (`{"type": "text", "text": …}`; non-text parts are
  skipped). The role is the speaker (`user`, `assistant`); `system`, `developer` and `tool`
  messages are instructions, not turns, and are skipped.
- `{"speaker", "text"}` objects, in a list (or under `"messages"`).
- JSONL: one message or `{speaker, text}` object per line, or one `{"messages": […]}`
  conversation per line (the fine-tuning format), concatenated in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from fased.errors import Unprocessable
from fased.faces.ingest.text import decode_text
from fased.faces.ingest.transcript import parse_transcript
from fased.faces.model import ThreadSource, Turn

NON_TURN_ROLES = frozenset({"system", "developer", "tool", "function"})
EXPECTED_JSON = (
    'a chat export: {"messages": [{"role": …, "content": …}]}, a list of such messages, or '
    'a list of {"speaker": …, "text": …} objects (JSONL: one of those per line)'
)
EXPECTED_TRANSCRIPT = (
    "a transcript of `Name: text` lines (optionally timestamped, e.g. `[12:01] Alice: hi`), "
    "or a JSON/JSONL chat export"
)
_MAX_LISTED_SPEAKERS = 10


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    text: str | None = None


class _RoleMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[_Part | str] | None = None

    def turns(self) -> list[Turn]:
        if self.role.lower() in NON_TURN_ROLES:
            return []
        return _turn(self.role, _content_text(self.content))


class _SpeakerTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    speaker: str
    text: str

    def turns(self) -> list[Turn]:
        return _turn(self.speaker, self.text)


def _turn(speaker: str, text: str) -> list[Turn]:
    speaker, text = speaker.strip(), text.strip()
    return [Turn(speaker, text)] if speaker and text else []


def _content_text(content: str | list[_Part | str] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = (part if isinstance(part, str) else part.text or "" for part in content)
    return "\n".join(text for text in texts if text)


def _message_turns(item: object) -> list[Turn]:
    for key, to_turns in _MESSAGE_SHAPES:
        if isinstance(item, dict) and key in item:
            return to_turns(item)
    raise ValueError('expected an object with "role"/"content" or "speaker"/"text"')


def _conversation_turns(item: object) -> list[Turn]:
    """`{"messages": […]}`: its messages (never conversations in conversations)."""
    assert isinstance(item, dict)
    messages = item["messages"]
    if not isinstance(messages, list):
        raise ValueError('"messages" is not a list')
    return _items_turns(messages, _message_turns)


def _export_item_turns(item: object) -> list[Turn]:
    """One item of an export: a conversation or a message."""
    is_conversation = isinstance(item, dict) and "messages" in item
    return _conversation_turns(item) if is_conversation else _message_turns(item)


# Which key identifies a message's shape, and how that shape becomes turns.
_MESSAGE_SHAPES: tuple[tuple[str, Callable[[dict[str, Any]], list[Turn]]], ...] = (
    ("role", lambda item: _RoleMessage.model_validate(item).turns()),
    ("speaker", lambda item: _SpeakerTurn.model_validate(item).turns()),
)


def _items_turns(items: Iterable[object], item_turns: Callable[[object], list[Turn]]) -> list[Turn]:
    turns: list[Turn] = []
    for index, item in enumerate(items):
        try:
            turns.extend(item_turns(item))
        except (ValueError, ValidationError) as exc:
            raise Unprocessable(f"Item {index} of the chat export: {_reason(exc)}.") from exc
    return turns


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    return str(exc)


def _loads(data: bytes | str, *, where: str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise Unprocessable(
            f"The {where} is not valid JSON ({exc}); expected {EXPECTED_JSON}."
        ) from exc


def parse_json_turns(data: bytes) -> list[Turn]:
    """The turns of a JSON chat export (see the module docstring for the shapes)."""
    document = _loads(decode_text(data, what="JSON file"), where="file")
    if isinstance(document, dict) and "messages" in document:
        return _items_turns([document], _conversation_turns)
    if isinstance(document, list):
        return _items_turns(document, _export_item_turns)
    raise Unprocessable(f"The JSON file is not a chat export; expected {EXPECTED_JSON}.")


def parse_jsonl_turns(data: bytes) -> list[Turn]:
    """The turns of a JSONL chat export: every non-blank line is one item."""
    turns: list[Turn] = []
    for number, line in enumerate(decode_text(data, what="JSONL file").split("\n"), start=1):
        if line.strip():
            item = _loads(line, where=f"line {number} of the JSONL file")
            try:
                turns.extend(_export_item_turns(item))
            except (ValueError, ValidationError) as exc:
                raise Unprocessable(f"Line {number} of the JSONL file: {_reason(exc)}.") from exc
            except Unprocessable as exc:  # a message inside the line's conversation
                raise Unprocessable(f"Line {number} of the JSONL file: {exc.message}") from exc
    return turns


def transcript_thread(text: str, face_speaker: str | None, *, what: str) -> ThreadSource:
    """A thread from transcript text; 422 saying what was expected when it has no turns."""
    return build_thread(
        parse_transcript(text), face_speaker, expected=EXPECTED_TRANSCRIPT, what=what
    )


def build_thread(
    turns: Sequence[Turn], face_speaker: str | None, *, expected: str, what: str
) -> ThreadSource:
    """The thread of `turns`; `face_speaker` is matched to a speaker (exactly, else ignoring case).

    No turns → 422 naming what was `expected`; a `face_speaker` who never speaks → 422 listing
    the speakers. Without `face_speaker` the thread's is None: the compiler decides.
    """
    if not turns:
        raise Unprocessable(
            f"The {what} has no recognisable conversation turns; expected {expected}."
        )
    return ThreadSource(tuple(turns), _resolve_speaker(turns, face_speaker))


def _resolve_speaker(turns: Sequence[Turn], face_speaker: str | None) -> str | None:
    wanted = (face_speaker or "").strip()
    if not wanted:
        return None
    speakers = list(dict.fromkeys(turn.speaker for turn in turns))
    if wanted in speakers:
        return wanted
    folded = [speaker for speaker in speakers if speaker.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    listed = ", ".join(repr(s) for s in speakers[:_MAX_LISTED_SPEAKERS])
    more = "…" if len(speakers) > _MAX_LISTED_SPEAKERS else ""
    raise Unprocessable(
        f"face_speaker {wanted!r} does not speak in this thread; its speakers are {listed}{more}. "
        "Set face_speaker to one of them, or leave it out.",
        param="face_speaker",
    )
