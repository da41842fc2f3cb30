"""What the ledger says a package is now: balances per component, bookings, status.

States are derived, never stored as the truth: :func:`punchcard.lifecycle.replay` folds the
events into them. Every credit a package was ever granted is in exactly one bucket of its
component, so for every component::

    granted == remaining + held + used + deducted + expired + refunded

(a deleted package keeps its counts; its status says it is void).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from ..models import Component, Package
from ..money import Money
from ..timeutil import end_of_day, local_date, zone
from ..valuation.revenue import CommissionMode
from .errors import LedgerError, OperationRefused
from .events import (
    BookingKind,
    CreditsAssigned,
    CreditsDeducted,
    ExpiryChanged,
    LedgerEvent,
    PackageDeleted,
    PackageExpired,
    PackagePurchased,
    PackageRefunded,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    SubscriptionRenewed,
)
from .values import ItemCredits, Period, TypeComponent

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
        return end_of_day(self.expires_on, self.tz, expires_at)

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


class _Comp:
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
    """A package being folded: mutable, private to this module."""

    __slots__ = ("comps", "fields", "last", "records", "tz", "version")

    def __init__(self, state: PackageState | None) -> None:
        if state is None:  # filled in by _purchased_acc
            return
        self.fields = attrs.asdict(state, recurse=False)
        self.comps = {b.item: _Comp(b) for b in state.components}
        self.records = {r.id: r for r in state.redemptions}
        self.tz = state.tz
        #: The ``seq`` and the time of the last event folded (the time as the event gave it).
        self.version = state.version
        self.last = state.last_event_at

    def freeze(self) -> PackageState:
        f = self.fields
        f["components"] = tuple(c.freeze() for c in self.comps.values())
        f["redemptions"] = tuple(self.records.values())
        f["version"] = self.version
        f["last_event_at"] = self.last.astimezone(self.tz)
        return PackageState(**f)

    def comp(self, item: str) -> _Comp:
        found = self.comps.get(item)
        if found is None:
            raise LedgerError("item", f"package {self.fields['id']!r} has no component {item!r}")
        return found


def _purchased_acc(ev: PackagePurchased, zeros: dict[str, Money]) -> _Acc:
    """The package *ev* sells, as a builder (its fields hold every field of a
    :class:`PackageState`; ``components`` is the one its balances start at). *zeros*: zero
    amounts already made, by currency (values are immutable: packages can share them)."""
    tz = zone(ev.timezone)
    at = ev.at.astimezone(tz)
    currency = ev.price.currency
    zero = zeros.get(currency)
    if zero is None:
        zero = zeros[currency] = Money.zero(currency)
    components = tuple(
        ComponentBalance(c.item, c.hourly, c.quantity, c.quantity) for c in ev.components
    )
    acc = _Acc(None)
    acc.fields = dict(
        id=ev.package_id,
        owner=ev.owner,
        type_id=ev.type_id,
        name=ev.name,
        timezone=ev.timezone,
        location=ev.location,
        beneficiary=ev.beneficiary,
        purchased_at=at,
        channel=ev.channel,
        components=components,
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
        refunded_amount=zero,
        redemptions=(),
        taxed=ev.taxed,
        account_code=ev.account_code,
        commission_basis=ev.commission_basis,
        version=1,
        last_event_at=at,
    )
    acc.comps = {b.item: _Comp(b) for b in components}
    acc.records = {}
    acc.tz = tz
    acc.version = 1
    acc.last = at
    return acc


def _take(comp: _Comp, field: str, credits: int) -> None:
    have: int = getattr(comp, field)
    if credits > have:
        raise LedgerError(
            "credits", f"takes {credits} {field} credits of {comp.item!r}, only {have} there"
        )
    setattr(comp, field, have - credits)


def _require_active(acc: _Acc, what: str) -> None:
    status = acc.fields["status"]
    if status != "active":
        raise LedgerError("type", f"{what} on package {acc.fields['id']!r} which is {status}")


def _on_redeemed(acc: _Acc, ev: RedemptionRecorded) -> None:
    if acc.fields["status"] != "active":
        _require_active(acc, "a redemption")
    item = ev.item
    credits = ev.credits
    comp = acc.comps.get(item)
    if comp is None:
        comp = acc.comp(item)  # raises
    if credits > comp.remaining:
        _take(comp, "remaining", credits)  # raises
    comp.remaining -= credits
    status = ev.status
    if status == "held":
        comp.held += credits
    else:
        comp.used += credits
    event_id = ev.event_id
    records = acc.records
    if event_id in records:
        raise LedgerError("event_id", f"redemption {event_id!r} recorded twice")
    tz = acc.tz
    scheduled = ev.scheduled_for.astimezone(tz)
    records[event_id] = RedemptionRecord(
        event_id,
        ev.booking,
        ev.booking_kind,
        ev.line_id,
        item,
        credits,
        ev.amount,
        status,
        scheduled,
        ev.at.astimezone(tz),
        ev.cart_id,
    )
    f = acc.fields
    if f["first_used_at"] is None:
        f["first_used_at"] = scheduled
        days = f["days_to_expiration"]
        if (
            f["expires_on"] is None
            and f["expiry_starts"] == "first_use"
            and days is not None
            and f["subscription"] is None
        ):
            f["expires_on"] = local_date(scheduled, acc.tz) + dt.timedelta(days=days)


def _record(acc: _Acc, ev: RedemptionUsed | RedemptionCancelled) -> RedemptionRecord:
    record = acc.records.get(ev.redemption_id)
    if record is None:
        raise LedgerError("redemption_id", f"no redemption {ev.redemption_id!r} to change")
    if (
        record.item != ev.item
        or record.credits != ev.credits
        or record.booking != ev.booking
        or record.line_id != ev.line_id
    ):
        raise LedgerError("redemption_id", f"does not match redemption {ev.redemption_id!r}")
    return record


def _with_status(record: RedemptionRecord, status: RecordStatus) -> RedemptionRecord:
    """*record* with another status (built directly: every other field is already checked)."""
    return RedemptionRecord(
        record.id,
        record.booking,
        record.booking_kind,
        record.line_id,
        record.item,
        record.credits,
        record.amount,
        status,
        record.scheduled_for,
        record.recorded_at,
        record.cart_id,
    )


def _on_used(acc: _Acc, ev: RedemptionUsed) -> None:
    record = _record(acc, ev)
    if record.status != "held":
        raise LedgerError("redemption_id", f"redemption {record.id!r} is {record.status}")
    comp = acc.comps.get(ev.item)
    if comp is None:
        comp = acc.comp(ev.item)  # raises
    credits = ev.credits
    if credits > comp.held:
        _take(comp, "held", credits)  # raises
    comp.held -= credits
    comp.used += credits
    acc.records[record.id] = _with_status(record, "used")


def _on_cancelled(acc: _Acc, ev: RedemptionCancelled) -> None:
    record = _record(acc, ev)
    if record.status != ev.was:
        raise LedgerError("was", f"redemption {record.id!r} is {record.status}, not {ev.was}")
    if ev.expired > ev.credits:
        raise LedgerError("expired", f"{ev.expired} expired of {ev.credits} credits")
    comp = acc.comp(ev.item)
    _take(comp, ev.was, ev.credits)
    comp.remaining += ev.credits - ev.expired
    comp.expired += ev.expired
    acc.records[record.id] = _with_status(record, "cancelled")


def _on_refunded(acc: _Acc, ev: PackageRefunded) -> None:
    _require_active(acc, "a refund")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        _take(comp, "remaining", moved.credits)
        comp.refunded += moved.credits
    f = acc.fields
    f["status"] = "refunded"
    f["refunded_amount"] = f["refunded_amount"] + ev.amount


def _on_assigned(acc: _Acc, ev: CreditsAssigned) -> None:
    if acc.fields["status"] != "active":
        _require_active(acc, "an assignment")
    comp = acc.comps.get(ev.item)
    if comp is None:
        comp = acc.comp(ev.item)  # raises
    credits = ev.credits
    comp.granted += credits
    comp.remaining += credits


def _on_deducted(acc: _Acc, ev: CreditsDeducted) -> None:
    if acc.fields["status"] != "active":
        _require_active(acc, "a deduction")
    comp = acc.comps.get(ev.item)
    if comp is None:
        comp = acc.comp(ev.item)  # raises
    credits = ev.credits
    if credits > comp.remaining:
        _take(comp, "remaining", credits)  # raises
    comp.remaining -= credits
    comp.deducted += credits


def _on_expiry_changed(acc: _Acc, ev: ExpiryChanged) -> None:
    _require_active(acc, "an expiry change")
    if acc.fields["expires_on"] != ev.old:
        raise LedgerError("old", f"the expiry date was {acc.fields['expires_on']}, not {ev.old}")
    acc.fields["expires_on"] = ev.new


def _on_expired(acc: _Acc, ev: PackageExpired) -> None:
    _require_active(acc, "an expiry")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        _take(comp, "remaining", moved.credits)
        comp.expired += moved.credits
    acc.fields["status"] = "expired"


def _on_renewed(acc: _Acc, ev: SubscriptionRenewed) -> None:
    _require_active(acc, "a renewal")
    f = acc.fields
    if f["subscription"] is None:
        raise LedgerError("type", f"package {f['id']!r} is not a subscription")
    if ev.period != f["period"] + 1:
        raise LedgerError("period", f"renews period {ev.period} after period {f['period']}")
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
    f["period"] = ev.period
    f["expires_on"] = ev.ends_on
    f["paid"] = f["paid"] + ev.amount
    f["paid_credits"] += granted


def _on_deleted(acc: _Acc, ev: PackageDeleted) -> None:
    if acc.fields["status"] == "deleted":
        raise LedgerError("type", f"package {acc.fields['id']!r} deleted twice")
    acc.fields["status"] = "deleted"


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


class Folder:
    """Folds events one at a time; keeps mutable builders only for the packages touched."""

    __slots__ = ("accs", "order", "states", "zeros")

    def __init__(self, start: LedgerState | None = None) -> None:
        self.states: dict[str, PackageState] = {} if start is None else dict(start._by_id)
        self.order: list[str] = [] if start is None else [p.id for p in start.packages]
        self.accs: dict[str, _Acc] = {}
        self.zeros: dict[str, Money] = {}

    def add(self, ev: LedgerEvent) -> None:
        """Fold *ev*; raises :class:`LedgerError` (path relative to the event) if inconsistent."""
        package_id = ev.package_id
        if type(ev) is PackagePurchased:
            if package_id in self.states or package_id in self.accs:
                raise LedgerError("package_id", f"package {package_id!r} purchased twice")
            if ev.seq != 1:
                raise LedgerError("seq", f"a purchase is event 1 of its package, got {ev.seq}")
            self.accs[package_id] = _purchased_acc(ev, self.zeros)
            self.order.append(package_id)
            return
        acc = self.accs.get(package_id)
        if acc is None:
            state = self.states.get(package_id)
            if state is None:
                raise LedgerError("package_id", f"no package {package_id!r} was purchased")
            acc = self.accs[package_id] = _Acc(state)
        seq = ev.seq
        if seq != acc.version + 1:
            raise LedgerError("seq", f"package {package_id!r} is at event {acc.version}, got {seq}")
        at = ev.at
        if at < acc.last:
            raise LedgerError(
                "at", f"{at.isoformat()} is before the previous event of {package_id!r}"
            )
        handler = _HANDLERS.get(type(ev))
        if handler is None:
            raise LedgerError("type", f"not a ledger event: {ev!r}")
        handler(acc, ev)
        acc.version = seq
        acc.last = at

    def result(self) -> LedgerState:
        """The state after every event added so far."""
        for package_id, acc in self.accs.items():
            self.states[package_id] = acc.freeze()
        self.accs.clear()
        return LedgerState(self.states[i] for i in self.order)


def fold(state: LedgerState | None, events: Iterable[LedgerEvent]) -> LedgerState:
    """Fold *events*, in order, onto *state* (``None``: an empty ledger).

    Raises :class:`LedgerError` with the position of the first inconsistent event.
    """
    folder = Folder(state)
    add = folder.add
    for i, ev in enumerate(events):
        try:
            add(ev)
        except LedgerError as err:
            raise LedgerError(f"events[{i}].{err.path}", err.message) from None
    return folder.result()


def credits_of(state: PackageState, field: str) -> tuple[ItemCredits, ...]:
    """The credits of every component in bucket *field*, as :class:`ItemCredits`."""
    return tuple(ItemCredits(c.item, getattr(c, field)) for c in state.components)
