"""`GET /metrics` (SPEC §5.4): Prometheus text of the real app, after real traffic."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from fased.accounts.principal import Principal
from fased.keys import PRINCIPAL
from fased.metrics import CONTENT_TYPE
from fased.web.health import metrics as metrics_handler
from tests.conftest import AUTH
from tests.fakes.openai_upstream import ErrorReply, StallReply, TextReply
from tests.web.conftest import FAKE_COST, Rig

HI = [{"role": "user", "content": "hi"}]
CHAT = "/v1/chat/completions"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: TestClient[Any, Any]) -> Samples:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == CONTENT_TYPE
    return parse(await response.text())


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset({"worker": "0", **labels}.items())))


async def test_a_chat_completion_is_counted_with_its_usage(rig: Rig) -> None:
    rig.upstream.queue(TextReply("hello"))
    completion = await rig.sdk.chat.completions.create(model="beta", messages=HI)
    assert completion.usage is not None
    samples = await scrape(rig.client)

    route = {"route": CHAT}
    assert value(samples, "fased_http_requests_total", method="POST", status="200", **route) == 1
    assert value(samples, "fased_http_request_duration_seconds_count", **route) == 1
    assert value(samples, "fased_upstream_request_duration_seconds_count", provider="local") == 1
    tokens = {"provider": "local", "model": "small"}
    assert value(samples, "fased_tokens_total", kind="input", **tokens) == (
        completion.usage.prompt_tokens
    )
    assert value(samples, "fased_tokens_total", kind="output", **tokens) == (
        completion.usage.completion_tokens
    )
    assert value(samples, "fased_tokens_total", kind="cached_input", **tokens) == 3
    assert value(samples, "fased_cost_usd_total", **tokens) == pytest.approx(FAKE_COST)
    [row] = await rig.usage_rows()  # the same numbers as the usage record
    assert (row.input_tokens, row.output_tokens) == (11, 7)
    assert value(samples, "fased_open_streams") == 0
    assert value(samples, "fased_ws_clients") == 0
    assert value(samples, "fased_http_requests_total", method="GET", route="/metrics") is None

    again = await scrape(rig.client)  # the first scrape is counted once it is answered
    assert (
        value(again, "fased_http_requests_total", method="GET", route="/metrics", status="200") == 1
    )
    assert value(again, "fased_http_requests_total", method="POST", status="200", **route) == 1


async def test_routes_are_canonical_paths_never_raw_ones(rig: Rig) -> None:
    await rig.sdk.models.retrieve("small")
    assert (await rig.client.get("/no/such/path/123?q=1", headers=AUTH)).status == 404
    assert (await rig.client.request("PROPFIND", "/health")).status == 405
    samples = await scrape(rig.client)

    model = {"method": "GET", "route": "/v1/models/{model_id}", "status": "200"}
    assert value(samples, "fased_http_requests_total", **model) == 1
    unknown = {"method": "GET", "route": "other", "status": "404"}
    assert value(samples, "fased_http_requests_total", **unknown) == 1
    webdav = {"method": "other", "route": "other", "status": "405"}
    assert value(samples, "fased_http_requests_total", **webdav) == 1
    routes = {dict(labels).get("route") for _, labels in samples}
    assert not any(route and ("small" in route or "123" in route) for route in routes)


async def test_open_streams_while_streaming_and_after(rig: Rig) -> None:
    rig.upstream.queue(TextReply("one two three"))
    stream = await rig.sdk.chat.completions.create(model="small", messages=HI, stream=True)
    text = "".join(
        [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    )
    assert text == "one two three"
    samples = await scrape(rig.client)
    assert value(samples, "fased_open_streams") == 0
    assert value(samples, "fased_http_requests_total", method="POST", route=CHAT, status="200") == 1

    rig.upstream.queue(StallReply(chunks=1))
    body = {"model": "small", "messages": HI, "stream": True}
    response = await rig.client.post(CHAT, json=body, headers=AUTH)
    await response.content.readany()
    assert value(await scrape(rig.client), "fased_open_streams") == 1
    response.close()
    await asyncio.wait_for(rig.upstream.disconnected.wait(), 5)
    for _ in range(50):
        if value(await scrape(rig.client), "fased_open_streams") == 0:
            break
        await asyncio.sleep(0.02)
    assert value(await scrape(rig.client), "fased_open_streams") == 0


async def test_upstream_failures_are_counted_by_code(rig: Rig) -> None:
    rig.upstream.queue(ErrorReply(500, "boom"))
    with pytest.raises(openai.APIStatusError) as failed:
        await rig.sdk.chat.completions.create(model="small", messages=HI)
    assert failed.value.status_code == 502
    samples = await scrape(rig.client)
    code = failed.value.body["code"]  # type: ignore[index]
    assert value(samples, "fased_upstream_errors_total", provider="local", code=code) == 1
    # the upstream answered (with an error): its time to headers is still measured
    assert value(samples, "fased_upstream_request_duration_seconds_count", provider="local") == 1
    assert value(samples, "fased_http_requests_total", method="POST", route=CHAT, status="502") == 1


async def test_metrics_need_credentials(rig: Rig) -> None:
    response = await rig.client.get("/metrics")
    assert response.status == 401
    body = await response.json()
    assert body["error"]["code"] == "missing_credentials"
    assert "fased_" not in str(body)


async def test_anyone_but_the_owner_gets_the_404_of_an_unknown_route() -> None:
    account = Principal(id="acct_1", kind="account", scopes=frozenset({"operator.admin"}))
    request = make_mocked_request("GET", "/metrics")
    request[PRINCIPAL] = account
    with pytest.raises(web.HTTPNotFound):
        await metrics_handler(request)
