"""The ``punchcard sweep`` and ``punchcard backtest`` commands (added to ``punchcard.cli``).

Both run partition by partition: in local worker processes by default (a Dask
``LocalCluster``), on a Dask scheduler with ``--scheduler tcp://HOST:PORT``, or in this process
with ``--workers 0``. They show partitions done on standard error when it is a terminal (not
with ``--quiet``), print a JSON summary on standard output, and exit 0; bad input exits 2 with
one line ``punchcard: error: <where>: <what is wrong>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["SCALE_COMMANDS", "add_scale_commands", "run_scale_command"]

SCALE_COMMANDS = ("sweep", "backtest")


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 date-time (2026-06-01T06:00), got {text!r}"
        ) from None


def _cluster_options(cmd: argparse.ArgumentParser) -> None:
    where = cmd.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local worker processes (default: one per CPU); 0: run in this process, without Dask",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask scheduler (tcp://host:8786)"
    )
    cmd.add_argument("--quiet", action="store_true", help="show no progress")


def add_scale_commands(commands: Any) -> None:
    """Add ``sweep`` and ``backtest`` to the sub-commands of the ``punchcard`` parser."""
    sweep = commands.add_parser(
        "sweep",
        help="run the nightly job (renewals, uses, expiries, notices, balances) over a ledger",
        description="Run tonight's job over a whole ledger, partitioned by owner.",
    )
    sweep.add_argument(
        "ledger",
        metavar="LEDGER",
        help="a Parquet ledger directory, sqlite:PATH or postgresql://... (an events table)",
    )
    sweep.add_argument(
        "--as-of",
        required=True,
        type=_moment,
        metavar="TIME",
        help="the time of the run, ISO 8601 (without an offset: local time of each package)",
    )
    sweep.add_argument("--out", required=True, metavar="DIR", help="where to write the rows")
    sweep.add_argument(
        "--append",
        action="store_true",
        help="then append the night's events and notices to the (Parquet) ledger",
    )
    sweep.add_argument(
        "--variant", default="default", metavar="SPEC", help="NAME[:choice=value,...]"
    )
    sweep.add_argument(
        "--table", default="punchcard_events", help="the events table of a database ledger"
    )
    sweep.add_argument("--sent-table", help="a table (owner, key) of the notices already sent")
    sweep.add_argument(
        "--partitions", type=int, default=16, metavar="N", help="partitions of a database ledger"
    )
    _cluster_options(sweep)
    back = commands.add_parser(
        "backtest",
        help="replay recorded activity under two or more policies and compare them",
        description="Replay a period of recorded activity under each variant and measure it.",
    )
    back.add_argument("activity", metavar="ACTIVITY", help="an activity directory")
    back.add_argument(
        "--variant",
        action="append",
        metavar="SPEC",
        help="NAME[:choice=value,...], repeated (default: fifo and earliest_expiry)",
    )
    back.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    back.add_argument("--html", metavar="FILE", help="write the report as an HTML page")
    _cluster_options(back)


def _ledger(args: argparse.Namespace) -> Any:
    from .ledger import ParquetLedger, SqlLedger

    name: str = args.ledger
    connect: Callable[[], Any]
    if name.startswith("sqlite:"):
        import sqlite3

        connect = functools.partial(sqlite3.connect, name.removeprefix("sqlite:"))
        return SqlLedger(connect, args.table, args.sent_table, args.partitions, "qmark")
    if name.startswith(("postgresql://", "postgres://")):
        import psycopg

        connect = functools.partial(psycopg.connect, name)
        return SqlLedger(connect, args.table, args.sent_table, args.partitions, "format")
    return ParquetLedger(name)


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _sweep(args: argparse.Namespace) -> int:
    from .ledger import ParquetLedger
    from .sweep import append_sweep, sweep
    from .variant import Variant

    ledger = _ledger(args)
    if args.append and not isinstance(ledger, ParquetLedger):
        raise _usage("--append", "appends to a Parquet ledger only")
    result = sweep(
        ledger,
        as_of=args.as_of,
        out=args.out,
        variant=Variant.parse(args.variant),
        workers=args.workers,
        scheduler=args.scheduler,
        processes=args.workers != 0,
        progress=not args.quiet,
    )
    summary = result.to_json()
    if args.append:
        summary["appended_files"] = append_sweep(args.out, ledger)
    _print(summary)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from .backtest import backtest
    from .report import write_report
    from .variant import DEFAULT_VARIANTS, Variant

    variants = [Variant.parse(v) for v in args.variant] if args.variant else DEFAULT_VARIANTS
    result = backtest(
        args.activity,
        variants,
        workers=args.workers,
        scheduler=args.scheduler,
        processes=args.workers != 0,
        progress=not args.quiet,
    )
    write_report(result, json_path=args.json, html_path=args.html)
    report = result.to_json()
    if args.json is None and args.html is None:
        _print(report)
    else:
        _print({k: report[k] for k in ("variants", "owners", "records", "partitions", "totals")})
    return 0


class _UsageError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _usage(path: str, message: str) -> _UsageError:
    return _UsageError(path, message)


def run_scale_command(args: argparse.Namespace) -> int:
    """Run ``sweep`` or ``backtest``; return the exit code (0 done, 2 bad input)."""
    from ..errors import PunchcardError

    if args.workers is not None and args.workers < 0:
        return _fail("--workers", f"must be 0 or more, got {args.workers}")
    try:
        return _sweep(args) if args.command == "sweep" else _backtest(args)
    except (PunchcardError, _UsageError) as err:
        path = getattr(err, "path", None) or getattr(err, "field", None) or args.command
        message = getattr(err, "message", str(err))
        return _fail(path, message)
    except OSError as err:  # a file that cannot be read or written, a scheduler out of reach
        return _fail(err.filename or args.scheduler or args.command, err.strerror or str(err))


def _fail(path: str, message: str) -> int:
    print(f"punchcard: error: {path}: {message}", file=sys.stderr)
    return 2
