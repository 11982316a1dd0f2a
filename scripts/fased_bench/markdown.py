"""The tables of a results file as Markdown, for docs/performance.md:

PYTHONPATH=scripts python -m fased_bench.markdown /tmp/fased-bench.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from fased_bench.report import budget
from fased_bench.runner import Row, label

COLUMNS = (
    ("scenario", "scenario"),
    ("target", "target"),
    ("concurrency", "c"),
    ("rps", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p90_ms", "p90 ms"),
    ("p99_ms", "p99 ms"),
    ("ttfb_p50_ms", "TTFB p50 ms"),
    ("cpu_pct", "CPU %"),
    ("cpu_us_per_req", "CPU µs/req"),
    ("rss_mb", "RSS MB"),
    ("errors", "errors"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def tables(document: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |"]
    lines.append("|" + "---|" * len(COLUMNS))
    for row in document["rows"]:
        cells = {**row, "scenario": label(row["scenario"], row.get("paired", ""))}
        lines.append("| " + " | ".join(_cell(cells.get(key)) for key, _ in COLUMNS) + " |")
    lines += ["", "| budget check | value | limit | met |", "|---|---|---|---|"]
    for check in _budget(document):
        met = {True: "yes", False: "**no**", None: "-"}[check["met"]]
        lines.append(f"| {check['check']} | {_cell(check['value'])} | {check['limit']} | {met} |")
    repeats = ", ".join(f"{mb:.1f}" for mb in document.get("memory_repeats_mb", []))
    lines += ["", f"Fased RSS before and after each repeated run (MB): {repeats}"]
    lines += [f"Note: {note}" for note in document.get("notes", [])]
    return "\n".join(lines)


def _budget(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Recomputed from the rows (so an older file gets the current checks), else as stored."""
    try:
        rows = [Row(**row) for row in document["rows"]]
    except TypeError:
        stored: list[dict[str, Any]] = document["budget"]
        return stored
    return budget(rows, document.get("memory_repeats_mb", []))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(tables(json.load(handle)))


if __name__ == "__main__":
    main()
