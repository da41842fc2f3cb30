"""The fast paths of the lifecycle against plain reference versions of the same rules.

:func:`punchcard.lifecycle.replay` folds events with a hand-tuned loop (accumulators, inline
checks, records built at the end), and the nightly sweeps (:func:`expiries_due`,
:func:`notifications_due`) cache what depends only on a date and a zone. Here each is compared
with a reference written the plain way (one :func:`attrs.evolve` per event, everything computed
for every package) over Hypothesis-generated ledgers and package states:

- the states are equal *and* print the same (``==`` on aware date-times ignores the zone, the
  repr does not), folded at once or in two parts (the second part starting from a saved state);
- an inconsistent ledger raises the same :class:`LedgerError` (path and message);
- the sweeps give the same events and notices, in the same order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard import Money, Policy
from punchcard.errors import PunchcardError
from punchcard.lifecycle import (
    ComponentBalance,
    CreditsAssigned,
    CreditsDeducted,
    ExpiryChanged,
    ItemCredits,
    LedgerError,
    LedgerEvent,
    LedgerState,
    LifecyclePolicy,
    Notification,
    PackageDeleted,
    PackageExpired,
    PackagePurchased,
    PackageRefunded,
    PackageState,
    Period,
    RedemptionCancelled,
    RedemptionRecord,
    RedemptionRecorded,
    RedemptionUsed,
    SubscriptionRenewed,
    TypeComponent,
    expiries_due,
    ledger_event_id,
    notifications_due,
    replay,
)
from punchcard.timeutil import end_of_day, local_date, to_local, zone

USD = "USD"
ZONES = ("America/New_York", "Europe/London", "Australia/Sydney")
UTC = dt.timezone.utc
START = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)

# -- the reference fold ---------------------------------------------------------------------------


def _balance(p: PackageState, item: str) -> ComponentBalance:
    for c in p.components:
        if c.item == item:
            return c
    raise LedgerError("item", f"package {p.id!r} has no component {item!r}")


def _move(p: PackageState, item: str, **delta: int) -> PackageState:
    """*p* with the buckets of *item* changed by *delta*; a bucket may not go below zero."""
    c = _balance(p, item)
    for field, change in delta.items():
        have = getattr(c, field)
        if have + change < 0:
            raise LedgerError(
                "credits", f"takes {-change} {field} credits of {item!r}, only {have} there"
            )
        c = attrs.evolve(c, **{field: have + change})
    return attrs.evolve(p, components=tuple(c if b.item == item else b for b in p.components))


def _active(p: PackageState, what: str) -> None:
    if p.status != "active":
        raise LedgerError("type", f"{what} on package {p.id!r} which is {p.status}")


def _record(p: PackageState, ev: RedemptionUsed | RedemptionCancelled) -> RedemptionRecord:
    for r in p.redemptions:
        if r.id == ev.redemption_id:
            if (r.item, r.credits, r.booking, r.line_id) != (
                ev.item,
                ev.credits,
                ev.booking,
                ev.line_id,
            ):
                raise LedgerError("redemption_id", f"does not match redemption {r.id!r}")
            return r
    raise LedgerError("redemption_id", f"no redemption {ev.redemption_id!r} to change")


def _set_status(p: PackageState, record: RedemptionRecord, status: str) -> PackageState:
    return attrs.evolve(
        p,
        redemptions=tuple(
            attrs.evolve(r, status=status) if r.id == record.id else r for r in p.redemptions
        ),
    )


def _apply(p: PackageState, ev: LedgerEvent) -> PackageState:
    """*p* after *ev* (not a purchase), by the rules of section L, one evolve at a time."""
    if isinstance(ev, RedemptionRecorded):
        _active(p, "a redemption")
        p = _move(p, ev.item, remaining=-ev.credits, **{ev.status: ev.credits})
        if any(r.id == ev.event_id for r in p.redemptions):
            raise LedgerError("event_id", f"redemption {ev.event_id!r} recorded twice")
        scheduled = ev.scheduled_for.astimezone(p.tz)
        record = RedemptionRecord(
            ev.event_id,
            ev.booking,
            ev.booking_kind,
            ev.line_id,
            ev.item,
            ev.credits,
            ev.amount,
            ev.status,
            scheduled,
            ev.at.astimezone(p.tz),
            ev.cart_id,
        )
        p = attrs.evolve(p, redemptions=(*p.redemptions, record))
        if p.first_used_at is None:
            p = attrs.evolve(p, first_used_at=scheduled)
            if (
                p.expires_on is None
                and p.expiry_starts == "first_use"
                and p.days_to_expiration is not None
                and p.subscription is None
            ):
                days = dt.timedelta(days=p.days_to_expiration)
                p = attrs.evolve(p, expires_on=local_date(scheduled, p.tz) + days)
        return p
    if isinstance(ev, RedemptionUsed):
        record = _record(p, ev)
        if record.status != "held":
            raise LedgerError("redemption_id", f"redemption {record.id!r} is {record.status}")
        p = _move(p, ev.item, held=-ev.credits, used=ev.credits)
        return _set_status(p, record, "used")
    if isinstance(ev, RedemptionCancelled):
        record = _record(p, ev)
        if record.status != ev.was:
            raise LedgerError("was", f"redemption {record.id!r} is {record.status}, not {ev.was}")
        if ev.expired > ev.credits:
            raise LedgerError("expired", f"{ev.expired} expired of {ev.credits} credits")
        _balance(p, ev.item)
        p = _move(p, ev.item, **{ev.was: -ev.credits})
        p = _move(p, ev.item, remaining=ev.credits - ev.expired, expired=ev.expired)
        return _set_status(p, record, "cancelled")
    if isinstance(ev, CreditsAssigned):
        _active(p, "an assignment")
        return _move(p, ev.item, granted=ev.credits, remaining=ev.credits)
    if isinstance(ev, CreditsDeducted):
        _active(p, "a deduction")
        return _move(p, ev.item, remaining=-ev.credits, deducted=ev.credits)
    if isinstance(ev, ExpiryChanged):
        _active(p, "an expiry change")
        if p.expires_on != ev.old:
            raise LedgerError("old", f"the expiry date was {p.expires_on}, not {ev.old}")
        return attrs.evolve(p, expires_on=ev.new)
    if isinstance(ev, (PackageExpired, PackageRefunded)):
        refund = isinstance(ev, PackageRefunded)
        _active(p, "a refund" if refund else "an expiry")
        for moved in ev.credits:
            bucket = "refunded" if refund else "expired"
            p = _move(p, moved.item, remaining=-moved.credits, **{bucket: moved.credits})
        if isinstance(ev, PackageRefunded):
            return attrs.evolve(p, status="refunded", refunded_amount=p.refunded_amount + ev.amount)
        return attrs.evolve(p, status="expired")
    if isinstance(ev, SubscriptionRenewed):
        _active(p, "a renewal")
        if p.subscription is None:
            raise LedgerError("type", f"package {p.id!r} is not a subscription")
        if ev.period != p.period + 1:
            raise LedgerError("period", f"renews period {ev.period} after period {p.period}")
        for moved in ev.forfeited:
            p = _move(p, moved.item, remaining=-moved.credits, expired=moved.credits)
        for moved in ev.granted:
            p = _move(p, moved.item, granted=moved.credits, remaining=moved.credits)
        return attrs.evolve(
            p,
            period=ev.period,
            expires_on=ev.ends_on,
            paid=p.paid + ev.amount,
            paid_credits=p.paid_credits + sum(m.credits for m in ev.granted),
        )
    if isinstance(ev, PackageDeleted):
        if p.status == "deleted":
            raise LedgerError("type", f"package {p.id!r} deleted twice")
        return attrs.evolve(p, status="deleted")
    raise LedgerError("type", f"not a ledger event: {ev!r}")


def _bought(ev: PackagePurchased) -> PackageState:
    tz = zone(ev.timezone)
    at = ev.at.astimezone(tz)
    return PackageState(
        id=ev.package_id,
        owner=ev.owner,
        type_id=ev.type_id,
        name=ev.name,
        timezone=ev.timezone,
        location=ev.location,
        beneficiary=ev.beneficiary,
        purchased_at=at,
        channel=ev.channel,
        components=tuple(
            ComponentBalance(c.item, c.hourly, c.quantity, c.quantity) for c in ev.components
        ),
        grants=ev.components,
        price=ev.price,
        paid=ev.price,
        paid_credits=sum(c.quantity for c in ev.components),
        expires_on=ev.expires_on,
        days_to_expiration=ev.days_to_expiration,
        expiry_starts=ev.expiry_starts,
        first_used_at=None,
        pricing_rules=ev.pricing_rules,
        reminder_days=ev.reminder_days,
        low_balance_threshold=ev.low_balance_threshold,
        subscription=ev.subscription,
        period=1,
        status="active",
        refunded_amount=Money.zero(ev.price.currency),
        redemptions=(),
        taxed=ev.taxed,
        account_code=ev.account_code,
        commission_basis=ev.commission_basis,
        version=1,
        last_event_at=at,
    )


def reference_fold(state: LedgerState | None, events: Iterable[LedgerEvent]) -> LedgerState:
    """The fold, written the plain way."""
    packages = {} if state is None else {p.id: p for p in state.packages}
    # The time each package's next event may not be before: as the previous event gave it.
    last = {p.id: p.last_event_at for p in packages.values()}
    for i, ev in enumerate(events):
        try:
            p = packages.get(ev.package_id)
            if isinstance(ev, PackagePurchased):
                if p is not None:
                    raise LedgerError("package_id", f"package {ev.package_id!r} purchased twice")
                if ev.seq != 1:
                    raise LedgerError("seq", f"a purchase is event 1 of its package, got {ev.seq}")
                packages[ev.package_id] = _bought(ev)
                last[ev.package_id] = packages[ev.package_id].last_event_at
                continue
            if p is None:
                raise LedgerError("package_id", f"no package {ev.package_id!r} was purchased")
            if ev.seq != p.version + 1:
                raise LedgerError("seq", f"package {p.id!r} is at event {p.version}, got {ev.seq}")
            if ev.at < last[p.id]:
                raise LedgerError(
                    "at", f"{ev.at.isoformat()} is before the previous event of {p.id!r}"
                )
            p = _apply(p, ev)
            packages[p.id] = attrs.evolve(p, version=ev.seq, last_event_at=ev.at.astimezone(p.tz))
            last[p.id] = ev.at
        except LedgerError as err:
            raise LedgerError(f"events[{i}].{err.path}", err.message) from None
    return LedgerState(packages.values())


# -- generated ledgers ----------------------------------------------------------------------------

TYPES = (
    (
        "daycare-3",
        (TypeComponent("daycare_full", 3),),
        dict(days_to_expiration=20, reminder_days=5, low_balance_threshold=1),
    ),
    (
        "groom-2-shampoo-1",
        (TypeComponent("grooming", 2), TypeComponent("shampoo", 1)),
        dict(days_to_expiration=10, expiry_starts="first_use"),
    ),
    ("walks-4h", (TypeComponent("walk", 4, hourly=True),), dict(low_balance_threshold=2)),
    (
        "monthly-2",
        (TypeComponent("daycare_full", 2),),
        dict(subscription=Period("months"), reminder_days=3),
    ),
)
AMOUNTS = (Money("25.00", USD), Money("0.00", USD), Money("12.50", USD))


@attrs.define
class _Sim:
    """What the generator knows of a package to keep its ledger mostly consistent."""

    id: str
    tz: Any
    left: dict[str, int]
    seq: int = 1
    status: str = "active"
    expires_on: dt.date | None = None
    period: int = 1
    subscription: bool = False
    #: Days of validity counted from the first use (``None``: counted from the sale, or none).
    first_use_days: int | None = None
    #: Open redemptions: (event id, booking, line, item, credits, status).
    open: list[tuple[str, str, str, str, int, str]] = attrs.Factory(list)


def _when(draw: Any, now: dt.datetime, sim: _Sim) -> dt.datetime:
    """The time of the next event, in the package's zone or in UTC."""
    local = now.astimezone(sim.tz)
    return local if draw(st.booleans()) else local.astimezone(UTC)


