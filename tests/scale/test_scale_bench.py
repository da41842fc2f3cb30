"""benchmarks/scale_bench.py runs (slow: it starts six Dask clusters) and its checks hold:
1 and 2 workers give the same answers, and a ledger tiled 3 times has 3 times the night of the
original."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale_bench.py"


@pytest.mark.slow
def test_the_benchmark_runs_and_checks_its_answers(tmp_path: Path) -> None:
    bench = runpy.run_path(str(SCRIPT), run_name="punchcard_scale_bench")
    out = tmp_path / "figures.json"
    assert bench["main"](["--quick", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["figures"]
    assert [(f["job"], f["packages"] > 900) for f in figures] == [
        ("sweep", True),
        ("backtest (2 variants)", True),
        ("sweep", True),
    ]
    assert all(f["same_answer"] for f in figures)
    assert figures[2]["tiled"]["night_is_copies_times_the_original"]
    assert figures[2]["night"] == {k: 3 * v for k, v in figures[0]["night"].items()}
    for f in figures:
        assert [r["workers"] for r in f["runs"]] == [1, 2]
        assert all(r["seconds"] > 0 and r["worker_cpu_seconds"] > 0 for r in f["runs"])
