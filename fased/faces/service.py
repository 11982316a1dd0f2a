"""`FaceService`: faces by owner (SPEC §4, §7): create, list, get, patch, delete, and the
lookups and persona the agent run uses.

- Ownership: every call takes the caller's `owner_id`; another owner's face is not found (404
  "Face not found or not owned by you"), never forbidden.
- `agents.list` declares the owner's faces: `sync_config` upserts them by alias at start and on
  every reload (the config is the source of truth for their name, basic_facts, model →
  default_model and profile_addendum); a face created through the API is never touched.
- Lookups go through the per-process `FaceCache` (see `fased.faces.lookup`), so the chat hot
  path does not query the database per request; every write here drops the owner's snapshot.
- The face's LLM (`llm_for`): its `default_model`, else the owner's preference (accounts, later:
  `preferred_model`), else `models.default`.
"""

from __future__ import annotations

import asyncio
import builtins
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from fased.config import AgentSettings, AgentsSettings
from fased.errors import Conflict, NotFound, Unprocessable
from fased.faces.content import FaceContent
from fased.faces.face import Face, component_counts, face_object
from fased.faces.fields import (
    FaceBody,
    FacePatch,
    check_alias,
    check_formula,
    check_model,
    normalize_facts,
    snake_case,
)
from fased.faces.lookup import DEFAULT_TTL, FaceCache
from fased.faces.persona import Personas
from fased.faces.render import RenderedProfile
from fased.providers.catalog import Catalog
from fased.store.blobs import BlobStore
from fased.store.claims import ClaimStore
from fased.store.documents import DocumentStore
from fased.store.engine import Database
from fased.store.faces import AliasTaken, FaceDraft, FaceStore, FactRecord
from fased.store.schema import OWNER_ID

log = structlog.get_logger()

FACE_NOT_FOUND = "Face not found or not owned by you"


def new_face_id() -> str:
    return f"face_{secrets.token_hex(12)}"


def new_document_id() -> str:
    return f"doc_{secrets.token_hex(12)}"


def face_not_found(param: str | None = None) -> NotFound:
    return NotFound(FACE_NOT_FOUND, code="face_not_found", param=param)


def config_draft(agent: AgentSettings) -> FaceDraft:
    return FaceDraft(
        alias=agent.id,
        name=agent.name,
        basic_facts=normalize_facts(agent.basic_facts),
        default_model=agent.model,
        profile_addendum=agent.profile_addendum,
        origin="config",
    )


