"""Settings (SPEC §2): a JSON5 file, `${VAR}` substitution, environment overrides.

Precedence, highest first: command-line flags, environment (`FASED_GATEWAY_TOKEN`,
`FASED_GATEWAY_PASSWORD`, and any key as `FASED_<SECTION>__<KEY>`), the JSON5 file, defaults.
Every model forbids unknown keys and is frozen: a loaded `Settings` never changes; a reload
builds a new one.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import json5
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from fased.errors import ConfigError

_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class RateLimitSettings(Section):
    max_attempts: int = Field(10, ge=1)
    window_seconds: float = Field(60, gt=0)
    lockout_seconds: float = Field(300, gt=0)
    exempt_loopback: bool = False


class AuthSettings(Section):
    mode: Literal["token", "password", "none"] = "token"
    token: str | None = None
    password: str | None = None
    rate_limit: RateLimitSettings = RateLimitSettings()


class EndpointSettings(Section):
    enabled: bool = False


class EndpointsSettings(Section):
    chat_completions: EndpointSettings = EndpointSettings()
    messages: EndpointSettings = EndpointSettings()
    responses: EndpointSettings = EndpointSettings()


class HttpSettings(Section):
    max_body_bytes: int = Field(1_048_576, ge=1024)
    stream_keep_alive_seconds: float = Field(15, gt=0)
    endpoints: EndpointsSettings = EndpointsSettings()


class GatewaySettings(Section):
    port: int = Field(18789, ge=0, le=65535)
    bind: str = "loopback"
    auth: AuthSettings = AuthSettings()
    trusted_proxies: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    shutdown_timeout_seconds: float = Field(30, ge=0)
    http: HttpSettings = HttpSettings()

    @field_validator("bind")
    @classmethod
    def _bind(cls, value: str) -> str:
        if value not in ("loopback", "lan"):
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError('must be "loopback", "lan" or an IP address') from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    @property
    def host(self) -> str:
        return {"loopback": "127.0.0.1", "lan": "0.0.0.0"}.get(self.bind, self.bind)  # noqa: S104

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_NAMES or ipaddress.ip_address(self.host).is_loopback


class AgentSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = "Assistant"
    model: str | None = None
    basic_facts: dict[str, str] = {}
    profile_addendum: str | None = None


class AgentsSettings(Section):
    default_id: str = "main"
    list: tuple[AgentSettings, ...] = (AgentSettings(id="main", name="Assistant"),)


ProviderKind = Literal["openai", "anthropic", "openai-compatible", "openai-codex", "echo"]


class ProviderSettings(Section):
    kind: ProviderKind
    api_key: str | None = None
    base_url: str | None = None
    models: str | tuple[str, ...] = ()
    timeout_seconds: float = Field(600, gt=0)
    connect_timeout_seconds: float = Field(10, gt=0)

    @property
    def patterns(self) -> tuple[str, ...]:
        return (self.models,) if isinstance(self.models, str) else self.models


class CatalogEntrySettings(Section):
    id: str
    provider: str
    api: Literal["chat", "responses", "messages", "echo"] = "chat"
    upstream_id: str | None = None
    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None
    context_window: int | None = None
    max_output: int | None = None
    reasoning: bool | None = None  # takes a reasoning setting; None: unknown, sent anyway


class ModelsSettings(Section):
    default: str | None = None
    catalog: tuple[CatalogEntrySettings, ...] = ()


class CompileSettings(Section):
    model: str | None = None
    chunk_tokens: int = Field(1500, ge=100)
    workers: int = Field(2, ge=0)
    profile_tokens: int = Field(2000, ge=64)


class AccountsSettings(Section):
    registration: Literal["open", "closed"] = "closed"
    signup_credits: float = 0
    default_plan: str = "free"


class PlanSettings(Section):
    compile_tokens: int = Field(ge=0)
    reset_days: int | None = None


def _default_plans() -> dict[str, PlanSettings]:
    return {
        "free": PlanSettings(compile_tokens=5000),
        "standard": PlanSettings(compile_tokens=50000, reset_days=30),
        "pro": PlanSettings(compile_tokens=1_000_000, reset_days=30),
    }


class SessionSettings(Section):
    history_tokens: int = Field(8000, ge=0)
    idle_minutes: float | None = Field(None, gt=0)


class StorageSettings(Section):
    database: str | None = None
    blobs: str | None = None


class RateLimitsSettings(Section):
    storage: str = "memory://"
    per_key: str | None = None


class TranscriptionSettings(Section):
    provider: str
    model: str


class UploadsSettings(Section):
    max_bytes: int = Field(26_214_400, ge=1)
    max_concurrent_pdf: int = Field(2, ge=1)
    transcription: TranscriptionSettings | None = None


class LoggingSettings(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console", "auto"] = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        env_prefix="FASED_",
        env_nested_delimiter="__",
    )

    gateway: GatewaySettings = GatewaySettings()
    agents: AgentsSettings = AgentsSettings()
    providers: dict[str, ProviderSettings] = {}
    models: ModelsSettings = ModelsSettings()
    compile: CompileSettings = CompileSettings()
    accounts: AccountsSettings = AccountsSettings()
    plans: dict[str, PlanSettings] = Field(default_factory=_default_plans)
    session: SessionSettings = SessionSettings()
    storage: StorageSettings = StorageSettings()
    rate_limits: RateLimitsSettings = RateLimitsSettings()
    uploads: UploadsSettings = UploadsSettings()
    logging: LoggingSettings = LoggingSettings()


@dataclass(frozen=True, slots=True)
class Paths:
    state_dir: Path
    config_file: Path
    explicit: bool = False  # the config path was named (flag or env), so it must exist

    @property
    def database(self) -> Path:
        return self.state_dir / "fased.db"

    @property
    def token_file(self) -> Path:
        return self.state_dir / "gateway.token"

    @property
    def blobs(self) -> Path:
        return self.state_dir / "blobs"


def resolve_paths(config: str | Path | None = None, env: dict[str, str] | None = None) -> Paths:
    env = dict(os.environ) if env is None else env
    state = Path(env.get("FASED_STATE_DIR") or Path.home() / ".fased").expanduser()
    named = config or env.get("FASED_CONFIG_PATH")
    chosen = Path(named).expanduser() if named else state / "fased.json5"
    return Paths(state_dir=state, config_file=chosen, explicit=bool(named))


def substitute(value: Any, env: dict[str, str], path: str = "") -> Any:
    """Replace `${VAR}` in every string value; `$${VAR}` stays a literal `${VAR}`."""
    if isinstance(value, dict):
        return {k: substitute(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, f"{path}.{i}") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.groups()
        if escaped:
            return "${" + name + "}"
        if name not in env:
            raise ConfigError([f"{path}: environment variable {name} is not set"])
        return env[name]

    return _VAR.sub(replace, value)


def read_file(path: Path, env: dict[str, str]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from None
    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise ConfigError([f"{path}: not valid JSON5 ({exc})"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the top level must be an object"])
    result: dict[str, Any] = substitute(data, env)
    return result


class _Layer(PydanticBaseSettingsSource):
    """A fixed dict as a settings source (the file, or the command-line overrides)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


