"""Scale-out figures, measured in one run: the nightly sweep and the policy backtest on made-up
populations, each on a Dask LocalCluster of 1 worker and of 2 workers (one thread each).

For each size (in packages) it makes up the activity of a year and records its ledger
(``punchcard.scale.generate_activity`` / ``generate_ledger``, on 2 workers: set-up, timed but not
a figure), then times ``sweep`` and ``backtest`` (FIFO against earliest expiry) on a fresh
cluster of 1 and of 2 workers, checks that both give the same answer, and records each worker's
peak resident memory. A cluster's start is timed apart from the job.

``--backtest-only-sizes`` makes (or, with ``--reuse``, reuses) only the activity of each size and
backtests it: the backtest reads no ledger, so a population of 1,000,000 packages needs no replay
through the lifecycle to be made (``generate_activity`` on 2 workers; ``ACTIVITY_PARTS`` parts).

``--tile N`` also sweeps a ledger N times the largest one, made by copying it under new owner,
package and booking ids (each copy a valid ledger: ids and event ids remade, each owner in the
bucket of the original): the figures of a population too large to make up here through the
lifecycle's operations (about 6 ms a package on this machine).

    python benchmarks/scale_bench.py --sizes 10000,100000 --backtest-sizes 10000,100000 --tile 10
    python benchmarks/scale_bench.py --sizes 0 --backtest-sizes 0 --backtest-only-sizes 1000000 --dir D
    python benchmarks/scale_bench.py --quick        # 1,000 packages (and 3 copies): it runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from punchcard.scale import (
    EventRow,
    ParquetLedger,
    Partition,
    backtest,
    generate_activity,
    generate_ledger,
    partition_of,
    sweep,
)
from punchcard.scale import _lifecycle as life
from punchcard.scale._run import Cluster, run_tasks

AS_OF = dt.datetime(2027, 1, 2, 6, 0)  # local time of each package
PACKAGES_PER_OWNER = 1.7  # of the made-up population
PARTS = 16
ACTIVITY_PARTS = 64  # of an activity made for the backtest alone (--backtest-only-sizes)


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started, in MB: ``VmHWM`` of
    ``/proc/self/status`` (Linux). Not ``getrusage().ru_maxrss``: Linux carries that over
    ``execve``, so a worker spawned by a large parent reports the parent's size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _cpu_seconds() -> float:
    """CPU time (user + system) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_on(workers: int, job: Callable[[str], Any]) -> dict[str, Any]:
    """Run *job(scheduler address)* on a new LocalCluster of *workers* workers: its wall time,
    the CPU time its workers used (on a shared machine, wall time / CPU time shows how much of
    the machine the job got), their peak memory, and the load average before and after."""
    from distributed import Client, LocalCluster

    began = time.perf_counter()
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        started = time.perf_counter() - began
        load_before = os.getloadavg()[0]
        with Client(cluster) as client:
            cpu_before = sum(client.run(_cpu_seconds).values())
            began = time.perf_counter()
            result = job(cluster.scheduler_address)
            seconds = time.perf_counter() - began
            cpu = sum(client.run(_cpu_seconds).values()) - cpu_before
            peaks = client.run(_peak_rss_mb)
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "worker_cpu_seconds": round(cpu, 2),
        "cluster_start_seconds": round(started, 2),
        "peak_worker_rss_mb": round(max(peaks.values()), 1),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "result": result,
    }


def _reused(activity: Path, ledger: Path) -> dict[str, Any] | None:
    """The counts of a population made by an earlier run, if both its parts are there."""
    if not ((activity / "activity.json").exists() and (ledger / "punchcard-ledger.json").exists()):
        return None
    import pyarrow.parquet as pq

    owners: set[str] = set()
    events = packages = 0
    for path in sorted(ledger.glob("bucket=*/base.events.parquet")):
        table = pq.read_table(path, columns=["owner", "seq"])
        owners.update(table.column("owner").to_pylist())
        seqs = table.column("seq").to_pylist()
        events += len(seqs)
        packages += seqs.count(1)
    return {"owners": len(owners), "packages": packages, "events": events, "reused": True}


def make_population(root: Path, packages: int, seed: int, *, reuse: bool) -> dict[str, Any]:
    owners = max(1, round(packages / PACKAGES_PER_OWNER))
    activity, ledger = root / "activity", root / "ledger"
    found = _reused(activity, ledger) if reuse else None
    if found is not None:
        return {**found, "activity": str(activity), "ledger": str(ledger)}

    def job(address: str) -> Any:
        generate_activity(activity, owners=owners, seed=seed, parts=PARTS, scheduler=address)
        return generate_ledger(activity, ledger, scheduler=address)

    run = timed_on(2, job)
    made = run.pop("result")
    return {
        "owners": made.owners,
        "packages": made.packages,
        "events": made.events,
        "make_seconds_on_2_workers": run["seconds"],
        "activity": str(activity),
        "ledger": str(ledger),
    }


