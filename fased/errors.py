"""The one error vocabulary.

Every failure a client can see is a `FasedError`: an HTTP status, a stable machine code, and a
message that says how to fix the problem. The web layer renders it in the shape of the API
family (OpenAI or Anthropic); the WebSocket layer renders it as a protocol error. Nothing here
knows about HTTP frameworks.
"""

from __future__ import annotations


class FasedError(Exception):
    """A client-visible error. `type` is OpenAI's error type name for this status."""

    status: int = 500
    code: str = "internal_error"
    type: str = "server_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param
        self.retry_after = retry_after
        self.headers = headers or {}


class BadRequest(FasedError):
    status, code, type = 400, "invalid_request", "invalid_request_error"


class ModelNotFound(BadRequest):
    code = "model_not_found"


class Unauthorized(FasedError):
    status, code, type = 401, "unauthorized", "authentication_error"


class PaymentRequired(FasedError):
    status, code, type = 402, "insufficient_credits", "insufficient_quota"


class Forbidden(FasedError):
    status, code, type = 403, "forbidden", "permission_error"


class NotFound(FasedError):
    status, code, type = 404, "not_found", "not_found_error"


class MethodNotAllowed(FasedError):
    status, code, type = 405, "method_not_allowed", "invalid_request_error"


class Conflict(FasedError):
    status, code, type = 409, "conflict", "invalid_request_error"


class PayloadTooLarge(FasedError):
    status, code, type = 413, "payload_too_large", "invalid_request_error"


class UnsupportedMediaType(FasedError):
    status, code, type = 415, "unsupported_media_type", "invalid_request_error"


class MisdirectedRequest(FasedError):
    status, code, type = 421, "misdirected_request", "invalid_request_error"


class Unprocessable(FasedError):
    status, code, type = 422, "unprocessable", "invalid_request_error"


class RateLimited(FasedError):
    status, code, type = 429, "rate_limited", "rate_limit_error"


class InternalError(FasedError):
    status, code, type = 500, "internal_error", "server_error"


class UpstreamError(FasedError):
    status, code, type = 502, "upstream_error", "api_error"


class ServiceUnavailable(FasedError):
    status, code, type = 503, "service_unavailable", "api_error"


class ProviderNotConfigured(ServiceUnavailable):
    code = "provider_not_configured"


class UpstreamTimeout(FasedError):
    status, code, type = 504, "upstream_timeout", "api_error"


class ConfigError(Exception):
    """The configuration is invalid: one `path: message` line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class StartupError(Exception):
    """The gateway cannot start; the message is the one line shown to the operator."""
