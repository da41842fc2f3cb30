"""A policy backtest: the recorded activity of a period replayed under two or more variants
(FIFO against earliest expiry, ``any_location`` on and off...), and what each would have done,
per month and per location.

Each owner's records are replayed from an empty ledger, in time order, through the lifecycle's
operations under the variant's business, as the desk would have recorded them (each operation
records first what is already true at its time for the packages it reads: uses whose time
passed, renewals, expiries); at the end of each month (local midnight in the activity's
reporting zone), the nightly catch-up of every package, then a look at every package's money.
The measures:

- ``covered``: what credits took off checkouts and bookings (not cancelled), by the month of
  the service and the cart's location;
- ``due``: what was left to pay on them;
- ``credits_consumed``: credits those checkouts and bookings took;
- ``breakage_credits`` / ``breakage_value``: credits that expired unused (or were forfeited at a
  renewal) during the month, and their paid value (price / quantity, split exactly), by the
  package's location;
- ``deferred_revenue``: at the end of the month, the paid value of the credits not used yet
  (left or held), by the package's location.

Amounts are exact (``Decimal``); a partition's sums add up to the same totals whatever the
partitions. A package of no location is counted under ``(global)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from ..errors import InvalidValueError
from ..models import Cart
from ..money import Money
from ..timeutil import zone
from . import _lifecycle as life
from ._run import Cluster, run_tasks
from .activity import ActivityInfo, Record, read_info, read_part
from .variant import DEFAULT_VARIANTS, Variant

__all__ = ["MEASURES", "BacktestResult", "Measure", "backtest", "replay_owner"]

BACKTEST_FORMAT = "punchcard-backtest"
BACKTEST_VERSION = 1
GLOBAL: Final = "(global)"


@attrs.frozen
class Measure:
    """One measure of a backtest."""

    id: str
    label: str
    #: ``money`` or ``credits``.
    unit: str


MEASURES: tuple[Measure, ...] = (
    Measure("covered", "Amount covered by credits", "money"),
    Measure("due", "Amount due", "money"),
    Measure("credits_consumed", "Credits consumed", "credits"),
    Measure("breakage_credits", "Credits expired unused (breakage)", "credits"),
    Measure("breakage_value", "Value of the credits expired unused", "money"),
    Measure("deferred_revenue", "Deferred revenue at the end of the month", "money"),
)
_INDEX = {m.id: i for i, m in enumerate(MEASURES)}
Cells = dict[tuple[int, str], list[Any]]


def _zeros() -> list[Any]:
    return [Decimal(0) if m.unit == "money" else 0 for m in MEASURES]


@attrs.define
class _Booking:
    month: int
    location: str
    covered: Decimal
    due: Decimal
    credits: int
    cancelled: bool = False


class Tally:
    """The measures of one variant, per (month number, location), while replaying."""

    def __init__(self, months: int) -> None:
        self.months = months
        self.cells: Cells = {}
        self.refused = 0

    def add(self, month: int, location: str, measure: str, value: Any) -> None:
        if 0 <= month < self.months:
            cell = self.cells.get((month, location))
            if cell is None:
                cell = self.cells[(month, location)] = _zeros()
            cell[_INDEX[measure]] += value

    def merge(self, other: Tally) -> None:
        for key, values in other.cells.items():
            cell = self.cells.setdefault(key, _zeros())
            for i, v in enumerate(values):
                cell[i] += v
        self.refused += other.refused


@attrs.frozen
class ReplayContext:
    """What every owner of a task shares: the header, its catalogue, the month ends."""

    info: ActivityInfo
    catalogue: Mapping[str, Any]
    zones: Mapping[str, str]
    month_ends: tuple[dt.datetime, ...]
    months: tuple[tuple[int, int], ...]
    report_zone: dt.tzinfo

    @classmethod
    def of(cls, info: ActivityInfo) -> ReplayContext:
        catalogue = {
            t.id: life.package_type(**attrs.asdict(t, recurse=False)) for t in info.package_types
        }
        ends = info.month_ends()
        return cls(
            info,
            catalogue,
            dict(info.locations),
            tuple(end for _m, end in ends),
            tuple(m for m, _end in ends),
            zone(info.timezone),
        )

    def business(self, variant: Variant) -> life.Business:
        """The business of *variant*, with the zones of the activity's locations."""
        return life.with_zones(variant.rules(), self.info.timezone, self.info.locations)

    def month_of(self, moment: dt.datetime) -> int:
        """The month number of *moment* in the period (-1 before, ``len`` after)."""
        local = moment.astimezone(self.report_zone)
        first = self.months[0]
        return (local.year - first[0]) * 12 + local.month - first[1]


