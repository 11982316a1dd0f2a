"""Face import and export (SPEC §7; formats in `fased.faces.cards`): Fased JSON and Character
Card V2.

Export writes the face's fields, its primitives (derived, or evaluated for a synthetic face)
and, in Fased JSON, its claims with their provenance.

Import creates a new face (409 if the owner has the alias; `alias` overrides the card's) and one
document of type `import` that holds what the card brought, so deleting that document removes
the import's whole contribution like any other document's:
- the card's claims (Fased JSON from a compiled face) become the import document's claims, and
  the primitives are derived from them as for any document: the same claims give the same
  primitives, weights included, so the rendered profile is the same bytes as the exporter's;
- the card's primitives that its claims do not give (a Character Card, or Fased JSON without
  claims) are kept verbatim on the import document and merged in (`fased.faces.content`): a key
  that compiled documents also give takes the compiled primitive.
"""

from __future__ import annotations

from typing import Any, Literal

from fased.errors import Unprocessable
from fased.faces.cards import (
    CCV2_SPEC,
    FASED_FORMAT,
    FaceFields,
    ImportedFace,
    export_ccv2,
    export_fased,
    import_ccv2,
    import_fased,
)
from fased.faces.compile.derive import derive
from fased.faces.face import Face
from fased.faces.fields import FaceBody
from fased.faces.records import claim_of, claim_record, encode_import
from fased.faces.service import FaceService
from fased.store.documents import DocumentDraft

ExportFormat = Literal["fased", "ccv2"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("fased", "ccv2")


def fields_of(face: Face) -> FaceFields:
    return FaceFields(
        alias=face.alias,
        name=face.name,
        basic_facts=dict(face.basic_facts),
        default_model=face.default_model,
        formula=face.formula,
        profile_addendum=face.profile_addendum,
    )


async def export_face(faces: FaceService, face: Face, format_name: str) -> dict[str, Any]:
    if format_name not in EXPORT_FORMATS:
        raise Unprocessable(
            f"Unknown export format {format_name!r}; use format=fased or format=ccv2.",
            param="format",
        )
    primitives = await faces.personas.primitives(face)
    if format_name == "ccv2":
        return export_ccv2(fields_of(face), primitives)
    records = [] if face.formula else await faces.claims.for_face(face.owner_id, face.id)
    return export_fased(fields_of(face), primitives, [claim_of(r) for r in records])


def read_card(data: object) -> tuple[str, ImportedFace]:
    """The card's format and content: Fased JSON, else a Character Card (V2, or V1)."""
    if isinstance(data, dict) and data.get("format") == FASED_FORMAT:
        return "fased", import_fased(data)
    if isinstance(data, dict) and (data.get("spec") == CCV2_SPEC or "name" in data):
        return "ccv2", import_ccv2(data)
    raise Unprocessable(
        f'Not a face card: send Fased JSON ({{"format": "{FASED_FORMAT}", …}}, from '
        f"GET /v1/faces/{{id}}/export?format=fased) or a Character Card V2 "
        f'({{"spec": "{CCV2_SPEC}", "data": {{…}}}}).'
    )


async def import_face(
    faces: FaceService, owner_id: str, data: object, *, alias: str | None = None
) -> Face:
    format_name, card = read_card(data)
    fields = card.face
    model = fields.default_model if fields.default_model in faces.catalog else None
    body = FaceBody(
        alias=alias or fields.alias,
        name=fields.name,
        basic_facts=dict(fields.basic_facts),
        default_model=model,
        formula=fields.formula,
        profile_addendum=fields.profile_addendum,
    )
    face = await faces.create(owner_id, body)
    if card.primitives or card.claims:
        try:
            await _add_import(faces, owner_id, face, format_name, card)
        except BaseException:
            await faces.delete(owner_id, face.id)
            raise
    return await faces.require(owner_id, face.id)


async def _add_import(
    faces: FaceService, owner_id: str, face: Face, format_name: str, card: ImportedFace
) -> None:
    derived = {primitive.key for primitive in derive(card.claims)}
    pinned = [p for p in card.primitives if p.key not in derived]
    draft = DocumentDraft(
        face_id=face.id,
        kind="import",
        source=encode_import(format_name, pinned),
        label=f"import ({format_name})",
        prepare_status="synced",
    )
    await faces.documents.add(owner_id, draft, [claim_record(c) for c in card.claims])
    faces.invalidate(owner_id, face.id)