@st.composite
def ledgers(draw: Any, *, max_steps: int = 40) -> list[LedgerEvent]:
    """A consistent ledger of a few packages over a few weeks (every operation of section L,
    times in the package's zone or in UTC, redemptions scheduled in other zones)."""
    events: list[LedgerEvent] = []
    sims: list[_Sim] = []
    now = START
    for step in range(draw(st.integers(1, max_steps))):
        now += dt.timedelta(minutes=draw(st.sampled_from([0, 1, 90, 24 * 60, 9 * 24 * 60])))
        op = draw(st.integers(0, 11)) if sims else 0
        if op == 0:
            type_id, components, terms = TYPES[draw(st.integers(0, len(TYPES) - 1))]
            sim = _Sim(
                f"p{len(sims)}",
                zone(draw(st.sampled_from(ZONES))),
                {c.item: c.quantity for c in components},
                subscription="subscription" in terms,
            )
            if terms.get("expiry_starts") == "first_use":
                sim.first_use_days = terms["days_to_expiration"]  # type: ignore[assignment]
            at = _when(draw, now, sim)
            if terms.get("expiry_starts") != "first_use" and (
                "days_to_expiration" in terms or sim.subscription
            ):
                sim.expires_on = local_date(at, sim.tz) + dt.timedelta(days=20)
            sims.append(sim)
            events.append(
                PackagePurchased(
                    event_id=f"{sim.id}:1",
                    package_id=sim.id,
                    seq=1,
                    at=at,
                    owner=draw(st.sampled_from(["o1", "o2"])),
                    type_id=type_id,
                    name=type_id.title(),
                    timezone=sim.tz.key,
                    components=components,
                    price=Money("90.00", USD),
                    expires_on=sim.expires_on,
                    **terms,
                )
            )
            continue
        sim = draw(st.sampled_from(sims))
        at = _when(draw, now, sim)
        sim.seq += 1
        common = dict(event_id=f"{sim.id}:{sim.seq}", package_id=sim.id, seq=sim.seq, at=at)
        items = sorted(sim.left)
        item = draw(st.sampled_from(items))
        open_ = [r for r in sim.open if r[5] != "cancelled"]
        event: LedgerEvent
        if op in (1, 2, 3) and sim.status == "active" and sim.left[item]:
            credits = draw(st.integers(1, sim.left[item]))
            status = "held" if op != 3 else "used"
            sim.left[item] -= credits
            booking = f"bk{draw(st.integers(0, 3))}"
            line = f"l{step}"
            sim.open.append((common["event_id"], booking, line, item, credits, status))
            ahead = dt.timedelta(hours=draw(st.sampled_from([0, 5, 50])))
            scheduled = (now + ahead).astimezone(zone(draw(st.sampled_from(ZONES))))
            if status == "used" and draw(st.booleans()):
                scheduled = at
            if sim.first_use_days is not None and sim.expires_on is None:  # the first use
                days = dt.timedelta(days=sim.first_use_days)
                sim.expires_on = local_date(scheduled, sim.tz) + days
            sim.first_use_days = None
            event = RedemptionRecorded(
                **common,
                booking=booking,
                booking_kind="ticket" if status == "used" else "appointment",
                line_id=line,
                item=item,
                credits=credits,
                amount=draw(st.sampled_from(AMOUNTS)),
                status=status,
                scheduled_for=scheduled,
                cart_id=draw(st.sampled_from([None, "cart-1"])),
            )
        elif op in (4, 5) and open_:
            rid, booking, line, r_item, credits, status = draw(st.sampled_from(open_))
            index = [r[0] for r in sim.open].index(rid)
            if op == 4 and status == "held":
                sim.open[index] = (rid, booking, line, r_item, credits, "used")
                event = RedemptionUsed(
                    **common,
                    redemption_id=rid,
                    booking=booking,
                    line_id=line,
                    item=r_item,
                    credits=credits,
                    reason="completed",
                )
            else:
                sim.open[index] = (rid, booking, line, r_item, credits, "cancelled")
                expired = draw(st.integers(0, credits)) if draw(st.booleans()) else 0
                sim.left[r_item] += credits - expired
                event = RedemptionCancelled(
                    **common,
                    redemption_id=rid,
                    booking=booking,
                    line_id=line,
                    item=r_item,
                    credits=credits,
                    was=status,  # type: ignore[arg-type]
                    expired=expired,
                )
        elif op == 6 and sim.status == "active" and sim.left[item]:
            credits = draw(st.integers(1, sim.left[item]))
            sim.left[item] -= credits
            event = CreditsDeducted(**common, item=item, credits=credits, note="no-show")
        elif op == 7 and sim.status == "active" and not sim.subscription:
            old, sim.expires_on = sim.expires_on, local_date(at, sim.tz) + dt.timedelta(days=3)
            event = ExpiryChanged(**common, old=old, new=sim.expires_on)
        elif op in (8, 9) and sim.status == "active":
            left = tuple(ItemCredits(i, n) for i, n in sorted(sim.left.items()))
            sim.left = dict.fromkeys(sim.left, 0)
            sim.status = "refunded" if op == 8 else "expired"
            event = (
                PackageRefunded(**common, amount=Money("10.00", USD), credits=left)
                if op == 8
                else PackageExpired(**common, expires_on=sim.expires_on or at.date(), credits=left)
            )
        elif op == 10 and sim.subscription and sim.status == "active":
            forfeited = tuple(ItemCredits(i, n) for i, n in sorted(sim.left.items()))
            sim.period += 1
            sim.left = {i: 2 for i in sim.left}
            event = SubscriptionRenewed(
                **common,
                period=sim.period,
                ends_on=local_date(at, sim.tz) + dt.timedelta(days=30),
                granted=tuple(ItemCredits(i, 2) for i in sorted(sim.left)),
                forfeited=forfeited,
                amount=Money("50.00", USD),
            )
        elif op == 11 and sim.status != "deleted" and draw(st.booleans()):
            sim.status = "deleted"
            event = PackageDeleted(**common)
        elif sim.status == "active":
            credits = draw(st.integers(1, 3))
            sim.left[item] += credits
            event = CreditsAssigned(**common, item=item, credits=credits, note="")
        else:
            sim.seq -= 1  # nothing fits a closed package: no event this step
            continue
        events.append(event)
    return events


