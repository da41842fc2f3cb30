"""Scale-out jobs: the nightly sweep over a whole ledger and policy backtests, partitioned by
owner, in one process or on ``dask.distributed``. See ``docs/scale-out.md``.

Needs the ``dask`` extra (``pip install 'punchcard[dask]'``: Dask and PyArrow) to run; importing
this package does not import either.
"""

from __future__ import annotations

from ._run import Cluster
from .activity import ActivityInfo, Record, TypeSpec, read_info, read_part, write_activity
from .backtest import MEASURES, BacktestResult, Measure, backtest
from .errors import DataError
from .generate import GeneratedLedger, activity_info, generate_activity, generate_ledger
from .ledger import (
    LedgerSource,
    ParquetLedger,
    Partition,
    SqlLedger,
    event_rows,
    partition_of,
    write_ledger,
)
from .progress import Progress
from .records import BalanceEntry, EventRow, NoticeRow
from .report import render_html, write_report
from .sweep import SweepResult, SweepRows, append_sweep, read_sweep, sweep
from .variant import DEFAULT_VARIANTS, Variant

__all__ = [
    "DEFAULT_VARIANTS",
    "MEASURES",
    "ActivityInfo",
    "BacktestResult",
    "BalanceEntry",
    "Cluster",
    "DataError",
    "EventRow",
    "GeneratedLedger",
    "LedgerSource",
    "Measure",
    "NoticeRow",
    "ParquetLedger",
    "Partition",
    "Progress",
    "Record",
    "SqlLedger",
    "SweepResult",
    "SweepRows",
    "TypeSpec",
    "Variant",
    "activity_info",
    "append_sweep",
    "backtest",
    "event_rows",
    "generate_activity",
    "generate_ledger",
    "partition_of",
    "read_info",
    "read_part",
    "read_sweep",
    "render_html",
    "sweep",
    "write_activity",
    "write_ledger",
    "write_report",
]
