"""A gateway wired to a fake OpenAI-compatible upstream, driven by the real `openai` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from openai import AsyncOpenAI

from fased.keys import DEPS
from fased.store.schema import usage_records
from tests.conftest import TOKEN, ClientFactory
from tests.fakes.openai_upstream import FakeOpenAIUpstream, serve_fake_openai

# gpt-4o-mini-like prices, USD per million tokens
PRICES = {"input": 0.15, "output": 0.6, "cachedInput": 0.075}
FAKE_COST = (8 * 0.15 + 3 * 0.075 + 7 * 0.6) / 1e6  # the fake's usage: 11 in (3 cached), 7 out


def upstream_config(base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "providers": {
            "local": {
                "kind": "openai-compatible",
                "baseUrl": base_url,
                "apiKey": "sk-upstream-secret",
                "models": "local/*",
                "timeoutSeconds": 1,
            }
        },
        "models": {
            "default": "small",
            "catalog": [{"id": "small", "provider": "local", "upstreamId": "tiny", **PRICES}],
        },
        "agents": {
            "list": [
                {"id": "main", "name": "Assistant"},
                {"id": "beta", "name": "Beta", "basic_facts": {"city": "Lisbon"}},
            ]
        },
        **extra,
    }


@dataclass
class Rig:
    client: TestClient[Any, Any]
    upstream: FakeOpenAIUpstream
    sdk: AsyncOpenAI

    def system_sent(self, index: int = -1) -> str | None:
        messages = self.upstream.requests[index].body["messages"]
        first = messages[0]
        return first["content"] if first["role"] == "system" else None

    async def usage_rows(self) -> list[Any]:
        deps = self.client.app[DEPS]
        await deps.usage.flush()
        async with deps.db.read() as conn:
            rows = await conn.execute(sa.select(usage_records))
            return list(rows)


@pytest.fixture
async def rig(gateway: ClientFactory, aiohttp_server: Any) -> AsyncIterator[Rig]:
    upstream = await serve_fake_openai(aiohttp_server)
    client = await gateway(upstream_config(upstream.base_url))
    sdk = AsyncOpenAI(api_key=TOKEN, base_url=str(client.make_url("/v1")), max_retries=0)
    yield Rig(client, upstream, sdk)
    await sdk.close()