class FaceService:
    """See the module docstring. `configure` takes what a reload may change."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        *,
        catalog: Catalog,
        default_model: str,
        agents: AgentsSettings,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.store = FaceStore(db, new_id=new_face_id)
        self.documents = DocumentStore(db, new_id=new_document_id)
        self.claims = ClaimStore(db)
        self.blobs = blobs
        self.cache = FaceCache(self._load, ttl=ttl)
        self.personas = Personas(FaceContent(self.claims, self.documents), self.get)
        self.catalog, self.default_model, self.agents = catalog, default_model, agents
        self.default_id = agents.default_id
        self.preferred_model: Callable[[str], str | None] = lambda _owner: None
        self._syncing: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bring the owner's faces in line with `agents.list` (before serving)."""
        await self.sync_config()  # and the owner's faces loaded: they are looked up first

    def configure(self, catalog: Catalog, default_model: str, agents: AgentsSettings) -> None:
        """A reload: new catalog and default model at once; `agents.list` synced in the
        background (a lookup in between still sees the previous declaration)."""
        changed = agents != self.agents
        self.catalog, self.default_model, self.agents = catalog, default_model, agents
        self.default_id = agents.default_id
        if changed:
            task = asyncio.get_running_loop().create_task(self.sync_config())
            self._syncing.add(task)
            task.add_done_callback(self._synced)

    def _synced(self, task: asyncio.Task[None]) -> None:
        self._syncing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("config_faces_sync_failed", error=repr(task.exception()))

    async def close(self) -> None:
        """Wait for a config sync still running (after a reload)."""
        await asyncio.gather(*self._syncing, return_exceptions=True)

    async def sync_config(self) -> None:
        drafts = [config_draft(agent) for agent in self.agents.list]
        skipped = await self.store.sync_config(OWNER_ID, drafts)
        for alias in skipped:
            log.warning("config_face_skipped", alias=alias, reason="a face created by API has it")
        await self.refresh(OWNER_ID)

    # -- lookups ----------------------------------------------------------------------------

    async def _load(self, owner_id: str) -> builtins.list[Face]:
        return [Face.from_record(record) for record in await self.store.list(owner_id)]

    async def get(self, owner_id: str, ref: str) -> Face | None:
        """The owner's face by id or alias (cached; see `fased.faces.lookup`)."""
        return (await self.cache.owner(owner_id)).find(ref)

    async def require(self, owner_id: str, ref: str, *, param: str | None = None) -> Face:
        face = await self.get(owner_id, ref)
        if face is None:
            raise face_not_found(param)
        return face

    async def list(self, owner_id: str) -> builtins.list[Face]:
        return builtins.list((await self.cache.owner(owner_id)).faces)

    async def refresh(self, owner_id: str) -> None:
        """After a write: reload the owner's faces now, so the next lookup needs no query."""
        self.cache.invalidate(owner_id)
        await self.cache.owner(owner_id)

    def llm_for(self, face: Face) -> str:
        return face.default_model or self.preferred_model(face.owner_id) or self.default_model

    def invalidate(self, owner_id: str, face_id: str | None = None) -> None:
        """Something changed a face behind this service's back (a compile step, an upload)."""
        self.cache.invalidate(owner_id)
        if face_id is not None:
            self.personas.profiles.discard(face_id)

    # -- writes -----------------------------------------------------------------------------

    async def create(self, owner_id: str, body: FaceBody) -> Face:
        default = self.preferred_model(owner_id) or self.default_model
        draft = FaceDraft(
            alias=check_alias(body.alias, self.catalog),
            name=body.name.strip(),
            basic_facts=normalize_facts(body.basic_facts),
            default_model=(
                check_model(body.default_model, self.catalog)
                if body.default_model
                else (default if self.catalog.lookup(default) else None)
            ),
            formula=check_formula(body.formula) if body.formula else None,
            description=body.description,
            profile_addendum=body.profile_addendum,
        )
        if draft.formula:
            await self._check_operands(owner_id, draft.alias, draft.formula)
        try:
            record = await self.store.create(owner_id, draft)
        except AliasTaken:
            raise _alias_taken(draft.alias) from None
        await self.refresh(owner_id)
        return Face.from_record(record)

    async def patch(self, owner_id: str, ref: str, patch: FacePatch) -> Face:
        face = await self.require(owner_id, ref)
        changes = self._changes(face, patch.changes())
        if not changes:
            return face
        if changes.get("formula"):
            await self._check_operands(owner_id, face.alias, changes["formula"])
        try:
            record = await self.store.update(owner_id, face.id, changes)
        except AliasTaken:
            raise _alias_taken(str(changes["alias"])) from None
        await self.refresh(owner_id)
        if record is None:
            raise face_not_found()
        return Face.from_record(record)

    def _changes(self, face: Face, given: dict[str, Any]) -> dict[str, Any]:
        changes = dict(given)
        if changes.get("alias") is not None:
            changes["alias"] = check_alias(changes["alias"], self.catalog)
        elif "alias" in changes:
            del changes["alias"]
        if changes.get("name") is None:
            changes.pop("name", None)
        if changes.get("default_model"):
            check_model(changes["default_model"], self.catalog)
        if changes.get("formula"):
            check_formula(changes["formula"])
        if "basic_facts" in changes:
            changes["basic_facts"] = merge_facts(face, changes["basic_facts"] or {})
        return changes

    async def _check_operands(self, owner_id: str, alias: str, formula: str) -> None:
        """A synthetic face's operands must be owned, concrete faces (422 otherwise)."""
        probe = Face(id="", alias=alias, owner_id=owner_id, name=alias, formula=formula)
        await self.personas.view(probe)

    async def delete(self, owner_id: str, ref: str) -> Face:
        face = await self.require(owner_id, ref)
        digests = await self.store.delete(owner_id, face.id)
        await self.refresh(owner_id)
        self.personas.discard(face.id)
        if digests is None:
            raise face_not_found()
        await self.drop_blobs(digests)
        return face

    async def drop_blobs(self, digests: Sequence[str]) -> None:
        """Delete the blobs no document refers to any more."""
        for digest in dict.fromkeys(digests):
            if not await self.documents.blob_in_use(digest):
                await self.blobs.delete(digest)

    # -- what faces say ---------------------------------------------------------------------

    async def persona(self, owner_id: str, face: Face, query: str, budget: int) -> str:
        """The persona text a chat with `face` injects ("" for a plain assistant)."""
        if face.owner_id != owner_id:
            raise face_not_found()
        return await self.personas.persona(face, query=query, budget=budget)

    async def profile(self, face: Face, *, budget: int, query: str = "") -> RenderedProfile:
        return await self.personas.profile(face, budget=budget, query=query)

    async def objects(self, owner_id: str, faces: Sequence[Face]) -> builtins.list[dict[str, Any]]:
        """The API objects of `faces` (component counts from their derived primitives)."""
        counts = await self.store.documents_count(owner_id)
        objects = []
        for face in faces:
            try:
                primitives = await self.personas.primitives(face)
            except Unprocessable:  # a synthetic face whose operands went away
                primitives = ()
            objects.append(
                face_object(
                    face,
                    counts=component_counts(primitives),
                    documents_count=counts.get(face.id, 0),
                )
            )
        return objects


def merge_facts(face: Face, patch: dict[str, Any]) -> tuple[FactRecord, ...]:
    """A `basic_facts` patch applied as a JSON merge patch: a key sent is set or replaced
    (names compared in snake_case), a key sent as null is removed, the others are kept."""
    removed = {snake_case(name) for name, value in patch.items() if value is None}
    given = {fact.name: fact.value for fact in normalize_facts(patch)}
    merged = {k: v for k, v in face.basic_facts.items() if k not in removed}
    merged.update(given)  # a replaced fact keeps its place
    return normalize_facts(merged)


def _alias_taken(alias: str) -> Conflict:
    return Conflict(
        f"You already have a face with alias {alias!r}; choose another alias, or PATCH that face.",
        code="alias_taken",
        param="alias",
    )
