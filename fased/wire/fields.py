"""Typed reads from a decoded JSON body, for the inbound translators.

Each reader takes the containing object, the key and where that object sits in the body (`at`,
e.g. `messages[2]`), and either returns the value or raises `BadRequest` whose `param` is the
field's path as the client wrote it (`messages[2].name`) and whose message says what to send
instead. `None` (JSON null) counts as absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fased.canonical import Part, TextPart
from fased.errors import BadRequest


def expect_object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"`{param}` must be a JSON object.", param=param)
    return value


def expect_list(value: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequest(f"`{param}` must be a list.", param=param)
    return value


def required_string(obj: dict[str, Any], key: str, at: str = "") -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise _invalid(at, key, "is required and must be a non-empty string")
    return value


def optional_string(obj: dict[str, Any], key: str, at: str = "") -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(at, key, "must be a string")
    return value


def optional_bool(obj: dict[str, Any], key: str, at: str = "") -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise _invalid(at, key, "must be true or false")
    return value


def optional_int(obj: dict[str, Any], key: str, at: str = "", *, minimum: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _invalid(at, key, f"must be an integer of at least {minimum}")
    return value


def optional_number(
    obj: dict[str, Any], key: str, at: str = "", *, low: float, high: float
) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _invalid(at, key, f"must be a number from {low:g} to {high:g}")
    return float(value)


def optional_object(obj: dict[str, Any], key: str, at: str = "") -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else expect_object(value, path(at, key))


def path(at: str, key: str) -> str:
    """`key` inside the object at `at`: `path("messages[2]", "name")` is `messages[2].name`."""
    return f"{at}.{key}" if at else key


def _invalid(at: str, key: str, problem: str) -> BadRequest:
    param = path(at, key)
    return BadRequest(f"`{param}` {problem}.", param=param)


PartReader = Callable[[dict[str, Any], str, str], Part | None]


def content_parts(
    content: Any, param: str, allowed: tuple[str, ...], read: PartReader
) -> tuple[Part, ...]:
    """A string, or a list of typed parts each read by `read(part, param, type)`; empty text is
    dropped (TRANSLATION_PITFALLS 7), and a part type not in `allowed` is a 400 naming it."""
    if content is None or content == "":
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    if not isinstance(content, list):
        raise BadRequest(f"`{param}` must be a string or a list of content parts.", param=param)
    parts = (_typed_part(raw, f"{param}[{i}]", allowed, read) for i, raw in enumerate(content))
    return tuple(part for part in parts if part is not None)


def _typed_part(raw: Any, param: str, allowed: tuple[str, ...], read: PartReader) -> Part | None:
    part = expect_object(raw, param)
    kind = part.get("type")
    if not isinstance(kind, str) or kind not in allowed:
        raise BadRequest(
            f"Content part type {kind!r} is not supported here; use {' or '.join(allowed)}.",
            param=f"{param}.type",
        )
    return read(part, param, kind)
