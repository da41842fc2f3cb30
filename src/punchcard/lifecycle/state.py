"""What the ledger says a package is now: balances per component, bookings, status.

States are derived, never stored as the truth: :func:`punchcard.lifecycle.replay` folds the
events into them. Every credit a package was ever granted is in exactly one bucket of its
component, so for every component::

    granted == remaining + held + used + deducted + expired + refunded

(a deleted package keeps its counts; its status says it is void).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, NoReturn

import attrs

from ..events import (
    BookingKind,
    CreditsAssigned,
    CreditsDeducted,
    ExpiryChanged,
    ItemCredits,
    LedgerEvent,
    PackageDeleted,
    PackageExpired,
    PackagePurchased,
    PackageRefunded,
    Period,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    SubscriptionRenewed,
    TypeComponent,
)
from ..models import Component, Package
from ..money import Money
from ..timeutil import end_of_day, local_date, zone
from ..valuation.revenue import CommissionMode
from .errors import LedgerError, OperationRefused

__all__ = [
    "ComponentBalance",
    "LedgerState",
    "PackageState",
    "PackageStatus",
    "RedemptionRecord",
    "fold",
]

#: ``active`` until the package expires, is refunded or is deleted.
PackageStatus = Literal["active", "expired", "refunded", "deleted"]
RecordStatus = Literal["held", "used", "cancelled"]


@attrs.frozen
class ComponentBalance:
    """Where every credit of one component of a package is."""

    item: str
    hourly: bool
    #: Every credit ever granted: by the purchase, by renewals, by staff.
    granted: int
    #: Free to be redeemed.
    remaining: int
    #: Taken by a booking not yet used (future appointment, open ticket).
    held: int = 0
    #: Redeemed and used.
    used: int = 0
    #: Removed by staff.
    deducted: int = 0
    #: Lapsed: at expiry, or forfeited at a subscription renewal.
    expired: int = 0
    #: Given back in a package refund.
    refunded: int = 0

    def conserved(self) -> bool:
        """Whether every granted credit is in exactly one bucket."""
        return self.granted == (
            self.remaining + self.held + self.used + self.deducted + self.expired + self.refunded
        )


@attrs.frozen
class RedemptionRecord:
    """One redemption of a package: credits of one component for one line of a booking."""

    #: The ``event_id`` of the :class:`~punchcard.lifecycle.RedemptionRecorded` event.
    id: str
    booking: str
    booking_kind: BookingKind
    line_id: str
    item: str
    credits: int
    amount: Money
    status: RecordStatus
    #: When the service takes place.
    scheduled_for: dt.datetime
    #: When the redemption was recorded.
    recorded_at: dt.datetime
    cart_id: str | None = None

    @property
    def open(self) -> bool:
        """Held or used, i.e. not cancelled."""
        return self.status != "cancelled"

    def status_at(self, at: dt.datetime) -> RecordStatus:
        """The status at *at* by the rule of section L: a held redemption counts as used once
        its scheduled time has passed (even before the host records it)."""
        if self.status == "held" and self.scheduled_for <= at:
            return "used"
        return self.status


@attrs.frozen(kw_only=True)
class PackageState:
    """A package as its events leave it."""

    id: str
    owner: str
    type_id: str
    name: str
    #: The IANA zone every local date of the package is read in.
    timezone: str
    location: str | None
    beneficiary: str | None
    purchased_at: dt.datetime
    channel: Literal["pos", "portal"]
    components: tuple[ComponentBalance, ...]
    #: What one purchase (and one subscription period) grants.
    grants: tuple[TypeComponent, ...]
    #: The price of one purchase (and of one subscription period).
    price: Money
    #: Everything paid for it: the purchase and the renewals.
    paid: Money
    #: The credits paid for (granted by purchase and renewals; not those assigned by staff).
    paid_credits: int
    #: The local expiry date (for a subscription: the last day of the current period).
    expires_on: dt.date | None
    days_to_expiration: int | None
    expiry_starts: Literal["sale", "first_use"]
    first_used_at: dt.datetime | None
    pricing_rules: bool
    reminder_days: int | None
    low_balance_threshold: int | None
    subscription: Period | None
    #: The current subscription period (1 = the first); 1 for a plain package.
    period: int
    status: PackageStatus
    refunded_amount: Money
    #: Every redemption, in the order recorded (cancelled ones included).
    redemptions: tuple[RedemptionRecord, ...]
    taxed: bool
    account_code: str | None
    commission_basis: CommissionMode
    #: The ``seq`` of its last event (the number of events).
    version: int
    last_event_at: dt.datetime

    @property
    def tz(self) -> dt.tzinfo:
        """The package's time zone."""
        return zone(self.timezone)

    def component(self, item: str) -> ComponentBalance:
        """The balance of *item*; refused with ``unknown_item`` when the package has none."""
        for c in self.components:
            if c.item == item:
                return c
        raise OperationRefused(
            "unknown_item",
            f"package {self.id!r} has no component {item!r} "
            f"(it has {[c.item for c in self.components]!r})",
            package_id=self.id,
        )

    def remaining(self, item: str) -> int:
        """Credits of *item* free to be redeemed (0 if none)."""
        for c in self.components:
            if c.item == item:
                return c.remaining
        return 0

    @property
    def total_remaining(self) -> int:
        """Credits free to be redeemed, over all components."""
        return sum(c.remaining for c in self.components)

    @property
    def total_held(self) -> int:
        return sum(c.held for c in self.components)

    @property
    def total_used(self) -> int:
        return sum(c.used for c in self.components)

    @property
    def total_granted(self) -> int:
        return sum(c.granted for c in self.components)

    @property
    def total_deducted(self) -> int:
        return sum(c.deducted for c in self.components)

    @property
    def open_redemptions(self) -> tuple[RedemptionRecord, ...]:
        """Redemptions held or used (not cancelled)."""
        return tuple(r for r in self.redemptions if r.status != "cancelled")

    def expiry_moment(self, expires_at: dt.timedelta) -> dt.datetime | None:
        """The instant the package stops being usable (``None``: no expiry date yet or never).

        For a subscription it is the end of the current period (the renewal moment).
        """
        if self.expires_on is None:
            return None
        return _end_of_day(self.expires_on, self.timezone, expires_at)

    def expired_at(self, at: dt.datetime, expires_at: dt.timedelta) -> bool:
        """Whether the package is expired at *at*: its expiry was recorded, or its expiry moment
        has passed (a subscription does not expire by time: it renews)."""
        if self.status == "expired":
            return True
        if self.subscription is not None:
            return False
        moment = self.expiry_moment(expires_at)
        return moment is not None and at >= moment

    def as_package(self) -> Package:
        """The engine's view of the package: the credits free to be redeemed now."""
        return Package(
            id=self.id,
            owner=self.owner,
            purchased_at=self.purchased_at,
            components=[Component(c.item, c.remaining, hourly=c.hourly) for c in self.components],
            location=self.location,
            beneficiary=self.beneficiary,
            expires_on=self.expires_on,
            days_to_expiration=None if self.subscription is not None else self.days_to_expiration,
            expiry_starts=self.expiry_starts,
            first_used_at=self.first_used_at,
            pricing_rules=self.pricing_rules,
        )


@functools.lru_cache(maxsize=4096)
def _end_of_day(day: dt.date, timezone: str, expires_at: dt.timedelta) -> dt.datetime:
    """:func:`~punchcard.timeutil.end_of_day` in the zone called *timezone*, remembered: a
    nightly sweep asks it for the same few hundred (date, zone) pairs over and over."""
    return end_of_day(day, zone(timezone), expires_at)


def _index(value: Iterable[PackageState]) -> tuple[PackageState, ...]:
    return tuple(value)


@attrs.frozen
class LedgerState:
    """Every package of a ledger (or of one owner's part of it), in the order they were bought."""

    packages: tuple[PackageState, ...] = attrs.field(default=(), converter=_index)
    _by_id: Mapping[str, PackageState] = attrs.field(
        init=False, eq=False, hash=False, repr=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        by_id = {p.id: p for p in self.packages}
        if len(by_id) != len(self.packages):
            raise LedgerError("packages", "package ids must be unique")
        object.__setattr__(self, "_by_id", by_id)

    def get(self, package_id: str) -> PackageState | None:
        """The package called *package_id*, or ``None``."""
        return self._by_id.get(package_id)

    def package(self, package_id: str) -> PackageState:
        """The package called *package_id*; refused with ``unknown_package`` when there is none."""
        found = self._by_id.get(package_id)
        if found is None:
            raise OperationRefused(
                "unknown_package", f"there is no package {package_id!r}", package_id=package_id
            )
        return found

    def __contains__(self, package_id: object) -> bool:
        return package_id in self._by_id

    def __iter__(self) -> Iterator[PackageState]:
        return iter(self.packages)

    def __len__(self) -> int:
        return len(self.packages)

    def owned_by(self, owner: str) -> tuple[PackageState, ...]:
        """The packages of *owner*, in purchase order."""
        return tuple(p for p in self.packages if p.owner == owner)


# -- the fold -------------------------------------------------------------------------------------
#
# The fold is the hot path of a replay (a host replays millions of events), so it is written for
# speed, with the same checks, in the same order and with the same messages, as the plain event
# handlers further down (``tests/lifecycle/test_lifecycle_fast_paths.py`` compares the two):
#
# - one loop over the events; the frequent ones (redemptions recorded, used and cancelled, credits
#   assigned and deducted, expiry dates moved) are handled inline, and any event that fails a
#   check goes to its handler, which raises the error;
# - one mutable accumulator per package touched (plain ints, strings and tuples); the frozen
#   public values (PackageState, ComponentBalance, RedemptionRecord) are built once, at the end,
#   and only for the packages the events touched;
# - a redemption is a tuple of strings, ints and dates while folding (its amount is an index
#   into a list of the package's amounts), so that the garbage collector stops tracking it
#   after its first collection: the collector's passes over a growing ledger cost no more than
#   the packages it holds, not the redemptions.

#: A redemption while folding: the arguments of :class:`RedemptionRecord`, in order, except the
#: amount, which is an index into :attr:`_Acc.amounts`.
_Rec = tuple[
    str, str, BookingKind, str, str, int, int, RecordStatus, dt.datetime, dt.datetime, str | None
]


class _Comp:
    """The balance of one component while folding."""

    __slots__ = (
        "deducted",
        "expired",
        "granted",
        "held",
        "hourly",
        "item",
        "refunded",
        "remaining",
        "used",
    )

    def __init__(self, b: ComponentBalance) -> None:
        self.item = b.item
        self.hourly = b.hourly
        self.granted = b.granted
        self.remaining = b.remaining
        self.held = b.held
        self.used = b.used
        self.deducted = b.deducted
        self.expired = b.expired
        self.refunded = b.refunded

    def freeze(self) -> ComponentBalance:
        return ComponentBalance(
            self.item,
            self.hourly,
            self.granted,
            self.remaining,
            self.held,
            self.used,
            self.deducted,
            self.expired,
            self.refunded,
        )


class _Acc:
    """A package being folded: mutable, private to this module.

    ``fields`` holds the fields of :class:`PackageState` that events never change; the others
    are attributes. ``records`` maps a redemption's id to its record: a :data:`_Rec`, or the
    :class:`RedemptionRecord` of the starting state while it is unchanged.
    """

    __slots__ = (
        "amounts",
        "comps",
        "days",
        "expires_on",
        "expiry_starts",
        "fields",
        "first_used_at",
        "id",
        "last",
        "new",
        "paid",
        "paid_credits",
        "period",
        "records",
        "refunded_amount",
        "status",
        "subscription",
        "tz",
        "version",
    )

    id: str
    fields: dict[str, Any]
    comps: dict[str, _Comp]
    records: dict[str, _Rec | RedemptionRecord]
    #: The amounts of the redemptions recorded (one entry for a run of the same object).
    amounts: list[Money]
    status: PackageStatus
    expires_on: dt.date | None
    days: int | None
    expiry_starts: Literal["sale", "first_use"]
    first_used_at: dt.datetime | None
    subscription: Period | None
    period: int
    paid: Money
    paid_credits: int
    refunded_amount: Money
    tz: dt.tzinfo
    #: The ``seq`` and the time of the last event folded (the time as the event gave it).
    version: int
    last: dt.datetime
    #: Bought by these events (not in the starting state).
    new: bool

    def comp(self, item: str) -> _Comp:
        found = self.comps.get(item)
        if found is None:
            raise LedgerError("item", f"package {self.id!r} has no component {item!r}")
        return found

    def amount_index(self, amount: Money) -> int:
        """The index of *amount* in :attr:`amounts` (appended unless it is the last one)."""
        amounts = self.amounts
        if not amounts or amounts[-1] is not amount:
            amounts.append(amount)
        return len(amounts) - 1

    def rec(self, found: _Rec | RedemptionRecord) -> _Rec:
        """*found* (a value of :attr:`records`) as a :data:`_Rec`."""
        if type(found) is tuple:
            return found
        assert isinstance(found, RedemptionRecord)
        return (
            found.id,
            found.booking,
            found.booking_kind,
            found.line_id,
            found.item,
            found.credits,
            self.amount_index(found.amount),
            found.status,
            found.scheduled_for,
            found.recorded_at,
            found.cart_id,
        )

    def freeze(self) -> PackageState:
        """The package as a frozen value (the accumulator is spent afterwards)."""
        build = RedemptionRecord
        amounts = self.amounts
        records = tuple(
            r
            if isinstance(r, RedemptionRecord)
            else build(r[0], r[1], r[2], r[3], r[4], r[5], amounts[r[6]], r[7], r[8], r[9], r[10])
            for r in self.records.values()
        )
        self.records = {}
        self.amounts = []
        return PackageState(
            **self.fields,
            id=self.id,
            components=tuple(c.freeze() for c in self.comps.values()),
            expires_on=self.expires_on,
            days_to_expiration=self.days,
            expiry_starts=self.expiry_starts,
            first_used_at=self.first_used_at,
            subscription=self.subscription,
            period=self.period,
            status=self.status,
            paid=self.paid,
            paid_credits=self.paid_credits,
            refunded_amount=self.refunded_amount,
            redemptions=records,
            version=self.version,
            last_event_at=self.last.astimezone(self.tz),
        )


#: The fields of :class:`PackageState` kept in :attr:`_Acc.fields`.
_FIXED = (
    "owner",
    "type_id",
    "name",
    "timezone",
    "location",
    "beneficiary",
    "purchased_at",
    "channel",
    "grants",
    "price",
    "pricing_rules",
    "reminder_days",
    "low_balance_threshold",
    "taxed",
    "account_code",
    "commission_basis",
)


def _state_acc(state: PackageState) -> _Acc:
    """The accumulator of a package of the starting state."""
    acc = _Acc()
    acc.id = state.id
    acc.fields = {name: getattr(state, name) for name in _FIXED}
    acc.comps = {b.item: _Comp(b) for b in state.components}
    acc.records = {r.id: r for r in state.redemptions}
    acc.amounts = []
    acc.status = state.status
    acc.expires_on = state.expires_on
    acc.days = state.days_to_expiration
    acc.expiry_starts = state.expiry_starts
    acc.first_used_at = state.first_used_at
    acc.subscription = state.subscription
    acc.period = state.period
    acc.paid = state.paid
    acc.paid_credits = state.paid_credits
    acc.refunded_amount = state.refunded_amount
    acc.tz = state.tz
    acc.version = state.version
    acc.last = state.last_event_at
    acc.new = False
    return acc


def _purchased_acc(ev: PackagePurchased, zeros: dict[str, Money]) -> _Acc:
    """The accumulator of the package *ev* sells. *zeros*: zero amounts already made, by
    currency (values are immutable: packages can share them)."""
    tz = zone(ev.timezone)
    at = ev.at.astimezone(tz)
    currency = ev.price.currency
    zero = zeros.get(currency)
    if zero is None:
        zero = zeros[currency] = Money.zero(currency)
    acc = _Acc()
    acc.id = ev.package_id
    acc.fields = {
        "owner": ev.owner,
        "type_id": ev.type_id,
        "name": ev.name,
        "timezone": ev.timezone,
        "location": ev.location,
        "beneficiary": ev.beneficiary,
        "purchased_at": at,
        "channel": ev.channel,
        "grants": ev.components,
        "price": ev.price,
        "pricing_rules": ev.pricing_rules,
        "reminder_days": ev.reminder_days,
        "low_balance_threshold": ev.low_balance_threshold,
        "taxed": ev.taxed,
        "account_code": ev.account_code,
        "commission_basis": ev.commission_basis,
    }
    acc.comps = {
        c.item: _Comp(ComponentBalance(c.item, c.hourly, c.quantity, c.quantity))
        for c in ev.components
    }
    acc.records = {}
    acc.amounts = []
    acc.status = "active"
    acc.expires_on = ev.expires_on
    acc.days = ev.days_to_expiration
    acc.expiry_starts = ev.expiry_starts
    acc.first_used_at = None
    acc.subscription = ev.subscription
    acc.period = 1
    acc.paid = ev.price
    acc.paid_credits = sum(c.quantity for c in ev.components)
    acc.refunded_amount = zero
    acc.tz = tz
    acc.version = 1
    acc.last = at
    acc.new = True
    return acc


# The plain handlers: one per event type but the purchase. The fold handles the frequent events
# inline and calls these for the others and for every event that fails a check.


def _take(comp: _Comp, field: str, credits: int) -> None:
    have: int = getattr(comp, field)
    if credits > have:
        raise LedgerError(
            "credits", f"takes {credits} {field} credits of {comp.item!r}, only {have} there"
        )
    setattr(comp, field, have - credits)


def _require_active(acc: _Acc, what: str) -> None:
    if acc.status != "active":
        raise LedgerError("type", f"{what} on package {acc.id!r} which is {acc.status}")


def _first_use(acc: _Acc, scheduled: dt.datetime) -> None:
    """Record the first use (at *scheduled*, in the package's zone)."""
    acc.first_used_at = scheduled
    days = acc.days
    if (
        acc.expires_on is None
        and acc.expiry_starts == "first_use"
        and days is not None
        and acc.subscription is None
    ):
        acc.expires_on = local_date(scheduled, acc.tz) + dt.timedelta(days=days)


def _on_redeemed(acc: _Acc, ev: RedemptionRecorded) -> None:
    _require_active(acc, "a redemption")
    comp = acc.comp(ev.item)
    credits = ev.credits
    _take(comp, "remaining", credits)
    if ev.status == "held":
        comp.held += credits
    else:
        comp.used += credits
    if ev.event_id in acc.records:
        raise LedgerError("event_id", f"redemption {ev.event_id!r} recorded twice")
    scheduled = ev.scheduled_for.astimezone(acc.tz)
    acc.records[ev.event_id] = (
        ev.event_id,
        ev.booking,
        ev.booking_kind,
        ev.line_id,
        comp.item,
        credits,
        acc.amount_index(ev.amount),
        ev.status,
        scheduled,
        ev.at.astimezone(acc.tz),
        ev.cart_id,
    )
    if acc.first_used_at is None:
        _first_use(acc, scheduled)


def _record(acc: _Acc, ev: RedemptionUsed | RedemptionCancelled) -> _Rec:
    """The record *ev* changes, checked against it."""
    found = acc.records.get(ev.redemption_id)
    if found is None:
        raise LedgerError("redemption_id", f"no redemption {ev.redemption_id!r} to change")
    record = acc.rec(found)
    if (
        record[4] != ev.item
        or record[5] != ev.credits
        or record[1] != ev.booking
        or record[3] != ev.line_id
    ):
        raise LedgerError("redemption_id", f"does not match redemption {ev.redemption_id!r}")
    return record


def _with_status(r: _Rec, status: RecordStatus) -> _Rec:
    return (r[0], r[1], r[2], r[3], r[4], r[5], r[6], status, r[8], r[9], r[10])


def _on_used(acc: _Acc, ev: RedemptionUsed) -> None:
    record = _record(acc, ev)
    if record[7] != "held":
        raise LedgerError("redemption_id", f"redemption {record[0]!r} is {record[7]}")
    comp = acc.comp(ev.item)
    _take(comp, "held", ev.credits)
    comp.used += ev.credits
    acc.records[record[0]] = _with_status(record, "used")


def _on_cancelled(acc: _Acc, ev: RedemptionCancelled) -> None:
    record = _record(acc, ev)
    if record[7] != ev.was:
        raise LedgerError("was", f"redemption {record[0]!r} is {record[7]}, not {ev.was}")
    if ev.expired > ev.credits:
        raise LedgerError("expired", f"{ev.expired} expired of {ev.credits} credits")
    comp = acc.comp(ev.item)
    _take(comp, ev.was, ev.credits)
    comp.remaining += ev.credits - ev.expired
    comp.expired += ev.expired
    acc.records[record[0]] = _with_status(record, "cancelled")


def _on_refunded(acc: _Acc, ev: PackageRefunded) -> None:
    _require_active(acc, "a refund")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        _take(comp, "remaining", moved.credits)
        comp.refunded += moved.credits
    acc.status = "refunded"
    acc.refunded_amount = acc.refunded_amount + ev.amount


def _on_assigned(acc: _Acc, ev: CreditsAssigned) -> None:
    _require_active(acc, "an assignment")
    comp = acc.comp(ev.item)
    comp.granted += ev.credits
    comp.remaining += ev.credits


def _on_deducted(acc: _Acc, ev: CreditsDeducted) -> None:
    _require_active(acc, "a deduction")
    comp = acc.comp(ev.item)
    _take(comp, "remaining", ev.credits)
    comp.deducted += ev.credits


def _on_expiry_changed(acc: _Acc, ev: ExpiryChanged) -> None:
    _require_active(acc, "an expiry change")
    if acc.expires_on != ev.old:
        raise LedgerError("old", f"the expiry date was {acc.expires_on}, not {ev.old}")
    acc.expires_on = ev.new


def _on_expired(acc: _Acc, ev: PackageExpired) -> None:
    _require_active(acc, "an expiry")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        _take(comp, "remaining", moved.credits)
        comp.expired += moved.credits
    acc.status = "expired"


def _on_renewed(acc: _Acc, ev: SubscriptionRenewed) -> None:
    _require_active(acc, "a renewal")
    if acc.subscription is None:
        raise LedgerError("type", f"package {acc.id!r} is not a subscription")
    if ev.period != acc.period + 1:
        raise LedgerError("period", f"renews period {ev.period} after period {acc.period}")
    for moved in ev.forfeited:
        comp = acc.comp(moved.item)
        _take(comp, "remaining", moved.credits)
        comp.expired += moved.credits
    granted = 0
    for moved in ev.granted:
        comp = acc.comp(moved.item)
        comp.granted += moved.credits
        comp.remaining += moved.credits
        granted += moved.credits
    acc.period = ev.period
    acc.expires_on = ev.ends_on
    acc.paid = acc.paid + ev.amount
    acc.paid_credits += granted


def _on_deleted(acc: _Acc, ev: PackageDeleted) -> None:
    if acc.status == "deleted":
        raise LedgerError("type", f"package {acc.id!r} deleted twice")
    acc.status = "deleted"


def _reject(acc: _Acc, ev: Any) -> NoReturn:
    """Raise the error the handler of *ev* raises (for an event that failed a check)."""
    _HANDLERS[type(ev)](acc, ev)
    raise AssertionError(f"the handler accepted {ev!r}")  # pragma: no cover


_HANDLERS: dict[type, Callable[[_Acc, Any], None]] = {
    RedemptionRecorded: _on_redeemed,
    RedemptionUsed: _on_used,
    RedemptionCancelled: _on_cancelled,
    PackageRefunded: _on_refunded,
    CreditsAssigned: _on_assigned,
    CreditsDeducted: _on_deducted,
    ExpiryChanged: _on_expiry_changed,
    PackageExpired: _on_expired,
    SubscriptionRenewed: _on_renewed,
    PackageDeleted: _on_deleted,
}


def _fold(start: LedgerState | None, events: Iterable[Any], accs: dict[str, _Acc]) -> None:
    """Fold *events* into *accs* (the accumulators of the packages touched, in the order first
    touched). Raises :class:`LedgerError` with the position of the first inconsistent event.

    Each inline branch below does what its handler does when every check passes, and calls
    the handler (which raises) when one fails.
    """
    states: Mapping[str, PackageState] = {} if start is None else start._by_id
    zeros: dict[str, Money] = {}
    get_acc = accs.get
    handlers = _HANDLERS
    # Local names: the loop runs once per event.
    purchased, recorded_, used_, cancelled_ = (
        PackagePurchased,
        RedemptionRecorded,
        RedemptionUsed,
        RedemptionCancelled,
    )
    assigned_, deducted_, changed_ = CreditsAssigned, CreditsDeducted, ExpiryChanged
    for i, ev in enumerate(events):
        try:
            kind = type(ev)
            package_id = ev.package_id
            acc = get_acc(package_id)
            if kind is purchased:
                if acc is not None or package_id in states:
                    raise LedgerError("package_id", f"package {package_id!r} purchased twice")
                if ev.seq != 1:
                    raise LedgerError("seq", f"a purchase is event 1 of its package, got {ev.seq}")
                accs[package_id] = _purchased_acc(ev, zeros)
                continue
            if acc is None:
                state = states.get(package_id)
                if state is None:
                    raise LedgerError("package_id", f"no package {package_id!r} was purchased")
                acc = accs[package_id] = _state_acc(state)
            seq = ev.seq
            if seq != acc.version + 1:
                raise LedgerError(
                    "seq", f"package {package_id!r} is at event {acc.version}, got {seq}"
                )
            at = ev.at
            if at < acc.last:
                raise LedgerError(
                    "at", f"{at.isoformat()} is before the previous event of {package_id!r}"
                )
            if kind is recorded_:
                comp = acc.comps.get(ev.item)
                credits = ev.credits
                event_id = ev.event_id
                records = acc.records
                if (
                    acc.status != "active"
                    or comp is None
                    or credits > comp.remaining
                    or event_id in records
                ):
                    _reject(acc, ev)
                comp.remaining -= credits
                status = ev.status
                if status == "held":
                    comp.held += credits
                else:
                    comp.used += credits
                # (astimezone to a value's own zone returns the value: the call is skipped)
                tz = acc.tz
                scheduled = ev.scheduled_for
                if scheduled.tzinfo is not tz:
                    scheduled = scheduled.astimezone(tz)
                amount = ev.amount
                amounts = acc.amounts
                if not amounts or amounts[-1] is not amount:
                    amounts.append(amount)
                records[event_id] = (
                    event_id,
                    ev.booking,
                    ev.booking_kind,
                    ev.line_id,
                    comp.item,
                    credits,
                    len(amounts) - 1,
                    status,
                    scheduled,
                    at if at.tzinfo is tz else at.astimezone(tz),
                    ev.cart_id,
                )
                if acc.first_used_at is None:
                    _first_use(acc, scheduled)
            elif kind is used_ or kind is cancelled_:
                r = acc.records.get(ev.redemption_id)
                comp = acc.comps.get(ev.item)
                credits = ev.credits
                if (
                    type(r) is not tuple
                    or comp is None
                    or r[4] != ev.item
                    or r[5] != credits
                    or r[1] != ev.booking
                    or r[3] != ev.line_id
                ):
                    # A record of the starting state (the handler takes it), or a mismatch.
                    handlers[kind](acc, ev)
                elif kind is used_:
                    if r[7] != "held" or credits > comp.held:
                        _reject(acc, ev)
                    comp.held -= credits
                    comp.used += credits
                    acc.records[r[0]] = _with_status(r, "used")
                elif ev.expired or r[7] != ev.was:
                    handlers[kind](acc, ev)  # credits that expire at once, or a mismatch (raises)
                else:
                    if r[7] == "held":
                        if credits > comp.held:
                            _reject(acc, ev)
                        comp.held -= credits
                    else:
                        if credits > comp.used:
                            _reject(acc, ev)
                        comp.used -= credits
                    comp.remaining += credits
                    acc.records[r[0]] = _with_status(r, "cancelled")
            elif kind is assigned_:
                comp = acc.comps.get(ev.item)
                if acc.status != "active" or comp is None:
                    _reject(acc, ev)
                credits = ev.credits
                comp.granted += credits
                comp.remaining += credits
            elif kind is deducted_:
                comp = acc.comps.get(ev.item)
                credits = ev.credits
                if acc.status != "active" or comp is None or credits > comp.remaining:
                    _reject(acc, ev)
                comp.remaining -= credits
                comp.deducted += credits
            elif kind is changed_:
                if acc.status != "active" or acc.expires_on != ev.old:
                    _reject(acc, ev)
                acc.expires_on = ev.new
            else:
                handler = handlers.get(kind)
                if handler is None:
                    raise LedgerError("type", f"not a ledger event: {ev!r}")
                handler(acc, ev)
            acc.version = seq
            acc.last = at
        except LedgerError as err:
            raise LedgerError(f"events[{i}].{err.path}", err.message) from None


def fold(state: LedgerState | None, events: Iterable[LedgerEvent]) -> LedgerState:
    """Fold *events*, in order, onto *state* (``None``: an empty ledger).

    Raises :class:`LedgerError` with the position of the first inconsistent event.
    """
    accs: dict[str, _Acc] = {}
    _fold(state, events, accs)
    if not accs:
        return LedgerState() if state is None else state
    packages: list[PackageState] = []
    if state is not None:
        for p in state.packages:
            acc = accs.get(p.id)
            packages.append(p if acc is None else acc.freeze())
    packages.extend(acc.freeze() for acc in accs.values() if acc.new)
    return LedgerState(packages)


def credits_of(state: PackageState, field: str) -> tuple[ItemCredits, ...]:
    """The credits of every component in bucket *field*, as :class:`ItemCredits`."""
    return tuple(ItemCredits(c.item, getattr(c, field)) for c in state.components)
