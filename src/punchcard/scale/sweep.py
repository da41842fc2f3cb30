"""The nightly job over a whole ledger, partitioned by owner: what
:func:`punchcard.lifecycle.catch_up` records at the time of the run (held credits whose time
passed, renewals, expiries), the notices due and the balances report.

Each partition is swept on its own (its owners' events folded into their state, then
``catch_up``, the notices and the balances): the rows of an owner depend on that owner's events alone, so the merged
result is the same however the owners are split and wherever the partitions run.

**The output directory** of a run (format ``punchcard-sweep``, version 1)::

    OUT/
      run.json                    what this run is: the source, as_of, the variant, the partitions
      parts/00003.events.parquet      the events to append (the ledger's event columns)
      parts/00003.notices.parquet     the notices to send (NoticeRow columns)
      parts/00003.balances.parquet    the balances report (BalanceEntry columns)
      parts/00003.done.json           written last: the partition's counts, digest, file hashes
      sweep.json                  written when every partition is done: the totals

Every file is written under a temporary name and renamed into place. A partition whose
``done.json`` is there (with files of the recorded hashes) is not run again: a retried task,
or the whole job run again into the same directory, adds nothing. A partition that failed
half-way has no ``done.json`` and is run again; what it makes is the same, byte for byte (the
events' ids are derived from ``(package_id, seq)``). :func:`append_sweep` then adds the events
and the notices to a Parquet ledger, again by atomic renames under names fixed by the run, so
appending twice adds nothing either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..errors import InvalidTypeError
from . import _lifecycle as life
from ._run import Cluster, run_tasks
from .errors import DataError
from .ledger import (
    EVENTS,
    NOTICES,
    LedgerSource,
    ParquetLedger,
    Partition,
    _atomic_write,
    event_rows,
    read_json,
    read_rows,
    write_json,
    write_rows,
)
from .records import BalanceEntry, Digest, EventRow, NoticeRow, Row, columns, row_from
from .variant import DEFAULT, Variant

__all__ = ["SweepCounts", "SweepResult", "SweepRows", "append_sweep", "read_sweep", "sweep"]

SWEEP_FORMAT = "punchcard-sweep"
SWEEP_VERSION = 1
#: Owners are folded and swept this many events at a time (at least one owner at a time).
CHUNK_EVENTS = 20_000
_KINDS: tuple[tuple[str, type[Row]], ...] = (
    ("events", EventRow),
    ("notices", NoticeRow),
    ("balances", BalanceEntry),
)


@attrs.frozen
class SweepRows:
    """The rows of a sweep, in an order that does not depend on the partitions: events by
    owner, package and ``seq``; notices by owner, package and key; balance rows by owner and
    package (components in their order)."""

    events: tuple[EventRow, ...] = ()
    notices: tuple[NoticeRow, ...] = ()
    balances: tuple[BalanceEntry, ...] = ()

    @classmethod
    def merge(cls, parts: Iterable[SweepRows]) -> SweepRows:
        """The rows of *parts* (of different owners), in the order above."""
        parts = list(parts)
        return cls(
            tuple(
                sorted(
                    (r for p in parts for r in p.events),
                    key=lambda r: (r.owner, r.package_id, r.seq),
                )
            ),
            tuple(
                sorted(
                    (r for p in parts for r in p.notices),
                    key=lambda r: (r.owner, r.package_id, r.key),
                )
            ),
            tuple(
                sorted(
                    (r for p in parts for r in p.balances), key=lambda r: (r.owner, r.package_id)
                )
            ),
        )


@attrs.frozen(kw_only=True)
class SweepCounts:
    """What a sweep did, in counts, and a digest of its rows (of one partition or of all)."""

    owners: int
    packages: int
    #: Ledger events read.
    read: int
    #: Events to append, notices to send, rows of the balances report.
    events: int
    notices: int
    balances: int
    #: Equal digests, equal results (whatever the partitions, workers or order).
    digest: str

    @classmethod
    def total(cls, parts: Sequence[SweepCounts]) -> dict[str, Any]:
        """The counts and the digest of *parts* together (of different owners)."""
        digest = Digest()
        for part in parts:
            digest.merge(Digest.from_hex(part.digest))
        counts = {
            f.name: sum(getattr(p, f.name) for p in parts)
            for f in attrs.fields(cls)
            if f.name != "digest"
        }
        return {**counts, "digest": digest.hexdigest()}

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON-ready data (rows left out)."""
        data = attrs.asdict(self, recurse=False)
        data.pop("rows", None)
        return data


@attrs.frozen(kw_only=True)
class PartitionSummary(SweepCounts):
    """What the sweep of one partition did (what a worker returns)."""

    partition: str
    #: Found done by an earlier run, not run again.
    skipped: bool = False
    #: The rows themselves, when the job collects them instead of writing files.
    rows: SweepRows | None = None