def replay_owner(
    records: Sequence[Record],
    *,
    context: ReplayContext,
    rules: life.Business,
    tally: Tally | None = None,
    close_period: bool = True,
) -> list[life.Event]:
    """Replay one owner's *records* (in time order) from an empty ledger under *rules* (the
    variant's business, with the zones of the activity's locations: :meth:`ReplayContext.business`);
    returns the events recorded. With *tally*, adds the owner's measures to it. With
    *close_period*, the month ends after the last record are closed too (the catch-up due by
    then is recorded)."""
    state = life.EMPTY
    events: list[life.Event] = []
    bookings: dict[str, _Booking] = {}
    memo: dict[str, tuple[object, life.Standing]] = {}
    counted: dict[str, tuple[Decimal, int]] = {}
    ends = context.month_ends
    closed = 0

    def close(month: int) -> None:
        nonlocal state
        new, state = life.due(state, as_of=ends[month], rules=rules)
        events.extend(new)
        if tally is None:
            return
        for s in life.standings(state, memo):
            where = s.location or GLOBAL
            tally.add(month, where, "deferred_revenue", s.deferred.amount)
            before = counted.get(s.package_id, (Decimal(0), 0))
            if (s.breakage.amount, s.expired) != before:
                tally.add(month, where, "breakage_value", s.breakage.amount - before[0])
                tally.add(month, where, "breakage_credits", s.expired - before[1])
                counted[s.package_id] = (s.breakage.amount, s.expired)

    for record in records:
        while closed < len(ends) and ends[closed] <= record.at:
            close(closed)
            closed += 1
        try:
            state = _step(record, state, events, bookings, context, rules)
        except life.Refused:
            if tally is not None:
                tally.refused += 1
    if close_period:
        while closed < len(ends):
            close(closed)
            closed += 1
    if tally is not None:
        for b in bookings.values():
            if not b.cancelled:
                tally.add(b.month, b.location, "covered", b.covered)
                tally.add(b.month, b.location, "due", b.due)
                tally.add(b.month, b.location, "credits_consumed", b.credits)
    return events


def _step(
    record: Record,
    state: life.State,
    events: list[life.Event],
    bookings: dict[str, _Booking],
    context: ReplayContext,
    rules: life.Business,
) -> life.State:
    """Record one step of the desk; returns the new state."""
    timezone = context.zones[record.location]
    if record.kind == "purchase":
        assert record.type is not None
        assert record.package_id is not None
        ptype = context.catalogue.get(record.type)
        if ptype is None:
            raise InvalidValueError("type", f"no package type {record.type!r} in the header")
        new, state = life.buy(
            state,
            ptype,
            package_id=record.package_id,
            owner=record.owner,
            as_of=record.at,
            timezone=timezone,
            rules=rules,
        )
        events.extend(new)
        return state
    assert record.booking is not None
    if record.kind == "cancel":
        booking = bookings.get(record.booking)
        if booking is not None and booking.credits == 0:
            booking.cancelled = True  # nothing was redeemed: nothing to give back
            return state
        new, state = life.cancel(state, record.booking, as_of=record.at, rules=rules)
        events.extend(new)
        if booking is not None:
            booking.cancelled = True
        return state
    cart = Cart(record.owner, record.location, context.info.currency, record.lines)
    service = record.at if record.scheduled_for is None else record.scheduled_for
    done = life.redeem(
        state,
        cart,
        booking=record.booking,
        as_of=record.at,
        scheduled_for=record.scheduled_for,
        rules=rules,
    )
    bookings[record.booking] = _Booking(
        context.month_of(service),
        record.location,
        done.covered.amount,
        done.due.amount,
        done.credits,
    )
    events.extend(done.events)
    return done.state


def owners_of(records: Iterable[Record]) -> Iterator[list[Record]]:
    """The records of each owner, one list per owner (they are together in a part)."""
    for _owner, group in itertools.groupby(records, key=lambda r: r.owner):
        yield list(group)


@attrs.frozen
class _Task:
    path: str
    part: int
    variants: tuple[Variant, ...]


@attrs.frozen
class _PartResult:
    owners: int
    records: int
    tallies: tuple[Tally, ...] = attrs.field(eq=False)


def _backtest_part(task: _Task) -> _PartResult:
    """Replay the owners of one part under every variant (what each worker runs)."""
    info = read_info(task.path)
    context = ReplayContext.of(info)
    compiled = [context.business(v) for v in task.variants]
    tallies = tuple(Tally(len(context.months)) for _ in task.variants)
    owners = records = 0
    for group in owners_of(read_part(task.path, info, task.part)):
        owners += 1
        records += len(group)
        for rules, tally in zip(compiled, tallies, strict=True):
            replay_owner(group, context=context, rules=rules, tally=tally)
    return _PartResult(owners, records, tallies)


