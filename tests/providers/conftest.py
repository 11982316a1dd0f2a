from __future__ import annotations

from typing import Any

import pytest

from fased.config import ProviderSettings
from tests.fakes.anthropic_upstream import FakeAnthropicUpstream, serve_fake_anthropic
from tests.fakes.openai_upstream import FakeOpenAIUpstream, serve_fake_openai
from tests.fakes.responses_upstream import FakeResponsesUpstream, serve_fake_responses
from tests.providers.rigs import API_KEY


@pytest.fixture
async def upstream(aiohttp_server: Any) -> FakeOpenAIUpstream:
    return await serve_fake_openai(aiohttp_server)


@pytest.fixture
def upstream_settings(upstream: FakeOpenAIUpstream) -> ProviderSettings:
    return ProviderSettings(kind="openai-compatible", api_key=API_KEY, base_url=upstream.base_url)


@pytest.fixture
async def anthropic_upstream(aiohttp_server: Any) -> FakeAnthropicUpstream:
    return await serve_fake_anthropic(aiohttp_server)


@pytest.fixture
async def responses_upstream(aiohttp_server: Any) -> FakeResponsesUpstream:
    return await serve_fake_responses(aiohttp_server)
