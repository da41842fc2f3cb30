"""Shared pieces of the scale-out tests: a small made-up population and the reference answers
(computed in one process, over one fold of the whole ledger, with no partitions)."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from pathlib import Path

from punchcard.scale import ParquetLedger, SweepRows, event_rows, generate_activity, generate_ledger
from punchcard.scale import _lifecycle as life
from punchcard.scale.variant import DEFAULT

#: The night the tests sweep: two weeks after the period of the made-up activity ends, so that
#: expiries, uses of held credits and renewals are due.
AS_OF = dt.datetime(2027, 1, 15, 6, 0)
OWNERS = 20
PARTS = 4


@functools.cache
def _population(owners: int, parts: int, seed: int) -> tuple[Path, Path]:
    root = Path(tempfile.mkdtemp(prefix="punchcard-scale-"))
    activity, ledger = root / "activity", root / "ledger"
    generate_activity(activity, owners=owners, parts=parts, seed=seed, processes=False)
    generate_ledger(activity, ledger, processes=False)
    return activity, ledger


def population(
    into: Path, *, owners: int = OWNERS, parts: int = PARTS, seed: int = 7
) -> tuple[Path, Path]:
    """A made-up activity and its ledger, copied into *into* (made once per test session)."""
    activity, ledger = _population(owners, parts, seed)
    shutil.copytree(activity, into / "activity")
    shutil.copytree(ledger, into / "ledger")
    return into / "activity", into / "ledger"


def all_events(ledger: ParquetLedger) -> list[life.Event]:
    """Every event of *ledger*, decoded, bucket after bucket."""
    import json

    return [
        life.decode(json.loads(row.body))
        for part in ledger.partitions()
        for row in ledger.read(part)
    ]


def reference_sweep(ledger: ParquetLedger, as_of: dt.datetime = AS_OF) -> SweepRows:
    """Tonight's job over the whole ledger at once: one fold, one night, no partitions."""
    events = all_events(ledger)
    sent = frozenset(k for part in ledger.partitions() for k in ledger.sent(part))
    night = life.night(life.fold(events), as_of=as_of, sent=sent, rules=DEFAULT.rules())
    owners = {life.encode(e)["package_id"]: life.owner_of(e) for e in events if life.owner_of(e)}
    return SweepRows.merge(
        [SweepRows(tuple(event_rows(night.events, dict(owners))), night.notices, night.balances)]
    )
