"""Who is calling: the owner (gateway token/password) or, later, an account (API key, JWT).

Every object the gateway stores carries the `id` of the principal that owns it; every lookup
filters by it. The owner's id is the fixed string `"owner"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCOPES = ("operator.read", "operator.write", "operator.admin")
OWNER_ID = "owner"


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    kind: Literal["owner", "account"]
    scopes: frozenset[str]
    key_id: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.kind == "owner"

    @property
    def charged(self) -> bool:
        """The owner is never charged; its usage is still recorded."""
        return self.kind != "owner"

    def allows(self, scope: str) -> bool:
        return "operator.admin" in self.scopes or scope in self.scopes


OWNER = Principal(id=OWNER_ID, kind="owner", scopes=frozenset(SCOPES))
