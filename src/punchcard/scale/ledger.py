"""Ledgers the scale-out jobs read, partitioned by owner: Parquet files, or a database table.

**The Parquet layout** (format ``punchcard-ledger``, version 1)::

    LEDGER/
      punchcard-ledger.json          {"format": "punchcard-ledger", "version": 1, "buckets": 16}
      bucket=00000/
        base.events.parquet          the ledger as written by write_ledger
        sweep-20260601T060000.events.parquet    a night's events, appended by append_sweep
        sweep-20260601T060000.notices.parquet   the notices that night sent
      bucket=00001/
      ...

An owner's events all live in bucket ``crc32(owner, UTF-8) % buckets`` (:func:`partition_of`: the
same in every process and on every machine, unlike Python's ``hash()``). An ``*.events.parquet``
file has one row per event, sorted by ``(owner, package_id, seq)``, with the columns

============== ======== ==================================================================
column         type     what
============== ======== ==================================================================
owner          string   the package's owner
package_id     string   the package
seq            int64    the event's position in its package's history (1 = the purchase)
type           string   the event's type name (``package_purchased``...)
body           string   the event as JSON (``punchcard.lifecycle.event_to_dict``)
format_version int16    the version of *body*'s format (1)
============== ======== ==================================================================

and an ``*.notices.parquet`` file the columns of :class:`~punchcard.scale.records.NoticeRow`
(``key`` says which notice was sent). A reader merges the files of a bucket by
``(owner, package_id, seq)``; the same event in two files counts once, and two different events
at the same ``(package_id, seq)`` are an error. Files are written under a temporary name and
renamed into place, so a reader never sees half a file.

**Sources.** A job reads its ledger through a :class:`LedgerSource`: it names its partitions
(small values sent to the workers) and reads the rows of one partition, ordered by owner,
package and ``seq``. :class:`ParquetLedger` reads the layout above (a partition is a bucket);
:class:`SqlLedger` reads the store's events table through any DB-API connection (a partition is
a range of owners).
"""

from __future__ import annotations

import heapq
import json
import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs

from ..errors import PunchcardError
from . import _lifecycle as life
from .errors import DataError
from .records import BODY_FORMAT, EventRow, NoticeRow, columns

__all__ = [
    "LEDGER_FORMAT",
    "LedgerSource",
    "ParquetLedger",
    "Partition",
    "SqlLedger",
    "event_rows",
    "partition_of",
    "write_ledger",
]

LEDGER_FORMAT = "punchcard-ledger"
LEDGER_VERSION = 1
META = "punchcard-ledger.json"
EVENTS = ".events.parquet"
NOTICES = ".notices.parquet"
_BATCH = 65_536


def partition_of(owner: str, buckets: int) -> int:
    """The bucket of *owner*: ``crc32(owner) % buckets``, the same in every process.

    >>> partition_of("owner-000042", 16), partition_of("owner-000042", 16)
    (2, 2)
    """
    return zlib.crc32(owner.encode("utf-8")) % buckets


@attrs.frozen
class Partition:
    """One part of a ledger: a name (safe in a file name) and, for a database source, the range
    of owners ``low <= owner < high`` (``None``: open)."""

    name: str
    low: str | None = None
    high: str | None = None


