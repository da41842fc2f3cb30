"""The nightly job over every owner, split over processes: uses, expiries, notices, balances.

Each night a business's job records what has become true since the last event of each package
(``catch_up``: held credits whose appointment time has passed are used, packages whose expiry
date ended expire; every operation during the day records the same for the packages it reads),
lists the notices to send (expiry reminders, low balances) and writes the balances report. punchcard's lifecycle functions are pure and every
package belongs to one owner, so the job splits the owners into partitions and sweeps each
partition on its own, here in processes of a ``concurrent.futures.ProcessPoolExecutor``. Nothing
is shared between partitions and nothing big is sent to a worker: a partition is a seed, a list
of owner ids and the time; the worker reads (here: makes up, deterministically from the seed and
the owner id) each owner's ledger, and returns the new ledger events, the notices and the
balance rows of its owners. The parent merges them in a fixed order, so the result is the same
whatever the number of processes; ``--check`` runs it with 1 process and with N and compares.

Run it with ``python examples/nightly_sweep.py [--owners 2000] [--processes N] [--check]``.
See ``docs/scale-out.md`` for the same partition function on Dask or Spark.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import hashlib
import os
import random
import sys
import time
import zlib
from collections.abc import Iterable, Sequence

import attrs

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    Actor,
    BalanceRow,
    LedgerEvent,
    LedgerState,
    Notification,
    OperationRefused,
    Outcome,
    PackageExpired,
    PackageType,
    RedemptionUsed,
    TypeComponent,
    assign,
    balances_report,
    cancel,
    catch_up,
    checkout,
    deduct,
    describe,
    hold,
    notifications_due,
    purchase,
    replay,
    state_as_of,
)

#: When tonight's job runs: 06:00, read (naive) as local time in each package's own zone.
AS_OF = dt.datetime(2026, 6, 1, 6, 0)
#: Where owners shop, and the zone of each location.
LOCATIONS = {
    "downtown": "America/New_York",
    "lakeside": "America/Chicago",
    "harbor": "America/Los_Angeles",
}
PRICES = {
    "daycare_full": Money("30.00", "USD"),
    "grooming": Money("55.00", "USD"),
    "shampoo": Money("15.00", "USD"),
    "walk": Money("20.00", "USD"),
}
CATALOGUE = (
    PackageType(
        id="daycare-10",
        name="10 Day Daycare",
        components=[TypeComponent("daycare_full", 10)],
        price=Money("250.00", "USD"),
        days_to_expiration=30,
        reminder_days=7,
        low_balance_threshold=2,
    ),
    PackageType(
        id="groom-5-shampoo-2",
        name="5 Grooming + 2 Shampoo",
        components=[TypeComponent("grooming", 5), TypeComponent("shampoo", 2)],
        price=Money("300.00", "USD"),
        days_to_expiration=60,
        reminder_days=10,
        low_balance_threshold=1,
    ),
    PackageType(
        id="walks-10h",
        name="10 Hours of Walks",
        components=[TypeComponent("walk", 10, hourly=True)],
        price=Money("180.00", "USD"),
        low_balance_threshold=2,
    ),
    PackageType(
        id="daycare-5-first-use",
        name="5 Days, 45 Days From First Use",
        components=[TypeComponent("daycare_full", 5)],
        price=Money("140.00", "USD"),
        days_to_expiration=45,
        expiry_starts="first_use",
        reminder_days=7,
    ),
)
STAFF = Actor("manager", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS})
FIRST_DAY = dt.datetime(2026, 2, 1)


# -- one owner's ledger ---------------------------------------------------------------------------


@attrs.frozen(order=True)
class _Step:
    """One step of an owner's made-up history, in time order."""

    when: dt.datetime
    number: int
    kind: str = attrs.field(order=False)
    item: str = attrs.field(default="", order=False)
    #: For a purchase: which of the owner's packages.
    package: int = attrs.field(default=0, order=False)
    #: For a cancellation: the number of the booking's step.
    booking: int = attrs.field(default=0, order=False)


