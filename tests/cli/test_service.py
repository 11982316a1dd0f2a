"""`fased gateway install`: the rendered systemd unit, writing it, and running systemctl."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fased.cli import service
from fased.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("file-secret-token", "file-secret-password", "env-secret-token", "sk-env-openai")
HARDENING = (
    "NoNewPrivileges=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "SystemCallFilter=@system-service",
    "SystemCallArchitectures=native",
    "UMask=0077",
    "KillSignal=SIGTERM",
    "Restart=on-failure",
    "ExecReload=/bin/kill -HUP $MAINPID",
)
SYSTEM_HARDENING = (
    "DynamicUser=yes",
    "StateDirectory=fased",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "CapabilityBoundingSet=",
)


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment: HOME, XDG_CONFIG_HOME and a `fased` executable under tmp_path."""
    for name in list(os.environ):
        if name.startswith("FASED_") or name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setattr(sys, "argv", [str(fake_executable(tmp_path / "venv" / "bin"))])
    monkeypatch.setattr(service, "SYSTEM_UNIT_DIR", tmp_path / "etc" / "systemd" / "system")
    return home


def fake_executable(directory: Path, name: str = "fased", script: str = "exit 0") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["gateway", "install", *args])


def rendered(*args: str) -> str:
    result = invoke("--print", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def lines(unit: str) -> set[str]:
    return set(unit.splitlines())


def directive(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}=")]


# --- the shipped template ---------------------------------------------------------------------


def test_the_repository_unit_is_the_packaged_template() -> None:
    packaged = ROOT / "fased" / "systemd" / "fased.service"
    assert (ROOT / "systemd" / "fased.service").read_bytes() == packaged.read_bytes()
    assert service.template() == packaged.read_text(encoding="utf-8")
    assert "ExecStart=@FASED_BIN@ gateway" in service.template()


# --- the system unit --------------------------------------------------------------------------


def test_system_unit_runs_the_installed_executable_hardened(home: Path) -> None:
    unit = rendered("--system")
    [exec_start] = directive(unit, "ExecStart")
    executable = exec_start.removesuffix(" gateway")
    assert Path(executable).is_absolute() and executable == sys.argv[0]
    assert "@FASED_BIN@" not in unit
    assert lines(unit) >= {*HARDENING, *SYSTEM_HARDENING}
    assert directive(unit, "Environment") == ["FASED_STATE_DIR=/var/lib/fased"]
    assert directive(unit, "EnvironmentFile") == ["-/etc/fased/fased.env"]
    assert directive(unit, "WantedBy") == ["multi-user.target"]
    assert int(directive(unit, "TimeoutStopSec")[0]) == 75  # 2 x 30 + 15


def test_stop_timeout_covers_both_drains_plus_a_margin(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "fased.json5"
    config.write_text("{ gateway: { shutdownTimeoutSeconds: 50.5 } }", encoding="utf-8")
    for scope in ("--system", "--user"):
        unit = rendered(scope, "--config", str(config))
        assert directive(unit, "TimeoutStopSec") == ["117"]  # 2 x ceil(50.5) + 15


def test_no_secret_is_written_into_the_unit(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "fased.json5"
    config.write_text(
        '{ gateway: { bind: "lan", auth: { token: "file-secret-token",'
        ' password: "file-secret-password" } },'
        ' providers: { openai: { kind: "openai", apiKey: "${OPENAI_API_KEY}" } } }',
        encoding="utf-8",
    )
    monkeypatch.setenv("FASED_GATEWAY_TOKEN", "env-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-openai")
    for scope in ("--system", "--user"):
        unit = rendered(scope, "--config", str(config))
        assert not [secret for secret in SECRETS if secret in unit]
        assert f"FASED_CONFIG_PATH={config}" in directive(unit, "Environment")[0]


def test_the_rendered_units_pass_systemd_analyze_verify(home: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    for scope, manager in (("--system", []), ("--user", ["--user"])):
        unit = tmp_path / scope.strip("-") / "fased.service"
        unit.parent.mkdir()
        unit.write_text(rendered(scope), encoding="utf-8")
        checked = subprocess.run(
            [analyze, *manager, "verify", str(unit)],
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
            check=False,
        )
        assert (checked.returncode, checked.stderr) == (0, ""), scope


# --- the user unit ----------------------------------------------------------------------------


def test_user_unit_keeps_what_a_user_manager_can_apply(home: Path) -> None:
    unit = rendered("--user")
    keys = {line.split("=", 1)[0] for line in unit.splitlines() if "=" in line}
    assert not keys & service.SYSTEM_ONLY
    assert not [line for line in unit.splitlines() if line.startswith(("User=", "Group="))]
    assert lines(unit) >= set(HARDENING)
    assert directive(unit, "Environment") == [f"FASED_STATE_DIR={home / '.fased'}"]
    assert directive(unit, "EnvironmentFile") == [f"-{home / '.fased' / 'fased.env'}"]
    assert directive(unit, "WantedBy") == ["default.target"]
    assert [line for line in unit.splitlines() if line.startswith("[")] == [
        "[Unit]",
        "[Service]",
        "[Install]",
    ]
    assert "system units only" not in unit  # those paragraphs went with their directives


def test_user_unit_follows_fased_state_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASED_STATE_DIR", str(home / "elsewhere"))
    assert directive(rendered("--user"), "Environment") == [f"FASED_STATE_DIR={home / 'elsewhere'}"]


def test_default_scope_is_system_for_root_else_user(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "DynamicUser=yes" in rendered()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "DynamicUser=yes" not in rendered()


# --- quoting ----------------------------------------------------------------------------------


def test_paths_are_quoted_and_escaped_for_systemd() -> None:
    assert service.unit_quote("/opt/fased/bin/fased") == "/opt/fased/bin/fased"
    assert service.unit_quote("/opt/my fased/50%/fased") == '"/opt/my fased/50%%/fased"'
    assert service.unit_quote("/opt/$x/fased", exec_line=True) == "/opt/$$x/fased"
    with pytest.raises(service.InstallError, match="control character"):
        service.unit_quote("/opt/fased\nExecStartPre=/bin/evil")


def test_an_executable_path_with_a_space(home: Path, tmp_path: Path) -> None:
    executable = fake_executable(tmp_path / "my venv" / "bin")
    sys.argv[0] = str(executable)
    assert directive(rendered("--user"), "ExecStart") == [f'"{executable}" gateway']


def test_hidden_paths_are_what_protect_home_hides_from_a_system_unit(tmp_path: Path) -> None:
    script = fake_executable(tmp_path / "bin")
    script.write_text("#!/root/.pyenv/versions/3.11/bin/python3 -E\nimport sys\n")
    options = service.UnitOptions(
        executable=str(script),
        state_dir=Path("/var/lib/fased"),
        config_file=Path("/home/ada/fased.json5"),
        stop_timeout_seconds=45,
        user=False,
    )
    assert service.hidden_paths(options) == [
        "/home/ada/fased.json5",
        "/root/.pyenv/versions/3.11/bin/python3",
    ]


def test_installing_a_system_unit_warns_about_hidden_paths(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "fased.json5"
    config.write_text("{}", encoding="utf-8")
    sys.argv[0] = str(fake_executable(tmp_path / "opt" / "bin"))
    Path(sys.argv[0]).write_text("#!/home/ada/.venv/bin/python\n")
    result = invoke("--system", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "warning: the service needs /home/ada/.venv/bin/python" in result.stderr
    assert "warning" not in invoke("--user", "--config", str(config)).stderr


# --- finding the executable -------------------------------------------------------------------


def test_the_executable_is_found_on_path(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = fake_executable(tmp_path / "path-bin")
    monkeypatch.setattr(sys, "argv", ["pytest"])
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert directive(rendered("--user"), "ExecStart") == [f"{on_path} gateway"]


def test_no_executable_is_a_clear_error(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["pytest"])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = invoke("--print", "--user")
    assert result.exit_code == 1
    assert "cannot find the `fased` executable" in result.stderr


# --- installing -------------------------------------------------------------------------------


def test_install_user_writes_the_unit_and_prints_the_commands(home: Path) -> None:
    result = invoke("--user")
    assert result.exit_code == 0, result.output
    path = home / ".config" / "systemd" / "user" / "fased.service"
    assert path.read_text(encoding="utf-8") == rendered("--user")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert f"wrote: {path}" in result.stdout
    assert "systemctl --user daemon-reload && systemctl --user enable --now fased" in result.stdout
    again = invoke("--user")
    assert f"unchanged: {path}" in again.stdout


def test_install_system_writes_into_the_system_unit_dir(home: Path) -> None:
    result = invoke("--system")
    assert result.exit_code == 0, result.output
    path = service.SYSTEM_UNIT_DIR / "fased.service"
    assert "DynamicUser=yes" in path.read_text(encoding="utf-8")
    assert "systemctl daemon-reload && systemctl enable --now fased" in result.stdout


def test_an_unwritable_unit_path_is_a_clear_error(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(service, "SYSTEM_UNIT_DIR", blocker / "system")
    result = invoke("--system")
    assert result.exit_code == 1
    assert f"cannot write {blocker / 'system' / 'fased.service'}" in result.stderr


def test_now_runs_systemctl_without_a_shell(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    fake_executable(tmp_path / "sbin", "systemctl", f'echo "$*" >> {calls}')
    monkeypatch.setenv("PATH", str(tmp_path / "sbin"))
    result = invoke("--user", "--now")
    assert result.exit_code == 0, result.output
    assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable --now fased"]


def test_a_failing_systemctl_stops_with_its_status(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_executable(tmp_path / "sbin", "systemctl", "exit 3")
    monkeypatch.setenv("PATH", str(tmp_path / "sbin"))
    result = invoke("--user", "--now")
    assert result.exit_code == 1
    assert "`systemctl --user daemon-reload` failed (exit 3)" in result.stderr


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--user", "--system"], ["--print", "--now", "--user"]])
def test_contradicting_flags_are_usage_errors(home: Path, args: list[str]) -> None:
    assert invoke(*args).exit_code == 2


def test_an_invalid_config_is_not_installed(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "fased.json5"
    config.write_text("{ gateway: { prot: 1 } }", encoding="utf-8")
    result = invoke("--user", "--config", str(config))
    assert result.exit_code == 2
    assert "config: gateway.prot: unknown key" in result.stderr
    assert not (home / ".config" / "systemd").exists()
