"""Who is asking, from where (SPEC §3): client address behind trusted proxies, the Origin and
Host checks against browsers, and bearer/x-api-key credentials with the failure limiter."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

from fased.accounts.principal import OWNER, Principal
from fased.config import LOOPBACK_NAMES, GatewaySettings
from fased.deps import Deps
from fased.errors import Forbidden, MisdirectedRequest, RateLimited, Unauthorized

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, proxies: tuple[str, ...]) -> bool:
    address = _address(text)
    return address is not None and any(
        address in ipaddress.ip_network(p, strict=False) for p in proxies
    )


def client_address(request: web.Request, proxies: tuple[str, ...]) -> str:
    """The peer address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    if not proxies or not forwarded or not _trusted(peer, proxies):
        return peer
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop, proxies):
            return hop
    return peer


def is_loopback(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and parsed.is_loopback


def check_origin(request: web.Request, gateway: GatewaySettings) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        return
    own = f"{request.scheme}://{request.host}"
    if origin != own and origin not in gateway.allowed_origins:
        raise Forbidden(
            f"Origin {origin!r} is not allowed; add it to gateway.allowedOrigins to let "
            "that page call the gateway.",
            code="origin_not_allowed",
        )


def check_host(request: web.Request, gateway: GatewaySettings) -> None:
    """421 for a Host the gateway does not answer to (DNS rebinding protection)."""
    if not gateway.is_loopback and not gateway.allowed_hosts:
        return
    raw = request.headers.get("Host")
    if raw is None:
        return
    name = (urlsplit(f"//{raw}").hostname or "").lower()
    allowed = {gateway.host, *gateway.allowed_hosts} | (
        LOOPBACK_NAMES if gateway.is_loopback else set()
    )
    if name not in allowed:
        raise MisdirectedRequest(
            f"Host {name!r} is not served here; add it to gateway.allowedHosts if this "
            "gateway is meant to answer to it.",
            code="host_not_allowed",
        )


def credential_of(request: web.Request) -> str | None:
    """Bearer token or x-api-key: one path for both (never a query string)."""
    header = request.headers.get("Authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


async def authenticate(request: web.Request, deps: Deps) -> Principal:
    gateway = deps.settings.gateway
    address = client_address(request, gateway.trusted_proxies)
    limited = not (gateway.auth.rate_limit.exempt_loopback and is_loopback(address))
    if limited and (wait := await deps.limiter.locked_for(address)):
        raise _locked(wait)
    if deps.credentials.open:
        return OWNER
    credential = credential_of(request)
    if credential is None:
        raise Unauthorized(
            "Missing credentials: send `Authorization: Bearer <gateway token>` or `x-api-key` "
            "(`fased token` prints the token).",
            code="missing_credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await deps.credentials.authenticate(credential)
    if principal is None:
        if limited and (wait := await deps.limiter.failure(address)):
            raise _locked(wait)
        raise Unauthorized(
            "Invalid credentials: the bearer token or x-api-key was not accepted.",
            code="invalid_credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if limited:
        await deps.limiter.success(address)
    return principal


def _locked(wait: int) -> RateLimited:
    return RateLimited(
        f"Too many failed authentication attempts from this address; try again in {wait} s.",
        code="auth_locked",
        retry_after=wait,
    )
