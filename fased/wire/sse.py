"""Server-Sent Events: an incremental parser for upstream streams and the frame encoders.

The parser follows the WHATWG event-stream rules that matter to LLM APIs: lines end in `\\n`,
`\\r\\n` or `\\r`; a blank line ends an event; `data:` lines are joined with `\\n`; `event:` names
the event; lines starting with `:` are comments; `id:` and `retry:` are ignored (no LLM API
resumes streams). It works on whole events at a time (`bytes.rfind`/`split`), so chunks split
anywhere, even inside a UTF-8 character, cost nothing extra: bytes are decoded per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"
PING = b": ping\n\n"

_DATA_PREFIX = b"data: "
_EVENT_END = b"\n\n"


@dataclass(frozen=True, slots=True)
class SSEMessage:
    event: str | None
    data: str


class SSEParser:
    """Feed it bytes as they arrive; it returns the events completed so far."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[SSEMessage]:
        buffer = self._buffer + data
        if b"\r" in data or self._buffer.endswith(b"\r"):  # the held part is already normalized
            buffer = _normalize_newlines(buffer)
        end = buffer.rfind(_EVENT_END)
        if end < 0:
            self._buffer = buffer
            return []
        self._buffer = buffer[end + 2 :]
        return _parse_blocks(buffer[:end])

    def flush(self) -> list[SSEMessage]:
        """End of stream: parse an event the server left without its closing blank line."""
        buffer, self._buffer = self._buffer.rstrip(b"\r"), b""
        return _parse_blocks(buffer) if buffer.strip() else []


def _normalize_newlines(buffer: bytes) -> bytes:
    """`\\r\\n` and `\\r` become `\\n`; a trailing `\\r` waits, as its `\\n` may come next."""
    pending = buffer.endswith(b"\r")
    if pending:
        buffer = buffer[:-1]
    buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return buffer + b"\r" if pending else buffer


def _parse_blocks(blob: bytes) -> list[SSEMessage]:
    messages = []
    for block in blob.split(_EVENT_END):
        message = _parse_block(block)
        if message is not None:
            messages.append(message)
    return messages


def _parse_block(block: bytes) -> SSEMessage | None:
    if block.startswith(_DATA_PREFIX) and b"\n" not in block:  # the common case: one data line
        return SSEMessage(None, block[6:].decode("utf-8", "replace"))
    event: str | None = None
    data: list[str] = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if not line or line[0] == ":":
            continue
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    if not data:  # an event without data is not dispatched (WHATWG)
        return None
    return SSEMessage(event, "\n".join(data))


def encode_data(obj: Any) -> bytes:
    """One `data:` frame holding `obj` as JSON."""
    return _DATA_PREFIX + orjson.dumps(obj) + _EVENT_END


def encode_event(event: str, obj: Any) -> bytes:
    """One typed frame (`event:` then `data:`), as the Messages and Responses streams use."""
    return b"event: " + event.encode() + b"\n" + _DATA_PREFIX + orjson.dumps(obj) + _EVENT_END
