"""The jobs on dask.distributed give the single-process answers (slow: they start clusters).

- the sweep on a new LocalCluster of 2 workers (the default way) and on a running cluster
  given by its scheduler address: the same rows, files and digest as in one process, and as one
  night over the whole ledger;
- a partition whose task fails once is retried by Dask and adds nothing: the output is a clean
  run's, byte for byte;
- the backtest and the generators on Dask: the same answers and files as in one process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scale_kit import AS_OF, population, reference_sweep
from test_scale_sweep import BreaksOnce

from punchcard.scale import (
    ParquetLedger,
    backtest,
    generate_activity,
    generate_ledger,
    read_sweep,
    sweep,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as running:
        yield running


def _parts(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "parts").iterdir())}


def test_the_sweep_on_two_local_workers_is_the_single_process_run(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path, owners=150, parts=6)
    alone = sweep(ledger, as_of=AS_OF, out=tmp_path / "alone", processes=False)
    spread = sweep(ledger, as_of=AS_OF, out=tmp_path / "dask", workers=2)
    assert spread == alone
    assert _parts(tmp_path / "dask") == _parts(tmp_path / "alone")
    assert read_sweep(tmp_path / "dask") == reference_sweep(ParquetLedger(ledger))
    assert alone.events > 0
    assert alone.notices > 0


def test_the_sweep_on_a_scheduler_address(tmp_path: Path, cluster: Any) -> None:
    _activity, ledger = population(tmp_path)
    there = sweep(ledger, as_of=AS_OF, scheduler=cluster.scheduler_address)
    here = sweep(ledger, as_of=AS_OF, processes=False)
    assert there == here
    assert there.rows == here.rows


def test_a_task_that_fails_once_is_retried_and_adds_nothing(tmp_path: Path, cluster: Any) -> None:
    _activity, ledger = population(tmp_path)
    clean = sweep(ledger, as_of=AS_OF, out=tmp_path / "clean", processes=False)
    flag = tmp_path / "failed-once"
    broken = BreaksOnce(ParquetLedger(ledger), "00001", str(flag))
    retried = sweep(broken, as_of=AS_OF, out=tmp_path / "out", scheduler=cluster.scheduler_address)
    assert flag.exists()  # the first attempt did fail
    assert retried == clean
    assert _parts(tmp_path / "out") == _parts(tmp_path / "clean")


def test_the_backtest_and_the_generators_on_dask(tmp_path: Path, cluster: Any) -> None:
    address = cluster.scheduler_address
    generate_activity(tmp_path / "a1", owners=60, parts=3, months=3, processes=False)
    generate_activity(tmp_path / "a2", owners=60, parts=3, months=3, scheduler=address)
    files = sorted(p.name for p in (tmp_path / "a1").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "a2").iterdir())
    assert all(
        (tmp_path / "a1" / f).read_bytes() == (tmp_path / "a2" / f).read_bytes() for f in files
    )
    here = generate_ledger(tmp_path / "a1", tmp_path / "l1", processes=False)
    there = generate_ledger(tmp_path / "a1", tmp_path / "l2", scheduler=address)
    assert (here.owners, here.packages, here.events) == (there.owners, there.packages, there.events)
    assert _bucket_files(tmp_path / "l1") == _bucket_files(tmp_path / "l2")
    assert (
        backtest(tmp_path / "a1", scheduler=address).to_json()
        == backtest(tmp_path / "a1", processes=False).to_json()
    )


def _bucket_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_a_scheduler_out_of_reach_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from punchcard.cli import main

    _activity, ledger = population(tmp_path)
    args = ["sweep", str(ledger), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "o")]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("punchcard: error: tcp://127.0.0.1:9: Timed out trying to connect to")
    assert err.count("\n") == 1