class LedgerSource(Protocol):
    """Where a job reads the ledger. Sent to the workers, so it must pickle (hold a path or a
    connection factory, never an open connection)."""

    def describe(self) -> str:
        """Names the source in a run's manifest (a path, a table)."""
        ...

    def partitions(self) -> tuple[Partition, ...]:
        """The parts of the ledger; every owner's events are in exactly one."""
        ...

    def read(self, partition: Partition) -> Iterator[EventRow]:
        """The events of *partition*, ordered by ``(owner, package_id, seq)``."""
        ...

    def sent(self, partition: Partition) -> frozenset[str]:
        """The keys of the notices already sent to the owners of *partition*."""
        ...


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write *path* through *write* under a temporary name, then rename it into place."""
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, data: Any) -> None:
    """Write *data* as JSON to *path*, atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_json(path: Path) -> Any:
    """The JSON in *path*; a missing or broken file raises :class:`DataError`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DataError(str(path), f"cannot read: {err.strerror}") from None
    except ValueError as err:
        raise DataError(str(path), f"not JSON: {err}") from None


def write_rows(
    path: Path, cls: type[EventRow] | type[NoticeRow] | type[Any], rows: Sequence[Any]
) -> None:
    """Write *rows* (of the attrs class *cls*) to the Parquet file *path*, atomically; event rows
    get the ``format_version`` column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(cls)
    fields = [pa.field(name, getattr(pa, kind)(), nullable) for name, kind, nullable in cols]
    data: dict[str, list[Any]] = {name: [getattr(r, name) for r in rows] for name, _k, _n in cols}
    if cls is EventRow:
        fields.append(pa.field("format_version", pa.int16(), False))
        data["format_version"] = [BODY_FORMAT] * len(rows)
    table = pa.table(data, schema=pa.schema(fields))
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp, row_group_size=_BATCH))


def read_rows(path: Path, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of the Parquet file *path*, as tuples of the columns *names*, streamed."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except (OSError, ValueError) as err:
        raise DataError(str(path), f"not a Parquet file: {err}") from None
    missing = [n for n in names if n not in handle.schema_arrow.names]
    if missing:
        raise DataError(str(path), f"missing columns {missing!r}")
    with handle:
        for batch in handle.iter_batches(batch_size=_BATCH, columns=list(names)):
            yield from zip(*(batch.column(i).to_pylist() for i in range(len(names))), strict=True)


_EVENT_COLUMNS = ("owner", "package_id", "seq", "type", "body", "format_version")


def _file_rows(path: Path) -> Iterator[tuple[tuple[str, str, int], EventRow]]:
    previous: tuple[str, str, int] | None = None
    for n, (owner, package_id, seq, kind, body, version) in enumerate(
        read_rows(path, _EVENT_COLUMNS)
    ):
        if version != BODY_FORMAT:
            raise DataError(
                f"{path}:{n}", f"body format {version} is not supported (only {BODY_FORMAT})"
            )
        key = (owner, package_id, seq)
        if previous is not None and key <= previous:
            raise DataError(
                f"{path}:{n}", f"rows not sorted by (owner, package_id, seq) at {key!r}"
            )
        previous = key
        yield key, EventRow(owner, package_id, seq, kind, body)


def merge_event_files(paths: Sequence[Path]) -> Iterator[EventRow]:
    """The events of *paths* (each sorted), merged by ``(owner, package_id, seq)``: the same
    event twice counts once; two different events at one place raise :class:`DataError`."""
    last: EventRow | None = None
    merged = heapq.merge(*(_file_rows(p) for p in paths), key=lambda pair: pair[0])
    for _key, row in merged:
        if last is not None and (last.package_id, last.seq) == (row.package_id, row.seq):
            if last != row:
                raise DataError(
                    row.package_id,
                    f"two different events #{row.seq} (of types {last.type!r} and {row.type!r}) "
                    f"in the files of one bucket",
                )
            continue
        last = row
        yield row


def _bucket_number(partition: Partition, buckets: int) -> int:
    if not partition.name.isdigit() or not 0 <= int(partition.name) < buckets:
        raise DataError("partition", f"no bucket {partition.name!r} in a ledger of {buckets}")
    return int(partition.name)


def _fspath(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)


@attrs.frozen
class ParquetLedger:
    """A ledger in the Parquet layout of this module, at *path*.

    >>> ParquetLedger("nowhere").describe()
    'parquet:nowhere'
    """

    path: str = attrs.field(converter=_fspath)

    @property
    def root(self) -> Path:
        return Path(self.path)

    @property
    def buckets(self) -> int:
        """The number of buckets, from ``punchcard-ledger.json``."""
        meta = read_json(self.root / META)
        if not (
            isinstance(meta, dict)
            and meta.get("format") == LEDGER_FORMAT
            and meta.get("version") == LEDGER_VERSION
            and type(meta.get("buckets")) is int
            and meta["buckets"] >= 1
        ):
            raise DataError(
                str(self.root / META),
                f"must be {{'format': {LEDGER_FORMAT!r}, 'version': {LEDGER_VERSION}, "
                f"'buckets': N >= 1}}, got {meta!r}",
            )
        buckets: int = meta["buckets"]
        return buckets

    def bucket_dir(self, bucket: int) -> Path:
        return self.root / f"bucket={bucket:05d}"

    def describe(self) -> str:
        return f"parquet:{self.path}"

    def partitions(self) -> tuple[Partition, ...]:
        return tuple(Partition(f"{k:05d}") for k in range(self.buckets))

    def files(self, partition: Partition, suffix: str = EVENTS) -> list[Path]:
        """The files of *partition* ending in *suffix*, by name."""
        folder = self.bucket_dir(_bucket_number(partition, self.buckets))
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.iterdir() if p.name.endswith(suffix) and not p.name.startswith(".")
        )

    def read(self, partition: Partition) -> Iterator[EventRow]:
        return merge_event_files(self.files(partition))

    def sent(self, partition: Partition) -> frozenset[str]:
        return frozenset(
            key for path in self.files(partition, NOTICES) for (key,) in read_rows(path, ("key",))
        )

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, buckets: int) -> ParquetLedger:
        """A new, empty ledger of *buckets* buckets at *path* (refused where a ledger is)."""
        if type(buckets) is not int or buckets < 1:
            raise DataError("buckets", f"must be a whole number >= 1, got {buckets!r}")
        root = Path(path)
        if (root / META).exists():
            raise DataError(str(root), "there is already a ledger here")
        root.mkdir(parents=True, exist_ok=True)
        write_json(
            root / META, {"format": LEDGER_FORMAT, "version": LEDGER_VERSION, "buckets": buckets}
        )
        return cls(root)

    def write(self, bucket: int, name: str, rows: Iterable[EventRow]) -> int:
        """Write *rows* (events of the owners of *bucket*) as the file ``NAME.events.parquet`` of
        *bucket*, sorted, atomically; returns the number of rows."""
        ordered = sorted(rows, key=lambda r: (r.owner, r.package_id, r.seq))
        buckets = self.buckets  # (read from the header: once, not per row)
        for row in ordered:
            if partition_of(row.owner, buckets) != bucket:
                raise DataError(
                    row.owner, f"belongs in bucket {partition_of(row.owner, buckets)}, not {bucket}"
                )
        folder = self.bucket_dir(bucket)
        folder.mkdir(exist_ok=True)
        write_rows(folder / f"{name}{EVENTS}", EventRow, ordered)
        return len(ordered)