@attrs.frozen(kw_only=True)
class SweepResult(SweepCounts):
    """What a sweep did, over every partition."""

    #: The time of the run (ISO 8601; naive = local time of each package).
    as_of: str
    partitions: int
    #: Partitions found done by an earlier run into the same directory (not run again).
    skipped: int
    #: The rows, when no output directory was given.
    rows: SweepRows | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class _Task:
    source: LedgerSource
    partition: Partition
    as_of: dt.datetime
    variant: Variant
    #: The output directory, or ``None`` to return the rows.
    out: str | None
    #: What the run is (``run.json``): a done partition of another run does not count.
    run: dict[str, Any] = attrs.field(eq=False)


def _owner_groups(rows: Iterator[EventRow]) -> Iterator[list[EventRow]]:
    """Lists of whole owners' rows, about :data:`CHUNK_EVENTS` rows each."""
    chunk: list[EventRow] = []
    for _owner, group in itertools.groupby(rows, key=lambda r: r.owner):
        chunk.extend(group)
        if len(chunk) >= CHUNK_EVENTS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _decode(rows: Sequence[EventRow], where: str) -> Iterator[life.Event]:
    for row in rows:
        place = f"{where}:{row.package_id}#{row.seq}"
        try:
            body = json.loads(row.body)
        except ValueError as err:
            raise DataError(place, f"body is not JSON: {err}") from None
        if not (
            isinstance(body, dict)
            and body.get("package_id") == row.package_id
            and body.get("seq") == row.seq
            and body.get("type") == row.type
        ):
            raise DataError(place, "the body does not match the row's package_id, seq and type")
        event = life.decode(body, path=place)
        owner = life.owner_of(event)
        if owner is not None and owner != row.owner:
            raise DataError(place, f"the purchase names owner {owner!r}, the row {row.owner!r}")
        yield event


def _sweep_rows(task: _Task) -> tuple[PartitionSummary, SweepRows]:
    rules = task.variant.rules()
    sent = task.source.sent(task.partition)
    packages = read = 0
    owners: dict[str, list[Row]] = {}  # every owner swept, and then its rows
    parts: list[SweepRows] = []
    where = f"{task.source.describe()}/{task.partition.name}"
    for chunk in _owner_groups(task.source.read(task.partition)):
        read += len(chunk)
        state = life.fold(_decode(chunk, where))
        night = life.night(state, as_of=task.as_of, sent=sent, rules=rules)
        owner_of = {row.package_id: row.owner for row in chunk}
        owners.update((owner, []) for owner in owner_of.values())
        packages += len(state)
        parts.append(
            SweepRows(tuple(event_rows(night.events, owner_of)), night.notices, night.balances)
        )
    rows = SweepRows.merge(parts)
    for group in (rows.events, rows.notices, rows.balances):
        for row in group:
            owners[row.owner].append(row)
    digest = Digest()
    for owner, owned in owners.items():
        digest.add(owner, owned)
    summary = PartitionSummary(
        partition=task.partition.name,
        owners=len(owners),
        packages=packages,
        read=read,
        events=len(rows.events),
        notices=len(rows.notices),
        balances=len(rows.balances),
        digest=digest.hexdigest(),
    )
    return summary, rows


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _part_files(out: Path, name: str) -> dict[str, Path]:
    return {kind: out / "parts" / f"{name}.{kind}.parquet" for kind, _cls in _KINDS}


def _done(out: Path, task: _Task) -> PartitionSummary | None:
    """The summary of a partition an earlier attempt finished, or ``None``."""
    marker = out / "parts" / f"{task.partition.name}.done.json"
    if not marker.exists():
        return None
    done = read_json(marker)
    if not isinstance(done, dict) or done.get("run") != task.run:
        return None
    files = _part_files(out, task.partition.name)
    hashes = done.get("files", {})
    if any(not p.exists() or _file_hash(p) != hashes.get(kind) for kind, p in files.items()):
        return None
    return PartitionSummary(**done["summary"], skipped=True)


def _sweep_partition(task: _Task) -> PartitionSummary:
    """Sweep one partition: write its files (or return its rows). What each worker runs."""
    if task.out is None:
        summary, rows = _sweep_rows(task)
        return attrs.evolve(summary, rows=rows)
    out = Path(task.out)
    found = _done(out, task)
    if found is not None:
        return found
    summary, rows = _sweep_rows(task)
    files = _part_files(out, task.partition.name)
    for kind, cls in _KINDS:
        write_rows(files[kind], cls, getattr(rows, kind))
    write_json(
        out / "parts" / f"{task.partition.name}.done.json",
        {
            "run": task.run,
            "summary": {k: v for k, v in summary.to_json().items() if k != "skipped"},
            "files": {kind: _file_hash(path) for kind, path in files.items()},
        },
    )
    return summary


def _source(ledger: LedgerSource | str | os.PathLike[str]) -> LedgerSource:
    if isinstance(ledger, (str, os.PathLike)):
        return ParquetLedger(ledger)
    return ledger


def _start_run(out: Path, run: dict[str, Any]) -> None:
    (out / "parts").mkdir(parents=True, exist_ok=True)
    path = out / "run.json"
    if path.exists():
        earlier = read_json(path)
        if earlier != run:
            raise DataError(
                str(path),
                f"the directory holds another run ({earlier!r}); use a new directory for {run!r}",
            )
    else:
        write_json(path, run)


