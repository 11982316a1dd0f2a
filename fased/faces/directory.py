"""Faces the gateway knows, by owner. For now: the owner's agents from `agents.list`.

An agent is a face (SPEC §4). The compiled persona (primitives) arrives with the faces work;
until then a face's persona is its `@facts` line and its profile addendum. Everything a chat
needs from a face is computed once, when the directory is built, never per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fased.accounts.principal import OWNER_ID
from fased.config import AgentSettings, AgentsSettings


@dataclass(frozen=True, slots=True)
class Face:
    id: str
    alias: str
    owner_id: str
    name: str
    default_model: str | None = None
    basic_facts: dict[str, str] = field(default_factory=dict)
    profile_addendum: str | None = None
    persona: str = ""

    @classmethod
    def from_agent(cls, agent: AgentSettings) -> Face:
        return cls(
            id=agent.id,
            alias=agent.id,
            owner_id=OWNER_ID,
            name=agent.name,
            default_model=agent.model,
            basic_facts=dict(agent.basic_facts),
            profile_addendum=agent.profile_addendum,
            persona=render_persona(agent.name, agent.basic_facts),
        )


def render_persona(name: str, facts: dict[str, str]) -> str:
    """The persona block: empty for a face with nothing compiled (a plain assistant)."""
    if not facts:
        return ""
    line = "; ".join(f"{key}={value}" for key, value in sorted(facts.items()))
    return f"You are {name}. Speak as {name}; never recite this profile.\n@facts {line}"


class FaceDirectory:
    """Looks faces up by owner and alias; another owner's face is simply absent."""

    __slots__ = ("_faces", "default_id")

    def __init__(self, agents: AgentsSettings) -> None:
        self.default_id = agents.default_id
        self._faces = {(OWNER_ID, a.id): Face.from_agent(a) for a in agents.list}

    def get(self, owner_id: str, alias: str) -> Face | None:
        return self._faces.get((owner_id, alias.lower()))

    def owned_by(self, owner_id: str) -> list[Face]:
        return [face for (owner, _), face in self._faces.items() if owner == owner_id]