def owner_ledger(seed: int, owner: str, *, until: dt.datetime = AS_OF) -> list[LedgerEvent]:
    """The ledger of *owner*'s packages before *until*: a stand-in for reading the owner's events
    from the host's store, made up from *seed* and the owner id alone (the same in any process).

    One to three packages bought from February, then visits: checkouts, bookings (credits held,
    some cancelled), credits given or deducted by staff; before each step, the previous nights'
    jobs (held credits whose time passed become used, packages expire).
    """
    rng = random.Random(f"{seed}:{owner}")
    location = rng.choice(sorted(LOCATIONS))
    zone = LOCATIONS[location]
    pets = ["rex", "bella", "milo"][: rng.randint(1, 3)]
    steps: list[_Step] = []

    def moment(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, rng.choice((0, 15, 30, 45))))

    types = [rng.choice(CATALOGUE) for _ in range(rng.randint(1, 3))]
    for j, ptype in enumerate(types):
        day = FIRST_DAY.date() + dt.timedelta(days=rng.randrange(119))
        steps.append(_Step(moment(day, rng.randint(9, 17)), len(steps), "buy", package=j))
        for _ in range(rng.randint(1, ptype.quantity + 2)):
            later = rng.randint(1, ptype.days_to_expiration or 60)
            visit = moment(day + dt.timedelta(days=later), rng.randint(8, 17))
            item = rng.choice(ptype.components).item
            kind = rng.choices(("checkout", "hold", "staff"), (6, 3, 1))[0]
            steps.append(_Step(visit, len(steps), kind, item=item))
            if kind == "hold" and rng.random() < 0.3:
                cancel_at = visit + dt.timedelta(hours=5)
                steps.append(_Step(cancel_at, len(steps), "cancel", booking=len(steps) - 1))
    ledger: list[LedgerEvent] = []
    state = LedgerState()

    def record(outcome: Outcome) -> None:
        nonlocal state
        ledger.extend(outcome.events)
        state = outcome.state

    def nightly(at: dt.datetime) -> None:
        record(catch_up(state, as_of=at))

    for step in sorted(s for s in steps if s.when < until):
        when, kind, item = step.when, step.kind, step.item
        nightly(when)
        try:
            if kind == "buy":
                record(
                    purchase(
                        state,
                        types[step.package],
                        package_id=f"{owner}-p{step.package}",
                        owner=owner,
                        as_of=when,
                        timezone=zone,
                    )
                )
                continue
            if kind == "cancel":
                record(cancel(state, f"{owner}-b{step.booking}", as_of=when))
                continue
            pet = rng.choice(pets)
            if kind == "staff":
                live = [p.id for p in state.packages if p.status == "active"]
                if live:
                    target = rng.choice(live)
                    items = [c.item for c in state.package(target).components]
                    change = assign if rng.random() < 0.5 else deduct
                    record(change(state, target, items[0], 1, as_of=when, actor=STAFF, note="desk"))
                continue
            hourly = item == "walk"
            line = Line(
                f"{pet}-{item}",
                item,
                PRICES[item],
                units=rng.randint(1, 2) if hourly else 1,
                beneficiary=pet,
                charge_by="hour" if hourly else "each",
            )
            cart = Cart(owner, location, "USD", [line])
            if kind == "checkout":
                record(
                    checkout(
                        state, cart, booking=f"{owner}-b{step.number}", as_of=when, timezone=zone
                    )
                )
            else:
                scheduled = dt.datetime.combine(
                    when.date() + dt.timedelta(days=rng.randint(1, 10)), dt.time(8)
                )
                record(
                    hold(
                        state,
                        cart,
                        booking=f"{owner}-b{step.number}",
                        as_of=when,
                        scheduled_for=scheduled,
                        timezone=zone,
                    )
                )
        except OperationRefused:
            pass  # a step the rules refuse (its package ran out or expired): the desk moves on
    nightly(until - dt.timedelta(days=1))  # last night's job
    return ledger


# -- a partition ----------------------------------------------------------------------------------


@attrs.frozen
class Partition:
    """What a worker is sent: small, whatever the size of the owners' ledgers."""

    seed: int
    owners: tuple[str, ...]
    as_of: dt.datetime


@attrs.frozen
class PartitionResult:
    """What a worker sends back for its owners."""

    owners: int
    packages: int
    #: The new ledger events (uses and expiries, in the order they took effect, per package):
    #: the host appends them.
    events: tuple[LedgerEvent, ...]
    #: The notices to send tonight (those due last night were sent then).
    notifications: tuple[Notification, ...]
    #: The balances report rows of the owners.
    balances: tuple[BalanceRow, ...]


def sweep_owner(seed: int, owner: str, as_of: dt.datetime) -> PartitionResult:
    """Tonight's job for one owner: a pure function of the owner's ledger and the time."""
    ledger = owner_ledger(seed, owner, until=as_of)
    state = replay(ledger)
    night = catch_up(state, as_of=as_of)
    state = night.state
    # The notices due by last night's job were sent then: their keys come from the same ledger.
    night_before = as_of - dt.timedelta(days=1)
    sent = {
        n.key
        for n in notifications_due(state_as_of(ledger, night_before).packages, as_of=night_before)
    }
    return PartitionResult(
        owners=1,
        packages=len(state),
        events=night.events,
        notifications=tuple(notifications_due(state.packages, as_of=as_of, sent=sent)),
        balances=balances_report(state.packages, as_of=as_of),
    )


def merge(results: Iterable[PartitionResult]) -> PartitionResult:
    """One result from many, in an order that does not depend on how the owners were split."""
    parts = list(results)
    return PartitionResult(
        owners=sum(r.owners for r in parts),
        packages=sum(r.packages for r in parts),
        events=tuple(
            sorted((e for r in parts for e in r.events), key=lambda e: (e.package_id, e.seq))
        ),
        notifications=tuple(
            sorted(
                (n for r in parts for n in r.notifications),
                key=lambda n: (n.owner, n.package_id, n.key),
            )
        ),
        balances=tuple(
            sorted(
                (b for r in parts for b in r.balances),
                key=lambda b: (b.owner, b.package_id, b.item),
            )
        ),
    )


