"""How the faces verbs print faces, documents and compile statuses: rich tables on stdout, every
cell plain text (a value is never read as markup)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from fased.cli.channel import Payload

COMPONENTS = (("alpha", "α"), ("beta", "β"), ("delta", "δ"), ("epsilon", "ε"))

out = Console(highlight=False, soft_wrap=False)


def when(seconds: float | None) -> str:
    if not seconds:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def counts(values: Payload | None) -> str:
    """`α 4 β 2 δ 1 ε 3`, or `—` when there is nothing compiled."""
    if not values:
        return "—"
    return " ".join(f"{sigil} {values.get(name, 0)}" for name, sigil in COMPONENTS)


def shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def table(*columns: str, rows: Iterable[Iterable[Any]], title: str | None = None) -> Table:
    first, *rest = columns  # an id or alias: never cut
    made = Table(Column(first, no_wrap=True), *rest, title=title, title_justify="left", box=None)
    for row in rows:
        made.add_row(*(Text(shown(cell)) for cell in row))
    return made


def faces_table(faces: list[Payload]) -> Table:
    return table(
        "alias",
        "name",
        "status",
        "docs",
        "primitives",
        "model",
        rows=(
            (
                f["alias"],
                f["name"],
                f["sync_status"] or ("synthetic" if f.get("formula") else "—"),
                f["documents_count"],
                counts(f["component_counts"]),
                f["default_model"],
            )
            for f in faces
        ),
    )


def face_table(face: Payload) -> Table:
    facts = "; ".join(f"{k}={v['value']}" for k, v in (face.get("basic_facts") or {}).items())
    fields = [
        ("alias", face["alias"]),
        ("id", face["id"]),
        ("name", face["name"]),
        ("default model", face["default_model"]),
        ("formula", face.get("formula")),
        ("facts", facts),
        ("description", face.get("description")),
        ("addendum", face.get("profile_addendum")),
        ("sync status", face["sync_status"]),
        ("primitives", counts(face["component_counts"])),
        ("documents", face["documents_count"]),
        ("created", when(face.get("created_at"))),
        ("updated", when(face.get("updated_at"))),
    ]
    return table("field", "value", rows=fields)


def documents_table(documents: list[Payload]) -> Table:
    """The documents, with an error column when one failed."""
    errors = any(d.get("error") for d in documents)
    columns: tuple[str, ...] = ("document", "file", "type", "status", "chunks", "tokens", "error")
    rows: list[tuple[Any, ...]] = [
        (
            d["id"],
            d.get("label") or d.get("filename"),
            d["type"],
            d["prepare_status"],
            f"{d['chunks_completed']}/{d['chunks_total']}",
            d["compile_tokens"],
            d.get("error"),
        )
        for d in documents
    ]
    if not errors:
        columns, rows = columns[:-1], [row[:-1] for row in rows]
    return table(*columns, title="documents", rows=rows)


def statuses_table(statuses: list[Payload]) -> Table:
    return table(
        "document",
        "status",
        "chunks",
        "primitives",
        "error",
        rows=(
            (
                s["document_id"],
                s["prepare_status"],
                f"{s.get('chunks_completed', 0)}/{s.get('chunks_total', 0)}",
                counts(s.get("current_counts")),
                s.get("error"),
            )
            for s in statuses
        ),
    )
