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
BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench"
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


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_quick_bench_with_wrk(tmp_path: Path) -> None:
    document = bench(tmp_path, "--driver", "wrk", "--workers", "1", "--only", "chat-stream")
    rows = document["rows"]
    assert {row["target"] for row in rows} == {"direct", "forwarder", "fased"}
    for row in rows:
        assert row["driver"] == "wrk" and row["requests"] > 0 and row["errors"] == 0, row
