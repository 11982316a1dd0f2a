"""Providers by name, opened once at start (SPEC §6.3).

Which client serves a provider is decided by its `kind` through a registry of kinds (a dict,
the same one an extension would add to), never by if/elif. Zero-config defaults: with
`OPENAI_API_KEY` / `ANTHROPIC_API_KEY` in the environment and no `providers.openai` /
`providers.anthropic` in the config, those providers are configured from the environment. The
offline `echo` provider is always there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from fased.config import ProviderSettings, Settings
from fased.errors import ConfigError, ProviderNotConfigured, ServiceUnavailable
from fased.metrics import Metrics
from fased.providers.anthropic import DEFAULT_BASE_URL as ANTHROPIC_BASE_URL
from fased.providers.anthropic import AnthropicProvider
from fased.providers.base import Provider, ProviderFactory
from fased.providers.catalog import Api, CatalogEntry
from fased.providers.echo import EchoProvider
from fased.providers.openai import OpenAIProvider
from fased.providers.openai_compat import OpenAIChatProvider

logger = structlog.get_logger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
EXAMPLE_CONFIG = "config/fased.example.json5"
# (provider name, environment variable, kind) configured from the environment when absent
ZERO_CONFIG = (
    ("openai", "OPENAI_API_KEY", "openai"),
    ("anthropic", "ANTHROPIC_API_KEY", "anthropic"),
)
# models.default when unset: the first of these whose provider is configured, else echo
DEFAULT_MODELS = (("openai", "gpt-5.4"), ("anthropic", "claude-sonnet-4-6"))
ECHO_MODEL = "echo"
API_NAMES: Mapping[Api, str] = {
    "chat": "OpenAI Chat Completions",
    "responses": "OpenAI Responses",
    "messages": "Anthropic Messages",
    "echo": "offline echo",
}


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """How to open a provider of one kind, and which catalog APIs (`CatalogEntry.api`) it serves.

    `factory` None means the kind is known but has no client yet: the provider is configured, and
    each request for it gets a 503 saying `missing`.
    """

    apis: frozenset[Api]
    factory: ProviderFactory | None = None
    default_base_url: str | None = None
    needs_key: bool = False
    missing: str = ""


def builtin_kinds() -> dict[str, ProviderKind]:
    """The kinds that ship with Fased; `open_providers(kinds=…)` takes an extended copy."""
    return {
        # one session, a client per API: the catalog entry's `api` picks Chat Completions or
        # Responses (SPEC §6.2)
        "openai": ProviderKind(
            frozenset({"chat", "responses"}),
            OpenAIProvider.open,
            OPENAI_BASE_URL,
            needs_key=True,
        ),
        # chat-only servers (vLLM, llama.cpp, Ollama …) have no /responses (pitfall 18)
        "openai-compatible": ProviderKind(frozenset({"chat"}), OpenAIChatProvider.open),
        "echo": ProviderKind(frozenset({"echo"}), EchoProvider.open),
        "anthropic": ProviderKind(
            frozenset({"messages"}),
            AnthropicProvider.open,
            ANTHROPIC_BASE_URL,
            needs_key=True,
        ),
        "openai-codex": ProviderKind(
            frozenset({"responses"}),
            missing="linked-subscription routing (openai-codex) is not available yet",
        ),
    }


@dataclass(frozen=True, slots=True)
class _Slot:
    """A configured provider name: its client, or why it cannot serve."""

    kind: str
    apis: frozenset[Api]
    provider: Provider | None
    problem: str = ""
    has_credentials: bool = True


def not_configured(name: str) -> ProviderNotConfigured:
    return ProviderNotConfigured(
        f"provider {name} is not configured; add providers.{name} to the config "
        f"(see {EXAMPLE_CONFIG})"
    )


class ProviderRegistry:
    """The open providers; `get`/`for_entry` raise the 503s a request for them should get."""

    __slots__ = ("_slots",)

    def __init__(self, slots: Mapping[str, _Slot]) -> None:
        self._slots = dict(slots)

    def get(self, name: str) -> Provider:
        slot = self._slots.get(name)
        if slot is None:
            raise not_configured(name)
        if slot.provider is None:
            if not slot.has_credentials:
                raise ProviderNotConfigured(slot.problem)
            raise ServiceUnavailable(slot.problem, code="provider_unsupported")
        return slot.provider

    def can_serve(self, entry: CatalogEntry) -> bool:
        slot = self._slots.get(entry.provider)
        return slot is not None and slot.provider is not None and entry.api in slot.apis

    def for_entry(self, entry: CatalogEntry) -> Provider:
        """The provider that serves `entry`, or the 503 saying why none can."""
        provider = self.get(entry.provider)
        slot = self._slots[entry.provider]
        if entry.api not in slot.apis:
            raise ServiceUnavailable(
                f"provider {entry.provider} (kind {slot.kind}) cannot serve {entry.id}: it needs "
                f"the {API_NAMES[entry.api]} API, which this gateway's {slot.kind} client does "
                "not speak yet",
                code="provider_unsupported",
            )
        return provider

    def configured(self) -> list[str]:
        """Names of the providers that have a client and can take requests (for /ready)."""
        return [name for name, slot in self._slots.items() if slot.provider is not None]

    def _has(self, name: str) -> bool:
        slot = self._slots.get(name)
        return slot is not None and slot.has_credentials

    def default_model(self, settings: Settings) -> str:
        """`models.default`; else gpt-5.4 with openai, claude-sonnet-4-6 with anthropic, or echo."""
        if settings.models.default:
            return settings.models.default
        return next((model for name, model in DEFAULT_MODELS if self._has(name)), ECHO_MODEL)

    def default_model_message(self, settings: Settings) -> str:
        """One line for the start-up log: which default model, why, and how to change it."""
        model = self.default_model(settings)
        if settings.models.default:
            return f"default model {model} (models.default)"
        provider = next((name for name, m in DEFAULT_MODELS if m == model), None)
        if provider is not None:
            return (
                f"default model {model}, because provider {provider} is configured; "
                "set models.default to choose another"
            )
        return (
            f"default model {model}: the offline echo model, because no provider is configured; "
            "set OPENAI_API_KEY or ANTHROPIC_API_KEY, or add providers.<name> to the config "
            f"(see {EXAMPLE_CONFIG})"
        )

    async def close(self) -> None:
        providers = [slot.provider for slot in self._slots.values() if slot.provider is not None]
        await asyncio.gather(*(provider.close() for provider in providers))


def declared_providers(settings: Settings, env: Mapping[str, str]) -> dict[str, ProviderSettings]:
    """The configured providers plus the zero-config ones from `env` and the echo provider."""
    providers = dict(settings.providers)
    for name, variable, kind in ZERO_CONFIG:
        if name not in providers and env.get(variable):
            providers[name] = ProviderSettings(kind=kind, api_key=env[variable])
    providers.setdefault("echo", ProviderSettings(kind="echo"))
    return providers


async def _open_slot(
    name: str, settings: ProviderSettings, kind: ProviderKind, metrics: Metrics | None
) -> _Slot:
    if kind.needs_key and not settings.api_key:
        problem = (
            f"provider {name} is not configured: it has no API key; set providers.{name}.apiKey"
        )
        return _Slot(settings.kind, kind.apis, None, problem, has_credentials=False)
    if settings.base_url is None and kind.default_base_url:
        settings = settings.model_copy(update={"base_url": kind.default_base_url})
    if kind.factory is None:
        problem = f"provider {name} is configured, but {kind.missing}"
        return _Slot(settings.kind, kind.apis, None, problem)
    return _Slot(settings.kind, kind.apis, await kind.factory(name, settings, metrics))


async def open_providers(
    settings: Settings,
    env: Mapping[str, str],
    kinds: Mapping[str, ProviderKind] | None = None,
    *,
    metrics: Metrics | None = None,
) -> ProviderRegistry:
    """Open every declared provider (one pooled HTTP session each); close them with `close()`.
    `metrics`: where the providers record their upstream calls (none in some tests)."""
    kinds = builtin_kinds() if kinds is None else kinds
    slots: dict[str, _Slot] = {}
    try:
        for name, provider_settings in declared_providers(settings, env).items():
            kind = kinds.get(provider_settings.kind)
            if kind is None:
                raise ConfigError(
                    [f"providers.{name}.kind: no client for {provider_settings.kind!r}"]
                )
            slots[name] = await _open_slot(name, provider_settings, kind, metrics)
            logger.debug("provider_opened", provider=name, kind=provider_settings.kind)
    except BaseException:
        await ProviderRegistry(slots).close()
        raise
    return ProviderRegistry(slots)
