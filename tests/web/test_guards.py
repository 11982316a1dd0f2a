"""SPEC §3 and the check order of §5: disabled, method, auth and limiter, Origin/Host, size."""

from __future__ import annotations

import re
import time

import pytest

from fased.web.middleware import new_request_id
from tests.conftest import AUTH, TOKEN, ClientFactory

CHAT = "/v1/chat/completions"
BODY = {"model": "fased", "messages": [{"role": "user", "content": "hi"}]}


async def test_health_is_public_and_terse(gateway: ClientFactory) -> None:
    client = await gateway()
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"ok": True, "status": "live"}
    assert response.headers["X-Request-Id"].startswith("req_")


async def test_ready_reports_database_and_provider(gateway: ClientFactory) -> None:
    client = await gateway()
    response = await client.get("/ready")
    assert response.status == 200
    assert (await response.json())["checks"] == {"database": True, "providers": True}


async def test_disabled_endpoint_is_404_before_method_and_auth(gateway: ClientFactory) -> None:
    client = await gateway(
        {"gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": False}}}}}
    )
    for method in ("POST", "GET"):
        response = await client.request(method, CHAT, json=BODY)
        assert response.status == 404
        error = (await response.json())["error"]
        assert error["code"] == "endpoint_disabled"
        assert "gateway.http.endpoints" in error["message"]
    models = await client.get("/v1/models", headers=AUTH)
    assert models.status == 404


async def test_wrong_method_is_405_with_allow_before_auth(gateway: ClientFactory) -> None:
    client = await gateway()
    response = await client.get(CHAT)
    assert response.status == 405
    assert "POST" in response.headers["Allow"]
    assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_auth_comes_before_body_size(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"http": {"maxBodyBytes": 1024}}})
    big = {"model": "fased", "messages": [{"role": "user", "content": "x" * 5000}]}
    assert (await client.post(CHAT, json=big)).status == 401
    response = await client.post(CHAT, json=big, headers=AUTH)
    assert response.status == 413
    assert "maxBodyBytes" in (await response.json())["error"]["message"]


async def test_bearer_and_x_api_key_take_the_same_path(gateway: ClientFactory) -> None:
    client = await gateway()
    for headers in (AUTH, {"x-api-key": TOKEN}):
        assert (await client.post(CHAT, json=BODY, headers=headers)).status == 200
    for headers in ({}, {"Authorization": "Bearer nope"}, {"x-api-key": "nope"}):
        response = await client.post(CHAT, json=BODY, headers=headers)
        assert response.status == 401
        assert TOKEN not in await response.text()


async def test_password_is_accepted_in_token_mode(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"auth": {"password": "hunter2-long-password"}}})
    headers = {"Authorization": "Bearer hunter2-long-password"}
    assert (await client.post(CHAT, json=BODY, headers=headers)).status == 200


async def test_query_string_credentials_are_ignored(gateway: ClientFactory) -> None:
    client = await gateway()
    assert (await client.post(f"{CHAT}?token={TOKEN}", json=BODY)).status == 401


LIMITED = {"gateway": {"auth": {"rateLimit": {"maxAttempts": 3, "lockoutSeconds": 120}}}}


async def test_lockout_after_max_failures_refuses_good_credentials(gateway: ClientFactory) -> None:
    client = await gateway(LIMITED)
    bad = {"Authorization": "Bearer wrong"}
    assert [(await client.post(CHAT, json=BODY, headers=bad)).status for _ in range(2)] == [
        401,
        401,
    ]
    locked = await client.post(CHAT, json=BODY, headers=bad)
    assert locked.status == 429
    assert 110 <= int(locked.headers["Retry-After"]) <= 120
    good = await client.post(CHAT, json=BODY, headers=AUTH)
    assert good.status == 429
    assert int(good.headers["Retry-After"]) > 0
    assert (await good.json())["error"]["code"] == "auth_locked"


async def test_missing_credentials_do_not_count(gateway: ClientFactory) -> None:
    client = await gateway(LIMITED)
    for _ in range(6):
        assert (await client.post(CHAT, json=BODY)).status == 401
    assert (await client.post(CHAT, json=BODY, headers=AUTH)).status == 200


