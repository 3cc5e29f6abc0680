"""The bare-stack floor (bench/floor) runs from the repository alone: run.sh starts its server,
the client follows the streams and answers, and every acknowledged answer is stored. Short runs
(20 streams, 3 changes, answers over half a second), so each costs seconds, not the bench's 15."""
import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FLOOR = Path(__file__).resolve().parents[1] / "bench" / "floor"
KEYS = {"n", "fanout_p50_ms", "fanout_p95_ms", "fanout_max_ms", "all_received_p95_ms", "deliveries_missing",
        "answer_p50_ms", "answer_p95_ms", "acked", "stored", "lost", "client_cpu_s", "client"}
NO_AIOHTTP = importlib.util.find_spec("aiohttp") is None


@pytest.mark.parametrize("client", ["stdlib", pytest.param("aiohttp", marks=pytest.mark.skipif(
    NO_AIOHTTP, reason="aiohttp is the benches' extra dependency, not installed here"))])
def test_a_short_floor_run_stores_every_acknowledged_answer(client):
    run = subprocess.run(
        ["bash", str(FLOOR / "run.sh"), "20", "1", "--changes", "3", "--interval", "0.1", "--spread", "0.5",
         "--settle", "0.3", "--http", client],
        env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(result) == KEYS
    assert result["n"] == 20 and result["client"] == client
    assert result["acked"] == result["stored"] == 20 and result["lost"] == 0
    # At least one change reached all 20 streams, so the fan-out figures measure something.
    assert result["all_received_p95_ms"] is not None and result["fanout_p50_ms"] > 0
    assert 0 < result["answer_p50_ms"] <= result["answer_p95_ms"]


def test_the_floor_imports_nothing_of_tavlan():
    for source in FLOOR.glob("*.py"):
        tree = ast.parse(source.read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m for m in modules if m.split(".")[0] in ("board", "wsgi", "bench")}, source.name
