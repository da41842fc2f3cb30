"""Timings of the lifecycle at scale: ledger replay, and the nightly sweep, both streamed.

Run ``python benchmarks/lifecycle_bench.py`` (``--quick``: tiny runs that only check the code
still works, their figures mean nothing; ``--json``: a JSON object); ``benchmarks/run.py`` calls
:func:`run`.

- ``replay_events_per_s``: :func:`punchcard.lifecycle.replay` over a generated ledger of
  1,000,000 events read once from a generator: a year of a business with 5,000 packages live at
  any time (about 25,000 over the year), bought, held, checked out, used, cancelled, credits given
  and deducted, expiry dates moved, refunded, expired and replaced. The generator builds the
  events in chunks of 1,000 and times itself; that time is taken out, so the figure is the replay
  alone. ``replay_with_generation_events_per_s`` leaves it in.
  ``replay_dispatch_floor_events_per_s`` is the same replay with every handler but the
  purchase's replaced by one that does nothing: the fold's loop alone (reading each event,
  finding its package, checking its ``seq`` and time), the purchases, and the frozen states at the
  end. It bounds what any handlers can reach: at r events a second with the floor at f, the
  handlers cost 1/r - 1/f seconds an event on average.
- ``replay_peak_memory_mb_100k`` / ``_1m``: the ``tracemalloc`` peak of a replay of 100,000 and of
  1,000,000 events of the same 1,000 packages (none ends, none is added), so that any growth comes
  from the number of events. ``replay_balances_only_peak_memory_mb_100k`` / ``_1m``: the same
  with balance events only (credits given and deducted, expiry dates moved). A replay keeps one
  mutable value per package and reads each event once; but the state keeps every redemption ever
  recorded (used and cancelled ones included: a cancellation restores used credits too), as a
  compact tuple, so with redemptions in the mix the peak grows with them:
  ``replay_bytes_per_redemption`` is that growth divided by the redemptions added.
- ``sweep_and_notifications_1m_s``: :func:`~punchcard.lifecycle.expiries_due` and
  :func:`~punchcard.lifecycle.notifications_due` over 1,000,000 package states (four zones; expired
  and due to expire, reminders due, low balances, untouched, no expiry date, subscriptions,
  refunded and deleted packages) made by a generator in chunks of 10,000. Both functions stream
  over any iterable, so no more than one chunk exists at once. Only the time inside the two
  functions is counted (``sweep_1m_s`` and ``notifications_1m_s`` split it).

Each timing is the median of several runs (one in ``--quick``); a memory figure is one run
(tracemalloc counts allocations, not time). ``--quick`` uses 10,000 events and 10,000 packages,
and 1,000 vs 10,000 events for memory. Event ids are short (``pkg-0000001:7``) rather than
:func:`~punchcard.lifecycle.ledger_event_id` hashes, and outside ``--quick`` the events are built
with attrs validators off: both only make the generator cheaper, whose time is not counted.
A full run takes about 8 minutes on the project machine (most of it making the inputs, and the
two replays under tracemalloc; ``--case`` runs one case); ``--quick`` about 5 seconds.

Measured on the project machine (2 cores, CPython 3.11.7, shared with other jobs that ran at
the same time: a timing moves by 30% from run to run), before and after the fast fold of
``lifecycle/state.py`` and the caches of the sweeps; three full runs each, each timing the median
of three repeats, shown as the range over the runs (median in brackets)::

                                         before                     after
    replay_events_per_s                  83,000 - 107,000 (93,000)  106,000 - 116,000 (109,000)
    replay_with_generation_events_per_s  30,000 - 38,000            39,000 - 42,000
    replay_peak_memory_mb_100k / _1m     16.9 / 150.0               16.5 / 147.2
    replay_bytes_per_redemption          396                        388
    replay_balances_only_..._100k / _1m  2.37 / 2.56 (flat)         1.98 / 2.16 (flat)
    sweep_and_notifications_1m_s         3.4 - 5.8 s (3.9)          2.2 - 2.9 s (2.5)
    sweep_1m_s / notifications_1m_s      2.0 - 3.4 / 1.4 - 2.4      1.3 - 1.7 / 1.0 - 1.2

(The "before" replay figures also count the generator's tally of event types, about 0.4 us an
event, which is now inside :attr:`LedgerStream.building`.)

Then (2026-12-03) the fold became one loop that hands every event to its one handler (no inline
copies), a package state keeps its redemptions as compact tuples (``PackageState.records``; no
frozen ``RedemptionRecord`` is built per redemption, they are built when asked for) and the sale
event as the snapshot of its terms (a state has 14 fields instead of 31), and events of a package
are ordered by instant. ``replay_events_per_s``, one ``--case replay`` run each (each the median
of three repeats), the code before (commit eee995e) and after::

    machine load ~0.7, before:                          128,177 events/s
    machine load ~5, before, then after:                 62,889 -> 92,881 events/s
    machine load ~2 - 3, after, then before:            126,746 -> 67,448 events/s

In CPU time (``time.process_time``, less disturbed by the other jobs), the streamed replay of the
same 1,000,000 events measured 102,000 - 78,000 events/s before and 152,000 - 137,000 after
(two runs each, back to back): after / before = 1.5 to 1.9 in every pair. Targets: the sweep
(<= 3 s) was met before (not measured again here); the replay (>= 500,000 events a second) is
missed: the best figure measured after is 126,746 (3.9 times short); the quiet "before" figure
times the ratio suggests 190,000 - 245,000 on a quiet machine, still 2 - 2.6 times short (an
estimate, not a measurement). Memory is flat for balance events and grows with the redemptions
recorded, by design (see below).

What limits them:

- replay, per 1,000,000 events (about 330,000 redemptions): the fold itself (a Python handler
  per event, its checks and the accumulators; about 3 - 4 us an event of CPU on the busy machine
  from a list), and the garbage collector: about 1.6 s of CPU per 1,000,000 events runs during
  the replay, 7 of its full collections among them. Each full collection walks every object
  alive, the generator's chunk of events and the replay's accumulators, and visits every
  redemption kept in them (a tuple of untracked values is not tracked itself, but the dictionary
  that holds it is walked). Building the frozen states at the end (one per package, 26,000 here)
  costs about 0.2 s. Disabling or freezing the collector in the library is global state and
  not acceptable.
- memory: a package state holds every redemption ever recorded (a cancellation restores the
  credits of its redemptions, used ones included; the history report lists them), so the state
  grows by one compact record per redemption: the tuple, the strings and times it shares with
  its event, and a dictionary entry while folding. Balance events add nothing.
- sweep and notifications: the expiry events (117,000 here, each a validated ``PackageExpired``
  with a hashed :func:`~punchcard.lifecycle.ledger_event_id`, about 8 us each) and one pass of
  attribute reads per package in each function.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import platform
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, Literal
from unittest import mock
from zoneinfo import ZoneInfo

import attrs

from punchcard import Money
from punchcard.lifecycle import (
    ComponentBalance,
    CreditsAssigned,
    CreditsDeducted,
    ExpiryChanged,
    ItemCredits,
    LedgerEvent,
    PackageExpired,
    PackagePurchased,
    PackageRefunded,
    PackageState,
    Period,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    TypeComponent,
    expiries_due,
    notifications_due,
    replay,
)
from punchcard.lifecycle import state as _state

__all__ = ["LedgerStream", "package_states", "run", "sweep"]

ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")
USD = "USD"
#: The package types of the generated ledgers: (type id, name, components, price, days valid).
TYPES: tuple[tuple[str, str, tuple[TypeComponent, ...], Money, int], ...] = (
    ("daycare-10", "10 Day Daycare", (TypeComponent("daycare_full", 10),), Money("250", USD), 60),
    (
        "groom-5-shampoo-2",
        "5 Grooming + 2 Shampoo",
        (TypeComponent("grooming", 5), TypeComponent("shampoo", 2)),
        Money("200", USD),
        90,
    ),
    (
        "walks-20h",
        "20 Hours of Walks",
        (TypeComponent("walk", 20, hourly=True),),
        Money("300", USD),
        75,
    ),
)
LINE_AMOUNT = Money("25.00", USD)
REFUND_AMOUNT = Money("10.00", USD)
#: The generator's clock: naive UTC (each event's time is this instant in its package's zone, so
#: it always exists there, and a package's events are in the order of their instants).
START = dt.datetime(2026, 1, 1, 8)
END_OF_DAY = dt.time(23, 59)
UTC = dt.timezone.utc


def _local(when: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The generator's instant *when* (naive UTC) in the zone *tz*."""
    return when.replace(tzinfo=UTC).astimezone(tz)


