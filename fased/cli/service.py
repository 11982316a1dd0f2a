"""`fased gateway install`: render the systemd unit that ships with the package and install it.

The template is `fased/systemd/fased.service` (package data, so this works from an installed
wheel). Rendering fills in the executable and the stop timeout; a user unit (`--user`) leaves out
what only the system manager can apply. Nothing secret is ever written into the unit: the token
stays in the state directory or the `EnvironmentFile`.
"""

from __future__ import annotations

import errno
import math
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from fased.cli.options import ConfigOption, err
from fased.config import Paths, Settings, load_settings, resolve_paths
from fased.errors import ConfigError

UNIT_NAME = "fased.service"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
SYSTEM_STATE_DIR = Path("/var/lib/fased")
SYSTEM_ENV_FILE = "/etc/fased/fased.env"
STOP_MARGIN_SECONDS = 15  # systemd waits the drain time plus this before SIGKILL
HIDDEN_FROM_SYSTEM_UNIT = ("/home/", "/root/", "/run/user/")  # ProtectHome=yes
# Directives a user manager cannot apply (no user switching, /var/lib, capabilities or mount
# namespaces without privileges), or that name system targets a user manager doesn't have.
SYSTEM_ONLY = frozenset(
    {
        "Wants", "After", "DynamicUser", "User", "Group", "StateDirectory", "StateDirectoryMode",
        "CapabilityBoundingSet", "AmbientCapabilities", "ProtectSystem", "ProtectHome",
        "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
        "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RemoveIPC",
        "ProtectProc", "LimitNOFILE",
    }
)  # fmt: skip


class InstallError(Exception):
    """The unit cannot be rendered or installed; the message says what to do."""


@dataclass(frozen=True, slots=True)
class UnitOptions:
    executable: str
    state_dir: Path
    config_file: Path | None  # only when named explicitly (--config or $FASED_CONFIG_PATH)
    stop_timeout_seconds: int
    user: bool


def template() -> str:
    """The unit template shipped inside the package."""
    return resources.files("fased").joinpath("systemd").joinpath(UNIT_NAME).read_text("utf-8")


def unit_quote(value: str, *, exec_line: bool = False) -> str:
    """`value` as one systemd word: `%` specifiers escaped, quoted when it has spaces."""
    if any(ord(char) < 32 for char in value):
        raise InstallError(f"{value!r} contains a control character; it cannot go into a unit")
    value = value.replace("%", "%%")
    if exec_line:
        value = value.replace("$", "$$")
    if any(char in value for char in ' \t"\\'):
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def env_file(options: UnitOptions) -> str:
    return str(options.state_dir / "fased.env") if options.user else SYSTEM_ENV_FILE


def directive_values(options: UnitOptions) -> dict[str, str | None]:
    """The value of each directive the renderer sets; None removes the directive."""
    environment = [f"FASED_STATE_DIR={options.state_dir}"]
    if options.config_file is not None:
        environment.append(f"FASED_CONFIG_PATH={options.config_file}")
    values: dict[str, str | None] = {
        "ExecStart": f"{unit_quote(options.executable, exec_line=True)} gateway",
        "TimeoutStopSec": str(options.stop_timeout_seconds),
        "Environment": " ".join(unit_quote(item) for item in environment),
        "EnvironmentFile": "-" + unit_quote(env_file(options)),
    }
    if options.user:
        values |= dict.fromkeys(SYSTEM_ONLY)
        values["WantedBy"] = "default.target"
    return values


