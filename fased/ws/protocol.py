"""The control channel's wire protocol (SPEC §11), pure: frames, the connect handshake's params,
the error shape and its codes, and the one mapping from `FasedError` to a protocol error.

Frames are JSON text: a request `{type:"req", id, method, params}`, a response
`{type:"res", id, ok, payload | error}`, an event `{type:"event", event, payload, seq}`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from fased.errors import BadRequest, FasedError

PROTOCOL = 1
Scope = Literal["operator.read", "operator.write", "operator.admin"]
Payload = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


class Close(enum.IntEnum):
    """WebSocket close codes the gateway uses."""

    NORMAL = 1000
    PROTOCOL_ERROR = 1002  # protocol version mismatch
    POLICY_VIOLATION = 1008  # failed handshake, slow consumer
    INTERNAL = 1011
    SERVICE_RESTART = 1012  # the gateway is stopping


class ErrorCode(enum.StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    UNAVAILABLE = "UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"


_BY_STATUS = {
    401: ErrorCode.UNAUTHORIZED,
    402: ErrorCode.PAYMENT_REQUIRED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL,
    502: ErrorCode.UPSTREAM_ERROR,
    503: ErrorCode.UNAVAILABLE,
    504: ErrorCode.TIMEOUT,
}
_RETRYABLE = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """Limits and timings of the channel; tests shorten the timings."""

    max_payload: int = 512 * 1024  # bytes per incoming frame
    max_buffered_bytes: int = 1536 * 1024  # unsent output before a client is dropped
    tick_interval: float = 30.0
    handshake_timeout: float = 10.0
    close_timeout: float = 5.0  # how long a close handshake may take before the socket is cut
    max_in_flight: int = 64  # concurrent requests per connection
    dedupe_seconds: float = 300.0  # idempotencyKey memory, and how long finished runs are kept
    recent_ids: int = 4096  # request ids remembered per connection to refuse a reuse


class Model(BaseModel):
    """Params and frames: camelCase on the wire, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


class ProtocolViolation(BadRequest):
    """A frame or params the channel refuses; `details` says what exactly."""

    def __init__(
        self, message: str, *, code: str = "invalid_request", details: Payload | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.details = details


class ErrorShape(Model):
    model_config = ConfigDict(populate_by_name=True)  # built here by field name; sent camelCase

    code: ErrorCode
    message: str
    details: Payload | None = None
    retryable: bool = False
    retry_after_ms: int | None = None


def error_shape(exc: FasedError) -> ErrorShape:
    """The protocol error for any `FasedError`: the one place the mapping lives."""
    details: Payload = {"code": exc.code}
    if exc.param:
        details["param"] = exc.param
    if isinstance(exc, ProtocolViolation) and exc.details:
        details.update(exc.details)
    fallback = ErrorCode.INTERNAL if exc.status >= 500 else ErrorCode.INVALID_REQUEST
    return ErrorShape(
        code=_BY_STATUS.get(exc.status, fallback),
        message=exc.message,
        details=details,
        retryable=exc.status in _RETRYABLE,
        retry_after_ms=exc.retry_after * 1000 if exc.retry_after is not None else None,
    )


# --- frames --------------------------------------------------------------------------------


class RequestFrame(Model):
    type: Literal["req"]
    id: str = Field(min_length=1, max_length=128)
    method: str = Field(min_length=1, max_length=128)
    params: Payload | None = None


class ResponseFrame(Model):
    type: Literal["res"] = "res"
    id: str | None
    ok: bool
    payload: Any = None
    error: ErrorShape | None = None


class EventFrame(Model):
    type: Literal["event"] = "event"
    event: str
    payload: Any
    seq: int


def _encode(frame: Model) -> bytes:
    return frame.model_dump_json(by_alias=True, exclude_none=True).encode()


def encode_result(request_id: str, payload: Payload) -> bytes:
    return _encode(ResponseFrame(id=request_id, ok=True, payload=payload))


def encode_error(request_id: str | None, error: ErrorShape) -> bytes:
    """An error response; `id` is null for a frame that had no usable id."""
    shape = error.model_dump(mode="json", by_alias=True, exclude_none=True)
    return orjson.dumps({"type": "res", "id": request_id, "ok": False, "error": shape})


def encode_event(event: str, payload: Payload, seq: int) -> bytes:
    return _encode(EventFrame(event=event, payload=payload, seq=seq))


def frame_id(data: Any) -> str | None:
    """The id of a frame that may be malformed, so its error can still be matched."""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 128 else None


def parse_json(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolViolation("Frames are JSON text; this one is not valid JSON.") from None


def parse_request(data: Any) -> RequestFrame:
    """A decoded frame as a request, or `ProtocolViolation` saying what is wrong with it."""
    if not isinstance(data, dict) or data.get("type") != "req":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise ProtocolViolation(
            f'Expected a request frame {{"type":"req","id","method","params"}}, got {kind!r}.',
            code="not_a_request",
        )
    return validate(RequestFrame, data, "frame")


def validate(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolViolation(
            f"Invalid {what}: {_first_problem(exc)}.",
            code="invalid_params" if what != "frame" else "invalid_frame",
            details={"errors": problems(exc)},
        ) from None


def problems(exc: ValidationError) -> list[Payload]:
    return [
        {"path": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _first_problem(exc: ValidationError) -> str:
    first = problems(exc)[0]
    return f"{first['path']}: {first['message']}" if first["path"] else first["message"]


# --- the handshake -------------------------------------------------------------------------


class ClientInfo(Model):
    id: str = Field(min_length=1, max_length=128)
    version: str = Field(min_length=1, max_length=64)
    platform: str = Field(min_length=1, max_length=64)
    mode: str = Field(min_length=1, max_length=64)


class ConnectAuth(Model):
    """One credential. `apiKey` and `jwt` take the same path as HTTP (they join with accounts)."""

    token: str | None = None
    password: str | None = None
    api_key: str | None = None
    jwt: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ConnectAuth:
        if sum(v is not None for v in (self.token, self.password, self.api_key, self.jwt)) > 1:
            raise ValueError("send one of token, password, apiKey, jwt")
        return self

    @property
    def credential(self) -> str | None:
        return self.token or self.password or self.api_key or self.jwt


class ConnectParams(Model):
    min_protocol: int = Field(ge=1)
    max_protocol: int = Field(ge=1)
    client: ClientInfo
    role: Literal["operator"] = "operator"
    scopes: tuple[Scope, ...] | None = None  # None: every scope the credential has
    auth: ConnectAuth | None = None

    @property
    def speaks_ours(self) -> bool:
        return self.min_protocol <= PROTOCOL <= self.max_protocol


def hello_ok(
    *,
    version: str,
    conn_id: str,
    methods: list[str],
    events: list[str],
    default_agent_id: str,
    uptime_ms: int,
    policy: ChannelPolicy,
) -> Payload:
    return {
        "type": "hello-ok",
        "protocol": PROTOCOL,
        "server": {"version": version, "connId": conn_id},
        "features": {"methods": methods, "events": events},
        "snapshot": {"defaultAgentId": default_agent_id, "uptimeMs": uptime_ms},
        "policy": {
            "maxPayload": policy.max_payload,
            "maxBufferedBytes": policy.max_buffered_bytes,
            "tickIntervalMs": round(policy.tick_interval * 1000),
        },
    }
