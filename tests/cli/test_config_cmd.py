"""`fased config check`: load like the daemon, guard like the daemon, never print a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fased.cli.main import app

GUARD = (
    "refusing to bind gateway to 0.0.0.0:18789 without auth (set gateway.auth.token/password, "
    "or FASED_GATEWAY_TOKEN/FASED_GATEWAY_PASSWORD)"
)


@pytest.fixture(autouse=True)
def state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("FASED_") or name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    state = tmp_path / "state"
    monkeypatch.setenv("FASED_STATE_DIR", str(state))
    return state


def check(*args: str) -> Result:
    return CliRunner().invoke(app, ["config", "check", *args])


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fased.json5"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_is_the_defaults(state: Path) -> None:
    result = check()
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == "config OK: defaults (no file)"
    assert "  listen:     127.0.0.1:18789 (bind loopback)" in out
    assert f"  auth:       token (generated on first start in {state / 'gateway.token'};" in (
        result.stdout
    )
    assert any(line.startswith("  endpoints:  no chat API enabled") for line in out)
    assert any(line.startswith("  providers:  none: only the offline echo model") for line in out)
    assert f"  state dir:  {state}" in out
    assert not state.exists()  # checking writes nothing: no state dir, no token


def test_a_good_file_is_summarised_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_file(
        tmp_path,
        """{
          gateway: {
            bind: "lan", port: 8080,
            http: {
              endpoints: { chatCompletions: { enabled: true }, messages: { enabled: true } },
            },
          },
          providers: {
            openai: { kind: "openai", apiKey: "${OPENAI_API_KEY}" },
            ollama: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:11434/v1" },
            anthropic: { kind: "anthropic" },
          },
        }""",
    )
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "secret-gateway-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-openai")
    result = check("--config", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == f"config OK: {path}"
    assert "  listen:     0.0.0.0:8080 (bind lan)" in out
    assert "  auth:       token (set in the config or FASED_GATEWAY_TOKEN)" in out
    assert "  endpoints:  /v1/chat/completions, /v1/messages" in out
    assert (
        "  providers:  openai (openai), ollama (openai-compatible), "
        "anthropic (anthropic, apiKey missing)"
    ) in out
    assert "secret" not in result.output


def test_providers_from_the_environment_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    result = check()
    assert result.exit_code == 0, result.output
    assert "  providers:  anthropic (anthropic, from $ANTHROPIC_API_KEY)" in result.stdout
    assert "sk-ant-secret" not in result.output


def test_the_default_file_in_the_state_dir_is_checked(state: Path) -> None:
    state.mkdir()
    (state / "fased.json5").write_text("{ gateway: { port: 9999 } }", encoding="utf-8")
    result = check()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"config OK: {state / 'fased.json5'}"
    assert "127.0.0.1:9999" in result.stdout


def test_a_bad_file_prints_one_line_per_problem_and_exits_2(tmp_path: Path) -> None:
    path = config_file(tmp_path, '{ gateway: { prot: 1, port: 70000 }, logging: { level: "x" } }')
    result = check("--config", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert sorted(result.stderr.splitlines()) == [
        "config: gateway.port: Input should be less than or equal to 65535",
        "config: gateway.prot: unknown key",
        "config: logging.level: Input should be 'debug', 'info', 'warning' or 'error'",
    ]


def test_invalid_json5_is_one_line(tmp_path: Path) -> None:
    path = config_file(tmp_path, "{ gateway: ")
    result = check("--config", str(path))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"config: {path}: not valid JSON5 (")


def test_a_missing_named_file_exits_2(tmp_path: Path) -> None:
    result = check("--config", str(tmp_path / "nope.json5"))
    assert result.exit_code == 2
    assert "cannot read the config file (No such file or directory)" in result.stderr


def test_an_exposed_bind_without_auth_exits_2_with_the_guard_message(tmp_path: Path) -> None:
    result = check("--config", str(config_file(tmp_path, '{ gateway: { bind: "lan" } }')))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"fased: {GUARD}"]


def test_password_mode_without_a_password_exits_2(tmp_path: Path) -> None:
    path = config_file(tmp_path, '{ gateway: { auth: { mode: "password" } } }')
    result = check("--config", str(path))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert 'gateway.auth.mode is "password" but no password is set' in line


def test_the_environment_is_part_of_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_file(tmp_path, '{ gateway: { bind: "lan" } }')
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "tok")
    assert check("--config", str(path)).exit_code == 0
    monkeypatch.setenv("FASED_GATEWAY__PORT", "not-a-port")
    result = check("--config", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("config: gateway.port: ")
