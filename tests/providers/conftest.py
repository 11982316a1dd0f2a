from __future__ import annotations

from typing import Any

import pytest

from fased.config import ProviderSettings
from tests.fakes.openai_upstream import FakeOpenAIUpstream, serve_fake_openai

API_KEY = "sk-test-secret-key-0123456789"


@pytest.fixture
async def upstream(aiohttp_server: Any) -> FakeOpenAIUpstream:
    return await serve_fake_openai(aiohttp_server)


@pytest.fixture
def upstream_settings(upstream: FakeOpenAIUpstream) -> ProviderSettings:
    return ProviderSettings(kind="openai-compatible", api_key=API_KEY, base_url=upstream.base_url)
