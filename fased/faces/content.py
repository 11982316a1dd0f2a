"""What a concrete face is made of: its primitives, derived from its claims (never stored), plus
what imports brought; cached in memory per (face id, version).

Imports (`fased.faces.exchange`) bring primitives without the documents behind them; they are
kept verbatim on their import document and merged here: a key with compiled evidence takes the
derived primitive, an imported primitive fills a key nothing compiled has. Both sides are pure
functions of the face's documents, so deleting any document (an import included) gives exactly
the face without it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from fased.faces.compile.derive import derive
from fased.faces.face import Face
from fased.faces.model import COMPONENTS, Primitive
from fased.faces.records import claim_of, decode_import
from fased.store.claims import ClaimRecord, ClaimStore
from fased.store.documents import DocumentStore

MAX_FACES = 256


def _order(primitive: Primitive) -> tuple[int, float, str]:
    return (COMPONENTS.index(primitive.component), -primitive.weight, primitive.key)


def merge_imports(
    derived: Iterable[Primitive], imported: Iterable[Primitive]
) -> tuple[Primitive, ...]:
    """Derived primitives, then imported ones for keys not derived (the first import wins)."""
    merged = {p.key: p for p in derived}
    for primitive in imported:
        merged.setdefault(primitive.key, primitive)
    return tuple(sorted(merged.values(), key=_order))


def primitives_of(
    records: Sequence[ClaimRecord], imports: Sequence[tuple[str, str]]
) -> tuple[Primitive, ...]:
    """The face's primitives from its claim rows and its imports' `(document id, source)`."""
    imported = [p for document_id, text in imports for p in decode_import(document_id, text)]
    return merge_imports(derive(claim_of(record) for record in records), imported)


class FaceContent:
    """Primitives per (face id, version), loaded on a miss (derivation in a worker thread)."""

    __slots__ = ("_cache", "_claims", "_documents", "max_faces")

    def __init__(
        self, claims: ClaimStore, documents: DocumentStore, *, max_faces: int = MAX_FACES
    ) -> None:
        self._claims = claims
        self._documents = documents
        self.max_faces = max_faces
        self._cache: OrderedDict[tuple[str, int], tuple[Primitive, ...]] = OrderedDict()

    async def primitives(self, face: Face) -> tuple[Primitive, ...]:
        """A concrete face's primitives (a synthetic face has none of its own)."""
        key = (face.id, face.version)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        records = await self._claims.for_face(face.owner_id, face.id)
        imports = await self._documents.import_sources(face.owner_id, face.id)
        loaded = await asyncio.to_thread(primitives_of, records, imports)
        self._cache[key] = loaded
        while len(self._cache) > self.max_faces:
            self._cache.popitem(last=False)
        return loaded

    def discard(self, face_id: str) -> None:
        for key in [key for key in self._cache if key[0] == face_id]:
            del self._cache[key]
