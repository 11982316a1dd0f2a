"""Bytes → text for text uploads: the one place that decides what text encodings we accept.

UTF-8 (with or without a byte-order mark) and, when a BOM says so, UTF-16. Anything else is a
**422**, not a 415: the media type is one we support, the content is not valid text in it.
Newlines are normalised to `\\n`; a NUL byte means the file is binary under a text name.
"""

from __future__ import annotations

import codecs

from fased.errors import Unprocessable

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_text(data: bytes, *, what: str = "file") -> str:
    """`data` as text with `\\n` newlines; 422 if it is not UTF-8 (or BOM-marked UTF-16)."""
    encoding = "utf-16" if data.startswith(_UTF16_BOMS) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Unprocessable(
            f"The {what} is not valid {encoding.removesuffix('-sig').upper()} text (undecodable "
            f"byte at offset {exc.start}); save it as UTF-8 and upload it again."
        ) from exc
    if "\x00" in text:
        raise Unprocessable(
            f"The {what} contains NUL bytes, so it is binary, not text; upload a text, Markdown, "
            "PDF or chat-export file."
        )
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def require_text(text: str, *, max_chars: int, what: str) -> str:
    """`text` if it has something in it and is within `max_chars`; 422 otherwise."""
    if not text.strip():
        raise Unprocessable(f"The {what} has no text to compile; upload a file with text in it.")
    if len(text) > max_chars:
        raise Unprocessable(
            f"The {what} is too large: {len(text)} characters of text, the limit is {max_chars}; "
            "split it into smaller uploads."
        )
    return text
