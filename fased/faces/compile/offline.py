"""The offline compiler (SPEC §8.2, the default): every offline extractor, registered once.

Documents and threads both get the rule families (facts, work, family, identity, preferences,
habits) and the keyword families (domains, reasoning), read from the face's own text only (a
thread's face turns); threads also get speech style and example turns.
"""

from __future__ import annotations

from fased.faces.compile import (
    domains,
    examples,
    facts,
    family,
    habits,
    identity,
    preferences,
    reasoning,
    style,
    work,
)
from fased.faces.compile.registry import SOURCE_KINDS, ExtractFn, ExtractorRegistry, SourceKind

THREADS: tuple[SourceKind, ...] = ("thread",)
OFFLINE_EXTRACTORS: tuple[tuple[str, ExtractFn, tuple[SourceKind, ...]], ...] = (
    (facts.NAME, facts.extract, SOURCE_KINDS),
    (work.NAME, work.extract, SOURCE_KINDS),
    (family.NAME, family.extract, SOURCE_KINDS),
    (identity.NAME, identity.extract, SOURCE_KINDS),
    (preferences.NAME, preferences.extract, SOURCE_KINDS),
    (habits.NAME, habits.extract, SOURCE_KINDS),
    (domains.NAME, domains.extract, SOURCE_KINDS),
    (reasoning.NAME, reasoning.extract, SOURCE_KINDS),
    (style.NAME, style.extract, THREADS),
    (examples.NAME, examples.extract, THREADS),
)


def register_offline(registry: ExtractorRegistry) -> None:
    """Add every offline extractor to `registry`."""
    for name, extract, kinds in OFFLINE_EXTRACTORS:
        registry.register(name, extract, kinds)


def offline_registry() -> ExtractorRegistry:
    """A registry holding the offline extractors only."""
    registry = ExtractorRegistry()
    register_offline(registry)
    return registry
