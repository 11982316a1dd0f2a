"""Who may reach the gateway (SPEC §2, §3), on plain values so that HTTP and the WebSocket
channel share every rule: the start-up guard against an exposed gateway without auth, the
browser checks (Origin 403, Host 421), the client address behind trusted proxies, and the
credential check with the failure limiter."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from fased.accounts.credentials import Credentials
from fased.accounts.lockout import AuthLimiter
from fased.accounts.principal import OWNER, Principal
from fased.config import LOOPBACK_NAMES, GatewaySettings, Settings
from fased.errors import Forbidden, MisdirectedRequest, RateLimited, StartupError, Unauthorized


def check_startup(settings: Settings) -> None:
    """The guards of SPEC §2: refuse to run exposed without auth, or in password mode blind."""
    gateway = settings.gateway
    auth = gateway.auth
    if not gateway.is_loopback and (auth.mode == "none" or not (auth.token or auth.password)):
        raise StartupError(
            f"refusing to bind gateway to {gateway.host}:{gateway.port} without auth "
            "(set gateway.auth.token/password, or FASED_GATEWAY_TOKEN/FASED_GATEWAY_PASSWORD)"
        )
    if auth.mode == "password" and not auth.password:
        raise StartupError(
            'gateway.auth.mode is "password" but no password is set '
            "(set gateway.auth.password or FASED_GATEWAY_PASSWORD)"
        )


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


def client_address(peer: str, forwarded: str | None, proxies: tuple[str, ...]) -> str:
    """The peer address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
    if not proxies or not forwarded or not _trusted(peer, proxies):
        return peer
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop, proxies):
            return hop
    return peer


def is_loopback(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and parsed.is_loopback


def check_origin(origin: str | None, own: str, gateway: GatewaySettings) -> None:
    """403 for a browser Origin that is neither `own` (`scheme://host`) nor allowed."""
    if origin is None:
        return
    if origin != own and origin not in gateway.allowed_origins:
        raise Forbidden(
            f"Origin {origin!r} is not allowed; add it to gateway.allowedOrigins to let "
            "that page call the gateway.",
            code="origin_not_allowed",
        )


def check_host(raw: str | None, gateway: GatewaySettings) -> None:
    """421 for a Host the gateway does not answer to (DNS rebinding protection)."""
    if not gateway.is_loopback and not gateway.allowed_hosts:
        return
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


async def admit(
    credential: str | None,
    address: str,
    *,
    credentials: Credentials,
    limiter: AuthLimiter,
    exempt_loopback: bool,
    missing: str,
    invalid: str,
) -> Principal:
    """The principal for `credential` presented from `address`, through the failure limiter.

    A locked address is refused (429) even with good credentials; a missing credential is 401
    (with `missing` saying how to send one) and is not counted; a wrong one is 401 (`invalid`) and
    is counted, and the failure that reaches the limit answers 429. A success clears the count.
    """
    limited = not (exempt_loopback and is_loopback(address))
    if limited and (wait := await limiter.locked_for(address)):
        raise locked(wait)
    if credentials.open:
        return OWNER
    if credential is None:
        raise Unauthorized(
            missing, code="missing_credentials", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = await credentials.authenticate(credential)
    if principal is None:
        if limited and (wait := await limiter.failure(address)):
            raise locked(wait)
        raise Unauthorized(
            invalid,
            code="invalid_credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if limited:
        await limiter.success(address)
    return principal


def locked(wait: int) -> RateLimited:
    return RateLimited(
        f"Too many failed authentication attempts from this address; try again in {wait} s.",
        code="auth_locked",
        retry_after=wait,
    )
