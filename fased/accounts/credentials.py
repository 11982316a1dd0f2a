"""Credential checks (SPEC §3): a secret is matched in constant time on SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac

from fased.accounts.principal import OWNER, Principal


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


class Credentials:
    """Resolves a presented credential to a principal.

    The gateway token and password are both accepted whatever the mode (§3); each is compared
    against its digest with `hmac.compare_digest`, and both comparisons always run so the timing
    does not tell which one matched. API keys and JWTs join here with accounts.
    """

    __slots__ = ("_digests", "open")

    def __init__(self, token: str | None, password: str | None, *, open_access: bool) -> None:
        self._digests = tuple(digest(s) for s in (token, password) if s)
        self.open = open_access

    async def authenticate(self, credential: str) -> Principal | None:
        presented = digest(credential)
        matched = False
        for known in self._digests:
            matched |= hmac.compare_digest(presented, known)
        return OWNER if matched else None
