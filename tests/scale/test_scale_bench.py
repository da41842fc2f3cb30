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


@pytest.mark.slow
def test_the_backtest_of_an_activity_alone_runs_and_reuses_it(tmp_path: Path) -> None:
    """``--backtest-only-sizes`` makes only the activity (no ledger), backtests it on 1 and 2
    workers with the same answer, and with ``--reuse`` takes the activity an earlier run left."""
    bench = runpy.run_path(str(SCRIPT), run_name="punchcard_scale_bench")
    args = ["--sizes", "0", "--backtest-sizes", "0", "--backtest-only-sizes", "400"]
    out = tmp_path / "figures.json"
    assert bench["main"]([*args, "--dir", str(tmp_path / "run"), "--json", str(out)]) == 0
    first = json.loads(out.read_text())
    assert [f["job"] for f in first["figures"]] == ["backtest (2 variants)"]
    (row,) = first["figures"]
    assert row["same_answer"]
    assert 300 < row["packages"] < 500  # the purchases of about 400 made-up packages
    assert not (tmp_path / "run" / "p400" / "ledger").exists()  # the activity alone
    assert "make_seconds_on_2_workers" in first["populations"]["400"]
    again = tmp_path / "again.json"
    assert (
        bench["main"]([*args, "--dir", str(tmp_path / "run"), "--reuse", "--json", str(again)]) == 0
    )
    second = json.loads(again.read_text())
    assert second["populations"]["400"]["reused"] is True
    assert second["figures"][0]["packages"] == row["packages"]
