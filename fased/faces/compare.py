"""How alike the owner's faces are (SPEC §7): `diff` of a few faces, pairwise, and a face's
`neighbors` among all the owner's faces. The vectors and scores are `fased.faces.similarity`'s
(hashed n-grams and keys, TF-IDF over the faces compared, no downloaded model); this module
loads the faces and shapes the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fased.errors import BadRequest, Unprocessable
from fased.faces.face import Face
from fased.faces.model import COMPONENTS
from fased.faces.service import FaceService, face_not_found
from fased.faces.similarity import Direction, FaceDocument, diff, neighbors

MAX_DIFF = 20
MAX_NEIGHBORS = 100


async def _document(faces: FaceService, face: Face) -> FaceDocument:
    view = await faces.personas.view(face)
    return FaceDocument(face.id, view.primitives, view.basic_facts)


async def diff_faces(faces: FaceService, owner_id: str, refs: Sequence[str]) -> dict[str, Any]:
    """Pairwise similarity, per component and overall, of the faces named in `refs`."""
    wanted = list(dict.fromkeys(ref.strip() for ref in refs if ref.strip()))
    if not 2 <= len(wanted) <= MAX_DIFF:
        raise BadRequest(
            f"Name 2 to {MAX_DIFF} faces: ?faces=alice,bob (aliases or ids).", param="faces"
        )
    found = [await faces.get(owner_id, ref) for ref in wanted]
    if any(face is None for face in found):
        raise face_not_found("faces")
    chosen = [face for face in found if face is not None]
    matrix = diff([await _document(faces, face) for face in chosen])
    pairs = [
        {
            "faces": [chosen[i].alias, chosen[j].alias],
            "overall": matrix.overall[i][j],
            "components": {c: matrix.components[c][i][j] for c in COMPONENTS},
        }
        for i in range(len(chosen))
        for j in range(i + 1, len(chosen))
    ]
    return {
        "object": "face.diff",
        "faces": [{"id": face.id, "alias": face.alias} for face in chosen],
        "pairs": pairs,
        "overall": [list(row) for row in matrix.overall],
        "components": {c: [list(row) for row in matrix.components[c]] for c in COMPONENTS},
    }


async def face_neighbors(
    faces: FaceService, owner_id: str, face: Face, *, k: int, direction: str
) -> dict[str, Any]:
    """The `k` faces most (`nearest`) or least (`furthest`) like `face` among the owner's."""
    if direction not in ("nearest", "furthest"):
        raise BadRequest("direction must be nearest or furthest.", param="direction")
    if not 1 <= k <= MAX_NEIGHBORS:
        raise BadRequest(f"k must be between 1 and {MAX_NEIGHBORS}.", param="k")
    way: Direction = "nearest" if direction == "nearest" else "furthest"
    candidates = []
    by_id = {}
    for other in await faces.list(owner_id):
        try:
            candidates.append(await _document(faces, other))
        except Unprocessable:  # a synthetic face whose operands went away
            continue
        by_id[other.id] = other
    found = neighbors(await _document(faces, face), candidates, k, way)
    return {
        "object": "face.neighbors",
        "face_id": face.id,
        "alias": face.alias,
        "direction": way,
        "neighbors": [
            {
                "face_id": n.id,
                "alias": by_id[n.id].alias,
                "score": n.score,
                "components": n.components,
            }
            for n in found
        ],
    }
