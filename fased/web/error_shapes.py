"""One error vocabulary, rendered per API family (SPEC §5): OpenAI's shape on `/v1/*`,
Anthropic's on `/v1/messages`."""

from __future__ import annotations

import orjson
from aiohttp import web

from fased.errors import FasedError
from fased.wire import anthropic_messages_render


def openai_body(error: FasedError) -> dict[str, object]:
    return {
        "error": {
            "message": error.message,
            "type": error.type,
            "param": error.param,
            "code": error.code,
        }
    }


def error_response(path: str, error: FasedError) -> web.Response:
    if path.startswith("/v1/messages"):
        body = anthropic_messages_render.error_body(error.status, error.message)
    else:
        body = openai_body(error)
    headers = dict(error.headers)
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return web.Response(
        status=error.status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )
