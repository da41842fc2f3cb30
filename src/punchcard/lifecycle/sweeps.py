"""What is already true at a time but not yet in the ledger, and the sweeps that record it.

By docs/semantics.md section L, at a time *t*:

- a held redemption whose scheduled time has passed is **used** (reason ``time_passed``);
- an active package whose expiry moment (23:59 local on its expiry date, by default) has passed
  is **expired**: its credits left lapse (held credits stay held); so is a subscription that
  stopped renewing, at the end of its period;
- an active subscription past the end of its period is **renewed**, once per period missed.

:func:`catch_up_events` gives those events for one package, in the order of the instants they
took effect, each dated then (or at the package's previous event, if that is later). Every
operation records them first (see :class:`~punchcard.lifecycle.Outcome`), so a host that runs no
job still has a ledger that tells the truth; the sweeps (:func:`catch_up`, or one kind at a time:
:func:`use_due`, :func:`expire`, :func:`renew`) record them for every package, e.g. nightly.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .._fast import build_trusted
from ..events import (
    ItemCredits,
    LedgerEvent,
    PackageExpired,
    SubscriptionRenewed,
    ledger_event_id,
)
from ._instants import before, local, utc
from .business import Business, business_of
from .outcome import Common, Outcome, actor_id, checked_state, finish, used
from .permissions import Actor
from .state import LedgerState, PackageState, RedemptionRecord, fold, lapsing
from .subscriptions import renewals

__all__ = [
    "catch_up",
    "catch_up_events",
    "caught_up",
    "expire",
    "expiries_due",
    "package_at",
    "renew",
    "renewals_due",
    "use_due",
    "uses_due",
]

_DEFAULT_BUSINESS = Business()

#: An event to be numbered: (the instant it took effect, rank among events of one instant, a
#: tie-break, the event made from its common fields).
_Draft = tuple[dt.datetime, int, str, Callable[[Common], LedgerEvent]]


def _sequenced(package: PackageState, drafts: list[_Draft], actor: str | None) -> list[LedgerEvent]:
    """The events of *drafts* (one package), in the order of their instants, numbered after the
    package's last event and each dated when it took effect, or at the previous event if that
    is later."""
    drafts.sort(key=lambda d: (utc(d[0]), d[1], d[2]))
    seq = package.version
    last = package.last_event_at
    out: list[LedgerEvent] = []
    for moment, _rank, _key, build in drafts:
        seq += 1
        if not before(moment, last):
            last = moment
        out.append(
            build(
                {
                    "event_id": ledger_event_id(package.id, seq),
                    "package_id": package.id,
                    "seq": seq,
                    "at": last,
                    "actor": actor,
                }
            )
        )
    return out


def _recorded(
    packages: Iterable[PackageState],
    as_of: dt.datetime,
    drafts_of: Callable[[PackageState, dt.datetime], list[_Draft]],
    actor: str | None,
) -> Iterator[LedgerEvent]:
    """The events *drafts_of* drafts for each of *packages* at *as_of* (in the package's zone),
    numbered and dated."""
    for package in packages:
        drafts = drafts_of(package, local(as_of, package.tz, "as_of"))
        if drafts:
            yield from _sequenced(package, drafts, actor)


def _use_drafts(package: PackageState, now: dt.datetime) -> list[_Draft]:
    if not package.holds_anything:
        return []
    return [
        (record.scheduled_for, 0, record.id, functools.partial(used, record, reason="time_passed"))
        for record in package.held_by(now)
    ]


def _renewal_drafts(package: PackageState, now: dt.datetime, business: Business) -> list[_Draft]:
    return [
        (
            r.moment,
            1,
            str(r.period).zfill(9),
            functools.partial(
                _renewed,
                period=r.period,
                ends_on=r.ends_on,
                granted=r.granted,
                forfeited=r.forfeited,
                amount=r.amount,
            ),
        )
        for r in renewals(package, now, business)
    ]


def _renewed(fields: Common, **terms: Any) -> LedgerEvent:
    return SubscriptionRenewed(**fields, **terms)


def _expired(fields: Common, *, package: PackageState, day: dt.date) -> LedgerEvent:
    return PackageExpired(
        **fields,
        expires_on=day,
        credits=lapsing(package),
        balance=None if package.balance is None else package.balance.remaining,
    )


def _expiry_drafts(package: PackageState, now: dt.datetime, business: Business) -> list[_Draft]:
    day = package.expires_on
    if package.status != "active" or package.renewing or day is None:
        return []
    moment = package.expiry_moment(business.expires_at, business.expiry_mode)
    if moment is None or before(now, moment):
        return []
    return [(moment, 1, "", functools.partial(_expired, package=package, day=day))]


def catch_up_events(
    package: PackageState, now: dt.datetime, business: Business
) -> list[LedgerEvent]:
    """What is already true of *package* at *now* (aware) and not yet recorded: the uses whose
    time has passed, the renewals due, the expiry due, in the order they took effect."""
    drafts = _use_drafts(package, now)
    drafts += _renewal_drafts(package, now, business)
    drafts += _expiry_drafts(package, now, business)
    return _sequenced(package, drafts, None) if drafts else []


def package_at(
    package: PackageState, *, as_of: dt.datetime, business: Business = _DEFAULT_BUSINESS
) -> PackageState:
    """*package* as it stands at *as_of* (naive: local time in its zone): its events so far and
    what is already true then (uses whose time passed, renewals, expiry), recorded or not.

    The time must not be before the package's last event (the ledger says nothing of then).
    """
    events = catch_up_events(package, local(as_of, package.tz, "as_of"), business_of(business))
    return fold(LedgerState((package,)), events).package(package.id) if events else package


def caught_up(
    state: LedgerState, packages: Iterable[PackageState], as_of: dt.datetime, business: Business
) -> tuple[list[LedgerEvent], LedgerState]:
    """The catch-up events of *packages* (of *state*) at *as_of* (naive: local time in each
    package's zone), and *state* with them folded."""
    events: list[LedgerEvent] = []
    for package in packages:
        events += catch_up_events(package, local(as_of, package.tz, "as_of"), business)
    return events, (fold(state, events) if events else state)


def catch_up(
    state: LedgerState,
    *,
    as_of: dt.datetime,
    business: Business = _DEFAULT_BUSINESS,
    package_ids: Iterable[str] | None = None,
) -> Outcome:
    """Record everything already true at *as_of* for every package (or those of *package_ids*):
    uses whose time passed, renewals, expiries, each package's in the order they took effect
    (the nightly job in one call)."""
    state = checked_state(state)
    business = business_of(business)
    packages = state.packages if package_ids is None else [state.package(i) for i in package_ids]
    events, after = caught_up(state, packages, as_of, business)
    return _swept(state, events, after)


def _swept(
    state: LedgerState, events: list[LedgerEvent], after: LedgerState | None = None
) -> Outcome:
    """The outcome of a sweep that recorded *events* (already true) over *state*."""
    if after is None:
        after = fold(state, events) if events else state
    return finish(state, events, after, ())


# -- one kind at a time -----------------------------------------------------------------------


def uses_due(
    packages: Iterable[PackageState], *, as_of: dt.datetime
) -> Iterator[tuple[PackageState, RedemptionRecord]]:
    """The held redemptions whose scheduled time has passed at *as_of*: by docs/semantics.md section L they are
    used, and :func:`use_due` records it. Streams over *packages*."""
    for package in packages:
        if not package.holds_anything:
            continue
        for record in package.held_by(local(as_of, package.tz, "as_of")):
            yield package, record


def use_due(
    state: LedgerState,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Record as used (reason ``time_passed``) every held redemption whose scheduled time has
    passed at *as_of*, each dated at its scheduled time (or at the package's previous event, if
    that is later)."""
    state = checked_state(state)
    business_of(business)
    held = (p for p in state.packages if p.holds_anything)
    return _swept(state, list(_recorded(held, as_of, _use_drafts, actor_id(actor))))


def renewals_due(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    business: Business = _DEFAULT_BUSINESS,
) -> Iterator[SubscriptionRenewed]:
    """The renewal events due at *as_of*, streamed, in order for each package (several when
    periods were missed). Each is dated at the end of its period (or at the package's last
    event, if that is later). Only active subscriptions renew."""
    drafts = functools.partial(_renewal_drafts, business=business_of(business))
    live = (p for p in packages if p.subscription is not None and p.status == "active")
    for event in _recorded(live, as_of, drafts, None):
        assert isinstance(event, SubscriptionRenewed)
        yield event


def renew(
    state: LedgerState, *, as_of: dt.datetime, business: Business = _DEFAULT_BUSINESS
) -> Outcome:
    """Renew every subscription whose period ended by *as_of* (see :func:`renewals_due`)."""
    state = checked_state(state)
    events: list[LedgerEvent] = list(renewals_due(state.packages, as_of=as_of, business=business))
    return _swept(state, events)


def expiries_due(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    business: Business = _DEFAULT_BUSINESS,
) -> Iterator[PackageExpired]:
    """The expiry events due at *as_of*, streamed: one per active package whose expiry date
    ended (at the policy's ``expires_at``, 23:59 local by default, DST-correct) by *as_of*.

    Each is dated at its expiry moment (or at the package's last event, if that is later) and
    moves the credits left to *expired* (the money left, for a stored value; not a debt below
    zero, X8); held credits stay held. Subscriptions renew instead. Under the ``elapsed``
    expiry mode (X5) a countdown ends at its exact instant.
    """
    business = business_of(business)
    expires_at = business.expires_at
    mode = business.expiry_mode
    # Per call: *as_of* in each zone, per (date, zone) the expiry moment if it has passed
    # (``None``: not yet), and the credits moved per balance. Each depends only on its key, so
    # the events are the same as computing them for every package; they are computed when first
    # needed, in the same order (so the same errors are raised at the same package).
    now_in: dict[str, dt.datetime] = {}
    passed: dict[tuple[dt.date, str], dt.datetime | None] = {}
    moved: dict[tuple[tuple[str, int], ...], tuple[ItemCredits, ...]] = {}
    for package in packages:
        day = package.expires_on
        if day is None or package.status != "active":
            continue
        terms = package.purchase  # the terms it was sold with (PackageState's properties)
        if terms.subscription is not None and package.renewal_stop is None:
            continue  # it renews
        if mode != "end_of_day" and package.expiry_from_countdown:
            moment = package.expiry_moment(expires_at, mode)  # an instant of its own
            if moment is not None and not before(local(as_of, package.tz, "as_of"), moment):
                yield _expired_event(package, moment, day, moved)
            continue
        key = (day, terms.timezone)
        if key in passed:
            moment = passed[key]
        else:
            moment = passed[key] = _passed_moment(package, as_of, expires_at, now_in)
        if moment is None:
            continue
        yield _expired_event(package, moment, day, moved)


def _passed_moment(
    package: PackageState,
    as_of: dt.datetime,
    expires_at: dt.timedelta,
    now_in: dict[str, dt.datetime],
) -> dt.datetime | None:
    """The expiry moment of *package* if it is at or before *as_of*, else ``None``."""
    moment = package.expiry_moment(expires_at)
    now = now_in.get(package.timezone)
    if now is None:
        now = now_in[package.timezone] = local(as_of, package.tz, "as_of")
    if moment is not None and before(now, moment):
        return None
    return moment


def _expired_event(
    package: PackageState,
    moment: dt.datetime,
    day: dt.date,
    moved: dict[tuple[tuple[str, int], ...], tuple[ItemCredits, ...]],
) -> PackageExpired:
    """The expiry event of *package* (*moved*: the credits already built, by balance)."""
    components = package.components
    if len(components) == 1:
        balance: tuple[tuple[str, int], ...] = ((components[0].item, components[0].remaining),)
    else:
        balance = tuple((c.item, c.remaining) for c in components)
    credits = moved.get(balance)
    if credits is None:
        credits = moved[balance] = lapsing(package)
    seq = package.version + 1
    last = package.last_event_at
    # Every field is the package's own, already checked (the event is derived, not read).
    return build_trusted(
        PackageExpired,
        event_id=ledger_event_id(package.id, seq),
        package_id=package.id,
        seq=seq,
        at=last if before(moment, last) else moment,
        actor=None,
        expires_on=day,
        credits=credits,
        balance=None if package.balance is None else package.balance.remaining,
    )


def expire(
    state: LedgerState, *, as_of: dt.datetime, business: Business = _DEFAULT_BUSINESS
) -> Outcome:
    """Expire every package whose expiry date ended by *as_of* (see :func:`expiries_due`)."""
    state = checked_state(state)
    events: list[LedgerEvent] = list(expiries_due(state.packages, as_of=as_of, business=business))
    return _swept(state, events)
