"""Settings (SPEC §2): the example file, `${VAR}`, environment overrides, precedence, errors,
and the start-up guards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from fased.config import Paths, Settings, load_settings, resolve_paths
from fased.errors import ConfigError, StartupError
from fased.server import check_startup

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "fased.example.json5"
GUARD = (
    "refusing to bind gateway to {host}:{port} without auth (set gateway.auth.token/password, "
    "or FASED_GATEWAY_TOKEN/FASED_GATEWAY_PASSWORD)"
)
PROVIDER_KEYS = {
    "OPENAI_API_KEY": "sk-openai-test",
    "ANTHROPIC_API_KEY": "sk-ant-test",
    "FIREWORKS_API_KEY": "fw-test",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FASED_* or provider variable from the outside; state and home under tmp_path."""
    import os

    for name in list(os.environ):
        if name.startswith("FASED_") or name in PROVIDER_KEYS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    state = tmp_path / "state"
    monkeypatch.setenv("FASED_STATE_DIR", str(state))
    return state


def write(tmp_path: Path, text: str, name: str = "fased.json5") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    return load_settings(resolve_paths(path), overrides)


def problems(path: Path | None = None, overrides: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, overrides)
    return caught.value.problems


# --- the example file -------------------------------------------------------------------------


def test_example_loads_with_no_environment_and_equals_the_defaults() -> None:
    settings = load(EXAMPLE)
    assert settings == Settings()
    assert settings.agents.list[0].id == "main"
    assert settings.providers == {}


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)


