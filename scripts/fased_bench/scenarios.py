"""What is measured: each scenario is one kind of request, sent to the targets that can serve it.

`chat` and `chat-stream` (a bare catalog model) run on every target, so Fased is measured beside
the fake upstream itself (`direct`), the reference forwarder and LiteLLM; the persona and
conversion scenarios run on Fased, each paired with its baseline (`chat` or `chat-stream`), which
the runner measures on Fased in the same rounds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fased_bench.load import Shot
from fased_bench.targets import LITELLM_KEY, TOKEN

USER = "Say hello in one short sentence."
SYSTEM = "You are terse."
ALL = ("direct", "forwarder", "fased", "scaled", "litellm")  # scaled: fased --workers N


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def chat_body(model: str, stream: bool) -> bytes:
    body: dict[str, object] = {
        "model": model,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
        "max_tokens": 64,
    }
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return _json(body)


def messages_body(model: str, stream: bool) -> bytes:
    body: dict[str, object] = {
        "model": model,
        "max_tokens": 64,
        "system": SYSTEM,
        "messages": [{"role": "user", "content": USER}],
    }
    if stream:
        body["stream"] = True
    return _json(body)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    body: bytes
    stream: bool
    targets: tuple[str, ...]
    baseline: str  # compared with: when another scenario, measured beside it on Fased

    def shot(self, target: str, base_url: str) -> Shot:
        if target == "litellm":
            headers = {"Authorization": f"Bearer {LITELLM_KEY}"}
        elif self.path == "/v1/messages":
            headers = {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"}
        else:
            headers = {"Authorization": f"Bearer {TOKEN}"}
        headers["Content-Type"] = "application/json"
        return Shot(base_url + self.path, self.body, headers, self.stream)


def scenarios() -> list[Scenario]:
    fased_only = ("fased",)
    return [
        Scenario(
            "chat", "/v1/chat/completions", chat_body("bench-chat", False), False, ALL, "chat"
        ),
        Scenario(
            "chat-stream",
            "/v1/chat/completions",
            chat_body("bench-chat", True),
            True,
            ALL,
            "chat-stream",
        ),
        Scenario(
            "persona",
            "/v1/chat/completions",
            chat_body("fased:bench", False),
            False,
            fased_only,
            "chat",
        ),
        Scenario(
            "persona-stream",
            "/v1/chat/completions",
            chat_body("fased:bench", True),
            True,
            fased_only,
            "chat-stream",
        ),
        Scenario(
            "chat→responses",
            "/v1/chat/completions",
            chat_body("bench-resp", False),
            False,
            fased_only,
            "chat",
        ),
        Scenario(
            "chat→responses-stream",
            "/v1/chat/completions",
            chat_body("bench-resp", True),
            True,
            fased_only,
            "chat-stream",
        ),
        Scenario(
            "messages→chat",
            "/v1/messages",
            messages_body("bench-chat", False),
            False,
            fased_only,
            "chat",
        ),
        Scenario(
            "messages→chat-stream",
            "/v1/messages",
            messages_body("bench-chat", True),
            True,
            fased_only,
            "chat-stream",
        ),
    ]
