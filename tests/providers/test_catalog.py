from __future__ import annotations

from typing import Any

import pytest

from fased.canonical import Usage
from fased.config import Settings, build_settings
from fased.providers.catalog import Catalog, CatalogEntry, shipped_entries

OPENAI_RESPONSES = ("gpt-5.4", "gpt-5.4-mini", "gpt-5", "gpt-5-mini")
OPENAI_CHAT = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini")
ANTHROPIC = ("claude-sonnet-4-6", "claude-opus-4-5", "claude-haiku-4-5")
FIREWORKS = "accounts/fireworks/models/llama-v3p1-8b-instruct"


def settings(data: dict[str, Any] | None = None) -> Settings:
    return build_settings(data or {}, {}, {})


def catalog(data: dict[str, Any] | None = None) -> Catalog:
    return Catalog.build(settings(data))


def test_shipped_catalog_routes_each_family_to_its_api() -> None:
    shipped = catalog()
    for model in OPENAI_RESPONSES:
        assert (shipped.lookup(model) or pytest.fail(model)).api == "responses"
    for model in OPENAI_CHAT:
        assert (shipped.lookup(model) or pytest.fail(model)).api == "chat"
    for model in ANTHROPIC:
        entry = shipped.lookup(model) or pytest.fail(model)
        assert (entry.provider, entry.api) == ("anthropic", "messages")
    fireworks = shipped.lookup(FIREWORKS) or pytest.fail(FIREWORKS)
    assert (fireworks.provider, fireworks.api, fireworks.upstream_id) == (
        "fireworks",
        "chat",
        FIREWORKS,
    )
    echo = shipped.lookup("echo") or pytest.fail("echo")
    assert (echo.provider, echo.api, echo.input, echo.output) == ("echo", "echo", 0.0, 0.0)


def test_shipped_entries_are_complete_and_unique() -> None:
    entries = shipped_entries()
    assert len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.upstream_id == entry.id
        assert entry.cached_input is not None and entry.cached_input <= entry.input
        assert entry.context_window and entry.max_output


def test_entries_lists_every_catalog_model() -> None:
    ids = [e.id for e in catalog().entries()]
    assert {*OPENAI_RESPONSES, *OPENAI_CHAT, *ANTHROPIC, FIREWORKS, "echo"} <= set(ids)


def test_unknown_model_is_none() -> None:
    assert catalog().lookup("gpt-9") is None
    assert "gpt-9" not in catalog()
    assert "gpt-4o" in catalog()


PATTERNS = {
    "providers": {
        "ollama": {
            "kind": "openai-compatible",
            "baseUrl": "http://127.0.0.1:11434/v1",
            "models": "ollama/*",
        },
        "local": {
            "kind": "openai-compatible",
            "baseUrl": "http://127.0.0.1:8000/v1",
            "models": ["exact-model", "vllm:*:latest"],
        },
    }
}


def test_star_pattern_routes_to_provider_with_the_matched_text_as_upstream_id() -> None:
    entry = catalog(PATTERNS).lookup("ollama/llama3")
    assert entry == CatalogEntry("ollama/llama3", "ollama", "chat", "llama3")
    assert entry.cost(Usage(input_tokens=1000, output_tokens=1000)) == 0.0


def test_pattern_keeps_slashes_and_needs_a_non_empty_match() -> None:
    found = catalog(PATTERNS)
    assert (
        found.lookup("ollama/library/qwen2:7b") or pytest.fail()
    ).upstream_id == "library/qwen2:7b"
    assert found.lookup("ollama/") is None
    assert found.lookup("xollama/llama3") is None


def test_exact_and_inner_star_patterns() -> None:
    found = catalog(PATTERNS)
    exact = found.lookup("exact-model") or pytest.fail()
    assert (exact.provider, exact.upstream_id) == ("local", "exact-model")
    inner = found.lookup("vllm:qwen:latest") or pytest.fail()
    assert (inner.provider, inner.upstream_id) == ("local", "vllm:qwen:latest")
    assert found.lookup("exact-model-2") is None


def test_catalog_ids_win_over_patterns() -> None:
    greedy = {
        "providers": {"any": {"kind": "openai-compatible", "baseUrl": "http://h/v1", "models": "*"}}
    }
    found = catalog(greedy)
    assert (found.lookup("gpt-4o") or pytest.fail()).provider == "openai"
    assert (found.lookup("whatever") or pytest.fail()).provider == "any"


def test_config_catalog_overrides_by_id_and_adds_entries() -> None:
    data = {
        "models": {
            "catalog": [
                {"id": "gpt-4o", "provider": "azure", "input": 1.0, "output": 2.0},
                {
                    "id": "my-llama",
                    "provider": "ollama",
                    "upstreamId": "llama3.1:8b",
                    "contextWindow": 8192,
                },
            ]
        }
    }
    found = catalog(data)
    override = found.lookup("gpt-4o") or pytest.fail()
    assert (override.provider, override.api, override.input, override.cached_input) == (
        "azure",
        "chat",
        1.0,
        None,
    )
    added = found.lookup("my-llama") or pytest.fail()
    assert (added.upstream_id, added.context_window) == ("llama3.1:8b", 8192)
    assert [e.id for e in found.entries()].count("gpt-4o") == 1


def test_cost_prices_cached_input_at_the_cached_rate() -> None:
    entry = CatalogEntry("m", "p", "chat", "m", input=2.5, output=10.0, cached_input=1.25)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cached_input_tokens=400_000)
    # 600k uncached x 2.5 + 400k cached x 1.25 + 100k output x 10, per million
    assert entry.cost(usage) == pytest.approx(1.5 + 0.5 + 1.0)


def test_cost_without_cached_rate_prices_cache_reads_as_input() -> None:
    entry = CatalogEntry("m", "p", "chat", "m", input=3.0, output=15.0)
    usage = Usage(input_tokens=1000, output_tokens=500, cached_input_tokens=800)
    assert entry.cost(usage) == pytest.approx((1000 * 3.0 + 500 * 15.0) / 1_000_000)


def test_cost_never_prices_more_cached_tokens_than_input_tokens() -> None:
    entry = CatalogEntry("m", "p", "chat", "m", input=2.0, output=0.0, cached_input=0.5)
    usage = Usage(input_tokens=100, cached_input_tokens=250)
    assert entry.cost(usage) == pytest.approx(100 * 0.5 / 1_000_000)


def test_cost_of_shipped_gpt_5_4_with_cache_hits() -> None:
    entry = catalog().lookup("gpt-5.4") or pytest.fail()
    usage = Usage(input_tokens=11, output_tokens=7, cached_input_tokens=3)
    assert entry.cost(usage) == pytest.approx((8 * 2.5 + 3 * 0.25 + 7 * 15.0) / 1_000_000)


def test_vendor_id_patterns_keep_the_whole_id() -> None:
    found = catalog({})
    entry = found.lookup("accounts/fireworks/models/qwen3-235b-a22b") or pytest.fail()
    assert (entry.provider, entry.upstream_id) == (
        "fireworks",
        "accounts/fireworks/models/qwen3-235b-a22b",
    )