def _ends_at(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """23:59 local on *day*, as the generator's naive UTC clock."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


NEVER = dt.date(2030, 1, 1)  # expiry dates of packages that must not expire during the ledger

Record = tuple[str, str, str, int]  # (redemption event id, booking, item, credits)


# -- the ledger stream ----------------------------------------------------------------------------


class _Package:
    """What the generator remembers of a package to keep its ledger consistent (bounded)."""

    __slots__ = ("ends_at", "expires_on", "held", "id", "last", "left", "seq", "tz", "used")

    def __init__(self, package_id: str, tz: ZoneInfo, left: dict[str, int]) -> None:
        self.id = package_id
        self.tz = tz
        self.seq = 1
        self.left = left
        self.expires_on: dt.date | None = None
        #: 23:59 local on the expiry date, when the package expires (only with lifetimes).
        self.ends_at: dt.datetime | None = None
        #: The time of its last event (naive local).
        self.last = START
        #: Open redemptions, at most 4 of each (older used ones are forgotten: never cancelled).
        self.held: list[Record] = []
        self.used: list[Record] = []


Step = Callable[[_Package, dt.datetime], LedgerEvent]


class LedgerStream:
    """A consistent ledger of *events* events with *packages* packages live at once, lazily.

    Iterating yields the events in ledger order (each package's events in ``seq`` and time
    order, as the operations record them), over *days* days. The events are built in chunks of
    *chunk* and the time spent building them is added to :attr:`building`: a consumer's own time
    is its wall time minus :attr:`building`. With *lifetimes*, packages expire at the end of
    their expiry date or are refunded, and new ones are bought in their place; without, the same
    *packages* packages (never expiring) take every event. With *balances_only*, the events after
    the purchases are only credits given, credits deducted and expiry dates moved. The same
    *seed* gives the same ledger.
    """

    def __init__(
        self,
        events: int,
        packages: int,
        *,
        seed: int = 1,
        lifetimes: bool = True,
        balances_only: bool = False,
        validate: bool = True,
        days: int = 365,
        chunk: int = 1_000,
    ) -> None:
        if not 0 < packages <= events:
            raise ValueError(f"need 1 <= packages <= events, got {packages} and {events}")
        self.events = events
        self.packages = packages
        self.seed = seed
        self.lifetimes = lifetimes
        self.balances_only = balances_only
        self.validate = validate
        self.days = days
        self.chunk = chunk
        #: Seconds spent building events so far.
        self.building = 0.0
        #: How many events of each type were yielded (by JSON type name).
        self.counts: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._bought = 0

    def __iter__(self) -> Iterator[LedgerEvent]:
        rng = self._rng = random.Random(self.seed)
        self._bought = 0
        pool: list[_Package] = []
        tick = dt.timedelta(days=self.days) / self.events
        # The first packages are bought over the first tenth of the ledger; then each package
        # that ends is replaced at once.
        spacing = max(1, self.events // (10 * self.packages))
        steps = self._steps()
        made = 0
        when = START
        while made < self.events:
            began = time.perf_counter()
            chunk: list[LedgerEvent] = []
            with contextlib.nullcontext() if self.validate else attrs.validators.disabled():
                while made < self.events and len(chunk) < self.chunk:
                    if len(pool) < self.packages and (
                        self._bought >= self.packages or made % spacing == 0 or not pool
                    ):
                        chunk.append(self._purchase(pool, when))
                    else:
                        i = int(len(pool) * rng.random())
                        p = pool[i]
                        if p.ends_at is not None and when >= p.ends_at:
                            pool[i] = pool[-1]
                            pool.pop()
                            chunk.append(self._expire(p))
                        else:
                            step = next(steps)
                            if step == self._refund:
                                pool[i] = pool[-1]
                                pool.pop()
                            chunk.append(step(p, when))
                    made += 1
                    when += tick
            for ev in chunk:
                self.counts[ev.kind] = self.counts.get(ev.kind, 0) + 1
            # (the counting above is the generator's work too: it was once left in the replay's
            # time, about 0.4 us an event here)
            self.building += time.perf_counter() - began
            yield from chunk

    def _steps(self) -> Iterator[Step]:
        """The next operation, forever (weights roughly as a busy business sees them)."""
        ops: list[Step]
        if self.balances_only:
            ops, weights = [self._assign, self._deduct, self._move_expiry], [4, 4, 1]
        else:
            ops = [
                self._hold,
                self._checkout,
                self._use,
                self._cancel,
                self._assign,
                self._deduct,
                self._move_expiry,
                self._refund,
            ]
            weights = [26, 14, 20, 8, 12, 8, 6, 1 if self.lifetimes else 0]
        while True:
            yield from self._rng.choices(ops, weights, k=1024)

    def _next(self, p: _Package, when: dt.datetime) -> dict[str, Any]:
        p.seq += 1
        p.last = when
        return {
            "event_id": f"{p.id}:{p.seq}",
            "package_id": p.id,
            "seq": p.seq,
            "at": _local(when, p.tz),
        }

    def _purchase(self, pool: list[_Package], when: dt.datetime) -> PackagePurchased:
        self._bought += 1
        number = self._bought
        type_id, name, components, price, days = TYPES[number % len(TYPES)]
        tz = ZoneInfo(ZONES[number % len(ZONES)])
        p = _Package(f"pkg-{number:07d}", tz, {c.item: c.quantity for c in components})
        p.last = when
        if self.lifetimes:
            p.expires_on = _local(when, tz).date() + dt.timedelta(days=days)
            p.ends_at = _ends_at(p.expires_on, tz)
        pool.append(p)
        return PackagePurchased(
            event_id=f"{p.id}:1",
            package_id=p.id,
            seq=1,
            at=_local(when, tz),
            actor="till-1",
            owner=f"owner-{number // 2:07d}",
            type_id=type_id,
            name=name,
            timezone=tz.key,
            components=components,
            price=price,
            location="downtown",
            expires_on=p.expires_on,
            days_to_expiration=days if self.lifetimes else None,
            reminder_days=7,
            low_balance_threshold=2,
        )

    # Each step is given a package picked at random; when its operation does not fit the package
    # (no credit left, nothing held), it gives credits instead, which always fits.

    def _assign(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        item = next(iter(p.left))
        p.left[item] += 3
        return CreditsAssigned(**self._next(p, when), actor="ann", item=item, credits=3, note="")

    def _deduct(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        item = max(p.left, key=p.left.__getitem__)
        if not p.left[item]:
            return self._assign(p, when)
        p.left[item] -= 1
        return CreditsDeducted(
            **self._next(p, when), actor="ann", item=item, credits=1, note="no-show"
        )

    def _move_expiry(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        old = p.expires_on
        p.expires_on = (old or NEVER) + dt.timedelta(days=7)
        if p.ends_at is not None:
            p.ends_at = _ends_at(p.expires_on, p.tz)
        return ExpiryChanged(**self._next(p, when), actor="ann", old=old, new=p.expires_on)

    def _redeem(self, p: _Package, when: dt.datetime, status: Literal["held", "used"]) -> Any:
        item = max(p.left, key=p.left.__getitem__)
        if not p.left[item]:
            return self._assign(p, when)
        if status == "held" and len(p.held) >= 4:
            return self._use(p, when)
        records = p.held if status == "held" else p.used
        if len(records) >= 4:
            records.pop(0)  # forgotten by the generator: never cancelled
        credits = 2 if item == "walk" and p.left[item] >= 2 else 1
        p.left[item] -= credits
        fields = self._next(p, when)
        booking = f"bk-{fields['event_id']}"
        records.append((fields["event_id"], booking, item, credits))
        return RedemptionRecorded(
            **fields,
            actor=None,
            booking=booking,
            booking_kind="appointment" if status == "held" else "ticket",
            line_id="l1",
            item=item,
            credits=credits,
            amount=LINE_AMOUNT,
            status=status,
            scheduled_for=_local(when + dt.timedelta(days=2) if status == "held" else when, p.tz),
            cart_id=None,
        )

    def _hold(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        return self._redeem(p, when, "held")  # type: ignore[no-any-return]

    def _checkout(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        return self._redeem(p, when, "used")  # type: ignore[no-any-return]

    def _use(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        if not p.held:
            return self._assign(p, when)
        rid, booking, item, credits = p.held.pop(0)
        if len(p.used) >= 4:
            p.used.pop(0)
        p.used.append((rid, booking, item, credits))
        return RedemptionUsed(
            **self._next(p, when),
            actor=None,
            redemption_id=rid,
            booking=booking,
            line_id="l1",
            item=item,
            credits=credits,
            reason="completed",
        )

    def _cancel(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        was: Literal["held", "used"] = "held" if p.held else "used"
        records = p.held if p.held else p.used
        if not records:
            return self._assign(p, when)
        rid, booking, item, credits = records.pop()
        p.left[item] += credits
        return RedemptionCancelled(
            **self._next(p, when),
            actor="front-desk",
            redemption_id=rid,
            booking=booking,
            line_id="l1",
            item=item,
            credits=credits,
            was=was,
            expired=0,
        )

    def _refund(self, p: _Package, when: dt.datetime) -> LedgerEvent:
        left = tuple(ItemCredits(item, n) for item, n in p.left.items())
        return PackageRefunded(
            **self._next(p, when), actor="ann", amount=REFUND_AMOUNT, credits=left
        )

    def _expire(self, p: _Package) -> LedgerEvent:
        """The expiry event, dated at 23:59 local on its date (or at its last event, if later)."""
        assert p.expires_on is not None
        assert p.ends_at is not None
        left = tuple(ItemCredits(item, n) for item, n in p.left.items())
        when = max(p.ends_at, p.last)
        return PackageExpired(
            **self._next(p, when), actor=None, expires_on=p.expires_on, credits=left
        )


# -- package states for the sweep -----------------------------------------------------------------

AS_OF = dt.datetime(2026, 6, 1, 6, 0)  # the sweep's time: naive, so local in each package's zone


def package_states(
    count: int, *, seed: int = 2, chunk: int = 10_000
) -> Iterator[list[PackageState]]:
    """*count* distinct package states as a business has them at :data:`AS_OF`, in chunks.

    Expiry dates run from 20 days before :data:`AS_OF` to 120 days after (8% have none); 4% are
    already expired, 3% refunded, 1% deleted, 2% subscriptions; 0 to 10 of 10 credits are left.
    Immutable parts (balances, dates, money) are shared between packages where equal; each
    package is its own :class:`PackageState` with its own id and owner.
    """
    rng = random.Random(seed)
    price = Money("250", USD)
    terms: dict[str, Any] = {
        "type_id": "daycare-10",
        "name": "10 Day Daycare",
        "location": "downtown",
        "components": (TypeComponent("daycare_full", 10),),
        "price": price,
        "days_to_expiration": 90,
        "reminder_days": 7,
        "low_balance_threshold": 2,
    }
    common: dict[str, Any] = {
        "paid": price,
        "paid_credits": 10,
        "first_used_at": None,
        "period": 1,
        "refunded_amount": Money.zero(USD),
        "records": (),
        "version": 3,
    }
    balances = [
        (ComponentBalance("daycare_full", False, 10, left, 0, 10 - left),) for left in range(11)
    ]
    today = AS_OF.date()
    dates = [today + dt.timedelta(days=offset) for offset in range(-20, 120)]
    bought = {
        (name, i): (dt.datetime.combine(day, dt.time(10)) - dt.timedelta(days=90)).replace(
            tzinfo=ZoneInfo(name)
        )
        for name in ZONES
        for i, day in enumerate(dates)
    }
    monthly = Period("months")
    done = 0
    while done < count:
        out: list[PackageState] = []
        for k in range(done, min(count, done + chunk)):
            name = ZONES[k % len(ZONES)]
            roll = rng.random()
            i = int(rng.random() * len(dates))
            status = "active"
            if 0.08 <= roll < 0.12:
                status = "expired"
            elif 0.12 <= roll < 0.15:
                status = "refunded"
            elif 0.15 <= roll < 0.16:
                status = "deleted"
            when = bought[(name, i)]
            expires_on = None if roll < 0.08 else dates[i]
            with attrs.validators.disabled():  # (not timed: only the generator is cheaper)
                purchase = PackagePurchased(
                    event_id=f"pkg-{k:07d}:1",
                    package_id=f"pkg-{k:07d}",
                    seq=1,
                    at=when,
                    owner=f"owner-{k // 2:07d}",
                    timezone=name,
                    expires_on=expires_on,
                    subscription=monthly if 0.16 <= roll < 0.18 else None,
                    **terms,
                )
            left = int(rng.random() * 11)
            out.append(
                PackageState(
                    purchase=purchase,
                    purchased_at=when,
                    components=balances[left],
                    expires_on=expires_on,
                    status=status,  # type: ignore[arg-type]
                    last_event_at=when,
                    # a use brought it to the threshold (2) when it has no more left
                    low_balance_at=when if left <= 2 else None,
                    **common,
                )
            )
        done += len(out)
        yield out


def sweep(count: int, *, seed: int = 2) -> dict[str, float]:
    """Expiry sweep and notifications due over *count* streamed packages: seconds in each, and
    how many expiry events and notifications they gave."""
    in_expiries = in_notifications = 0.0
    expired = notified = 0
    for chunk in package_states(count, seed=seed):
        began = time.perf_counter()
        for _ev in expiries_due(chunk, as_of=AS_OF):
            expired += 1
        middle = time.perf_counter()
        for _note in notifications_due(chunk, as_of=AS_OF):
            notified += 1
        in_expiries += middle - began
        in_notifications += time.perf_counter() - middle
    return {
        "expiries_s": in_expiries,
        "notifications_s": in_notifications,
        "expiry_events": float(expired),
        "notifications": float(notified),
    }


# -- the figures ----------------------------------------------------------------------------------


def _replay_rates(events: int, packages: int, *, validate: bool) -> tuple[float, float, int]:
    """(replay-only, with-generation) events per second, and the packages in the final state."""
    gc.collect()
    stream = LedgerStream(events, packages, validate=validate)
    began = time.perf_counter()
    state = replay(stream)
    wall = time.perf_counter() - began
    return events / (wall - stream.building), events / wall, len(state)


def _ignore(acc: object, event: object) -> None:
    """A handler that does nothing (for :func:`_dispatch_floor`)."""


def _dispatch_floor(events: int, packages: int, *, validate: bool) -> float:
    """Events per second of the same replay with every handler but the purchase's doing nothing:
    what the fold's one loop costs alone (reading each event, finding its package, checking its
    ``seq`` and time), with the purchases and the frozen states at the end. No handler can make
    a replay faster than this."""
    gc.collect()
    stream = LedgerStream(events, packages, validate=validate)
    handlers = _state._HANDLERS  # a private table: patched here to measure, put back after
    idle = {kind: _ignore for kind, handler in handlers.items() if handler is not None}
    with mock.patch.dict(handlers, idle):
        began = time.perf_counter()
        replay(stream)
        wall = time.perf_counter() - began
    return events / (wall - stream.building)


def _peak_mb(
    events: int, packages: int, *, balances_only: bool, validate: bool
) -> tuple[float, int]:
    """The tracemalloc peak (MiB) of a replay, and the redemptions it recorded."""
    gc.collect()
    stream = LedgerStream(
        events, packages, lifetimes=False, balances_only=balances_only, validate=validate
    )
    tracemalloc.start()
    try:
        replay(stream)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 2**20, stream.counts.get("credits_redeemed", 0)


CASES = ("replay", "memory", "sweep")


def run(quick: bool, cases: tuple[str, ...] = CASES) -> dict[str, float]:
    """The figures (see the module docstring); *quick*: tiny sizes, one run each; *cases*: which
    of :data:`CASES` to run (all by default)."""
    events, live, repeat = (10_000, 500, 1) if quick else (1_000_000, 5_000, 3)
    small, large, fixed = (1_000, 10_000, 100) if quick else (100_000, 1_000_000, 1_000)
    count = 10_000 if quick else 1_000_000
    validate = quick  # the quick run checks that the generated events pass validation
    figures: dict[str, float] = {}

    if "replay" in cases:
        rates = [_replay_rates(events, live, validate=validate) for _ in range(repeat)]
        figures["replay_events"] = float(events)
        figures["replay_packages"] = float(rates[0][2])
        figures["replay_events_per_s"] = statistics.median(r[0] for r in rates)
        figures["replay_with_generation_events_per_s"] = statistics.median(r[1] for r in rates)
        figures["replay_dispatch_floor_events_per_s"] = statistics.median(
            _dispatch_floor(events, live, validate=validate) for _ in range(repeat)
        )

    if "memory" in cases:
        sizes = (small, large)
        mixed = [_peak_mb(n, fixed, balances_only=False, validate=validate) for n in sizes]
        flat = [_peak_mb(n, fixed, balances_only=True, validate=validate) for n in sizes]
        figures["replay_peak_memory_mb_100k"] = mixed[0][0]
        figures["replay_peak_memory_mb_1m"] = mixed[1][0]
        figures["replay_balances_only_peak_memory_mb_100k"] = flat[0][0]
        figures["replay_balances_only_peak_memory_mb_1m"] = flat[1][0]
        added = max(1, mixed[1][1] - mixed[0][1])
        figures["replay_bytes_per_redemption"] = (mixed[1][0] - mixed[0][0]) * 2**20 / added

    if "sweep" not in cases:
        return figures
    runs = [sweep(count) for _ in range(repeat)]
    figures["sweep_packages"] = float(count)
    figures["sweep_1m_s"] = statistics.median(r["expiries_s"] for r in runs)
    figures["notifications_1m_s"] = statistics.median(r["notifications_s"] for r in runs)
    figures["sweep_and_notifications_1m_s"] = statistics.median(
        r["expiries_s"] + r["notifications_s"] for r in runs
    )
    figures["sweep_expiry_events"] = runs[0]["expiry_events"]
    figures["sweep_notifications"] = runs[0]["notifications"]
    return figures


TARGETS = {
    "replay_events_per_s": ">= 500,000",
    "sweep_and_notifications_1m_s": "<= 3 s",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny runs: only check they run")
    parser.add_argument("--json", action="store_true", help="print a JSON object of the figures")
    parser.add_argument(
        "--case",
        action="append",
        choices=CASES,
        help="run only this case (repeatable; default: all)",
    )
    args = parser.parse_args()
    figures = run(args.quick, tuple(args.case) if args.case else CASES)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"lifecycle benchmarks on {platform.python_implementation()} {platform.python_version()}")
    if args.quick:
        print("QUICK MODE: figures are not meaningful")
    for key, value in figures.items():
        target = f"   target {TARGETS[key]}" if key in TARGETS else ""
        print(f"{key:44}{value:16,.2f}{target}")


if __name__ == "__main__":
    main()
