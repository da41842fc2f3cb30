"""Scale out: a made-up population, tonight's job over its whole ledger, and a policy backtest
with its report, in one process or on Dask.

1. Make up a year of a three-location pet daycare: its recorded activity (packages sold,
   checkouts, bookings, cancellations) and the ledger its desk would have recorded, both split
   by owner into parts.
2. Run tonight's job (renewals, held credits whose time passed, expiries, notices, balances)
   over the ledger, partition by partition: in this process, and on a Dask ``LocalCluster``
   when ``--workers`` is 1 or more; the two answers are compared. Then append the night to the
   ledger (twice: the second time adds nothing).
3. Replay the year under three variants (first in first out, earliest expiry first, and
   earliest expiry with credits usable at any location) and write the report: JSON and an HTML
   page that opens in any browser, with no server and no network.

Run it with ``python examples/scale_out.py [--owners 2000] [--workers 2] [--out DIR]``.
See ``docs/scale-out.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from punchcard.scale import (
    ParquetLedger,
    Variant,
    append_sweep,
    backtest,
    generate_activity,
    generate_ledger,
    sweep,
    write_report,
)

T = TypeVar("T")

VARIANTS = (
    Variant("fifo"),
    Variant.of("earliest_expiry", package_order="earliest_expiry"),
    Variant.of("expiry_anywhere", package_order="earliest_expiry", any_location=True),
)


def timed(label: str, job: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = job()
    print(f"{label} [{time.perf_counter() - began:.1f} s]")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=2_000, help="owners (default 2000)")
    parser.add_argument(
        "--workers", type=int, default=2, help="Dask local workers (default 2; 0: no Dask)"
    )
    parser.add_argument("--parts", type=int, default=8, help="partitions (default 8)")
    parser.add_argument("--out", help="where to write everything (default: a new temp dir)")
    args = parser.parse_args(argv)
    if args.owners < 1 or args.workers < 0 or args.parts < 1:
        parser.error("--owners and --parts must be at least 1, --workers at least 0")
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="punchcard-scale-"))
    print(f"{args.owners} owners, {args.parts} parts, in {root}")
    if not args.workers:
        return run(root, args.owners, args.parts, workers=0, scheduler=None)
    from distributed import LocalCluster

    # One cluster for every step (each step could also start its own: workers=N).
    with LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        return run(
            root, args.owners, args.parts, workers=args.workers, scheduler=cluster.scheduler_address
        )


def run(root: Path, owners: int, parts: int, *, workers: int, scheduler: str | None) -> int:
    """Every step, in this process (*scheduler* ``None``) or on the Dask cluster at *scheduler*."""
    where = {"scheduler": scheduler, "processes": scheduler is not None}

    activity, ledger = root / "activity", root / "ledger"
    timed(
        "made up a year of activity",
        lambda: generate_activity(activity, owners=owners, parts=parts, **where),
    )
    made = timed("recorded it in a ledger", lambda: generate_ledger(activity, ledger, **where))
    print(f"  {made.owners} owners, {made.packages} packages, {made.events} events")

    as_of = dt.datetime(2027, 1, 2, 6, 0)  # local time of each package
    alone = timed(
        "tonight's job in this process",
        lambda: sweep(ledger, as_of=as_of, out=root / "night-alone", processes=False),
    )
    print(
        f"  {alone.events} events to append, {alone.notices} notices to send, "
        f"{alone.balances} balance rows (digest {alone.digest[:16]})"
    )
    same = True
    if scheduler is not None:
        spread = timed(
            f"tonight's job on {workers} Dask workers",
            lambda: sweep(ledger, as_of=as_of, out=root / "night", scheduler=scheduler),
        )
        same = spread == alone
        print(f"  the same answer as in one process: {'yes' if same else 'NO'}")
    night = root / ("night" if scheduler is not None else "night-alone")
    added = append_sweep(night, ParquetLedger(ledger))
    again = append_sweep(night, ParquetLedger(ledger))
    print(f"appended the night to the ledger: {added} files; appended again: {again} files")

    result = timed(
        "replayed the year under 3 variants", lambda: backtest(activity, VARIANTS, **where)
    )
    write_report(result, json_path=root / "report.json", html_path=root / "report.html")
    print(f"{'variant':<16} {'covered':>12} {'due':>12} {'breakage':>9} {'deferred':>11}")
    for i, v in enumerate(result.variants):
        print(
            f"{v.name:<16} {result.total(i, 'covered'):>12} {result.total(i, 'due'):>12} "
            f"{result.total(i, 'breakage_credits'):>9} {result.total(i, 'deferred_revenue'):>11}"
        )
    print(f"report: {root / 'report.html'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