def _corrupt(draw: Any, events: list[LedgerEvent]) -> list[LedgerEvent]:
    """*events* with one event made inconsistent (or an impossible one appended)."""
    i = draw(st.integers(0, len(events) - 1))
    ev = events[i]
    changes: list[dict[str, Any]] = [
        {"seq": max(1, ev.seq + draw(st.sampled_from([-1, 1, 2])))},
        {"package_id": "nobody"},
        {"at": ev.at - dt.timedelta(days=400)},
    ]
    for name, values in (
        ("item", ["daycare_full", "grooming", "walk", "cat_nap"]),
        ("credits", [1, 2, 50]),
        ("redemption_id", [events[0].event_id, "p0:3", "nope"]),
        ("booking", ["bk0", "bk9"]),
        ("line_id", ["l1", "l9"]),
        ("was", ["held", "used"]),
        ("old", [None, dt.date(2026, 1, 1)]),
        ("expired", [0, 1, 9]),
        ("period", [2, 5]),
    ):
        if hasattr(ev, name) and not isinstance(getattr(ev, name), tuple):
            changes.append({name: draw(st.sampled_from(values))})
    corrupted = attrs.evolve(ev, **draw(st.sampled_from(changes)))
    if draw(st.booleans()):
        return [*events[:i], corrupted, *events[i + 1 :]]
    return [*events, attrs.evolve(corrupted, seq=events[-1].seq)]


