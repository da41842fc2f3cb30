"""Made-up but plausible populations: recorded activity of a three-location pet daycare, and the
ledger its desk would have recorded. For tests, examples and benchmarks.

Each owner's records come from a random generator seeded with ``(seed, owner)``, so an owner's
activity is the same whatever the number of owners, parts or workers. An owner lives near one
location (and goes to another one time in ten), has one to three pets, buys one to three
packages over the period (the second often while the first still has credits, so that FIFO and
earliest-expiry orders differ), and comes for daycare, grooming, walks or boarding: checkouts
at the till, bookings made a few days ahead (one in five cancelled).

>>> info = activity_info(parts=4, start=dt.date(2026, 1, 1), months=3)
>>> records = owner_records(7, "owner-0000001", info)
>>> records[0].kind, records == owner_records(7, "owner-0000001", info)
('purchase', True)
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from pathlib import Path

import attrs

from ..models import Line
from ..money import Money
from ..timeutil import to_local, zone
from . import _lifecycle as life
from ._run import Cluster, run_tasks
from .activity import HEADER, ActivityInfo, Record, TypeSpec, read_info, read_part, write_part
from .backtest import ReplayContext, owners_of, replay_owner
from .ledger import ParquetLedger, event_rows, partition_of, write_json
from .variant import DEFAULT, Variant

__all__ = [
    "LOCATIONS",
    "GeneratedLedger",
    "activity_info",
    "generate_activity",
    "generate_ledger",
    "owner_records",
]

#: The locations of the made-up business, and their zones.
LOCATIONS = {
    "downtown": "America/New_York",
    "lakeside": "America/Chicago",
    "harbor": "America/Los_Angeles",
}
_PRICES = {
    "daycare_full": "30.00",
    "grooming": "55.00",
    "shampoo": "15.00",
    "walk": "20.00",
    "boarding": "45.00",
}


def _types(currency: str) -> tuple[TypeSpec, ...]:
    def usd(amount: str) -> Money:
        return Money(amount, currency)

    out: list[TypeSpec] = []
    for loc in sorted(LOCATIONS):
        out += [
            TypeSpec(f"daycare-10@{loc}", "10 Day Daycare", (("daycare_full", 10, False),),
                     usd("250.00"), loc, 30, "sale", 7, 2),
            TypeSpec(f"daycare-20@{loc}", "20 Day Daycare", (("daycare_full", 20, False),),
                     usd("460.00"), loc, 90, "sale", 10, 3),
            TypeSpec(f"groom-5-shampoo-2@{loc}", "5 Grooming + 2 Shampoo",
                     (("grooming", 5, False), ("shampoo", 2, False)), usd("300.00"), loc, 60,
                     "sale", 10, 1),
            TypeSpec(f"walks-10h@{loc}", "10 Hours of Walks", (("walk", 10, True),),
                     usd("180.00"), loc, None, "sale", None, 2),
            TypeSpec(f"daycare-5-first-use@{loc}", "5 Days, 45 Days From First Use",
                     (("daycare_full", 5, False),), usd("140.00"), loc, 45, "first_use", 7),
            TypeSpec(f"monthly-8@{loc}", "Monthly 8 Days", (("daycare_full", 8, False),),
                     usd("200.00"), loc, None, "sale", None, 2, ("months", 1)),
        ]  # fmt: skip
    out.append(
        TypeSpec("boarding-5", "5 Nights Boarding", (("boarding", 5, False),), usd("200.00"),
                 None, 180, "sale", 14, 1)
    )  # fmt: skip
    return tuple(out)


def activity_info(
    *, parts: int = 16, start: dt.date = dt.date(2026, 1, 1), months: int = 12
) -> ActivityInfo:
    """The header of a made-up activity: USD, months in New York time, *months* months from
    *start* (a first of the month), the catalogue of the three locations."""
    end_month = start.month - 1 + months
    end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1)
    return ActivityInfo(
        "USD",
        "America/New_York",
        start,
        end,
        parts,
        tuple(sorted(LOCATIONS.items())),
        _types("USD"),
    )


_WEIGHTS = {"daycare-10": 6, "daycare-20": 3, "groom-5-shampoo-2": 3, "walks-10h": 2,
            "daycare-5-first-use": 2, "monthly-8": 1, "boarding-5": 1}  # fmt: skip


def owner_records(seed: int, owner: str, info: ActivityInfo) -> list[Record]:
    """The records of *owner* over the period of *info*, in time order."""
    rng = random.Random(f"{seed}:{owner}")
    names = sorted(dict(info.locations))
    home = rng.choice(names)
    zones = {name: zone(tz) for name, tz in info.locations}
    pets = ["rex", "bella", "milo"][: rng.choices((1, 2, 3), (5, 3, 1))[0]]
    offer = [t for t in info.package_types if t.location in (home, None)]
    weights = [_WEIGHTS.get(t.id.split("@")[0], 1) for t in offer]
    days = (info.end - info.start).days
    out: list[tuple[dt.datetime, int, Record]] = []

    def moment(day: dt.date, hour: int, location: str) -> dt.datetime:
        clock = dt.time(hour, rng.choice((0, 15, 30, 45)))
        return to_local(dt.datetime.combine(day, clock), zones[location])

    def add(record: Record) -> None:
        out.append((record.at, len(out), record))

    bought = info.start
    for j in range(rng.choices((1, 2, 3), (5, 3, 2))[0]):
        spec = rng.choices(offer, weights)[0]
        if j and rng.random() < 0.6:
            day = bought + dt.timedelta(days=rng.randint(3, 25))
        else:
            day = info.start + dt.timedelta(days=rng.randrange(max(days - 14, 1)))
        if day >= info.end:
            continue
        bought = day
        sold = moment(day, rng.randint(9, 17), home)
        add(Record("purchase", owner, sold, home, package_id=f"{owner}-p{j}", type=spec.id))
        if spec.subscription is not None:
            visits = max(1, (info.end - day).days // 30) * rng.randint(3, 7)
            window = (info.end - day).days
        else:
            visits = max(1, round(spec.quantity * rng.uniform(0.3, 0.8)))
            window = (spec.days_to_expiration or 120) + 10
        for _ in range(visits):
            when = day + dt.timedelta(days=rng.randint(1, max(window, 1)))
            if when >= info.end:
                continue
            item, _quantity, hourly = rng.choice(spec.components)
            where = home if spec.location is None or rng.random() < 0.9 else rng.choice(names)
            going = rng.sample(pets, 2 if len(pets) > 1 and rng.random() < 0.25 else 1)
            price = Money(_PRICES[item], info.currency)
            lines = tuple(
                Line(f"{pet}-1", item, price, units=rng.randint(1, 2) if hourly else 1,
                     beneficiary=pet, charge_by="hour" if hourly else "each")
                for pet in going
            )  # fmt: skip
            booking = f"{owner}-b{len(out)}"
            if rng.random() < 0.6:
                add(Record("checkout", owner, moment(when, rng.randint(8, 17), where), where,
                           booking=booking, lines=lines))  # fmt: skip
                continue
            service = moment(when, rng.randint(8, 12), where)
            made = max(service - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 5)),
                       sold + dt.timedelta(minutes=1))  # fmt: skip
            if made >= service:
                continue
            add(Record("booking", owner, made, where, booking=booking, lines=lines,
                       scheduled_for=service))  # fmt: skip
            if rng.random() < 0.2:
                cancelled = made + (service - made) * rng.uniform(0.1, 0.9)
                add(Record("cancel", owner, cancelled, where, booking=booking))
    out.sort(key=lambda entry: (entry[0], entry[1]))
    return [record for _at, _n, record in out]


@attrs.frozen
class _ActivityTask:
    path: str
    part: int
    owners: int
    seed: int
    info: ActivityInfo


def _owner_name(number: int) -> str:
    return f"owner-{number:07d}"


def _activity_part(task: _ActivityTask) -> int:
    import json

    lines = []
    for number in range(task.owners):
        owner = _owner_name(number)
        if partition_of(owner, task.info.parts) == task.part:
            for record in owner_records(task.seed, owner, task.info):
                lines.append(json.dumps(record.to_json(), ensure_ascii=False))
    write_part(Path(task.path), task.part, lines)
    return len(lines)


def generate_activity(
    path: str | os.PathLike[str],
    *,
    owners: int,
    seed: int = 7,
    start: dt.date = dt.date(2026, 1, 1),
    months: int = 12,
    parts: int = 16,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    progress: bool = False,
) -> ActivityInfo:
    """Write the activity of *owners* made-up owners (``owner-0000000``...) to the directory
    *path*, part by part (where: as :func:`~punchcard.scale.sweep`). The header is written
    last: a directory without one is not finished."""
    info = activity_info(parts=parts, start=start, months=months)
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    tasks = [_ActivityTask(os.fspath(root), k, owners, seed, info) for k in range(parts)]
    cluster = Cluster(workers, scheduler, processes)
    run_tasks(_activity_part, tasks, cluster=cluster, label="activity", progress=progress)
    write_json(root / HEADER, info.to_json())
    return info


@attrs.frozen
class GeneratedLedger:
    """A ledger made by :func:`generate_ledger`."""

    ledger: ParquetLedger
    owners: int
    packages: int
    events: int


@attrs.frozen
class _LedgerTask:
    activity: str
    ledger: str
    part: int
    variant: Variant


def _ledger_part(task: _LedgerTask) -> tuple[int, int, int]:
    info = read_info(task.activity)
    context = ReplayContext.of(info)
    rules = context.business(task.variant)
    events: list[life.Event] = []
    owners = 0
    for group in owners_of(read_part(task.activity, info, task.part)):
        owners += 1
        events += replay_owner(group, context=context, rules=rules, close_period=False)
    rows = list(event_rows(events))
    packages = sum(1 for r in rows if r.seq == 1)
    ParquetLedger(task.ledger).write(task.part, "base", rows)
    return owners, packages, len(rows)


def generate_ledger(
    activity: str | os.PathLike[str],
    ledger: str | os.PathLike[str],
    *,
    variant: Variant = DEFAULT,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    progress: bool = False,
) -> GeneratedLedger:
    """The ledger the desk would have recorded for *activity* under *variant* (each operation
    with its catch-up, and the nightly catch-up at each month's end), written as a new Parquet
    ledger at *ledger* with one bucket per part of the activity."""
    info = read_info(activity)
    created = ParquetLedger.create(ledger, buckets=info.parts)
    tasks = [_LedgerTask(os.fspath(activity), created.path, k, variant) for k in range(info.parts)]
    cluster = Cluster(workers, scheduler, processes)
    counts: Sequence[tuple[int, int, int]] = run_tasks(
        _ledger_part, tasks, cluster=cluster, label="ledger", progress=progress
    )
    return GeneratedLedger(
        created, sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts)
    )