def _keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """(dotted field path, alias, field name) for every field, entries of lists/dicts included."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", field.alias or name, name
        for inner in _models_in(field.annotation):
            yield from _keys(inner, f"{prefix}{name}.")


def test_example_names_every_key_of_settings() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [
        dotted
        for dotted, alias, name in _keys(Settings)
        if not re.search(rf"\b({alias}|{name})\s*:", text)
    ]
    assert missing == []


def uncommented(text: str) -> str:
    """Turn on the example's entries that are off: a line `//key: …` or `//{`, and every line of
    a block it opens. Prose comments (`// text`) stay."""
    lines, depth = [], 0
    for line in text.splitlines():
        match = re.match(r"(\s*)//(.*)", line)
        if not (match and (depth or re.match(r"[^\s/]", match.group(2)))):
            lines.append(line)
            continue
        indent, body = match.groups()
        code = body.split(" //")[0]
        depth += sum(code.count(c) for c in "{[") - sum(code.count(c) for c in "}]")
        lines.append(indent + body)
    return "\n".join(lines)


def test_example_entries_that_are_off_are_valid_when_turned_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in PROVIDER_KEYS.items():
        monkeypatch.setenv(name, value)
    settings = load(write(tmp_path, uncommented(EXAMPLE.read_text(encoding="utf-8"))))

    providers = settings.providers
    assert set(providers) == {"openai", "anthropic", "fireworks", "ollama"}
    assert providers["openai"].api_key == "sk-openai-test"
    assert providers["openai"].base_url == "https://api.openai.com/v1"
    assert providers["anthropic"].base_url == "https://api.anthropic.com"
    assert providers["fireworks"].kind == "openai-compatible"
    assert providers["fireworks"].api_key == "fw-test"
    assert providers["fireworks"].patterns == ("fireworks/*",)
    assert providers["ollama"].api_key is None
    assert providers["ollama"].patterns == ("ollama/*",)
    assert [agent.id for agent in settings.agents.list] == ["main", "ada"]
    assert settings.agents.list[1].basic_facts["born"] == "1815, London"
    assert settings.models.catalog[0].provider == "fireworks"
    assert (
        settings.models.catalog[0].upstream_id
        == "accounts/fireworks/models/llama-v3p3-70b-instruct"
    )
    assert settings.plans["team"].compile_tokens == 200000


def test_example_entries_turned_on_name_the_variable_they_need(tmp_path: Path) -> None:
    path = write(tmp_path, uncommented(EXAMPLE.read_text(encoding="utf-8")))
    assert problems(path) == [
        "providers.openai.apiKey: environment variable OPENAI_API_KEY is not set"
    ]


# --- ${VAR} substitution ----------------------------------------------------------------------


def test_variables_are_substituted_in_every_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOK", "from-env")
    monkeypatch.setenv("HOST", "app.example.com")
    path = write(
        tmp_path,
        """{
          gateway: {
            auth: { token: "${TOK}" },
            allowedOrigins: ["https://${HOST}", "https://${HOST}:8443",],  // trailing comma
          },
          agents: { list: [{ id: "main", name: "${HOST} helper" }] },
        }""",
    )
    settings = load(path)
    assert settings.gateway.auth.token == "from-env"
    assert settings.gateway.allowed_origins == (
        "https://app.example.com",
        "https://app.example.com:8443",
    )
    assert settings.agents.list[0].name == "app.example.com helper"


def test_double_dollar_keeps_a_literal_reference(tmp_path: Path) -> None:
    path = write(tmp_path, '{ agents: { list: [{ id: "main", name: "cost: $${PRICE}" }] } }')
    assert load(path).agents.list[0].name == "cost: ${PRICE}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{ gateway: { auth: { token: "${NOPE}" } } }',
            "gateway.auth.token: environment variable NOPE is not set",
        ),
        (
            '{ gateway: { allowedHosts: ["a", "${NOPE}.example"] } }',
            "gateway.allowedHosts.1: environment variable NOPE is not set",
        ),
    ],
)
def test_a_missing_variable_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(write(tmp_path, text)) == [expected]


# --- the environment and precedence -----------------------------------------------------------


def test_gateway_token_and_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "env-token")
    monkeypatch.setenv("FASED_GATEWAY_PASSWORD", "env-password")
    auth = load().gateway.auth
    assert (auth.token, auth.password) == ("env-token", "env-password")


def test_an_empty_token_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "")
    assert load().gateway.auth.token is None


def test_any_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASED_GATEWAY__PORT", "2222")
    monkeypatch.setenv("FASED_LOGGING__LEVEL", "debug")
    monkeypatch.setenv("FASED_RATE_LIMITS__PER_KEY", "120/minute")
    settings = load()
    assert settings.gateway.port == 2222
    assert settings.logging.level == "debug"
    assert settings.rate_limits.per_key == "120/minute"


@pytest.mark.parametrize(
    "variable",
    ["FASED_GATEWAY__SHUTDOWN_TIMEOUT_SECONDS", "FASED_GATEWAY__SHUTDOWNTIMEOUTSECONDS"],
)
def test_a_camel_case_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # Regression: the camelCase spelling used to crash with a raw pydantic ValidationError.
    monkeypatch.setenv(variable, "60")
    settings = load()
    assert settings.gateway.shutdown_timeout_seconds == 60
    assert type(settings) is Settings


def test_an_invalid_environment_value_is_a_config_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASED_GATEWAY__PORT", "99999")
    assert problems() == ["gateway.port: Input should be less than or equal to 65535"]


@pytest.mark.parametrize(
    ("env_port", "flag_port", "expected"),
    [(None, None, 1111), ("2222", None, 2222), ("2222", 3333, 3333), (None, 3333, 3333)],
)
def test_precedence_is_flags_then_environment_then_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env_port: str | None,
    flag_port: int | None,
    expected: int,
) -> None:
    path = write(tmp_path, "{ gateway: { port: 1111 } }")
    if env_port is not None:
        monkeypatch.setenv("FASED_GATEWAY__PORT", env_port)
    overrides = {"gateway": {"port": flag_port}} if flag_port is not None else {}
    assert load(path, overrides).gateway.port == expected


def test_token_precedence_is_flag_then_environment_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '{ gateway: { auth: { token: "file" }, bind: "lan" } }')
    assert load(path).gateway.auth.token == "file"
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "env")
    assert load(path).gateway.auth.token == "env"
    flagged = load(path, {"gateway": {"auth": {"token": "flag"}}})
    assert flagged.gateway.auth.token == "flag"
    assert flagged.gateway.bind == "lan"  # a flag replaces one key, not its whole section


# --- problems ---------------------------------------------------------------------------------


def test_unknown_keys_and_bad_values_are_all_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """{
          gateway: { prot: 1, http: { maxBody: 5 }, auth: { mode: "open" } },
          logging: { level: "loud" },
          colour: true,
        }""",
    )
    assert sorted(problems(path)) == [
        "colour: unknown key",
        "gateway.auth.mode: Input should be 'token', 'password' or 'none'",
        "gateway.http.maxBody: unknown key",
        "gateway.prot: unknown key",
        "logging.level: Input should be 'debug', 'info', 'warning' or 'error'",
    ]


def test_a_bad_bind_says_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, '{ gateway: { bind: "everywhere" } }')
    assert problems(path) == [
        'gateway.bind: Value error, must be "loopback", "lan" or an IP address'
    ]


def test_invalid_json5_is_one_clear_line(tmp_path: Path) -> None:
    path = write(tmp_path, "{ gateway: { port: 18789, }, oops }")
    [line] = problems(path)
    assert line.startswith(f"{path}: not valid JSON5 (")
    assert "\n" not in line


def test_the_top_level_must_be_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "[1, 2]")
    assert problems(path) == [f"{path}: the top level must be an object"]


def test_a_named_config_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.json5"
    expected = [f"{missing}: cannot read the config file (No such file or directory)"]
    assert problems(missing) == expected
    monkeypatch.setenv("FASED_CONFIG_PATH", str(missing))
    assert problems() == expected


def test_no_file_at_the_default_path_means_defaults(clean_env: Path) -> None:
    paths = resolve_paths()
    assert paths == Paths(clean_env, clean_env / "fased.json5", explicit=False)
    assert not paths.config_file.exists()
    assert load() == Settings()


def test_the_default_file_in_the_state_dir_is_read(clean_env: Path) -> None:
    clean_env.mkdir()
    (clean_env / "fased.json5").write_text("{ gateway: { port: 4444 } }", encoding="utf-8")
    assert load().gateway.port == 4444


def test_paths_resolution() -> None:
    home_default = resolve_paths(None, {})
    assert home_default.state_dir == Path.home() / ".fased"
    named = resolve_paths(None, {"FASED_STATE_DIR": "/srv/f", "FASED_CONFIG_PATH": "/etc/f.json5"})
    assert named == Paths(Path("/srv/f"), Path("/etc/f.json5"), explicit=True)
    flagged = resolve_paths("/tmp/x.json5", {"FASED_CONFIG_PATH": "/etc/f.json5"})
    assert flagged.config_file == Path("/tmp/x.json5")
    assert flagged.token_file == Path.home() / ".fased" / "gateway.token"


# --- start-up guards --------------------------------------------------------------------------


def settings_with(gateway: dict[str, Any]) -> Settings:
    return Settings.model_validate({"gateway": gateway})


@pytest.mark.parametrize(
    ("gateway", "host"),
    [
        ({"bind": "lan"}, "0.0.0.0"),
        ({"bind": "192.168.1.5", "port": 8080}, "192.168.1.5"),
        ({"bind": "lan", "auth": {"mode": "none", "token": "t"}}, "0.0.0.0"),
    ],
)
def test_an_exposed_bind_without_auth_refuses_to_start(gateway: dict[str, Any], host: str) -> None:
    with pytest.raises(StartupError) as caught:
        check_startup(settings_with(gateway))
    port = gateway.get("port", 18789)
    assert str(caught.value) == GUARD.format(host=host, port=port)


def test_password_mode_without_a_password_refuses_to_start() -> None:
    with pytest.raises(StartupError, match=r'mode is "password" but no password is set'):
        check_startup(settings_with({"auth": {"mode": "password", "token": "t"}}))


@pytest.mark.parametrize(
    "gateway",
    [
        {},
        {"bind": "lan", "auth": {"token": "t"}},
        {"bind": "lan", "auth": {"mode": "password", "password": "p"}},
        {"bind": "::1", "auth": {"mode": "none"}},
        {"bind": "loopback", "auth": {"mode": "none"}},
    ],
)
def test_guarded_settings_that_may_start(gateway: dict[str, Any]) -> None:
    check_startup(settings_with(gateway))


def test_a_token_from_the_environment_satisfies_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "env-token")
    check_startup(load(write(tmp_path, '{ gateway: { bind: "lan" } }')))
