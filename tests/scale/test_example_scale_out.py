"""examples/scale_out.py runs end to end on a small population: it makes up the activity and
the ledger, runs tonight's job, appends it once (the second append adds nothing), replays the
year under three variants and writes the JSON and HTML report; on Dask it finds the same
answer as in one process. Both are slow tests (the fast suite runs the pieces)."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "scale_out.py"


example = runpy.run_path(str(SCRIPT), run_name="punchcard_example_scale_out")


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: int) -> str:
    code = example["main"](
        ["--owners", "12", "--parts", "3", "--workers", str(workers), "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    return out


@pytest.mark.slow  # (a year of 12 owners, three backtests: a second of CPU)
def test_the_example_runs_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run(tmp_path, capsys, 0)
    made = re.search(r"  12 owners, (\d+) packages, (\d+) events", out)
    assert made is not None
    assert int(made[2]) > 5 * int(made[1]) > 0
    assert "appended the night to the ledger: 6 files; appended again: 0 files" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert [v["name"] for v in report["variants"]] == ["fifo", "earliest_expiry", "expiry_anywhere"]
    for v in report["variants"]:  # the printed table is the report's
        totals = report["totals"][v["name"]]
        assert re.search(rf"^{v['name']} +{totals['covered']} +{totals['due']} ", out, re.M)
    assert (tmp_path / "report.html").read_text().count('<svg class="chart"') == 6


@pytest.mark.slow
def test_the_example_on_dask_finds_the_single_process_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run(tmp_path, capsys, 2)
    assert "tonight's job on 2 Dask workers" in out
    assert "the same answer as in one process: yes" in out
