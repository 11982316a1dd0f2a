"""Logging: structlog events, JSON or console, with the request/connection id bound.

Log lines are events with snake_case names (`request_finished`, `gateway_started`). Secrets
never reach a log line: callers never pass them, and `redact` strips the keys that could hold
one as a last line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import orjson
import structlog

SECRET_KEYS = frozenset(
    {"authorization", "token", "password", "api_key", "apikey", "x-api-key", "secret", "key"}
)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in list(event):
        if name.lower() in SECRET_KEYS:
            event[name] = "[redacted]"
    return event


def _orjson_text(event: Any, **options: Any) -> str:
    """JSON lines through orjson (several times faster than the stdlib's `json.dumps`)."""
    return orjson.dumps(event, **options).decode()


def configure_logging(
    level: str = "info", fmt: Literal["json", "console", "auto"] = "auto"
) -> None:
    """Configure structlog and the stdlib root logger once, at process start."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if use_console
        else structlog.processors.JSONRenderer(serializer=_orjson_text)
    )
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line (print() writes the newline apart: with PYTHONUNBUFFERED, the
        # workers of `--workers N` interleaved their lines in a shared log).
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        # Every request logs (the access log): a module's logger is bound once, not per call.
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, force=True)
