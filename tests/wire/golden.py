"""Golden fixtures: JSON files under `golden/<format>/`, canonical objects tagged with `_t`.

A JSON object with a `_t` key names a class of `fased.canonical` (`{"_t": "TextPart", "text":
"hi"}`); inside such an object, lists become tuples (the canonical types hold tuples), while
plain objects such as a tool's JSON schema stay exactly as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

import fased.canonical

ROOT = Path(__file__).parent / "golden"


def names(fmt: str, prefix: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / fmt).glob(f"{prefix}*.json"))


def load(fmt: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((ROOT / fmt / f"{name}.json").read_bytes())
    return data


def canonical(obj: Any) -> Any:
    if isinstance(obj, list):
        return [canonical(item) for item in obj]
    if isinstance(obj, dict) and "_t" in obj:
        cls = getattr(fased.canonical, obj["_t"])
        fields = {
            key: tuple(canonical(item) for item in value)
            if isinstance(value, list)
            else canonical(value)
            for key, value in obj.items()
            if key != "_t"
        }
        return cls(**fields)
    return obj
