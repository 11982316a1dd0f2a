"""`sessions.list`, `sessions.preview`, `sessions.reset`, `sessions.delete`: the caller's own
transcripts (SPEC §4.2); another owner's session is simply not found."""

from __future__ import annotations

from pydantic import Field

from fased.errors import NotFound
from fased.ws.methods.registry import Call, Idempotent, MethodRegistry
from fased.ws.protocol import Model, Payload


class ListParams(Model):
    limit: int = Field(100, ge=1, le=1000)


class KeyParams(Model):
    key: str = Field(min_length=1, max_length=512)


class PreviewParams(KeyParams):
    limit: int = Field(20, ge=1, le=1000)


class ChangeParams(KeyParams, Idempotent):
    pass


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def not_found(key: str) -> NotFound:
    return NotFound(
        f"Session {key!r} not found; sessions.list shows yours.", code="session_not_found"
    )


async def list_sessions(call: Call, params: ListParams) -> Payload:
    found = await call.deps.sessions.list(call.principal.id, limit=params.limit)
    return {
        "sessions": [
            {
                "key": info.key,
                "agentId": info.agent_id,
                "turns": info.turns,
                "createdAt": ms(info.created_at),
                "updatedAt": ms(info.updated_at),
            }
            for info in found
        ]
    }


async def preview(call: Call, params: PreviewParams) -> Payload:
    turns = await call.deps.sessions.preview(call.principal.id, params.key, params.limit)
    if turns is None:
        raise not_found(params.key)
    return {
        "key": params.key,
        "turns": [
            {
                "seq": turn.seq,
                "role": turn.message.role,
                "text": turn.message.text(),
                "tokens": turn.tokens,
                "ts": ms(turn.created_at),
            }
            for turn in turns
        ],
    }


async def reset(call: Call, params: ChangeParams) -> Payload:
    async def run() -> Payload:
        if not await call.deps.sessions.reset(call.principal.id, params.key):
            raise not_found(params.key)
        return {"key": params.key, "reset": True}

    return await call.once(params.idempotency_key, run)


async def delete(call: Call, params: ChangeParams) -> Payload:
    async def run() -> Payload:
        if not await call.deps.sessions.delete(call.principal.id, params.key):
            raise not_found(params.key)
        return {"key": params.key, "deleted": True}

    return await call.once(params.idempotency_key, run)


def register(registry: MethodRegistry) -> None:
    registry.add("sessions.list", ListParams, "operator.read", list_sessions)
    registry.add("sessions.preview", PreviewParams, "operator.read", preview)
    registry.add("sessions.reset", ChangeParams, "operator.write", reset)
    registry.add("sessions.delete", ChangeParams, "operator.write", delete)
