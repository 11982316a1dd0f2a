"""Shared fixtures: settings in a temporary state dir, and the real app under a test server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fased.app import create_app
from fased.config import Paths, Settings, build_settings, merge

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    state = tmp_path / "state"
    return Paths(state_dir=state, config_file=state / "fased.json5")


def make_settings(data: dict[str, Any] | None = None) -> Settings:
    base: dict[str, Any] = {
        "gateway": {
            "auth": {"token": TOKEN},
            "http": {"endpoints": {"chatCompletions": {"enabled": True}}},
        }
    }
    return build_settings(merge(base, data or {}), {}, {})


@pytest.fixture
def gateway(aiohttp_client: Any, paths: Paths) -> ClientFactory:
    """`await gateway({...config overrides...})` → a test client for the real app."""

    async def start(data: dict[str, Any] | None = None) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = await aiohttp_client(create_app(make_settings(data), paths))
        return client

    return start