async def test_success_resets_the_failure_count(gateway: ClientFactory) -> None:
    client = await gateway(LIMITED)
    bad = {"Authorization": "Bearer wrong"}
    for _ in range(2):
        assert (await client.post(CHAT, json=BODY, headers=bad)).status == 401
        assert (await client.post(CHAT, json=BODY, headers=bad)).status == 401
        assert (await client.post(CHAT, json=BODY, headers=AUTH)).status == 200


async def test_forwarded_address_counts_only_behind_trusted_proxy(gateway: ClientFactory) -> None:
    client = await gateway(
        {**LIMITED, "gateway": {**LIMITED["gateway"], "trustedProxies": ["127.0.0.1/32"]}}
    )
    bad = {"Authorization": "Bearer wrong"}
    for _ in range(3):
        await client.post(CHAT, json=BODY, headers={**bad, "X-Forwarded-For": "203.0.113.9"})
    other = {**AUTH, "X-Forwarded-For": "203.0.113.10"}
    assert (await client.post(CHAT, json=BODY, headers=other)).status == 200
    same = {**AUTH, "X-Forwarded-For": "203.0.113.9"}
    assert (await client.post(CHAT, json=BODY, headers=same)).status == 429


async def test_untrusted_peer_cannot_spoof_forwarded_for(gateway: ClientFactory) -> None:
    client = await gateway(LIMITED)
    bad = {"Authorization": "Bearer wrong"}
    for index in range(3):
        spoof = {**bad, "X-Forwarded-For": f"198.51.100.{index}"}
        await client.post(CHAT, json=BODY, headers=spoof)
    assert (await client.post(CHAT, json=BODY, headers=AUTH)).status == 429


async def test_exempt_loopback_is_never_locked(gateway: ClientFactory) -> None:
    data = {"gateway": {"auth": {"rateLimit": {"maxAttempts": 2, "exemptLoopback": True}}}}
    client = await gateway(data)
    for _ in range(4):
        assert (await client.post(CHAT, json=BODY, headers={"x-api-key": "bad"})).status == 401
    assert (await client.post(CHAT, json=BODY, headers=AUTH)).status == 200


@pytest.mark.parametrize(
    ("origin", "status"),
    [("http://evil.example", 403), ("null", 403), ("http://app.example", 200)],
)
async def test_origin_checked_before_any_work(
    gateway: ClientFactory, origin: str, status: int
) -> None:
    client = await gateway({"gateway": {"allowedOrigins": ["http://app.example"]}})
    response = await client.post(CHAT, json=BODY, headers={**AUTH, "Origin": origin})
    assert response.status == status
    no_auth = await client.post(CHAT, json=BODY, headers={"Origin": "http://evil.example"})
    assert no_auth.status == 403


async def test_own_origin_is_allowed(gateway: ClientFactory) -> None:
    client = await gateway()
    own = f"http://{client.host}:{client.port}"
    assert (await client.post(CHAT, json=BODY, headers={**AUTH, "Origin": own})).status == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [("evil.example", 421), ("localhost:18789", 200), ("127.0.0.1", 200), ("fased.lan", 200)],
)
async def test_host_checked_on_loopback_bind(
    gateway: ClientFactory, host: str, status: int
) -> None:
    client = await gateway({"gateway": {"allowedHosts": ["fased.lan"]}})
    response = await client.post(CHAT, json=BODY, headers={**AUTH, "Host": host})
    assert response.status == status


async def test_auth_mode_none_makes_every_request_the_owner(gateway: ClientFactory) -> None:
    client = await gateway({"gateway": {"auth": {"mode": "none", "token": None}}})
    assert (await client.post(CHAT, json=BODY)).status == 200


def test_request_ids_are_time_ordered_and_unique() -> None:
    """Usage rows are keyed by the request id: later ids sort after earlier ones (the index
    appends), and the 80 random bits keep ids of the same millisecond apart."""
    first = new_request_id()
    time.sleep(0.002)
    burst = [new_request_id() for _ in range(1000)]
    assert all(re.fullmatch(r"req_[0-9a-f]{32}", rid) for rid in [first, *burst])
    assert all(first < rid for rid in burst)
    assert len(set(burst)) == len(burst)
    assert int(first[4:16], 16) == pytest.approx(time.time() * 1000, abs=5000)
