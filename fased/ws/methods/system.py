"""`health`, `status`, `models.list`, `agents.list`, `usage.status`, `usage.cost`."""

from __future__ import annotations

import time

from pydantic import Field

import fased
from fased.store.usage import UsageTotals
from fased.ws.methods.registry import Call, MethodRegistry, NoParams
from fased.ws.protocol import Model, Payload

DAY = 86_400


def uptime_ms(call: Call) -> int:
    return max(0, int((time.time() - call.deps.started_at) * 1000))


async def health(call: Call, _: NoParams) -> Payload:
    database = await call.deps.db.ping()
    providers = call.deps.providers.configured()
    ok = database and bool(providers)
    return {
        "ok": ok,
        "status": "ready" if ok else "not_ready",
        "checks": {"database": database, "providers": bool(providers)},
        "uptimeMs": uptime_ms(call),
    }


async def status(call: Call, _: NoParams) -> Payload:
    deps, services = call.deps, call.services
    gateway = deps.settings.gateway
    endpoints = gateway.http.endpoints
    return {
        "version": fased.__version__,
        "uptimeMs": uptime_ms(call),
        "connId": call.client.conn_id,
        "gateway": {
            "bind": gateway.bind,
            "port": gateway.port,
            "auth": gateway.auth.mode,
            "endpoints": {
                "chatCompletions": endpoints.chat_completions.enabled,
                "messages": endpoints.messages.enabled,
                "responses": endpoints.responses.enabled,
            },
        },
        "defaultAgentId": deps.faces.default_id,
        "defaultModel": deps.default_model,
        "providers": deps.providers.configured(),
        "channel": {"clients": len(services.hub), "activeRuns": len(services.runs.active)},
        "stateDir": str(deps.paths.state_dir) if call.principal.is_owner else None,
    }


async def models_list(call: Call, _: NoParams) -> Payload:
    deps = call.deps
    models: list[Payload] = [
        {
            "id": entry.id,
            "kind": "model",
            "provider": entry.provider,
            "available": deps.providers.can_serve(entry),
            "contextWindow": entry.context_window,
            "pricing": {
                "input": entry.input,
                "output": entry.output,
                "cachedInput": entry.cached_input,
            },
        }
        for entry in deps.catalog.entries()
    ]
    models += [
        {"id": face.alias, "kind": "agent", "provider": "fased", "name": face.name}
        for face in await deps.faces.list(call.principal.id)
    ]
    return {"models": models, "default": deps.default_model}


async def agents_list(call: Call, _: NoParams) -> Payload:
    """The caller's agents (faces), by the id requests name them with: the alias."""
    faces = call.deps.faces
    return {
        "defaultId": faces.default_id,
        "agents": [
            {"id": face.alias, "name": face.name, "model": face.default_model}
            for face in await faces.list(call.principal.id)
        ],
    }


def totals_payload(totals: UsageTotals) -> Payload:
    return {
        "requests": totals.requests,
        "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens,
        "cached_input_tokens": totals.cached_input_tokens,
        "reasoning_tokens": totals.reasoning_tokens,
        "total_tokens": totals.total_tokens,
        "cost_usd": totals.cost_usd,
    }


async def usage_status(call: Call, _: NoParams) -> Payload:
    usage = call.deps.usage
    await usage.flush()
    midnight = time.time() // DAY * DAY  # UTC
    owner = call.principal.id
    return {
        "total": totals_payload(await usage.totals(owner)),
        "today": totals_payload(await usage.totals(owner, since=midnight)),
    }


class CostParams(Model):
    days: int = Field(30, ge=1, le=3660)


async def usage_cost(call: Call, params: CostParams) -> Payload:
    usage = call.deps.usage
    await usage.flush()
    since = time.time() - params.days * DAY
    totals = await usage.totals(call.principal.id, since=since)
    return {
        "days": params.days,
        "sinceMs": int(since * 1000),
        "requests": totals.requests,
        "cost_usd": totals.cost_usd,
    }


def register(registry: MethodRegistry) -> None:
    registry.add("health", NoParams, "operator.read", health)
    registry.add("status", NoParams, "operator.read", status)
    registry.add("models.list", NoParams, "operator.read", models_list)
    registry.add("agents.list", NoParams, "operator.read", agents_list)
    registry.add("usage.status", NoParams, "operator.read", usage_status)
    registry.add("usage.cost", CostParams, "operator.read", usage_cost)