def event_rows(
    events: Iterable[life.Event], owners: dict[str, str] | None = None
) -> Iterator[EventRow]:
    """The rows of *events* (in ledger order: a package's purchase before its other events);
    *owners* maps the packages bought earlier to their owners (it learns the new ones)."""
    owners = {} if owners is None else owners
    for event in events:
        body = life.encode(event)
        owner = life.owner_of(event)
        if owner is not None:
            owners[body["package_id"]] = owner
        else:
            owner = owners.get(body["package_id"])
            if owner is None:
                raise DataError(
                    body["package_id"], f"event #{body['seq']} comes before the package's purchase"
                )
        yield EventRow(
            owner,
            body["package_id"],
            body["seq"],
            body["type"],
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        )


def write_ledger(
    path: str | os.PathLike[str], events: Iterable[life.Event], *, buckets: int = 16
) -> ParquetLedger:
    """Write *events* (a whole ledger, in ledger order) as a new Parquet ledger at *path*."""
    ledger = ParquetLedger.create(path, buckets=buckets)
    parts: list[list[EventRow]] = [[] for _ in range(buckets)]
    for row in event_rows(events):
        parts[partition_of(row.owner, buckets)].append(row)
    for bucket, rows in enumerate(parts):
        ledger.write(bucket, "base", rows)
    return ledger