def sweep_partition(partition: Partition) -> PartitionResult:
    """Tonight's job for the owners of *partition* (what each worker runs)."""
    return merge(sweep_owner(partition.seed, owner, partition.as_of) for owner in partition.owners)


def partition_of(owner: str, partitions: int) -> int:
    """The partition of *owner*: a stable hash (the same in every process and on every machine;
    Python's ``hash()`` of a string is not), modulo the number of partitions.

    >>> partition_of("owner-000042", 8) == partition_of("owner-000042", 8)
    True
    """
    return zlib.crc32(owner.encode("utf-8")) % partitions


def partitions(
    owners: Sequence[str], count: int, *, seed: int, as_of: dt.datetime
) -> list[Partition]:
    """The owners split into *count* partitions by :func:`partition_of` (empty ones dropped)."""
    buckets: list[list[str]] = [[] for _ in range(count)]
    for owner in owners:
        buckets[partition_of(owner, count)].append(owner)
    return [Partition(seed, tuple(b), as_of) for b in buckets if b]


def nightly_sweep(
    owners: Sequence[str], *, processes: int, seed: int, as_of: dt.datetime = AS_OF
) -> tuple[PartitionResult, int]:
    """Tonight's job over *owners*: in this process with *processes* = 1 (one partition),
    otherwise four partitions per process over a process pool. Returns the merged result and
    the number of partitions."""
    if processes == 1:
        return sweep_partition(Partition(seed, tuple(owners), as_of)), 1
    tasks = partitions(owners, 4 * processes, seed=seed, as_of=as_of)
    with concurrent.futures.ProcessPoolExecutor(max_workers=processes) as pool:
        return merge(pool.map(sweep_partition, tasks)), len(tasks)


# -- the report -----------------------------------------------------------------------------------


def totals(result: PartitionResult) -> dict[str, str]:
    """The counts of *result*, and a digest of all of it (equal digests: equal results)."""
    expiries = [e for e in result.events if isinstance(e, PackageExpired)]
    digest = hashlib.sha256()
    for value in (*result.events, *result.notifications, *result.balances):
        digest.update(repr(value).encode("utf-8") + b"\n")
    counts = {
        "owners": result.owners,
        "packages": result.packages,
        "uses": sum(isinstance(e, RedemptionUsed) for e in result.events),
        "expiries": len(expiries),
        "expired_credits": sum(c.credits for e in expiries for c in e.credits),
        "reminders": sum(n.kind == "expiry_reminder" for n in result.notifications),
        "low_balance": sum(n.kind == "low_balance" for n in result.notifications),
        "balance_rows": len(result.balances),
        "credits_left": sum(b.remaining for b in result.balances),
        "credits_held": sum(b.held for b in result.balances),
    }
    return {**{k: str(v) for k, v in counts.items()}, "digest": digest.hexdigest()[:16]}


def timed_run(
    owners: Sequence[str], processes: int, seed: int
) -> tuple[PartitionResult, dict[str, str]]:
    began = time.perf_counter()
    result, parts = nightly_sweep(owners, processes=processes, seed=seed)
    took = time.perf_counter() - began
    shown = totals(result)
    label = f"{processes} process{'es' if processes > 1 else ''} ({parts} partition"
    label += f"{'s' if parts > 1 else ''})"
    print(f"totals with {label}: " + " ".join(f"{k}={v}" for k, v in shown.items()), end="")
    print(f"  [{took:.2f} s]")
    return result, shown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=2_000, help="owners (default 2000)")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="default: the CPU count"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the made-up ledgers")
    parser.add_argument("--check", action="store_true", help="also run in 1 process and compare")
    args = parser.parse_args(argv)
    if args.owners < 1 or args.processes < 1:
        parser.error("--owners and --processes must be at least 1")
    owners = [f"owner-{i:06d}" for i in range(args.owners)]
    print(
        f"nightly sweep at {AS_OF:%Y-%m-%d %H:%M} (local time of each package), "
        f"{args.owners} owners, seed {args.seed}"
    )
    result, shown = timed_run(owners, args.processes, args.seed)
    same = True
    if args.check:
        _serial, alone = timed_run(owners, 1, args.seed)
        same = alone == shown
        print(f"same results with 1 and {args.processes} processes: {'yes' if same else 'NO'}")
    print("sample of the new ledger events:")
    for ev in [e for e in result.events if isinstance(e, PackageExpired)][:2] + [
        e for e in result.events if isinstance(e, RedemptionUsed)
    ][:2]:
        print(f"  {ev.package_id} #{ev.seq}: {describe(ev)}")
    print("sample of the notices:")
    for note in result.notifications[:3]:
        print(
            f"  {note.kind} to {note.owner} for {note.package_id}: {note.remaining} left, "
            f"expires {note.expires_on}"
        )
    print("sample of the balances report:")
    for row in result.balances[:3]:
        print(
            f"  {row.owner} {row.package_id} {row.item}: {row.remaining} left, {row.held} held, "
            f"expires {row.expires_on}"
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
