"""The Parquet ledger layout and the ledger sources (punchcard.scale.ledger).

- what write_ledger writes reads back as the same events, each owner in its crc32 bucket, each
  file sorted by (owner, package_id, seq);
- the bucket of an owner is the same in every interpreter (not Python's salted hash());
- the files of a bucket are merged: an event present twice counts once, two different events at
  one (package_id, seq) are refused, as are unsorted files and unknown body formats;
- a database table read through SqlLedger (sqlite3 here) gives the same rows as the Parquet
  ledger, whatever its number of partitions.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scale_kit import all_events, population

from punchcard.scale import (
    DataError,
    EventRow,
    ParquetLedger,
    Partition,
    SqlLedger,
    event_rows,
    partition_of,
    write_ledger,
)
from punchcard.scale.ledger import write_rows


def test_written_events_read_back_the_same_in_their_owners_buckets(tmp_path: Path) -> None:
    _activity, source = population(tmp_path)
    events = all_events(ParquetLedger(source))
    copy = write_ledger(tmp_path / "copy", events, buckets=3)
    assert copy.buckets == 3
    seen = []
    for part in copy.partitions():
        rows = list(copy.read(part))
        assert rows, "every bucket of a 20-owner ledger holds someone"
        assert {partition_of(r.owner, 3) for r in rows} == {int(part.name)}
        keys = [(r.owner, r.package_id, r.seq) for r in rows]
        assert keys == sorted(keys)
        seen += rows
    assert sorted(seen, key=lambda r: (r.package_id, r.seq)) == sorted(
        event_rows(events), key=lambda r: (r.package_id, r.seq)
    )
    assert sorted(map(repr, all_events(copy))) == sorted(map(repr, events))


@pytest.mark.slow  # (a new interpreter)
def test_the_bucket_of_an_owner_does_not_depend_on_the_interpreter() -> None:
    owners = [f"owner-{i}" for i in range(50)] + ["Zoë", "李"]
    here = [partition_of(o, 16) for o in owners]
    code = f"from punchcard.scale import partition_of; print([partition_of(o, 16) for o in {owners!r}])"
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
    ).stdout
    assert json.loads(out) == here
    assert len(set(here)) > 8  # spread over the buckets


def _rows(ledger: ParquetLedger, bucket: int) -> list[EventRow]:
    return list(ledger.read(Partition(f"{bucket:05d}")))


def test_an_event_in_two_files_of_a_bucket_counts_once(tmp_path: Path) -> None:
    _activity, source = population(tmp_path)
    ledger = ParquetLedger(source)
    before = _rows(ledger, 1)
    ledger.write(1, "again", before[:40])  # (a night appended twice under two names)
    assert _rows(ledger, 1) == before


def test_two_different_events_at_one_place_are_refused(tmp_path: Path) -> None:
    _activity, source = population(tmp_path)
    ledger = ParquetLedger(source)
    first = _rows(ledger, 2)[0]
    other = EventRow(first.owner, first.package_id, first.seq, "package_deleted", "{}")
    ledger.write(2, "other", [other])
    with pytest.raises(
        DataError,
        match=r"two different events #1 \(of types 'package_purchased' and 'package_deleted'\)",
    ) as err:
        _rows(ledger, 2)
    assert err.value.path == first.package_id


def _raw_file(path: Path, rows: list[tuple[str, str, int, str, str, int]]) -> None:
    names = ["owner", "package_id", "seq", "type", "body", "format_version"]
    pq.write_table(
        pa.table(dict(zip(names, map(list, zip(*rows, strict=False)), strict=True))), path
    )


def test_unsorted_files_and_unknown_body_formats_are_refused(tmp_path: Path) -> None:
    ledger = ParquetLedger.create(tmp_path / "l", buckets=1)
    folder = ledger.bucket_dir(0)
    folder.mkdir()
    _raw_file(
        folder / "base.events.parquet", [("b", "p2", 1, "t", "{}", 1), ("a", "p1", 1, "t", "{}", 1)]
    )
    with pytest.raises(
        DataError, match=r"rows not sorted by \(owner, package_id, seq\) at \('a', 'p1', 1\)"
    ):
        _rows(ledger, 0)
    _raw_file(folder / "base.events.parquet", [("a", "p1", 1, "t", "{}", 2)])
    with pytest.raises(DataError, match="body format 2 is not supported") as err:
        _rows(ledger, 0)
    assert err.value.path.endswith("base.events.parquet:0")


def test_a_ledger_is_not_created_over_another_and_a_broken_header_is_named(tmp_path: Path) -> None:
    ParquetLedger.create(tmp_path, buckets=2)
    with pytest.raises(DataError, match="there is already a ledger here"):
        ParquetLedger.create(tmp_path, buckets=2)
    (tmp_path / "punchcard-ledger.json").write_text('{"format": "punchcard-ledger", "version": 1}')
    with pytest.raises(DataError, match=r"'buckets': N >= 1\}, got") as err:
        ParquetLedger(tmp_path).partitions()
    assert err.value.path.endswith("punchcard-ledger.json")


def _sqlite(path: Path, rows: list[EventRow], sent: list[tuple[str, str]]) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE punchcard_events (position INTEGER PRIMARY KEY, owner TEXT, "
            "package_id TEXT, seq INTEGER, type TEXT, format INTEGER, body TEXT, "
            "UNIQUE (package_id, seq))"
        )
        db.executemany(
            "INSERT INTO punchcard_events (owner, package_id, seq, type, format, body) "
            "VALUES (?, ?, ?, ?, 1, ?)",
            [(r.owner, r.package_id, r.seq, r.type, r.body) for r in rows],
        )
        db.execute("CREATE TABLE sent (owner TEXT, key TEXT)")
        db.executemany("INSERT INTO sent VALUES (?, ?)", sent)


@pytest.mark.parametrize("split", [1, 5])
def test_a_database_table_reads_as_the_parquet_ledger(tmp_path: Path, split: int) -> None:
    _activity, source = population(tmp_path)
    parquet = ParquetLedger(source)
    rows = [r for part in parquet.partitions() for r in parquet.read(part)]
    db = tmp_path / "events.db"
    _sqlite(db, list(reversed(rows)), [(rows[0].owner, "k1"), (rows[-1].owner, "k2")])
    sql = SqlLedger(functools.partial(sqlite3.connect, db), sent_table="sent", split=split)
    parts = sql.partitions()
    assert len(parts) == split
    read = [list(sql.read(p)) for p in parts]
    assert all(read)
    assert sorted((r for part in read for r in part), key=attrs.astuple) == sorted(
        rows, key=attrs.astuple
    )
    for part in read:  # each owner whole, in one partition, rows in (owner, package, seq) order
        keys = [(r.owner, r.package_id, r.seq) for r in part]
        assert keys == sorted(keys)
    owners = [{r.owner for r in part} for part in read]
    assert sum(map(len, owners)) == len(set().union(*owners))
    assert set().union(*(sql.sent(p) for p in parts)) == {"k1", "k2"}
    assert sql.describe() == "sql:punchcard_events"


def test_sql_identifiers_and_partitions_are_checked() -> None:
    with pytest.raises(DataError, match="must be an SQL identifier, got 'events; DROP TABLE x'"):
        SqlLedger(sqlite3.connect, table="events; DROP TABLE x")
    with pytest.raises(DataError, match="split: must be a whole number >= 1, got 0"):
        SqlLedger(sqlite3.connect, split=0)


def test_an_event_before_its_package_purchase_is_refused(tmp_path: Path) -> None:
    _activity, source = population(tmp_path)
    events = all_events(ParquetLedger(source))
    later = next(e for e in events if e.seq > 1)
    with pytest.raises(DataError, match=rf"event #{later.seq} comes before the package's purchase"):
        list(event_rows([later]))


def test_write_rows_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "x.events.parquet"
    write_rows(target, EventRow, [EventRow("o", "p", 1, "t", "{}")])
    assert [p.name for p in tmp_path.iterdir()] == ["x.events.parquet"]
    assert pq.read_table(target).column_names == [
        "owner",
        "package_id",
        "seq",
        "type",
        "body",
        "format_version",
    ]


@pytest.mark.slow
def test_a_postgresql_table_reads_as_the_parquet_ledger(tmp_path: Path) -> None:
    dsn = os.environ.get("PUNCHCARD_PG_DSN")
    if not dsn:
        pytest.skip("PUNCHCARD_PG_DSN is not set (source /work/pgenv.sh, or .ci/postgres.sh start)")
    import psycopg
    from scale_kit import AS_OF

    from punchcard.scale import sweep

    _activity, source = population(tmp_path)
    parquet = ParquetLedger(source)
    rows = [r for part in parquet.partitions() for r in parquet.read(part)]
    table = f"scale_events_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (position bigserial PRIMARY KEY, owner text, package_id text, "
            "seq bigint, type text, format smallint, body jsonb, UNIQUE (package_id, seq))"
        )
        try:
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (owner, package_id, seq, type, format, body) "
                    "VALUES (%s, %s, %s, %s, 1, %s)",
                    [(r.owner, r.package_id, r.seq, r.type, r.body) for r in rows],
                )
            sql = SqlLedger(
                functools.partial(psycopg.connect, dsn), table=table, split=3, paramstyle="format"
            )
            read = [list(sql.read(p)) for p in sql.partitions()]
            assert sorted(
                (r.package_id, r.seq, r.owner, r.type) for part in read for r in part
            ) == sorted((r.package_id, r.seq, r.owner, r.type) for r in rows)
            assert (
                sweep(sql, as_of=AS_OF, processes=False).digest
                == sweep(parquet, as_of=AS_OF, processes=False).digest
            )
        finally:
            conn.execute(f"DROP TABLE {table}")