def header(options: UnitOptions) -> str:
    """The comment at the top of the installed unit: what it runs, where its files are."""
    sudo = "" if options.user else "sudo "
    scope = "--user" if options.user else "--system"
    systemctl = "systemctl --user" if options.user else "sudo systemctl"
    state = options.state_dir
    check = f"{sudo}env FASED_STATE_DIR={shlex.quote(str(state))} {shlex.quote(options.executable)}"
    check += " config check"
    if options.config_file is not None:
        check += f" --config {shlex.quote(str(options.config_file))}"
    lines = [
        f"Fased gateway, installed by `fased gateway install {scope}` from the package's template.",
        "Re-running that command rewrites this file: put local changes in a drop-in",
        f"(`{systemctl} edit fased`). No secret is ever written here.",
        f"State: {state} (database, blobs, generated token gateway.token).",
        f"Config file: {options.config_file or state / 'fased.json5'} (optional).",
        f"Secrets (FASED_GATEWAY_TOKEN, OPENAI_API_KEY, ...): {env_file(options)}, mode 0600.",
        f"Check the config:  {check}",
        f"Reload the config: {systemctl} reload fased",
        f"Print the token:   {sudo}cat {shlex.quote(str(state / 'gateway.token'))}",
    ]
    return "\n".join(f"# {line}" for line in lines)


def _is_directive(line: str) -> bool:
    return "=" in line and not line.startswith(("#", ";", "["))


def _render_line(line: str, values: Mapping[str, str | None]) -> str | None:
    key = line.partition("=")[0]
    if not _is_directive(line) or key not in values:
        return line
    value = values[key]
    return None if value is None else f"{key}={value}"


def render_unit(text: str, options: UnitOptions) -> str:
    """The installed unit: a new header, then the template's paragraphs with the directives of
    `directive_values` set; a paragraph whose directives were all removed goes too."""
    values = directive_values(options)
    paragraphs = [header(options)]
    body = text.strip().split("\n\n")
    if all(line.startswith("#") for line in body[0].splitlines()):
        body = body[1:]  # the template's own header, replaced by `header(options)`
    for paragraph in body:
        lines = paragraph.splitlines()
        kept = [line for line in (_render_line(line, values) for line in lines) if line is not None]
        emptied = any(map(_is_directive, lines)) and not any(map(_is_directive, kept))
        if not emptied or any(line.startswith("[") for line in kept):
            paragraphs.append("\n".join(kept))
    return "\n\n".join(paragraphs) + "\n"


def find_executable() -> str:
    """The absolute path of the `fased` console script that is running (or on PATH)."""
    argv0 = Path(sys.argv[0])
    candidates = [argv0] if argv0.name == "fased" else []
    found = shutil.which("fased")
    candidates += [Path(found)] if found else []
    candidates.append(Path(sys.executable).parent / "fased")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise InstallError(
        "cannot find the `fased` executable (looked at the running command, PATH and "
        f"{Path(sys.executable).parent}); install the package with `pip install .` first"
    )


def unit_path(user: bool, env: Mapping[str, str]) -> Path:
    if not user:
        return SYSTEM_UNIT_DIR / UNIT_NAME
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "systemd" / "user" / UNIT_NAME


def service_paths(config: Path | None, user: bool, env: Mapping[str, str]) -> Paths:
    """The state dir and config file the service will use (the system one is fixed)."""
    if not user:
        env = {**env, "FASED_STATE_DIR": str(SYSTEM_STATE_DIR)}
    paths = resolve_paths(config, dict(env))
    return Paths(
        state_dir=paths.state_dir.absolute(),
        config_file=paths.config_file.absolute(),
        explicit=paths.explicit,
    )


def load_for_service(paths: Paths) -> Settings:
    """The settings the service would load (for the stop timeout); exit 2 when invalid."""
    try:
        return load_settings(paths)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"config: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def unit_options(settings: Settings, paths: Paths, executable: str, user: bool) -> UnitOptions:
    drain = settings.gateway.shutdown_timeout_seconds
    return UnitOptions(
        executable=executable,
        state_dir=paths.state_dir,
        config_file=paths.config_file if paths.explicit else None,
        # the channel drains first, then HTTP: each may take the whole drain time
        stop_timeout_seconds=2 * math.ceil(drain) + STOP_MARGIN_SECONDS,
        user=user,
    )


