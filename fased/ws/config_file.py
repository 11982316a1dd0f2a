"""The config file as `config.get`/`config.patch` see it: its bytes and their hash, a JSON
merge-patch (RFC 7396) of its raw content (`${VAR}` references stay references), validation
exactly as a start or reload would do it, and an atomic write that keeps the previous file as
`<name>.bak` (comments of a hand-written JSON5 file do not survive a rewrite)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import json5
import orjson

from fased.accounts.access import check_startup
from fased.config import Settings, build_settings, substitute
from fased.errors import ConfigError, StartupError
from fased.ws.protocol import Payload, ProtocolViolation

SECRET_FIELDS = frozenset({"token", "password", "apiKey"})
REDACTED = "[redacted]"
_URL_SECRET = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def digest(raw: bytes | None) -> str:
    return "sha256:" + hashlib.sha256(raw or b"").hexdigest()


def parse(raw: bytes | None, path: Path) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = json5.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise ProtocolViolation(f"{path} is not valid JSON5 ({exc}); fix it by hand.") from None
    if not isinstance(data, dict):
        raise ProtocolViolation(f"{path}: the top level must be an object; fix it by hand.")
    return data


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, `null` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def validate(
    data: dict[str, Any], overrides: dict[str, Any], env: dict[str, str], path: Path
) -> Settings:
    """The settings `data` would give, with the same environment and flags as the daemon."""
    try:
        settings = build_settings(substitute(data, env), overrides, env)
        check_startup(settings)
    except ConfigError as exc:
        raise ProtocolViolation(
            "The patched config is invalid: " + "; ".join(exc.problems),
            code="invalid_config",
            details={"problems": exc.problems},
        ) from None
    except StartupError as exc:
        raise ProtocolViolation(f"The patched config would not start: {exc}") from None
    return settings


def write_atomic(path: Path, data: dict[str, Any], previous: bytes | None) -> bytes:
    """Write `data` as JSON (valid JSON5) through a temporary file and a rename; mode 0600."""
    raw = orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        backup = path.with_name(path.name + ".bak")
        backup.write_bytes(previous)
        backup.chmod(0o600)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return raw


def redact(value: Any) -> Any:
    """The settings as JSON with every secret replaced (credentials inside URLs too)."""
    if isinstance(value, dict):
        return {
            key: REDACTED if key in SECRET_FIELDS and item is not None else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _URL_SECRET.sub(rf"\1:{REDACTED}@", value)
    return value


def public(settings: Settings) -> Payload:
    data: Payload = redact(settings.model_dump(mode="json", by_alias=True))
    return data