def _same(a: LedgerState, b: LedgerState) -> None:
    assert a == b
    assert repr(a) == repr(b)  # the zones of the date-times too
    for p, q in zip(a.packages, b.packages, strict=True):
        assert [type(r) for r in p.redemptions] == [type(r) for r in q.redemptions]


def _agree(got: Any, want: Any) -> None:
    """Both folds refused with the same error, or both gave the same state."""
    if isinstance(want, LedgerState) and isinstance(got, LedgerState):
        _same(got, want)
    else:
        assert got == want


def _outcome(fold: Any, state: LedgerState | None, events: list[LedgerEvent]) -> Any:
    try:
        return fold(state, events) if state is not None else fold(None, events)
    except LedgerError as err:
        return ("LedgerError", err.path, err.message)


def _replay(state: LedgerState | None, events: list[LedgerEvent]) -> LedgerState:
    return replay(events, start=state)


@given(ledgers())
def test_replay_equals_the_reference_fold(events: list[LedgerEvent]) -> None:
    _same(replay(events), reference_fold(None, events))


@given(ledgers(), st.data())
def test_replay_from_a_saved_state_equals_the_reference_fold(
    events: list[LedgerEvent], data: st.DataObject
) -> None:
    """The second part folds onto a state (its records are RedemptionRecord values, which
    later uses and cancellations change)."""
    cut = data.draw(st.integers(0, len(events)))
    saved = replay(events[:cut])
    _same(saved, reference_fold(None, events[:cut]))
    expected = reference_fold(None, events)
    _same(replay(events[cut:], start=saved), expected)
    _same(replay(iter(events[cut:]), start=saved), expected)  # any iterable, read once