def make_activity(root: Path, packages: int, seed: int, *, reuse: bool) -> dict[str, Any]:
    """The activity alone of a population of about *packages* packages (made, or reused), and
    its count of packages (its purchase records)."""
    activity = root / "activity"
    made: dict[str, Any] = {"activity": str(activity)}
    if reuse and (activity / "activity.json").exists():
        made["reused"] = True
    else:
        owners = max(1, round(packages / PACKAGES_PER_OWNER))
        run = timed_on(
            2,
            lambda address: generate_activity(
                activity, owners=owners, seed=seed, parts=ACTIVITY_PARTS, scheduler=address
            ),
        )
        made["make_seconds_on_2_workers"] = run["seconds"]
    count = 0
    for part in sorted(activity.glob("part-*.jsonl")):
        with part.open(encoding="utf-8") as lines:
            count += sum('"kind": "purchase"' in line for line in lines)
    made["packages"] = count
    return made


def _same_bucket_name(owner: str, copy: int, buckets: int) -> str:
    """A new owner id for copy *copy* of *owner*, in the same bucket as *owner*."""
    want = partition_of(owner, buckets)
    for salt in range(10_000):
        name = f"{owner}~{copy}.{salt}"
        if zlib.crc32(name.encode("utf-8")) % buckets == want:
            return name
    raise RuntimeError(f"no name for {owner!r}")


def _copy_rows(rows: list[EventRow], copy: int, buckets: int) -> Iterator[EventRow]:
    owners: dict[str, str] = {}
    ids: dict[str, str] = {}  # old event id -> new, within the package being copied
    package = None
    for row in rows:
        body = json.loads(row.body)
        if row.package_id != package:
            package, ids = row.package_id, {}
        owner = owners.get(row.owner)
        if owner is None:
            owner = owners[row.owner] = _same_bucket_name(row.owner, copy, buckets)
        new_package = f"{row.package_id}~{copy}"
        new_id = life.event_id(new_package, row.seq)
        ids[body["event_id"]] = new_id
        body.update(package_id=new_package, event_id=new_id)
        if "owner" in body:
            body["owner"] = owner
        if "booking" in body:
            body["booking"] = f"{body['booking']}~{copy}"
        if "redemption_id" in body:
            body["redemption_id"] = ids[body["redemption_id"]]
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        yield EventRow(owner, new_package, row.seq, row.type, text)


def _tile_bucket(task: tuple[str, str, int, int]) -> int:
    """Write bucket *bucket* of the tiled ledger *target*: *copies* copies of that bucket of
    *source* (*task* is ``(source, target, bucket, copies)``)."""
    source, target, bucket, copies = task
    ledger = ParquetLedger(source)
    rows = sorted(ledger.read(Partition(f"{bucket:05d}")), key=lambda r: (r.package_id, r.seq))
    out: list[EventRow] = []
    for copy in range(copies):
        out.extend(_copy_rows(rows, copy, ledger.buckets))
    return ParquetLedger(target).write(bucket, "base", out)


def tile_ledger(source: ParquetLedger, target: Path, copies: int) -> ParquetLedger:
    """A ledger of *copies* copies of *source*, under new ids (see the module's docs), made
    bucket by bucket on a local Dask cluster of one worker per CPU."""
    tiled = ParquetLedger.create(target, buckets=source.buckets)
    tasks = [(source.path, tiled.path, b, copies) for b in range(source.buckets)]
    run_tasks(_tile_bucket, tasks, cluster=Cluster(), label="tile", progress=False)
    return tiled


def bench_sweep(ledger: str, out: Path) -> dict[str, Any]:
    runs = []
    for workers in (1, 2):
        target = out / f"night-{workers}"
        shutil.rmtree(target, ignore_errors=True)
        run = timed_on(
            workers,
            lambda address, target=target: sweep(
                ledger, as_of=AS_OF, out=target, scheduler=address
            ),
        )
        result = run.pop("result")
        run.update(events_read=result.read, events_per_second=round(result.read / run["seconds"]))
        runs.append((run, result))
        shutil.rmtree(target, ignore_errors=True)
    (one, r1), (two, r2) = runs
    return {
        "job": "sweep",
        "owners": r1.owners,
        "packages": r1.packages,
        "events": r1.read,
        "night": {"events": r1.events, "notices": r1.notices, "balance_rows": r1.balances},
        "same_answer": r1 == r2,
        "runs": [one, two],
    }


