"""The table and the budget (issue 6): each budget line computed from the rows of one run."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from fased_bench.runner import Row
from fased_bench.scenarios import scenarios

RSS_LIMIT_MB = 150
SCALED = re.compile(r"fased-\d+w")
FLAT_MB = 5.0  # RSS growth over the repeated runs still called flat
PERSONA = ("persona", "persona-stream")  # budgeted: < 10% over the bare model


def _find(
    rows: Iterable[Row], scenario: str, target: str, concurrency: int, paired: str = ""
) -> Row | None:
    """The row of `scenario` on `target`; with `paired`, the one measured as the baseline of
    that other scenario, in its rounds."""
    wanted = (scenario, target, concurrency, paired)
    for row in rows:
        if (row.scenario, row.target, row.concurrency, row.paired) == wanted:
            return row
    return None


def _ratio(a: Row | None, b: Row | None) -> float | None:
    if a is None or b is None or not b.rps:
        return None
    return round(a.rps / b.rps, 3)


def _line(name: str, value: float | None, limit: str, ok: bool | None) -> dict[str, Any]:
    return {"check": name, "value": value, "limit": limit, "met": ok}


def _throughput(rows: list[Row], top: list[int]) -> list[dict[str, Any]]:
    lines = []
    for scenario in ("chat", "chat-stream"):
        for c in top:
            fased = _find(rows, scenario, "fased", c)
            ratio = _ratio(fased, _find(rows, scenario, "forwarder", c))
            ok = None if ratio is None else ratio >= 0.5
            lines.append(_line(f"{scenario} c={c}: fased / forwarder", ratio, ">= 0.5", ok))
            ratio = _ratio(fased, _find(rows, scenario, "litellm", c))
            ok = None if ratio is None else ratio >= 25
            lines.append(_line(f"{scenario} c={c}: fased / litellm", ratio, ">= 25", ok))
            scaled = next((r for r in rows if SCALED.fullmatch(r.target)), None)
            if scaled is not None:
                ratio = _ratio(_find(rows, scenario, scaled.target, c), fased)
                lines.append(_line(f"{scenario} c={c}: {scaled.target} / fased", ratio, "-", None))
    return lines


def _latency(rows: list[Row]) -> list[dict[str, Any]]:
    lines = []
    for scenario in ("chat", "chat-stream"):
        fased, direct = _find(rows, scenario, "fased", 1), _find(rows, scenario, "direct", 1)
        added = None
        if fased and direct and fased.p50_ms is not None and direct.p50_ms is not None:
            added = round(fased.p50_ms - direct.p50_ms, 3)
        ok = None if added is None else added < 0.5
        lines.append(_line(f"{scenario} c=1: added p50 ms (fased - direct)", added, "< 0.5", ok))
    return lines


def _paired(rows: list[Row], top: list[int]) -> list[dict[str, Any]]:
    """Each scenario against its baseline measured on Fased in the same rounds: lost
    throughput, and (steadier on a shared machine) the extra CPU spent per request. Budget
    lines for the persona; for the conversions, the same figures without a limit (and only
    when they were measured)."""
    lines = []
    for scenario in scenarios():
        name, bare = scenario.name, scenario.baseline
        if bare == name:
            continue
        limit = "< 0.10" if name in PERSONA else "-"
        for c in top:
            measured = _find(rows, name, "fased", c)
            if measured is None and limit == "-":
                continue
            plain = _find(rows, bare, "fased", c, paired=name)
            ratio = _paired_ratio(measured, plain)
            cost = None if ratio is None else round(1 - ratio, 3)
            extra = _cpu_extra(measured, plain)
            for what, value in (("throughput cost", cost), ("CPU per request", extra)):
                ok = None if value is None or limit == "-" else value < 0.10
                lines.append(_line(f"{name} c={c}: {what} vs bare {bare}", value, limit, ok))
    return lines


def _paired_ratio(a: Row | None, b: Row | None) -> float | None:
    """The median over the rounds of a's requests/s over b's in the same round: the two ran
    back to back, so whatever else loaded the machine weighed on both (the best rounds of
    each, taken apart, may come from different moments)."""
    if a is None or b is None:
        return None
    pairs = [x / y for x, y in zip(a.round_rps, b.round_rps, strict=False) if y]
    return round(statistics.median(pairs), 3) if pairs else _ratio(a, b)


def _cpu_extra(a: Row | None, b: Row | None) -> float | None:
    if a is None or b is None or not a.cpu_us_per_req or not b.cpu_us_per_req:
        return None
    return round(a.cpu_us_per_req / b.cpu_us_per_req - 1, 3)


def budget(rows: list[Row], memory: list[float]) -> list[dict[str, Any]]:
    concurrencies = sorted({row.concurrency for row in rows})
    top = [c for c in concurrencies if c > 1] or concurrencies
    lines = _throughput(rows, top) + _latency(rows) + _paired(rows, top)
    fased = [row.rss_mb for row in rows if row.target == "fased"]
    rss = max([*fased, *memory]) if fased or memory else None
    lines.append(_line("fased RSS MB after the runs", rss, f"< {RSS_LIMIT_MB}", _under(rss)))
    growth = round(memory[-1] - memory[0], 1) if len(memory) > 1 else None
    flat = None if growth is None else growth <= FLAT_MB
    lines.append(_line("fased RSS growth over repeated runs MB", growth, f"<= {FLAT_MB}", flat))
    return lines


def _under(rss: float | None) -> bool | None:
    return None if rss is None else rss < RSS_LIMIT_MB


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[Row], lines: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Fased benchmark (latencies in ms)", show_lines=False)
    for header in ("scenario", "target", "c", "req/s", "p50", "p90", "p99", "ttfb p50"):
        table.add_column(header, justify="left" if header in ("scenario", "target") else "right")
    for header in ("CPU %", "CPU µs/req", "RSS MB", "errors"):
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(
            row.label,
            row.target,
            str(row.concurrency),
            f"{row.rps:.0f}",
            _cell(row.p50_ms),
            _cell(row.p90_ms),
            _cell(row.p99_ms),
            _cell(row.ttfb_p50_ms),
            f"{row.cpu_pct:.0f}",
            "-" if row.cpu_us_per_req is None else f"{row.cpu_us_per_req:.0f}",
            f"{row.rss_mb:.0f}",
            str(row.errors),
        )
    console.print(table)
    checks = Table(title="Budget (issue 6)")
    for header in ("check", "value", "limit", "met"):
        checks.add_column(header)
    for line in lines:
        met = {True: "yes", False: "NO", None: "-"}[line["met"]]
        checks.add_row(line["check"], str(line["value"]), line["limit"], met)
    console.print(checks)
