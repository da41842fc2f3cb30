"""The nightly sweep over a partitioned ledger, in one process (punchcard.scale.sweep).

- its rows (events to append, notices, balances) are those of one night over the whole ledger
  folded at once, and do not depend on the number of buckets;
- the night's events get the deterministic ids of their (package_id, seq);
- written to a directory, a second run adds nothing and runs nothing; a partition that failed
  (its source broke, or it died between its files and its done marker) is run again alone and
  the output is the same as a clean run's; a directory of another run is refused;
- appending a night to the ledger twice adds nothing; after it, the same night finds nothing
  left to do and no notice left to send.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from scale_kit import AS_OF, all_events, population, reference_sweep

from punchcard.scale import (
    DataError,
    EventRow,
    ParquetLedger,
    Partition,
    append_sweep,
    read_sweep,
    sweep,
    write_ledger,
)
from punchcard.scale import _lifecycle as life


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_sweep_gives_the_answer_of_one_night_over_the_whole_ledger(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    result = sweep(ledger, as_of=AS_OF, processes=False)
    expected = reference_sweep(ParquetLedger(ledger))
    assert result.rows == expected
    kinds = {r.type for r in expected.events}
    assert {"package_expired", "redemption_used"} <= kinds  # real work was due
    assert expected.notices
    assert expected.balances
    assert (result.events, result.notices, result.balances) == (
        len(expected.events),
        len(expected.notices),
        len(expected.balances),
    )
    assert result.partitions == 4
    assert result.owners == 20
    assert result.read == len(all_events(ParquetLedger(ledger)))


def test_the_answer_does_not_depend_on_the_number_of_buckets(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    events = all_events(ParquetLedger(ledger))
    one = write_ledger(tmp_path / "one", events, buckets=1)
    seven = write_ledger(tmp_path / "seven", events, buckets=7)
    a = sweep(one, as_of=AS_OF, processes=False)
    b = sweep(seven, as_of=AS_OF, processes=False)
    assert a.rows == b.rows
    assert a.digest == b.digest
    assert (a.partitions, b.partitions) == (1, 7)
    c = sweep(one, as_of=AS_OF + dt.timedelta(days=40), processes=False)
    assert c.digest != a.digest  # the digest sees a different night


def test_the_nights_events_have_the_ids_of_their_place(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    rows = sweep(ledger, as_of=AS_OF, processes=False).rows
    assert rows is not None
    for row in rows.events:
        body = life.encode(life.decode(json.loads(row.body)))
        assert (body["package_id"], body["seq"]) == (row.package_id, row.seq)
        assert body["event_id"] == life.event_id(row.package_id, row.seq)


def test_written_output_reads_back_as_the_rows(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    written = sweep(ledger, as_of=AS_OF, out=tmp_path / "out", processes=False)
    assert written.rows is None
    assert read_sweep(tmp_path / "out") == sweep(ledger, as_of=AS_OF, processes=False).rows
    manifest = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert manifest["result"]["digest"] == written.digest
    assert [p["partition"] for p in manifest["parts"]] == ["00000", "00001", "00002", "00003"]


def test_a_second_run_into_the_same_directory_runs_nothing_and_adds_nothing(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    out = tmp_path / "out"
    first = sweep(ledger, as_of=AS_OF, out=out, processes=False)
    files = _files(out)
    again = sweep(ledger, as_of=AS_OF, out=out, processes=False)
    assert (first.skipped, again.skipped) == (0, 4)
    assert attrs.evolve(again, skipped=0) == first
    assert _files(out) == files


@attrs.frozen
class BreaksOnce:
    """A Parquet ledger whose partition *bad* fails to read while *flag* does not exist (a disk
    that went away for one task), and works afterwards."""

    inner: ParquetLedger
    bad: str
    flag: str

    def describe(self) -> str:
        return self.inner.describe()

    def partitions(self) -> tuple[Partition, ...]:
        return self.inner.partitions()

    def read(self, partition: Partition) -> Iterator[EventRow]:
        if partition.name == self.bad and not Path(self.flag).exists():
            Path(self.flag).touch()
            raise OSError("the disk went away")
        return self.inner.read(partition)

    def sent(self, partition: Partition) -> frozenset[str]:
        return self.inner.sent(partition)


def test_a_failed_partition_is_run_again_alone_and_the_output_is_a_clean_runs(
    tmp_path: Path,
) -> None:
    _activity, ledger = population(tmp_path)
    clean = sweep(ledger, as_of=AS_OF, out=tmp_path / "clean", processes=False)
    broken = BreaksOnce(ParquetLedger(ledger), "00002", str(tmp_path / "flag"))
    out = tmp_path / "out"
    with pytest.raises(OSError, match="the disk went away"):
        sweep(broken, as_of=AS_OF, out=out, processes=False)
    assert not (out / "sweep.json").exists()
    assert sorted(p.name for p in (out / "parts").glob("*.done.json")) == [
        "00000.done.json",
        "00001.done.json",
    ]
    retried = sweep(broken, as_of=AS_OF, out=out, processes=False)
    assert retried.skipped == 2  # 0 and 1 were done; 2 and 3 ran
    assert attrs.evolve(retried, skipped=0) == clean
    clean_files = {k: v for k, v in _files(tmp_path / "clean").items() if k.startswith("parts/")}
    assert {k: v for k, v in _files(out).items() if k.startswith("parts/")} == clean_files


def test_a_partition_that_died_before_its_done_marker_is_run_again(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    out = tmp_path / "out"
    clean = sweep(ledger, as_of=AS_OF, out=out, processes=False)
    files = _files(out)
    # Partition 1 died after writing half its events file and before its marker; a temporary
    # file of another attempt is lying around.
    (out / "parts" / "00001.done.json").unlink()
    events = out / "parts" / "00001.events.parquet"
    events.write_bytes(events.read_bytes()[:100])
    (out / "parts" / ".tmp-0123-00001.events.parquet").write_bytes(b"half")
    again = sweep(ledger, as_of=AS_OF, out=out, processes=False)
    assert again.skipped == 3
    assert attrs.evolve(again, skipped=0) == clean
    after = _files(out)
    del after["parts/.tmp-0123-00001.events.parquet"]
    assert after == files
    assert read_sweep(out) == sweep(ledger, as_of=AS_OF, processes=False).rows


def test_a_directory_of_another_run_is_refused(tmp_path: Path) -> None:
    _activity, ledger = population(tmp_path)
    out = tmp_path / "out"
    sweep(ledger, as_of=AS_OF, out=out, processes=False)
    with pytest.raises(DataError, match="the directory holds another run") as err:
        sweep(ledger, as_of=AS_OF + dt.timedelta(days=1), out=out, processes=False)
    assert err.value.path == str(out / "run.json")


def test_appending_a_night_twice_adds_nothing_and_the_night_is_then_done(tmp_path: Path) -> None:
    _activity, path = population(tmp_path)
    ledger = ParquetLedger(path)
    before = len(all_events(ledger))
    out = tmp_path / "out"
    night = sweep(ledger, as_of=AS_OF, out=out, processes=False)
    assert append_sweep(out, ledger) == 8  # events + notices of 4 buckets
    after = all_events(ledger)
    assert len(after) == before + night.events
    assert append_sweep(out, ledger) == 0
    assert len(all_events(ledger)) == len(after)
    # Tomorrow's job at the same time: nothing left to record, every notice already sent.
    redo = sweep(ledger, as_of=AS_OF, processes=False)
    assert (redo.events, redo.notices) == (0, 0)
    assert redo.balances == night.balances
    assert redo.read == len(after)


def test_a_different_night_under_the_same_name_is_refused(tmp_path: Path) -> None:
    _activity, path = population(tmp_path)
    ledger = ParquetLedger(path)
    sweep(ledger, as_of=AS_OF, out=tmp_path / "a", processes=False)
    append_sweep(tmp_path / "a", ledger)
    other = tmp_path / "b"
    sweep(ledger, as_of=AS_OF, out=other, processes=False)  # (nothing due: empty files)
    with pytest.raises(
        DataError, match=r"holds other rows than .* \(another sweep of that time\?\)"
    ):
        append_sweep(other, ledger)


def test_as_of_must_be_a_datetime(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"as_of: must be a datetime\.datetime, got '2027-01-01'"):
        sweep(tmp_path, as_of="2027-01-01", processes=False)  # type: ignore[arg-type]


def test_the_nights_events_are_what_catch_up_records_for_each_owner(tmp_path: Path) -> None:
    from punchcard.lifecycle import Business, catch_up, replay

    _activity, ledger = population(tmp_path)
    rows = sweep(ledger, as_of=AS_OF, processes=False).rows
    assert rows is not None
    assert rows.events
    source = ParquetLedger(ledger)
    by_owner: dict[str, list[EventRow]] = {}
    for part in source.partitions():
        for row in source.read(part):
            by_owner.setdefault(row.owner, []).append(row)
    expected = []
    for owner, owned in sorted(by_owner.items()):
        state = replay(life.decode(json.loads(r.body)) for r in owned)
        caught = catch_up(state, as_of=AS_OF, business=Business())
        expected += [(owner, event) for event in caught.events]
    got = [(r.owner, life.decode(json.loads(r.body))) for r in rows.events]
    key = lambda pair: (pair[0], pair[1].package_id, pair[1].seq)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
