"""`echo`: a deterministic OFFLINE model for demos and tests. It is not an LLM.

It answers `Echo: <text of the last user message>`, streamed word by word, with usage estimated
by `fased.providers.tokens` (about four characters a token) and a zero price in the catalog. It
makes no network call, so a fresh install with no provider keys still answers every chat API,
and tests get byte-identical replies for identical requests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncGenerator

from fased.canonical import ChatRequest, Event, Finish, MessageStart, TextDelta, Usage
from fased.config import ProviderSettings
from fased.metrics import Metrics
from fased.providers.catalog import CatalogEntry
from fased.providers.tokens import estimate_message_tokens, estimate_tokens

PREFIX = "Echo: "
NO_TEXT = "(no text)"
WORDS = re.compile(
    r"\S+\s*|\s+"
)  # each word with the whitespace after it: deltas join back exactly


def echo_reply(request: ChatRequest) -> str:
    """The reply text: a fixed function of the last user message's text."""
    for message in reversed(request.messages):
        if message.role == "user":
            return PREFIX + (message.text() or NO_TEXT)
    return PREFIX + NO_TEXT


def input_tokens(request: ChatRequest) -> int:
    """The estimated prompt size: system segments and every message."""
    system = sum(estimate_tokens(segment) for segment in request.system)
    return system + sum(estimate_message_tokens(message) for message in request.messages)


class EchoProvider:
    """The offline echo model (see the module docstring); deterministic, no I/O."""

    __slots__ = ("name",)

    name: str

    def __init__(self, name: str = "echo") -> None:
        self.name = name

    @classmethod
    async def open(
        cls, name: str, settings: ProviderSettings, metrics: Metrics | None = None
    ) -> EchoProvider:
        return cls(name)  # no upstream: nothing to measure

    async def stream(
        self, request: ChatRequest, entry: CatalogEntry
    ) -> AsyncGenerator[Event, None]:
        text = echo_reply(request)
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        yield MessageStart(id=f"echo-{digest}", model=entry.id)
        for word in WORDS.findall(text):
            yield TextDelta(word)
        yield Finish("stop")
        yield Usage(input_tokens=input_tokens(request), output_tokens=estimate_tokens(text))

    async def close(self) -> None:
        return None