def _env_shortcuts(env: dict[str, str]) -> dict[str, Any]:
    auth = {
        key: env[name]
        for key, name in (("token", "FASED_GATEWAY_TOKEN"), ("password", "FASED_GATEWAY_PASSWORD"))
        if env.get(name)
    }
    return {"gateway": {"auth": auth}} if auth else {}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` into a copy of `base` (objects merge, everything else replaces)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def build_settings(
    file_data: dict[str, Any], overrides: dict[str, Any], env: dict[str, str]
) -> Settings:
    """Validate file data under env and command-line overrides; `ConfigError` lists problems."""
    top = merge(_env_shortcuts(env), overrides)

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (_Layer(settings_cls, top), env_settings, _Layer(settings_cls, file_data))

    try:
        loaded = _Loaded()
    except ValidationError as exc:
        raise ConfigError([_problem(err) for err in exc.errors()]) from None
    # Re-type as a plain Settings without validating again: `model_validate` on a
    # BaseSettings re-reads os.environ, and a camelCase key set through the environment
    # would then arrive under both its alias and its name (an "extra" error).
    fields = {name: getattr(loaded, name) for name in Settings.model_fields}
    return Settings.model_construct(loaded.model_fields_set, **fields)


def _problem(err: Any) -> str:
    path = ".".join(str(part) for part in err["loc"]) or "(top level)"
    message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
    return f"{path}: {message}"


def load_settings(
    paths: Paths, overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> Settings:
    """Load the config file at `paths` (absent is fine: defaults) with env and overrides."""
    env = dict(os.environ) if env is None else env
    present = paths.explicit or paths.config_file.exists()
    data = read_file(paths.config_file, env) if present else {}
    return build_settings(data, overrides or {}, env)