@given(ledgers(max_steps=25), st.data())
def test_an_inconsistent_ledger_raises_the_same_error(
    events: list[LedgerEvent], data: st.DataObject
) -> None:
    bad = _corrupt(data.draw, events)
    cut = data.draw(st.integers(0, len(bad)))
    _agree(_outcome(_replay, None, bad), _outcome(reference_fold, None, bad))
    saved = _outcome(reference_fold, None, bad[:cut])
    if isinstance(saved, LedgerState):  # the second part from a saved state
        _agree(
            _outcome(_replay, replay(bad[:cut]), bad[cut:]),
            _outcome(reference_fold, saved, bad[cut:]),
        )


def _bought_p0(timezone: str, quantity: int) -> PackagePurchased:
    """The purchase that starts the pinned ledgers below: package p0 of o1, *quantity* of a."""
    return PackagePurchased(
        event_id="p0:1",
        package_id="p0",
        seq=1,
        at=START,
        owner="o1",
        type_id="t",
        name="T",
        timezone=timezone,
        components=(TypeComponent("a", quantity),),
        price=Money("10.00", USD),
    )


def test_a_corrupted_ledger_is_refused_where_the_reference_refuses_it() -> None:
    """The corruptions above do reach the errors (a check that the property is not vacuous)."""
    events = [
        _bought_p0("America/New_York", 2),
        RedemptionRecorded(
            event_id="p0:2",
            package_id="p0",
            seq=2,
            at=START,
            booking="bk",
            booking_kind="ticket",
            line_id="l1",
            item="a",
            credits=1,
            amount=AMOUNTS[0],
            status="held",
            scheduled_for=START,
        ),
    ]
    use = RedemptionUsed(
        event_id="p0:3",
        package_id="p0",
        seq=3,
        at=START,
        redemption_id="p0:2",
        booking="bk",
        line_id="l1",
        item="a",
        credits=2,
        reason="completed",
    )
    with pytest.raises(LedgerError) as got:
        replay([*events, use])
    assert (got.value.path, got.value.message) == (
        "events[2].redemption_id",
        "does not match redemption 'p0:2'",
    )
    assert _outcome(reference_fold, None, [*events, use]) == (
        "LedgerError",
        got.value.path,
        got.value.message,
    )