def sweep(
    ledger: LedgerSource | str | os.PathLike[str],
    *,
    as_of: dt.datetime,
    out: str | os.PathLike[str] | None = None,
    variant: Variant = DEFAULT,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    progress: bool = False,
) -> SweepResult:
    """Run tonight's job over *ledger* (a :class:`~punchcard.scale.ledger.LedgerSource`, or the
    path of a Parquet ledger) at *as_of*, partition by partition.

    Where the partitions run: see :class:`~punchcard.scale._run.Cluster` (*workers*,
    *scheduler*, *processes*; ``processes=False`` or ``workers=0``: in this process, without
    Dask). With *out*, each partition writes its rows there (see the module's docs; a partition
    done by an earlier run into *out* is not run again) and the result holds the counts;
    without, the rows come back in ``result.rows``. *progress*: show partitions done on
    standard error, if it is a terminal.
    """
    if not isinstance(as_of, dt.datetime):
        raise InvalidTypeError("as_of", f"must be a datetime.datetime, got {as_of!r}")
    source = _source(ledger)
    cluster = Cluster(workers=workers, scheduler=scheduler, processes=processes)
    partitions = source.partitions()
    run = {
        "format": SWEEP_FORMAT,
        "version": SWEEP_VERSION,
        "source": source.describe(),
        "as_of": as_of.isoformat(),
        "variant": variant.to_json(),
        "partitions": [p.name for p in partitions],
    }
    target = None if out is None else Path(out)
    if target is not None:
        _start_run(target, run)
    tasks = [
        _Task(source, p, as_of, variant, None if target is None else os.fspath(target), run)
        for p in partitions
    ]
    summaries = run_tasks(
        _sweep_partition, tasks, cluster=cluster, label="sweep", progress=progress
    )
    result = SweepResult(
        **SweepCounts.total(summaries),
        as_of=as_of.isoformat(),
        partitions=len(summaries),
        skipped=sum(s.skipped for s in summaries),
        rows=None if target is not None else SweepRows.merge(s.rows for s in summaries if s.rows),
    )
    if target is not None:
        write_json(
            target / "sweep.json",
            {
                **run,
                "result": {k: v for k, v in result.to_json().items() if k != "skipped"},
                "parts": [
                    {k: v for k, v in s.to_json().items() if k != "skipped"} for s in summaries
                ],
            },
        )
    return result


def _manifest(out: Path) -> dict[str, Any]:
    manifest = read_json(out / "sweep.json")
    if not (isinstance(manifest, dict) and manifest.get("format") == SWEEP_FORMAT):
        raise DataError(str(out / "sweep.json"), f"not a {SWEEP_FORMAT!r} manifest")
    return manifest


def read_sweep(out: str | os.PathLike[str]) -> SweepRows:
    """The rows of a finished sweep written to *out*, merged (for a small one: it reads them all)."""
    root = Path(out)
    manifest = _manifest(root)
    parts = []
    for name in manifest["partitions"]:
        files = _part_files(root, name)
        loaded = {
            kind: tuple(
                row_from(cls, dict(zip([c[0] for c in columns(cls)], values, strict=True)))
                for values in read_rows(files[kind], [c[0] for c in columns(cls)])
            )
            for kind, cls in _KINDS
        }
        parts.append(SweepRows(**loaded))  # type: ignore[arg-type]
    return SweepRows.merge(parts)


def _stamp(as_of: str) -> str:
    moment = dt.datetime.fromisoformat(as_of)
    return "sweep-" + moment.strftime("%Y%m%dT%H%M%S%z")


def _place(source: Path, target: Path) -> bool:
    """Copy *source* to *target* atomically unless the same bytes are there; ``True`` if copied.
    Different bytes under the same name: another sweep at the same time, refused."""
    if target.exists():
        if _file_hash(target) == _file_hash(source):
            return False
        raise DataError(
            str(target), f"holds other rows than {source} (another sweep of that time?)"
        )
    _atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
    return True


def append_sweep(out: str | os.PathLike[str], ledger: ParquetLedger) -> int:
    """Append the events and the notices of the finished sweep in *out* to *ledger* (the
    notices count as sent from then on); returns the number of files added (0 when they were
    all there already: appending twice adds nothing)."""
    root = Path(out)
    manifest = _manifest(root)
    stamp = _stamp(manifest["as_of"])
    added = 0
    buckets = {p.name for p in ledger.partitions()}
    for name in manifest["partitions"]:
        if name not in buckets:
            raise DataError(str(root), f"partition {name!r} is not a bucket of {ledger.describe()}")
        files = _part_files(root, name)
        folder = ledger.bucket_dir(int(name))
        folder.mkdir(exist_ok=True)
        added += _place(files["events"], folder / f"{stamp}{EVENTS}")
        added += _place(files["notices"], folder / f"{stamp}{NOTICES}")
    return added
