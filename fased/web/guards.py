"""Who is asking, from where (SPEC §3), for an HTTP request: the rules live in
`fased.accounts.access` (shared with the WebSocket channel); this reads them off the request."""

from __future__ import annotations

from aiohttp import web

from fased.accounts import access
from fased.accounts.access import is_loopback
from fased.accounts.principal import Principal
from fased.config import GatewaySettings
from fased.deps import Deps

__all__ = [
    "authenticate",
    "check_host",
    "check_origin",
    "client_address",
    "credential_of",
    "is_loopback",
]

MISSING = (
    "Missing credentials: send `Authorization: Bearer <gateway token>` or `x-api-key` "
    "(`fased token` prints the token)."
)
INVALID = "Invalid credentials: the bearer token or x-api-key was not accepted."


def client_address(request: web.Request, proxies: tuple[str, ...]) -> str:
    """The peer address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
    forwarded = request.headers.get("X-Forwarded-For")
    return access.client_address(request.remote or "", forwarded, proxies)


def check_origin(request: web.Request, gateway: GatewaySettings) -> None:
    own = f"{request.scheme}://{request.host}"
    access.check_origin(request.headers.get("Origin"), own, gateway)


def check_host(request: web.Request, gateway: GatewaySettings) -> None:
    """421 for a Host the gateway does not answer to (DNS rebinding protection)."""
    access.check_host(request.headers.get("Host"), gateway)


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
    return await access.admit(
        credential_of(request),
        client_address(request, gateway.trusted_proxies),
        credentials=deps.credentials,
        limiter=deps.limiter,
        exempt_loopback=gateway.auth.rate_limit.exempt_loopback,
        missing=MISSING,
        invalid=INVALID,
    )
