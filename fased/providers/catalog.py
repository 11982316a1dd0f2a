"""The model catalog (SPEC §6.3): which LLMs exist, who serves them, by which API, at what price.

A catalog ships with the package (`catalog.json`, list prices with the date they were checked);
`models.catalog` in the config adds entries or replaces shipped ones by id. A model that is not in
the catalog can still be routed by a provider's `models` patterns (and the shipped ones, such as
`accounts/fireworks/models/*` → `fireworks`), through Chat Completions, at zero price. A pattern
that starts with one routing segment (`ollama/*`) strips it: `ollama/llama3` goes to `ollama` as
upstream model `llama3`. Any other pattern sends the model id unchanged, because it is the
vendor's own id (`accounts/fireworks/models/llama-v3p1-8b-instruct`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import orjson

from fased.canonical import Usage
from fased.config import CatalogEntrySettings, ProviderSettings, Settings

Api = Literal["chat", "responses", "messages", "echo"]

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One LLM. Prices are USD per million tokens; `upstream_id` is the id sent to the provider."""

    id: str
    provider: str
    api: Api
    upstream_id: str
    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None  # None: cache reads cost the full input rate
    context_window: int | None = None
    max_output: int | None = None
    # whether the model takes a reasoning setting (effort, thinking budget): False drops it
    # (OpenAI refuses `reasoning_effort` for gpt-4o); None, unknown: sent, the upstream decides
    reasoning: bool | None = None

    def cost(self, usage: Usage) -> float:
        """The USD cost of `usage` at this entry's prices.

        `usage.input_tokens` includes the cached tokens (as OpenAI reports `prompt_tokens`); those
        are priced at the cached rate and only the rest at the input rate. Reasoning tokens are
        part of `output_tokens` and priced as output.
        """
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        total = (
            (usage.input_tokens - cached) * self.input
            + cached * cached_rate
            + usage.output_tokens * self.output
        )
        return total / PER_MILLION


def entry_from_settings(item: CatalogEntrySettings) -> CatalogEntry:
    return CatalogEntry(
        id=item.id,
        provider=item.provider,
        api=item.api,
        upstream_id=item.upstream_id or item.id,
        input=item.input,
        output=item.output,
        cached_input=item.cached_input,
        context_window=item.context_window,
        max_output=item.max_output,
        reasoning=item.reasoning,
    )


def shipped_entries() -> list[CatalogEntry]:
    """The entries of the catalog file that ships with the package."""
    raw = resources.files("fased.providers").joinpath("catalog.json").read_bytes()
    data: dict[str, Any] = orjson.loads(raw)
    return [entry_from_settings(CatalogEntrySettings(**item)) for item in data["models"]]


def shipped_patterns() -> list[tuple[str, str]]:
    """(pattern, provider) pairs that ship with the package, tried after the configured ones."""
    raw = resources.files("fased.providers").joinpath("catalog.json").read_bytes()
    return [(p["pattern"], p["provider"]) for p in orjson.loads(raw).get("patterns", [])]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A provider's `models` pattern: `*` matches one or more characters, the rest literally."""

    provider: str
    regex: re.Pattern[str]

    strip: int = 0  # length of the routing prefix removed from the upstream id

    @classmethod
    def compile(cls, provider: str, pattern: str) -> _Pattern:
        body = "(.+)".join(re.escape(piece) for piece in pattern.split("*"))
        prefix = pattern.split("*", 1)[0] if "*" in pattern else ""
        routing = prefix.endswith("/") and prefix.count("/") == 1
        return cls(provider, re.compile(body), len(prefix) if routing else 0)

    def upstream_id(self, model: str) -> str | None:
        """The upstream model id for `model`, or None when it doesn't match."""
        if self.regex.fullmatch(model) is None:
            return None
        return model[self.strip :]


class Catalog:
    """Catalog entries by id, then provider patterns in config order."""

    __slots__ = ("_by_id", "_patterns")

    def __init__(
        self,
        entries: Iterable[CatalogEntry],
        providers: Mapping[str, ProviderSettings],
        shipped: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._by_id = {entry.id: entry for entry in entries}  # later entries win
        configured = [(p, name) for name, s in providers.items() for p in s.patterns]
        self._patterns = tuple(
            _Pattern.compile(name, pattern) for pattern, name in (*configured, *shipped)
        )

    def lookup(self, model: str) -> CatalogEntry | None:
        entry = self._by_id.get(model)
        if entry is not None:
            return entry
        for pattern in self._patterns:
            upstream = pattern.upstream_id(model)
            if upstream is not None:
                return CatalogEntry(model, pattern.provider, "chat", upstream)
        return None

    def entries(self) -> list[CatalogEntry]:
        """Every catalog entry (for `/v1/models`), whether or not its provider is configured."""
        return list(self._by_id.values())

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.lookup(model) is not None

    @classmethod
    def build(cls, settings: Settings) -> Catalog:
        """The shipped catalog with `models.catalog` added or overriding by id."""
        overrides = [entry_from_settings(item) for item in settings.models.catalog]
        return cls([*shipped_entries(), *overrides], settings.providers, shipped_patterns())