def test_a_redemption_keeps_the_event_values() -> None:
    """The record of a redemption holds the event's own amount, and its times in the package's
    zone (the fold builds it at the end from a compact tuple)."""
    sydney = zone("Australia/Sydney")
    events = [
        _bought_p0("Australia/Sydney", 5),
        *(
            RedemptionRecorded(
                event_id=f"p0:{seq}",
                package_id="p0",
                seq=seq,
                at=START,
                booking="bk",
                booking_kind="ticket",
                line_id=f"l{seq}",
                item="a",
                credits=1,
                amount=amount,
                status="used",
                scheduled_for=START,
            )
            for seq, amount in zip(
                (2, 3, 4), (AMOUNTS[0], Money("25.00", USD), AMOUNTS[0]), strict=True
            )
        ),
    ]
    records = replay(events).package("p0").redemptions
    assert [r.amount for r in records] == [Money("25.00", USD)] * 3
    assert [r.amount is ev.amount for r, ev in zip(records, events[1:], strict=True)] == [True] * 3
    assert {r.recorded_at.tzinfo for r in records} == {sydney}
    assert records[0].recorded_at == START
    assert records[0].recorded_at.isoformat() == "2026-03-01T20:00:00+11:00"


# -- the sweeps against plain versions ------------------------------------------------------------


