"""Reading request bodies within the limit (SPEC §5: 413 over `maxBodyBytes`, 400 on bad JSON)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fased.errors import BadRequest, PayloadTooLarge


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Request body is larger than {limit} bytes; send less, or raise "
        "gateway.http.maxBodyBytes.",
    )


async def read_json(request: web.Request, limit: int) -> Any:
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise BadRequest("Request body is empty; send a JSON object.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON ({exc.msg} at byte {exc.pos}).") from None