@attrs.frozen
class BacktestResult:
    """What each variant would have done, per month and location (see the module's docs)."""

    info: ActivityInfo
    variants: tuple[Variant, ...]
    owners: int
    records: int
    partitions: int
    #: Per variant: ``{(month number, location): [value per measure, in MEASURES order]}``.
    cells: tuple[Mapping[tuple[int, str], Sequence[Any]], ...] = attrs.field(eq=False, repr=False)
    #: Records the rules refused (a cancel of nothing...), per variant.
    refused: tuple[int, ...]

    @property
    def months(self) -> list[str]:
        return [f"{y:04d}-{m:02d}" for y, m in self.info.months()]

    @property
    def locations(self) -> list[str]:
        names = {loc for cells in self.cells for _m, loc in cells}
        return sorted(names - {GLOBAL}) + ([GLOBAL] if GLOBAL in names else [])

    def value(self, variant: int, month: int, location: str, measure: str) -> Any:
        """One value (zero where nothing happened)."""
        cell = self.cells[variant].get((month, location))
        return cell[_INDEX[measure]] if cell is not None else _zeros()[_INDEX[measure]]

    def series(self, variant: int, measure: str) -> list[Any]:
        """A measure per month, over every location."""
        return [
            sum(
                (self.value(variant, m, loc, measure) for loc in self.locations),
                _zeros()[_INDEX[measure]],
            )
            for m in range(len(self.months))
        ]

    def total(self, variant: int, measure: str) -> Any:
        """Over the period (deferred revenue: at its end)."""
        values = self.series(variant, measure)
        if measure == "deferred_revenue":
            return values[-1] if values else Decimal(0)
        return sum(values, _zeros()[_INDEX[measure]])

    def _show(self, measure: str, value: Any) -> Any:
        if MEASURES[_INDEX[measure]].unit == "money":
            return str(Money(value, self.info.currency).amount)
        return value

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data: every (variant, month, location) row, and the totals."""
        rows = [
            {
                "variant": v.name,
                "month": month,
                "location": loc,
                **{m.id: self._show(m.id, self.value(i, mi, loc, m.id)) for m in MEASURES},
            }
            for i, v in enumerate(self.variants)
            for mi, month in enumerate(self.months)
            for loc in self.locations
        ]
        return {
            "format": BACKTEST_FORMAT,
            "version": BACKTEST_VERSION,
            "currency": self.info.currency,
            "timezone": self.info.timezone,
            "start": self.info.start.isoformat(),
            "end": self.info.end.isoformat(),
            "months": self.months,
            "locations": self.locations,
            "variants": [v.to_json() for v in self.variants],
            "measures": [attrs.asdict(m) for m in MEASURES],
            "owners": self.owners,
            "records": self.records,
            "partitions": self.partitions,
            "refused": {v.name: n for v, n in zip(self.variants, self.refused, strict=True)},
            "totals": {
                v.name: {m.id: self._show(m.id, self.total(i, m.id)) for m in MEASURES}
                for i, v in enumerate(self.variants)
            },
            "rows": rows,
        }


def backtest(
    activity: str | os.PathLike[str],
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    progress: bool = False,
) -> BacktestResult:
    """Replay the activity directory *activity* under each of *variants* (two or more, of
    different names) and measure what each would have done.

    Where the parts run: as :func:`~punchcard.scale.sweep` (*workers*, *scheduler*,
    *processes*). *progress*: show parts done on standard error, if it is a terminal.
    """
    variants = tuple(variants)
    if len(variants) < 1 or len({v.name for v in variants}) != len(variants):
        raise InvalidValueError(
            "variants", f"must be one or more variants of different names, got {variants!r}"
        )
    path = os.fspath(Path(activity))
    info = read_info(path)
    tasks = [_Task(path, k, variants) for k in range(info.parts)]
    cluster = Cluster(workers=workers, scheduler=scheduler, processes=processes)
    parts = run_tasks(_backtest_part, tasks, cluster=cluster, label="backtest", progress=progress)
    months = len(info.months())
    tallies = [Tally(months) for _ in variants]
    for part in parts:
        for tally, more in zip(tallies, part.tallies, strict=True):
            tally.merge(more)
    return BacktestResult(
        info,
        variants,
        sum(p.owners for p in parts),
        sum(p.records for p in parts),
        len(parts),
        tuple(t.cells for t in tallies),
        tuple(t.refused for t in tallies),
    )
