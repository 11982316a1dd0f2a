"""Options shared by several verbs, and loading settings the way the daemon does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fased.config import Paths, Settings, load_settings, resolve_paths
from fased.errors import ConfigError

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Config file (default: $FASED_CONFIG_PATH or ~/.fased/fased.json5)."
    ),
]

err = Console(stderr=True, soft_wrap=True, highlight=False)


def load_or_exit(
    config: Path | None, overrides: dict[str, Any] | None = None
) -> tuple[Settings, Paths]:
    paths = resolve_paths(config)
    try:
        return load_settings(paths, overrides), paths
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]config:[/red] {problem}", highlight=False, markup=True)
        raise typer.Exit(2) from None
