"""`config.get` and `config.patch` (admin).

`config.get` returns the running configuration with its secrets redacted, and the hash of the
config file. `config.patch` applies a JSON merge-patch to the file when `baseHash` still matches
it, validates the result as a start would, writes it atomically and hot-applies it (the same
`Deps.apply` as SIGHUP); keys that only take effect after a restart are listed.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from pydantic import Field

from fased.errors import Conflict
from fased.ws import config_file
from fased.ws.methods.registry import Call, Idempotent, MethodRegistry, NoParams
from fased.ws.protocol import Payload


class PatchParams(Idempotent):
    patch: dict[str, Any]
    base_hash: str = Field(min_length=1, max_length=128)


async def get(call: Call, _: NoParams) -> Payload:
    path = call.deps.paths.config_file
    raw = await asyncio.to_thread(config_file.read_bytes, path)
    return {
        "path": str(path),
        "exists": raw is not None,
        "hash": config_file.digest(raw),
        "config": config_file.public(call.deps.settings),
    }


async def patch(call: Call, params: PatchParams) -> Payload:
    return await call.once(params.idempotency_key, lambda: _apply(call, params))


async def _apply(call: Call, params: PatchParams) -> Payload:
    deps = call.deps
    path = deps.paths.config_file
    async with call.services.config_lock:
        raw = await asyncio.to_thread(config_file.read_bytes, path)
        if config_file.digest(raw) != params.base_hash:
            raise Conflict(
                "The config file changed since you read it (baseHash is stale); call "
                "config.get again and re-apply your patch.",
                code="stale_config",
            )
        merged = config_file.merge_patch(config_file.parse(raw, path), params.patch)
        overrides = call.services.overrides
        settings = config_file.validate(merged, overrides, dict(os.environ), path)
        written = await asyncio.to_thread(config_file.write_atomic, path, merged, raw)
        pending = deps.apply(settings)
    return {
        "path": str(path),
        "hash": config_file.digest(written),
        "applied": True,
        "restartRequired": pending,
        "message": (
            f"Saved; restart the gateway to apply {', '.join(pending)}."
            if pending
            else "Saved and applied."
        ),
    }


def register(registry: MethodRegistry) -> None:
    registry.add("config.get", NoParams, "operator.admin", get)
    registry.add("config.patch", PatchParams, "operator.admin", patch)