# -- a database table -----------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _store_body(place: str, version: object, body: str) -> str:
    """The body (format 1) of an event the store wrote in its format *version*."""
    from ..store._codec import EVENT_FORMAT, event_from_row

    if type(version) is not int or version not in (BODY_FORMAT, EVENT_FORMAT):
        raise DataError(place, f"body format {version!r} is not supported (1 or {EVENT_FORMAT})")
    try:
        event = event_from_row(version, body)
    except PunchcardError as err:
        raise DataError(place, str(err)) from None
    return json.dumps(life.encode(event), ensure_ascii=False, separators=(",", ":"))


def _identifier(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _IDENT.fullmatch(value)):
        raise DataError(attr.name, f"must be an SQL identifier, got {value!r}")


def _whole(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 1:
        raise DataError(attr.name, f"must be a whole number >= 1, got {value!r}")


@attrs.frozen
class SqlLedger:
    """A ledger in the events table of :mod:`punchcard.store` (``punchcard_events``), or any table
    with its columns ``owner``, ``package_id``, ``seq``, ``type``, ``format``, ``body``, read
    through a DB-API connection. A body of format 1 (the dict of
    ``punchcard.lifecycle.event_to_dict``; text, or a json / jsonb column) is read as it is; one
    of the store's format 2 is read by the store's own decoder (it needs the ``sql`` extra).

    *connect* opens a connection (it runs on the workers, so it must pickle:
    ``functools.partial(sqlite3.connect, path)``, ``functools.partial(psycopg.connect, dsn)``).
    The partitions are *split* ranges of owners with about as many owners each; *sent_table*,
    if given, has columns ``owner`` and ``key`` of the notices sent. *paramstyle* is the driver's:
    ``qmark`` (sqlite3) or ``format`` (psycopg).
    """

    connect: Callable[[], Any]
    table: str = attrs.field(default="punchcard_events", validator=_identifier)
    sent_table: str | None = attrs.field(default=None, validator=_identifier)
    split: int = attrs.field(default=16, validator=_whole)
    paramstyle: Literal["qmark", "format"] = attrs.field(
        default="qmark", validator=attrs.validators.in_(("qmark", "format"))
    )

    def describe(self) -> str:
        return f"sql:{self.table}"

    def _query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        if self.paramstyle == "format":
            sql = sql.replace("?", "%s")
        conn = self.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, tuple(params))
            while True:
                batch = cursor.fetchmany(10_000)
                if not batch:
                    break
                yield from batch
        finally:
            conn.close()

    def partitions(self) -> tuple[Partition, ...]:
        owners = [
            o for (o,) in self._query(f"SELECT DISTINCT owner FROM {self.table} ORDER BY owner")
        ]
        count = max(1, min(self.split, len(owners)))
        cuts = [owners[len(owners) * i // count] for i in range(1, count)] if owners else []
        bounds = [None, *cuts, None]
        return tuple(Partition(f"{i:05d}", bounds[i], bounds[i + 1]) for i in range(count))

    @staticmethod
    def _range(partition: Partition) -> tuple[str, list[str]]:
        where, params = [], []
        if partition.low is not None:
            where.append("owner >= ?")
            params.append(partition.low)
        if partition.high is not None:
            where.append("owner < ?")
            params.append(partition.high)
        return (f" WHERE {' AND '.join(where)}" if where else ""), params

    def read(self, partition: Partition) -> Iterator[EventRow]:
        clause, params = self._range(partition)
        sql = (
            f"SELECT owner, package_id, seq, type, format, body FROM {self.table}"
            f"{clause} ORDER BY owner, package_id, seq"
        )
        for owner, package_id, seq, kind, version, body in self._query(sql, params):
            if not isinstance(body, str):  # a json / jsonb column the driver decoded
                body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            if version != BODY_FORMAT:
                body = _store_body(f"{self.table}:{package_id}#{seq}", version, body)
            yield EventRow(owner, package_id, seq, kind, body)

    def sent(self, partition: Partition) -> frozenset[str]:
        if self.sent_table is None:
            return frozenset()
        clause, params = self._range(partition)
        return frozenset(
            k for (k,) in self._query(f"SELECT key FROM {self.sent_table}{clause}", params)
        )
