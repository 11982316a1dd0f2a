"""`scripts/bench --quick` runs end to end, so the harness cannot rot. No timing is checked:
only that every scenario ran, answered, and failed nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
BENCH = SCRIPTS / "bench"
SCENARIOS = {
    "chat",
    "chat-stream",
    "persona",
    "persona-stream",
    "chat→responses",
    "chat→responses-stream",
    "messages→chat",
    "messages→chat-stream",
}
PAIRED = {  # scenario → the baseline measured beside it on Fased, in the same rounds
    "persona": "chat",
    "persona-stream": "chat-stream",
    "chat→responses": "chat",
    "chat→responses-stream": "chat-stream",
    "messages→chat": "chat",
    "messages→chat-stream": "chat-stream",
}


def bench(tmp_path: Path, *args: str) -> dict[str, Any]:
    results = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASED_")}
    env["PYTHON"] = sys.executable
    done = subprocess.run(
        [str(BENCH), "--quick", "--json", str(results), "--logs", str(tmp_path / "logs"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(results.read_text())
    return document


def test_quick_bench_runs_every_scenario(tmp_path: Path) -> None:
    document = bench(tmp_path, "--driver", "builtin")
    rows = document["rows"]
    assert {row["scenario"] for row in rows} == SCENARIOS
    assert {row["target"] for row in rows} == {"direct", "forwarder", "fased", "fased-2w"}
    for row in rows:
        assert row["requests"] > 0 and row["errors"] == 0, row
        assert row["rss_mb"] > 0 and row["p50_ms"] is not None
    streamed = [row for row in rows if row["scenario"].endswith("-stream")]
    assert all(row["ttfb_p50_ms"] is not None for row in streamed)
    assert {line["check"] for line in document["budget"]}
    assert document["machine"]["nproc"] >= 1
    for row in rows:  # each persona and conversion row has its baseline, from the same rounds
        if row["paired"]:
            assert row["target"] == "fased" and row["scenario"] == PAIRED[row["paired"]], row
    assert {row["paired"] for row in rows} == {"", *PAIRED}
    budget = {line["check"]: line["value"] for line in document["budget"]}
    assert budget["persona c=4: throughput cost vs bare chat"] is not None
    assert budget["persona-stream c=4: CPU per request vs bare chat-stream"] is not None


def test_markdown_names_the_paired_rows(tmp_path: Path) -> None:
    row = {"scenario": "chat", "target": "fased", "concurrency": 4, "paired": "persona"}
    results = tmp_path / "bench.json"
    results.write_text(json.dumps({"rows": [row], "budget": []}))
    markdown = subprocess.run(
        [sys.executable, "-m", "fased_bench.markdown", str(results)],
        env={**os.environ, "PYTHONPATH": str(SCRIPTS)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "| persona (bare) | fased | 4 |" in markdown


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_quick_bench_with_wrk(tmp_path: Path) -> None:
    document = bench(tmp_path, "--driver", "wrk", "--workers", "1", "--only", "chat-stream")
    rows = document["rows"]
    assert {row["target"] for row in rows} == {"direct", "forwarder", "fased"}
    for row in rows:
        assert row["driver"] == "wrk" and row["requests"] > 0 and row["errors"] == 0, row