def bench_backtest(activity: str, packages: int) -> dict[str, Any]:
    runs, answers = [], []
    for workers in (1, 2):
        run = timed_on(workers, lambda address: backtest(activity, scheduler=address).to_json())
        answers.append(run.pop("result"))
        run["packages_per_second"] = round(packages * 2 / run["seconds"])  # 2 variants
        runs.append(run)
    return {
        "job": "backtest (2 variants)",
        "owners": answers[0]["owners"],
        "packages": packages,
        "records": answers[0]["records"],
        "same_answer": answers[0] == answers[1],
        "runs": runs,
    }


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| job | packages | events / records | 1 worker | 2 workers | speed-up | per second (2 workers) | worker CPU s (1 / 2 workers) | load avg (1 / 2 workers) | peak RSS per worker (1 / 2) | same answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        one, two = r["runs"]
        size = r.get("events", r.get("records"))
        rate = two.get("events_per_second") or two.get("packages_per_second")
        unit = "events/s" if "events_per_second" in two else "package-variants/s"
        lines.append(
            f"| {r['job']}{' (tiled)' if r.get('tiled') else ''} | {r['packages']:,} | {size:,} "
            f"| {one['seconds']:,.1f} s | {two['seconds']:,.1f} s | {one['seconds'] / two['seconds']:.2f}x "
            f"| {rate:,} {unit} | {one['worker_cpu_seconds']:,.0f} / {two['worker_cpu_seconds']:,.0f} "
            f"| {one['load_average_1min'][0]:.1f} / {two['load_average_1min'][0]:.1f} "
            f"| {one['peak_worker_rss_mb']:,.0f} / {two['peak_worker_rss_mb']:,.0f} MB "
            f"| {'yes' if r['same_answer'] else 'NO'} |"
        )
    return "\n".join(lines)


def _made(population: dict[str, Any]) -> str:
    if population.get("reused"):
        return "reused"
    return f"made in {population['make_seconds_on_2_workers']} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="packages, comma-separated")
    parser.add_argument(
        "--backtest-sizes", default="10000,100000", help="packages, comma-separated"
    )
    parser.add_argument(
        "--backtest-only-sizes",
        default="",
        help="packages, comma-separated: make only the activity, and backtest it",
    )
    parser.add_argument(
        "--tile", type=int, default=0, help="also sweep N copies of the largest ledger"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", help="working directory (default: a new temp dir, removed after)")
    parser.add_argument("--json", help="write the figures as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="1,000 packages, tiled 3 times")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the populations an earlier run left in --dir"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.backtest_sizes, args.tile = "1000", "1000", 3

    def counts(text: str) -> set[int]:
        return {int(s) for s in text.split(",") if s.strip() and int(s) > 0}

    backtest_sizes = counts(args.backtest_sizes)
    sweep_sizes = counts(args.sizes)
    sizes = sorted(sweep_sizes | backtest_sizes)
    activity_sizes = sorted(counts(args.backtest_only_sizes))
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="punchcard-scale-bench-"))
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    print(f"machine: {machine}", flush=True)
    populations, rows = {}, []
    try:
        for size in sizes:
            pop = populations[size] = make_population(
                root / f"p{size}", size, args.seed, reuse=args.reuse
            )
            print(
                f"{pop['packages']:,} packages, {pop['events']:,} events: {_made(pop)}", flush=True
            )
            if size in sweep_sizes:
                rows.append(bench_sweep(pop["ledger"], root / f"p{size}"))
                print(_table(rows[-1:]), flush=True)
            if size in backtest_sizes:
                rows.append(bench_backtest(pop["activity"], pop["packages"]))
                print(_table(rows[-1:]), flush=True)
        for size in activity_sizes:
            pop = populations[size] = make_activity(
                root / f"p{size}", size, args.seed, reuse=args.reuse
            )
            print(f"{pop['packages']:,} packages (activity only): {_made(pop)}", flush=True)
            rows.append(bench_backtest(pop["activity"], pop["packages"]))
            print(_table(rows[-1:]), flush=True)
        tiled = None
        if args.tile > 1 and sweep_sizes:
            largest = populations[max(sweep_sizes)]
            began = time.perf_counter()
            target = root / "tiled"
            if args.reuse and (target / "punchcard-ledger.json").exists():
                ledger = ParquetLedger(target)
            else:
                shutil.rmtree(target, ignore_errors=True)
                ledger = tile_ledger(ParquetLedger(largest["ledger"]), target, args.tile)
            tiled = {
                "copies": args.tile,
                "of_packages": largest["packages"],
                "tile_seconds": round(time.perf_counter() - began, 1),
            }
            print(f"tiled {args.tile} copies in {tiled['tile_seconds']} s", flush=True)
            row = bench_sweep(ledger.path, root / "tiled")
            original = next(
                r for r in rows if r["job"] == "sweep" and r["packages"] == largest["packages"]
            )
            # Each copy is the original under other ids: it has the same night.
            tiled["night_is_copies_times_the_original"] = row["night"] == {
                k: args.tile * v for k, v in original["night"].items()
            }
            row["tiled"] = tiled
            rows.append(row)
            print(_table(rows[-1:]), flush=True)
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    machine["load_average_at_end"] = os.getloadavg()
    print("\n" + _table(rows))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine, "populations": populations, "figures": rows}, indent=2)
            + "\n"
        )
    tiles = [r["tiled"]["night_is_copies_times_the_original"] for r in rows if "tiled" in r]
    return 0 if all(r["same_answer"] for r in rows) and all(tiles) else 1


if __name__ == "__main__":
    sys.exit(main())
