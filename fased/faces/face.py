"""A face as the gateway uses it (SPEC §4, §7), and its JSON object.

`Face` is a loaded face record, immutable: the agent run resolves one per request (from the
lookup cache, see `fased.faces.lookup`), and everything computed from it is keyed by
`(id, version)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fased.faces.model import COMPONENTS, Primitive
from fased.store.faces import FaceRecord, FactRecord


@dataclass(frozen=True, slots=True)
class Face:
    id: str
    alias: str
    owner_id: str
    name: str
    default_model: str | None = None
    basic_facts: Mapping[str, str] = field(default_factory=dict)  # name → value, in order
    profile_addendum: str | None = None
    formula: str | None = None
    description: str | None = None
    sync_status: str | None = None
    version: int = 1
    origin: str = "api"
    facts: tuple[FactRecord, ...] = ()  # with their status and identification
    tokens_charged: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def synthetic(self) -> bool:
        return bool(self.formula)

    @classmethod
    def from_record(cls, record: FaceRecord) -> Face:
        return cls(
            id=record.id,
            alias=record.alias,
            owner_id=record.owner_id,
            name=record.name,
            default_model=record.default_model,
            basic_facts={fact.name: fact.value for fact in record.basic_facts},
            profile_addendum=record.profile_addendum,
            formula=record.formula,
            description=record.description,
            sync_status=record.sync_status,
            version=record.version,
            origin=record.origin,
            facts=record.basic_facts,
            tokens_charged=record.tokens_charged,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


def component_counts(primitives: Sequence[Primitive]) -> dict[str, int] | None:
    """Primitives per component; None when there are none (nothing compiled)."""
    if not primitives:
        return None
    counts: dict[str, int] = dict.fromkeys(COMPONENTS, 0)
    for primitive in primitives:
        counts[primitive.component] += 1
    return counts


def face_object(
    face: Face, *, counts: dict[str, int] | None, documents_count: int
) -> dict[str, Any]:
    """The face object of SPEC §7 (plus `description` and `profile_addendum`, which a client
    sets and so must be able to read back)."""
    return {
        "id": face.id,
        "alias": face.alias,
        "object": "face",
        "name": face.name,
        "basic_facts": {
            fact.name: {
                "value": fact.value,
                "status": fact.status,
                "identification": fact.identification,
            }
            for fact in face.facts
        },
        "default_model": face.default_model,
        "formula": face.formula,
        "description": face.description,
        "profile_addendum": face.profile_addendum,
        "sync_status": face.sync_status,
        "component_counts": counts,
        "documents_count": documents_count,
        "created_at": int(face.created_at),
        "updated_at": int(face.updated_at),
    }
