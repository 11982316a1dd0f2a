"""One HTTP provider and the fake upstream it talks to, for the tests every provider must pass.

A `Rig` names the provider's constructor, its fake, a catalog entry it serves, and how the fake's
replies read once translated: the message id, and what its mid-stream error event becomes
(raised when it comes first, a `StreamError` after text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fased.canonical import ChatRequest, Message, TextPart, Usage
from fased.config import ProviderKind, ProviderSettings
from fased.errors import FasedError, ServiceUnavailable, UpstreamError
from fased.providers.anthropic import AnthropicProvider
from fased.providers.base import Provider
from fased.providers.catalog import CatalogEntry
from fased.providers.openai_compat import OpenAIChatProvider
from fased.providers.openai_responses import OpenAIResponsesProvider
from tests.fakes.anthropic_upstream import serve_fake_anthropic
from tests.fakes.common import FakeUpstream
from tests.fakes.openai_upstream import serve_fake_openai
from tests.fakes.responses_upstream import serve_fake_responses

API_KEY = "sk-test-secret-key-0123456789"
NAME = "up"
DEFAULT_USAGE = Usage(input_tokens=11, output_tokens=7, cached_input_tokens=3)

Opener = Callable[[str, ProviderSettings], Awaitable[Provider]]
Server = Callable[[Callable[..., Awaitable[Any]]], Awaitable[FakeUpstream]]


@dataclass(frozen=True)
class Rig:
    kind: ProviderKind
    open: Opener
    serve: Server
    entry: CatalogEntry
    message_id: str
    early_error: type[FasedError] = UpstreamError  # the fake's error event, before any text
    stream_error_status: int = 502  # the same event after text, as a StreamError


RIGS: dict[str, Rig] = {
    "chat": Rig(
        "openai-compatible",
        OpenAIChatProvider.open,
        serve_fake_openai,
        CatalogEntry("local/m1", NAME, "chat", "m1"),
        "chatcmpl-fake",
    ),
    "messages": Rig(
        "anthropic",
        AnthropicProvider.open,
        serve_fake_anthropic,
        CatalogEntry("claude-test", NAME, "messages", "claude-test-001", max_output=1000),
        "msg_fake",
        early_error=ServiceUnavailable,  # Anthropic's error event says overloaded_error
        stream_error_status=503,
    ),
    "responses": Rig(
        "openai",
        OpenAIResponsesProvider.open,
        serve_fake_responses,
        CatalogEntry("gpt-test", NAME, "responses", "gpt-test-001"),
        "resp_fake",
    ),
}


def settings_for(rig: Rig, upstream: FakeUpstream, **changes: Any) -> ProviderSettings:
    settings = ProviderSettings(kind=rig.kind, api_key=API_KEY, base_url=upstream.base_url)
    return settings.model_copy(update=changes)


def chat(*, stream: bool = False, **fields: Any) -> ChatRequest:
    """A one-turn request ("hi"), with any other `ChatRequest` fields."""
    message = Message("user", (TextPart("hi"),))
    return ChatRequest(model="m", messages=(message,), stream=stream, **fields)
