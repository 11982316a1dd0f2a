"""The gateway's event loop: uvloop (a dependency where it builds), asyncio's on request."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from fased.server import loop_factory


def test_uvloop_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASED_EVENT_LOOP", raising=False)
    factory = loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


@pytest.mark.parametrize("value", ["asyncio", "ASYNCIO"])
def test_asyncio_on_request(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FASED_EVENT_LOOP", value)
    assert loop_factory() is None  # asyncio.Runner's default: the standard loop
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        assert not isinstance(runner.get_loop(), uvloop.Loop)
