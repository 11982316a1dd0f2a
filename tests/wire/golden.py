"""Golden fixtures: JSON files under `golden/<format>/`, canonical objects tagged with `_t`.

A JSON object with a `_t` key names a class of `fased.canonical` (`{"_t": "TextPart", "text":
"hi"}`); inside such an object, lists become tuples (the canonical types hold tuples), while
plain objects such as a tool's JSON schema stay exactly as written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

import fased.canonical
from fased.errors import BadRequest

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


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value, the root first."""
    yield prefix
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        yield from paths(child, (*prefix, key))


def replaced(value: Any, path: tuple[Any, ...], junk: Any) -> Any:
    """A deep copy of `value` with the node at `path` replaced by `junk`."""
    if not path:
        return junk
    copied = copy.deepcopy(value)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    return copied


def fuzz(body: Any, parse: Callable[[Any], object], junk: Sequence[Any]) -> dict[str, int]:
    """Every field of `body` replaced by every junk value: each outcome is accepted or a
    `BadRequest` with a message that ends a sentence and a string `param` — never another
    exception. Returns the counts, so a test can check that both outcomes happened."""
    outcomes = {"accepted": 0, "rejected": 0}
    for path in paths(body):
        for value in junk:
            try:
                parse(replaced(body, path, value))
                outcomes["accepted"] += 1
            except BadRequest as error:
                assert error.message.endswith((".", "`.")), error.message
                assert error.param is None or isinstance(error.param, str)
                outcomes["rejected"] += 1
    return outcomes
