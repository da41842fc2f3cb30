"""examples/nightly_sweep.py: the nightly job partitioned by owner gives the same result however
the owners are split, and the same as one job over the whole ledger (no coordination needed)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from punchcard.lifecycle import (
    BalanceRow,
    LedgerEvent,
    Notification,
    PackageExpired,
    RedemptionUsed,
    balances_report,
    catch_up,
    notifications_due,
    replay,
    state_as_of,
)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "nightly_sweep.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("punchcard_example_nightly_sweep", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sweep = _load()
AS_OF: dt.datetime = sweep.AS_OF
SEED = 7
#: Enough owners that tonight's job has events and notices to merge.
OWNERS = [f"owner-{i:06d}" for i in range(150)]


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def _totals(line: str) -> dict[str, str]:
    fields = line.split(": ", 1)[1].split("  [")[0]
    return dict(pair.split("=", 1) for pair in fields.split())


def test_script_gives_the_same_totals_with_one_and_two_processes() -> None:
    out = _run("--owners", "200", "--processes", "2", "--check")
    lines = [line for line in out.splitlines() if line.startswith("totals with ")]
    assert [line.split(":")[0] for line in lines] == [
        "totals with 2 processes (8 partitions)",
        "totals with 1 process (1 partition)",
    ]
    parallel, serial = (_totals(line) for line in lines)
    assert parallel == serial
    assert "same results with 1 and 2 processes: yes" in out.splitlines()
    # The run did real work: every kind of result is there.
    assert parallel["owners"] == "200"
    assert int(parallel["packages"]) >= 200
    # (A low-balance notice falls due only on the night a use or a deduction brings a package
    # to its threshold: none does on this night for these 200 owners.)
    for key in ("uses", "expiries", "expired_credits", "reminders"):
        assert int(parallel[key]) > 0, key
    assert int(parallel["balance_rows"]) > 0
    assert int(parallel["credits_left"]) > int(parallel["credits_held"]) > 0


def _global_job(
    owners: list[str],
) -> tuple[list[LedgerEvent], list[Notification], list[BalanceRow]]:
    """Tonight's job run once over one ledger holding every owner's events."""
    ledger = [ev for owner in owners for ev in sweep.owner_ledger(SEED, owner)]
    night = catch_up(replay(ledger), as_of=AS_OF)
    night_before = AS_OF - dt.timedelta(days=1)
    before = state_as_of(ledger, night_before)
    sent = {n.key for n in notifications_due(before.packages, as_of=night_before)}
    notes = notifications_due(night.state.packages, as_of=AS_OF, sent=sent)
    rows = balances_report(night.state.packages, as_of=AS_OF)
    return (
        sorted(night.events, key=lambda e: (e.package_id, e.seq)),
        sorted(notes, key=lambda n: (n.owner, n.package_id, n.key)),
        sorted(rows, key=lambda b: (b.owner, b.package_id, b.item)),
    )


def test_partitioned_job_equals_one_job_over_the_whole_ledger() -> None:
    events, notes, rows = _global_job(OWNERS)
    assert events
    assert notes
    for count in (1, 3, 5):
        parts = sweep.partitions(OWNERS, count, seed=SEED, as_of=AS_OF)
        merged = sweep.merge(sweep.sweep_partition(p) for p in parts)
        assert merged.owners == len(OWNERS)
        assert list(merged.events) == events
        assert list(merged.notifications) == notes
        assert list(merged.balances) == rows


def test_partitions_cover_every_owner_once() -> None:
    owners = [f"owner-{i:06d}" for i in range(200)]
    parts = sweep.partitions(owners, 8, seed=SEED, as_of=AS_OF)
    assert len(parts) == 8
    assert sorted(o for p in parts for o in p.owners) == owners
    for number, part in enumerate(parts):
        assert {zlib.crc32(o.encode()) % 8 for o in part.owners} == {number}


def test_partition_of_does_not_depend_on_the_process() -> None:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(SCRIPT)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print([m.partition_of(f'owner-{i:06d}', 16) for i in range(50)])\n"
    )
    seen = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        seen.add(done.stdout)
    assert seen == {str([sweep.partition_of(f"owner-{i:06d}", 16) for i in range(50)]) + "\n"}


@pytest.mark.parametrize("owner", OWNERS[:12])
def test_new_events_append_to_the_owners_ledger(owner: str) -> None:
    ledger = sweep.owner_ledger(SEED, owner)
    result = sweep.sweep_owner(SEED, owner, AS_OF)
    # The new events continue each package's sequence: appended, the ledger replays to the
    # swept state, in which nothing is left to use or expire.
    after = replay([*ledger, *result.events])
    assert catch_up(after, as_of=AS_OF).events == ()
    assert {e.package_id for e in result.events} <= {p.id for p in after.packages}
    for ev in result.events:
        if isinstance(ev, PackageExpired):
            # Expired at 23:59 local on its date, which ended before tonight's 06:00.
            assert ev.expires_on < AS_OF.date()
            assert after.package(ev.package_id).status == "expired"
        else:
            assert isinstance(ev, RedemptionUsed)
            assert ev.reason == "time_passed"
    # The balances list every component of the active packages not expired at AS_OF.
    rows = {(b.package_id, b.item): b for b in result.balances}
    live = [
        p
        for p in after.packages
        if p.status == "active" and (p.expires_on is None or p.expires_on >= AS_OF.date())
    ]
    assert set(rows) == {(p.id, c.item) for p in live for c in p.components}
    for p in live:
        for c in p.components:
            assert (rows[(p.id, c.item)].remaining, rows[(p.id, c.item)].held) == (
                c.remaining,
                c.held,
            )