def reference_expiries(
    packages: Iterable[PackageState], as_of: dt.datetime, policy: LifecyclePolicy
) -> Iterator[PackageExpired]:
    """The expiry sweep computed for every package."""
    for p in packages:
        if p.status != "active" or p.subscription is not None or p.expires_on is None:
            continue
        moment = end_of_day(p.expires_on, p.tz, policy.expires_at)
        if moment > to_local(as_of, p.tz):
            continue
        seq = p.version + 1
        yield PackageExpired(
            event_id=ledger_event_id(p.id, seq),
            package_id=p.id,
            seq=seq,
            at=max(moment, p.last_event_at),
            expires_on=p.expires_on,
            credits=tuple(ItemCredits(c.item, c.remaining) for c in p.components),
        )


def reference_notifications(
    packages: Iterable[PackageState],
    as_of: dt.datetime,
    sent: frozenset[str],
    policy: LifecyclePolicy,
) -> Iterator[Notification]:
    """The notices due, computed for every package (see notifications.py for the rules)."""
    for p in packages:
        if p.status != "active":
            continue
        if p.reminder_days is None and p.low_balance_threshold is None:
            continue
        now = to_local(as_of, p.tz)
        if p.purchased_at > now:
            continue
        lapses_on = p.expires_on if p.subscription is None else None
        if lapses_on is not None and now >= end_of_day(lapses_on, p.tz, policy.expires_at):
            continue
        remaining = sum(c.remaining for c in p.components)
        if p.reminder_days is not None and lapses_on is not None and remaining > 0:
            day = lapses_on - dt.timedelta(days=p.reminder_days)
            due_at = dt.datetime.combine(day, dt.time(), tzinfo=p.tz)
            key = f"expiry_reminder:{p.id}:{lapses_on.isoformat()}"
            if due_at <= now and key not in sent:
                yield Notification(
                    "expiry_reminder",
                    p.id,
                    p.owner,
                    key,
                    max(due_at, p.purchased_at),
                    remaining,
                    lapses_on,
                )
        granted = sum(c.granted for c in p.components)
        threshold = p.low_balance_threshold
        if threshold is not None and remaining <= threshold and remaining < granted:
            key = f"low_balance:{p.id}:{granted}"
            if key not in sent:
                yield Notification(
                    "low_balance", p.id, p.owner, key, p.last_event_at, remaining, p.expires_on
                )


@given(
    ledgers(max_steps=30),
    st.integers(-3, 45),
    st.sampled_from(["23:59", "24:00", "12:00"]),
    st.booleans(),
    st.data(),
)
def test_the_sweeps_equal_the_plain_versions(
    events: list[LedgerEvent], days: int, expires_at: str, naive: bool, data: st.DataObject
) -> None:
    packages = list(replay(events))
    # Package states as a host would read them, with some fields varied (owners' settings).
    packages = [
        attrs.evolve(
            p,
            reminder_days=data.draw(st.sampled_from([None, 0, 3, 30])),
            low_balance_threshold=data.draw(st.sampled_from([None, 0, 1, 5])),
        )
        for p in packages
    ]
    as_of = START + dt.timedelta(days=days, hours=data.draw(st.integers(0, 23)))
    if naive:
        as_of = as_of.replace(tzinfo=None)  # local time in each package's zone
    policy = LifecyclePolicy(redemption=Policy(expires_at=expires_at))
    sent = frozenset(
        data.draw(st.lists(st.sampled_from([f"low_balance:p{i}:3" for i in range(4)])))
    )
    expected = _listed(reference_expiries(packages, as_of, policy))
    assert _listed(expiries_due(packages, as_of=as_of, policy=policy)) == expected
    assert _listed(notifications_due(packages, as_of=as_of, sent=sent, policy=policy)) == (
        _listed(reference_notifications(packages, as_of, sent, policy))
    )
    if isinstance(expected, list):  # streamed: any iterable, read once, in parts
        half = len(packages) // 2
        parts = [*expiries_due(iter(packages[:half]), as_of=as_of, policy=policy)]
        parts += expiries_due(iter(packages[half:]), as_of=as_of, policy=policy)
        assert parts == expected


def _listed(values: Iterable[Any]) -> Any:
    """The values, or the error raised on the way (a naive time that does not exist in a zone:
    both versions must raise it at the same package)."""
    try:
        return list(values)
    except PunchcardError as err:
        return (type(err), str(err))
