"""What the `model` field means (SPEC §4.1): which face speaks, and which LLM answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fased.errors import ModelNotFound, NotFound, Unprocessable
from fased.faces.face import Face
from fased.faces.service import FaceService
from fased.providers.catalog import Catalog, CatalogEntry

_AGENT_PREFIX = re.compile(r"^(?:fased:|fased/|agent:)(.+)$", re.IGNORECASE)
_DEFAULT_AGENT = frozenset({"fased", "fased/default"})
FACE_NOT_FOUND = "Face not found or not owned by you"


@dataclass(frozen=True, slots=True)
class Resolution:
    face: Face | None
    entry: CatalogEntry


def synthetic(owner_id: str, text: str) -> Face:
    """A run-time synthetic face for `(<formula>)@<llm>`; its formula is evaluated (and any
    syntax error, unknown or nested alias refused with 422) when its persona is rendered."""
    formula = text.strip()
    if not formula.endswith(")"):
        raise Unprocessable(
            f"Formula {formula!r} is not closed; write `(<formula>)@<llm>`, e.g. "
            "`(alice | bob)@gpt-4o-mini`.",
            code="formula_syntax_error",
            param="model",
        )
    inner = formula[1:-1].strip()
    return Face(id=f"formula:{inner}", alias=formula, owner_id=owner_id, name=inner, formula=inner)


@dataclass(frozen=True, slots=True)
class Resolver:
    faces: FaceService
    catalog: Catalog
    default_model: str

    async def resolve(self, owner_id: str, model: str, agent_header: str | None) -> Resolution:
        lowered = model.strip().lower()
        if lowered in _DEFAULT_AGENT:
            return await self._face_run(owner_id, agent_header or self.faces.default_id, None)
        prefixed = _AGENT_PREFIX.match(model.strip())
        if prefixed:
            return await self._face_run(owner_id, agent_header or prefixed.group(1), None)
        if "@" in model:
            alias, _, llm = model.partition("@")
            if alias.strip().startswith("("):
                return Resolution(synthetic(owner_id, alias), self._llm(llm))
            return await self._face_run(owner_id, alias, llm)
        entry = self.catalog.lookup(model)
        if entry is not None:
            face = await self._face(owner_id, agent_header) if agent_header else None
            return Resolution(face, entry)
        face = await self.faces.get(owner_id, model)
        if face is not None:
            return Resolution(face, self._llm(self.faces.llm_for(face)))
        raise NotFound(
            f"Model or face {model!r} not found. Models: GET /v1/models; "
            f"faces: a face alias you own, or fased:<agent id>.",
            code="model_not_found",
            param="model",
        )

    async def _face_run(self, owner_id: str, alias: str, llm: str | None) -> Resolution:
        face = await self._face(owner_id, alias)
        return Resolution(face, self._llm(llm or self.faces.llm_for(face)))

    async def _face(self, owner_id: str, alias: str) -> Face:
        face = await self.faces.get(owner_id, alias.strip())
        if face is None:
            raise NotFound(FACE_NOT_FOUND, code="face_not_found", param="model")
        return face

    def _llm(self, model: str) -> CatalogEntry:
        entry = self.catalog.lookup(model)
        if entry is None:
            raise ModelNotFound(
                f"Model {model!r} is not in the catalog; GET /v1/models lists the models "
                "you can use (add others under models.catalog).",
                param="model",
            )
        return entry
