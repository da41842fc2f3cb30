"""The one door of :mod:`punchcard.scale` into :mod:`punchcard.lifecycle`.

Everything the scale-out jobs ask of the lifecycle goes through the functions of this module,
and nothing else in :mod:`punchcard.scale` imports :mod:`punchcard.lifecycle`. They hold no
rule of their own: each calls the lifecycle's public function that does the work, with the
variant's :class:`~punchcard.lifecycle.Business`, and turns its answer into plain rows. What
it offers, per owner partition:

- the ledger: :func:`encode` / :func:`decode` an event to and from its JSON body, :func:`owner_of`
  a purchase, :func:`fold` events into a state;
- the night: :func:`due` (:func:`punchcard.lifecycle.catch_up`: what is already true at the
  time and not yet recorded) and :func:`night` (that, then the notices due and the balances
  report, as plain rows);
- the desk, for replaying recorded activity: :func:`package_type`, :func:`buy`, :func:`redeem`,
  :func:`cancel` (each records its own catch-up first, as every lifecycle operation does);
- the money: :func:`standings` (deferred revenue and breakage of every package).

A variant's *choices* (a mapping of names to values, see :data:`CHOICES`) become a
:class:`~punchcard.lifecycle.Business` in :func:`compile_choices`, once per task.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, TypeAlias

import attrs

from ..errors import InvalidTypeError, InvalidValueError
from ..lifecycle import (
    Business,
    LedgerEvent,
    LedgerState,
    OperationRefused,
    PackagePurchased,
    PackageType,
    Period,
    TypeComponent,
    balances_report,
    catch_up,
    checkout,
    event_from_dict,
    event_to_dict,
    hold,
    ledger_event_id,
    notifications_due,
    purchase,
    replay,
    revenue,
)
from ..lifecycle import (
    cancel as _cancel,
)
from ..models import Cart, Settings
from ..money import Money
from ..policy import Policy
from .records import BalanceEntry, NoticeRow

__all__ = [
    "CHOICES",
    "EMPTY",
    "Business",
    "Event",
    "Night",
    "Redeemed",
    "Refused",
    "Standing",
    "State",
    "buy",
    "cancel",
    "compile_choices",
    "decode",
    "due",
    "encode",
    "event_id",
    "fold",
    "night",
    "owner_of",
    "package_type",
    "redeem",
    "standings",
    "with_zones",
]

Event: TypeAlias = LedgerEvent
State: TypeAlias = LedgerState
#: Raised when the rules refuse a step (a booking no credit can pay, a cancel of nothing...).
Refused = OperationRefused
EMPTY = LedgerState()

_SETTINGS = tuple(f.name for f in attrs.fields(Settings))
_POLICY = ("line_order", "package_order", "valuation", "expires_at", "expiry")
_BUSINESS = ("cancel_after_expiry", "unused_at_renewal")
#: The choices a variant may make, and the type of each value.
CHOICES: Mapping[str, type] = {
    **dict.fromkeys(_SETTINGS, bool),
    **dict.fromkeys(_POLICY, str),
    **dict.fromkeys(_BUSINESS, str),
}


def compile_choices(choices: Mapping[str, object]) -> Business:
    """The business of *choices* (every other choice at its default); unknown names and bad
    values raise.

    >>> compile_choices({"package_order": "earliest_expiry"}).policy.package_order.name
    'earliest_expiry'
    >>> compile_choices({"any_place": True})
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: any_place: not a choice; choose among ['any_location', 'any_type', 'cancel_after_expiry', 'expires_at', 'expiry', 'greater_value', 'line_order', 'package_order', 'refund_after_use', 'unused_at_renewal', 'valuation', 'zero_price_items']
    """
    for name, value in choices.items():
        kind = CHOICES.get(name)
        if kind is None:
            raise InvalidValueError(name, f"not a choice; choose among {sorted(CHOICES)!r}")
        if type(value) is not kind:
            raise InvalidTypeError(name, f"must be a {kind.__name__}, got {value!r}")
    settings = Settings(**{k: v for k, v in choices.items() if k in _SETTINGS})  # type: ignore[arg-type]
    policy = Policy(**{k: v for k, v in choices.items() if k in _POLICY})  # type: ignore[arg-type]
    return Business(
        settings=settings,
        policy=policy,
        **{k: v for k, v in choices.items() if k in _BUSINESS},  # type: ignore[arg-type]
    )


def with_zones(business: Business, timezone: str, zones: Iterable[tuple[str, str]]) -> Business:
    """*business* with the zone of its locations (*zones*: ``(location, IANA zone)``) and
    *timezone* for the others."""
    return attrs.evolve(business, timezone=timezone, zones=tuple(zones))


# -- the ledger -----------------------------------------------------------------------------------


def encode(event: Event) -> dict[str, Any]:
    """The JSON-ready body of *event*."""
    return event_to_dict(event)


def decode(body: Mapping[str, Any], path: str = "event") -> Event:
    """The event of a JSON body (validated; a bad one raises with *path*)."""
    return event_from_dict(body, path=path)


def event_id(package_id: str, seq: int) -> str:
    """The id of event *seq* of *package_id* (derived from them: a retry makes the same id)."""
    return ledger_event_id(package_id, seq)


def owner_of(event: Event) -> str | None:
    """The owner a purchase names (``None`` for the other events, which name only a package)."""
    return event.owner if isinstance(event, PackagePurchased) else None


def fold(events: Iterable[Event], start: State | None = None) -> State:
    """The state *events* (in ledger order) lead to, from *start* (default: empty)."""
    return replay(events, start=start)


# -- the night ------------------------------------------------------------------------------------


def due(state: State, *, as_of: dt.datetime, rules: Business) -> tuple[tuple[Event, ...], State]:
    """What :func:`punchcard.lifecycle.catch_up` records at *as_of* (uses whose time passed,
    renewals, expiries, each package's in the order they took effect), and the state after."""
    outcome = catch_up(state, as_of=as_of, business=rules)
    return outcome.events, outcome.state


@attrs.frozen
class Night:
    """Tonight's job for the packages of a state."""

    #: The events to append (see :func:`due`).
    events: tuple[Event, ...]
    #: The notices due and not yet sent.
    notices: tuple[NoticeRow, ...]
    #: The balances report after tonight's events, by owner then package.
    balances: tuple[BalanceEntry, ...]


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def night(state: State, *, as_of: dt.datetime, sent: Collection[str], rules: Business) -> Night:
    """Tonight's job over *state*: :func:`due`, then the notices due at *as_of* whose keys are
    not in *sent*, and the balances report."""
    events, after = due(state, as_of=as_of, rules=rules)
    notices = tuple(
        NoticeRow(
            n.kind,
            n.owner,
            n.package_id,
            n.key,
            n.due_at.isoformat(),
            n.remaining,
            _date(n.expires_on),
        )
        for n in notifications_due(after.packages, as_of=as_of, sent=sent, business=rules)
    )
    balances = tuple(
        BalanceEntry(
            b.owner,
            b.package_id,
            b.name,
            b.item,
            b.remaining,
            b.held,
            _date(b.expires_on),
            b.location,
        )
        for b in balances_report(after.packages, as_of=as_of, business=rules)
    )
    return Night(events, notices, balances)


# -- the desk: replaying recorded activity --------------------------------------------------------


def package_type(
    *,
    id: str,
    name: str,
    components: Iterable[tuple[str, int, bool]],
    price: Money,
    location: str | None = None,
    days_to_expiration: int | None = None,
    expiry_starts: str = "sale",
    reminder_days: int | None = None,
    low_balance_threshold: int | None = None,
    subscription: tuple[str, int] | None = None,
) -> PackageType:
    """A catalogue entry; *components* are ``(item, quantity, hourly)``, *subscription* is
    ``(unit, count)`` of its period."""
    return PackageType(
        id=id,
        name=name,
        components=[
            TypeComponent(item, quantity, hourly=hourly) for item, quantity, hourly in components
        ],
        price=price,
        location=location,
        days_to_expiration=days_to_expiration,
        expiry_starts=expiry_starts,  # type: ignore[arg-type]
        reminder_days=reminder_days,
        low_balance_threshold=low_balance_threshold,
        subscription=None if subscription is None else Period(*subscription),  # type: ignore[arg-type]
    )


def buy(
    state: State,
    ptype: PackageType,
    *,
    package_id: str,
    owner: str,
    as_of: dt.datetime,
    timezone: str,
    rules: Business,
) -> tuple[tuple[Event, ...], State]:
    """Sell a package of *ptype* at a location of zone *timezone*: its events and the state
    after them."""
    outcome = purchase(
        state,
        ptype,
        package_id=package_id,
        owner=owner,
        as_of=as_of,
        timezone=timezone,
        business=rules,
    )
    return outcome.events, outcome.state


@attrs.frozen
class Redeemed:
    """A checkout or a booking: its events, the state after them, and what the credits did."""

    events: tuple[Event, ...]
    state: State
    #: What credits took off the cart.
    covered: Money
    #: What is left to pay.
    due: Money
    #: Credits taken.
    credits: int


def redeem(
    state: State,
    cart: Cart,
    *,
    booking: str,
    as_of: dt.datetime,
    scheduled_for: dt.datetime | None,
    rules: Business,
) -> Redeemed:
    """A checkout (*scheduled_for* ``None``: credits used at once) or a booking for
    *scheduled_for* (credits held until its time passes), read in the business's zone of the
    cart's location."""
    if scheduled_for is None:
        outcome = checkout(state, cart, booking=booking, as_of=as_of, business=rules)
    else:
        outcome = hold(
            state, cart, booking=booking, as_of=as_of, scheduled_for=scheduled_for, business=rules
        )
    application = outcome.application
    credits = sum(r.credits for r in application.redemptions)
    return Redeemed(outcome.events, outcome.state, application.covered, application.due, credits)


def cancel(
    state: State, booking: str, *, as_of: dt.datetime, rules: Business
) -> tuple[tuple[Event, ...], State]:
    """Cancel *booking*: its credits come back (by default); its events and the state after."""
    outcome = _cancel(state, booking, as_of=as_of, business=rules)
    return outcome.events, outcome.state


# -- the money ------------------------------------------------------------------------------------


@attrs.frozen
class Standing:
    """Where the money paid for one package stands."""

    package_id: str
    #: The package's location (``None``: a global package).
    location: str | None
    #: The paid value of the credits not used yet (left or held): deferred revenue.
    deferred: Money
    #: The paid value of the credits that expired unused (or were forfeited at a renewal).
    breakage: Money
    #: Credits that expired unused (or were forfeited).
    expired: int


def standings(state: State, memo: dict[str, tuple[object, Standing]]) -> Iterator[Standing]:
    """The :class:`Standing` of every package of *state*. *memo* (the caller's, one per state
    lineage) keeps each package's last answer: a package whose state is the same object as last
    time (no event touched it) is not valued again."""
    for package in state.packages:
        seen = memo.get(package.id)
        if seen is not None and seen[0] is package:
            yield seen[1]
            continue
        money = revenue(package)
        standing = Standing(
            package.id,
            package.location,
            money.deferred + money.held,
            money.breakage,
            sum(c.expired for c in package.components),
        )
        memo[package.id] = (package, standing)
        yield standing
