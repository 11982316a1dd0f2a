"""Anthropic's prompt-cache breakpoints (`cache_control`, pitfall 9), both directions.

Inbound, `cache_hint` reads a block's `cache_control` into the canonical hint. Outbound,
`CacheBudget` writes them back onto the rendered blocks: Anthropic takes at most four
breakpoints in a request (a fifth is a 400), so when there are more, the last four in prefix
order — tools, then system, then messages — are kept: each covers the longest prefix, and the
ones before it are read from the cache anyway. Toward OpenAI's formats the hints are simply
not written (OpenAI caches long prefixes by itself).
"""

from __future__ import annotations

from typing import Any, Final

from fased.canonical import CacheHint
from fased.errors import BadRequest
from fased.wire.fields import expect_object, path

MAX_BREAKPOINTS: Final = 4
TTLS: Final = ("5m", "1h")


def cache_hint(block: dict[str, Any], param: str) -> CacheHint | None:
    """The block's `cache_control` (`{"type": "ephemeral", "ttl"?: "5m" | "1h"}`), or None."""
    raw = block.get("cache_control")
    if raw is None:
        return None
    where = path(param, "cache_control")
    control = expect_object(raw, where)
    if control.get("type") != "ephemeral":
        raise BadRequest(
            f"`{where}.type` must be 'ephemeral' (the only cache type).", param=path(where, "type")
        )
    ttl = control.get("ttl", "5m")
    if ttl == "5m":
        return "5m"
    if ttl == "1h":
        return "1h"
    raise BadRequest(f"`{where}.ttl` must be '5m' or '1h'; got {ttl!r}.", param=path(where, "ttl"))


def cache_control(hint: CacheHint) -> dict[str, str]:
    return {"type": "ephemeral"} if hint == "5m" else {"type": "ephemeral", "ttl": hint}


class CacheBudget:
    """Collects the rendered blocks that carry a hint, in prefix order; `apply` marks the
    last four and reports whether any had to be left out."""

    __slots__ = ("_marked",)

    def __init__(self) -> None:
        self._marked: list[tuple[dict[str, Any], CacheHint]] = []

    def mark(self, block: dict[str, Any], hint: CacheHint | None) -> dict[str, Any]:
        if hint is not None:
            self._marked.append((block, hint))
        return block

    def apply(self) -> bool:
        """Write `cache_control` on the last four marked blocks; True when some were dropped."""
        kept = self._marked[-MAX_BREAKPOINTS:]
        for block, hint in kept:
            block["cache_control"] = cache_control(hint)
        return len(kept) < len(self._marked)