def interpreter(script: str) -> str | None:
    """The interpreter named by the script's `#!` line (a console script's Python), if any."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    return words[0] if words else None


def hidden_paths(options: UnitOptions) -> list[str]:
    """Files a system unit needs that ProtectHome=yes hides from it: the executable, its Python
    (a virtualenv's python is often a link into a home directory, e.g. pyenv's) and the config."""
    needed = [options.executable, interpreter(options.executable), options.config_file]
    found = {os.path.realpath(path) for path in needed if path} | {str(p) for p in needed if p}
    return sorted(path for path in found if path.startswith(HIDDEN_FROM_SYSTEM_UNIT))


def write_unit(path: Path, text: str) -> bool:
    """Write `text` to `path` atomically (mode 0644); False when it was already there."""
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.tmp")
        try:
            staging.write_text(text, encoding="utf-8")
            staging.chmod(0o644)
            staging.replace(path)
        finally:
            staging.unlink(missing_ok=True)
    except OSError as exc:
        denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        hint = "run it with sudo, or use --user" if denied else "check the path"
        raise InstallError(f"cannot write {path} ({exc.strerror}); {hint}") from None
    return True


def systemctl_commands(user: bool) -> list[list[str]]:
    scope = ["--user"] if user else []
    return [
        ["systemctl", *scope, "daemon-reload"],
        ["systemctl", *scope, "enable", "--now", "fased"],
    ]


def run_commands(commands: list[list[str]]) -> None:
    """Run each command without a shell, stopping at the first failure."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        raise InstallError("systemctl is not on PATH; is this a systemd machine?")
    for command in commands:
        typer.echo(f"+ {' '.join(command)}")
        completed = subprocess.run([systemctl, *command[1:]], check=False)  # noqa: S603 (no shell, fixed argv)
        if completed.returncode != 0:
            raise InstallError(f"`{' '.join(command)}` failed (exit {completed.returncode})")


def choose_scope(user: bool, system: bool) -> bool:
    """True for a user unit: --user, --system, else system when root."""
    if user and system:
        raise typer.BadParameter("use --user or --system, not both")
    if user or system:
        return user
    return os.geteuid() != 0


def install(
    user: Annotated[bool, typer.Option("--user", help="A user unit (state in ~/.fased).")] = False,
    system: Annotated[
        bool, typer.Option("--system", help="A system unit (state in /var/lib/fased).")
    ] = False,
    now: Annotated[bool, typer.Option("--now", help="Also reload systemd and start it.")] = False,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--print", help="Write the unit to stdout instead of installing it.")
    ] = False,
) -> None:
    """Install the gateway as a systemd service (default: --system as root, else --user)."""
    as_user = choose_scope(user, system)
    if dry_run and now:
        raise typer.BadParameter("--print only shows the unit; leave out --now")
    paths = service_paths(config, as_user, os.environ)
    settings = load_for_service(paths)
    try:
        options = unit_options(settings, paths, find_executable(), as_user)
        text = render_unit(template(), options)
        if dry_run:
            typer.echo(text, nl=False)
            return
        _install(text, options, now)
    except InstallError as exc:
        err.print(f"fased: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _install(text: str, options: UnitOptions, now: bool) -> None:
    if not options.user:
        for hidden in hidden_paths(options):
            err.print(
                f"warning: the service needs {hidden}, but ProtectHome=yes hides home "
                "directories from it: install fased (and its Python) outside /home and /root, "
                "e.g. a virtualenv in /opt/fased, or use --user",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    path = unit_path(options.user, os.environ)
    changed = write_unit(path, text)
    typer.echo(f"{'wrote' if changed else 'unchanged'}: {path}")
    typer.echo(f"state dir: {options.state_dir}")
    commands = systemctl_commands(options.user)
    if now:
        run_commands(commands)
        return
    typer.echo("enable and start it with:")
    typer.echo("  " + " && ".join(" ".join(command) for command in commands))
    if options.user:
        typer.echo(f"to keep it running after you log out: loginctl enable-linger {_login()}")


def _login() -> str:
    return os.environ.get("USER") or os.environ.get("LOGNAME") or "$USER"
