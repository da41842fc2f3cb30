"""What the ledger says a package is now: balances per component, bookings, status.

States are derived, never stored as the truth: :func:`punchcard.lifecycle.replay` folds the
events into them. Every credit a package was ever granted is in exactly one bucket of its
component, so for every component::

    granted == remaining + held + used + deducted + expired + refunded + settled + forfeited
               + transferred

(a deleted package keeps its counts; its status says it is void). With an overdraft (X8)
``remaining`` may be below zero, down to ``-overdraft``; ``settled`` counts the credits that
filled the overdraft of an earlier package of the same type. The money of a stored-value
package (X9) is kept the same way, in :class:`StoredBalance`. Credits forfeited by a late
cancellation or a no-show and credits transferred to another package (issue 12, options 1 and
11) have buckets of their own; credits transferred *in* are granted.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

from .._codec import LedgerError
from .._fast import build_trusted
from ..errors import InvalidValueError
from ..events import (
    BalanceCancelled,
    BalanceForfeited,
    BalanceRedeemed,
    BalanceUsed,
    BeneficiaryChanged,
    BookingKind,
    CancellationFee,
    CountdownReset,
    CreditsAssigned,
    CreditsDeducted,
    CreditsTransferredIn,
    CreditsTransferredOut,
    DebtSettled,
    ExpiryChanged,
    ItemCredits,
    LedgerEvent,
    PackageDeleted,
    PackageExpired,
    PackagePaused,
    PackagePurchased,
    PackageRefunded,
    PauseEnded,
    Period,
    RedemptionCancelled,
    RedemptionForfeited,
    RedemptionRecorded,
    RedemptionUsed,
    RenewalDateSet,
    RenewalStopped,
    SubscriptionRenewed,
    TypeComponent,
    pretty,
)
from ..expiry import ExpiryMode, package_times
from ..models import Package, Pause, _pauses, _repr_omitting_defaults
from ..money import Money
from ..timeutil import end_of_day, local_date, zone
from ..valuation.revenue import CommissionMode
from ._instants import UTC, before
from .errors import OperationRefused

__all__ = [
    "ComponentBalance",
    "LedgerState",
    "PackageState",
    "PackageStatus",
    "RecordStatus",
    "RedemptionRecord",
    "StoredBalance",
    "credits_of",
    "fold",
    "lapsing",
]

#: ``active`` until the package expires, is refunded or is deleted.
PackageStatus = Literal["active", "expired", "refunded", "deleted"]
#: Where the credits of one redemption are (``forfeited``: cancelled late or a no-show, and the
#: business kept the credits).
RecordStatus = Literal["held", "used", "cancelled", "forfeited"]


@attrs.frozen(repr=False)
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
    #: How far below zero ``remaining`` may go (X8); 0 = never.
    #:
    #: .. versionadded:: 0.2
    overdraft: int = 0
    #: Filled the overdraft of an earlier package of the same type (X8): this purchase's first
    #: credits settled its debt.
    #:
    #: .. versionadded:: 0.2
    settled: int = 0
    #: Kept by the business: a late cancellation or a no-show (issue 12, option 1).
    #:
    #: .. versionadded:: 0.2
    forfeited: int = 0
    #: Moved to another package (issue 12, option 11).
    #:
    #: .. versionadded:: 0.2
    transferred: int = 0
    #: Not a bucket: the credits redeemed in the current period (held or used, cancellations
    #: in the period given back), for the business's cap of uses per period.
    #:
    #: .. versionadded:: 0.2
    period_uses: int = 0

    def __repr__(self) -> str:
        return _repr_omitting_defaults(
            self, ("overdraft", "settled", "forfeited", "transferred", "period_uses")
        )

    _repr_pretty_ = pretty

    def conserved(self) -> bool:
        """Whether every granted credit is in exactly one bucket."""
        return self.granted == (
            self.remaining
            + self.held
            + self.used
            + self.deducted
            + self.expired
            + self.refunded
            + self.settled
            + self.forfeited
            + self.transferred
        )


@attrs.frozen
class StoredBalance:
    """Where the money of a stored-value package (X9) is, as :class:`ComponentBalance` says it
    of credits: ``granted == remaining + held + used + expired + refunded + forfeited``.

    .. versionadded:: 0.2
    """

    #: The value the sale granted.
    granted: Money
    #: Free to pay.
    remaining: Money
    #: Taken by bookings not yet used.
    held: Money
    #: Paid for services.
    used: Money
    #: Lapsed at expiry.
    expired: Money
    #: Given back in a refund.
    refunded: Money
    #: Kept by the business: a late cancellation or a no-show (issue 12, option 1; zero when
    #: not given, as in a state stored before it existed).
    forfeited: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.granted.currency), takes_self=True)
    )

    def conserved(self) -> bool:
        """Whether every part of the value granted is in exactly one bucket."""
        return self.granted == (
            self.remaining + self.held + self.used + self.expired + self.refunded + self.forfeited
        )


@attrs.frozen
class RedemptionRecord:
    """One redemption of a package: credits of one component for one line of a booking."""

    #: The ``event_id`` of the :class:`~punchcard.lifecycle.RedemptionRecorded` event.
    id: str
    booking: str
    booking_kind: BookingKind
    line_id: str
    #: The component's item (or pool); ``None`` for money of a stored-value package (X9).
    item: str | None
    #: The credits taken; 0 for money of a stored-value package.
    credits: int
    amount: Money
    status: RecordStatus
    #: When the service takes place (in the package's zone).
    scheduled_for: dt.datetime
    #: When the redemption was recorded (in the package's zone).
    recorded_at: dt.datetime
    cart_id: str | None = None

    @property
    def open(self) -> bool:
        """Held or used, i.e. neither cancelled nor forfeited."""
        return self.status == "held" or self.status == "used"

    def status_at(self, moment: dt.datetime) -> RecordStatus:
        """The status at *moment* (aware) by the rule of docs/semantics.md#l-lifecycle: a held redemption counts as
        used once its scheduled time has passed (even before the host records it)."""
        if self.status == "held" and not before(moment, self.scheduled_for):
            return "used"
        return self.status


#: A redemption as a package state keeps it: the fields of :class:`RedemptionRecord` in order,
#: the amount as its ``Decimal`` and its currency. A tuple of strings, numbers and date-times is
#: not tracked by the garbage collector, so a state with many redemptions costs its collections
#: nothing; :class:`RedemptionRecord` values are built when asked for.
Record = tuple[
    str,  # id
    str,  # booking
    BookingKind,
    str,  # line id
    "str | None",  # item (None: money of a stored-value package)
    int,  # credits
    Decimal,  # amount
    str,  # currency
    RecordStatus,
    dt.datetime,  # scheduled for
    dt.datetime,  # recorded at
    "str | None",  # cart id
]


def _record_value(r: Record) -> RedemptionRecord:
    rid, booking, kind, line_id, item, credits, amount, currency, status, when, at, cart = r
    return RedemptionRecord(
        rid, booking, kind, line_id, item, credits, Money(amount, currency), status, when, at, cart
    )


def record_of(record: RedemptionRecord) -> Record:
    """The compact form a package state keeps of *record* (the inverse of
    :attr:`PackageState.redemptions`); for a store that keeps redemptions in rows of its own."""
    return (
        record.id,
        record.booking,
        record.booking_kind,
        record.line_id,
        record.item,
        record.credits,
        record.amount.amount,
        record.amount.currency,
        record.status,
        record.scheduled_for,
        record.recorded_at,
        record.cart_id,
    )


def _records(value: Iterable[Record]) -> tuple[Record, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True, repr=False)
class PackageState:
    """A package as its events leave it.

    What never changes after the sale (the owner and the terms of the type as sold) is read from
    :attr:`purchase`, the sale event itself; the other fields are what the later events changed.
    """

    #: The sale: the package's id and owner, and the terms of its type as sold (a snapshot).
    purchase: PackagePurchased
    #: When it was sold, in the package's zone.
    purchased_at: dt.datetime
    components: tuple[ComponentBalance, ...]
    #: The local expiry date (for a subscription: the last day of the current period).
    expires_on: dt.date | None
    first_used_at: dt.datetime | None
    #: The current subscription period (1 = the first); 1 for a plain package.
    period: int
    status: PackageStatus
    #: Everything paid for it: the purchase and the renewals.
    paid: Money
    #: The credits paid for (granted by purchase and renewals; not those assigned by staff).
    paid_credits: int
    refunded_amount: Money
    #: Every redemption, in the order recorded (cancelled ones included), in the compact form
    #: :data:`Record`; :attr:`redemptions` gives them as :class:`RedemptionRecord` values.
    records: tuple[Record, ...] = attrs.field(converter=_records)
    #: The ``seq`` of its last event (the number of events).
    version: int
    last_event_at: dt.datetime
    #: When a use or a deduction first brought the credits left (over all components) to the
    #: type's low-balance threshold or below, in the current subscription period (since the
    #: sale for a plain package); ``None``: not yet (or no threshold). Sales, assignments and
    #: renewals never set it; a renewal clears it.
    low_balance_at: dt.datetime | None = None
    #: The paused dates (X7), in date order.
    #:
    #: .. versionadded:: 0.2
    pauses: tuple[Pause, ...] = ()
    #: Whether :attr:`expires_on` was set by hand or moved by a pause: it then wins over the
    #: countdown (for the engine: an explicit ``expires_on``, which ends at the policy's
    #: ``expires_at`` in either expiry mode, X5).
    #:
    #: .. versionadded:: 0.2
    expiry_explicit: bool = False
    #: The money of a stored-value package (X9); ``None`` for a package of credits.
    #:
    #: .. versionadded:: 0.2
    balance: StoredBalance | None = None
    # -- what the lifecycle options of issue 12 (1, 11-17) changed --
    #: The last change of beneficiary (``None``: the one it was sold for).
    beneficiary_change: BeneficiaryChanged | None = None
    #: The last renewal date set by hand (a subscription): the periods after it count from the
    #: day after its date.
    renewal_set: RenewalDateSet | None = None
    #: Set when the subscription stopped renewing: it expires at the end of its period.
    renewal_stop: RenewalStopped | None = None
    #: When the current subscription period began (``None``: at the purchase).
    period_began_at: dt.datetime | None = None
    #: What the used and forfeited credits took off their lines, per currency (the service
    #: price of what was used, for a refund at the service price).
    used_value: tuple[Money, ...] = ()
    #: When credits last left the balance by a redemption, a deduction or a transfer in the
    #: current period (``None``: not yet): when a reload notice falls due.
    drawn_at: dt.datetime | None = None
    #: Whether a credit was used or forfeited since the first-use countdown started (then
    #: cancelling early never resets it).
    countdown_used: bool = False

    def __repr__(self) -> str:
        return _repr_omitting_defaults(
            self,
            (
                "pauses",
                "expiry_explicit",
                "balance",
                "beneficiary_change",
                "renewal_set",
                "renewal_stop",
                "period_began_at",
                "used_value",
                "drawn_at",
                "countdown_used",
            ),
        )

    _repr_pretty_ = pretty

    @property
    def id(self) -> str:
        return self.purchase.package_id

    @property
    def owner(self) -> str:
        return self.purchase.owner

    @property
    def type_id(self) -> str:
        return self.purchase.type_id

    @property
    def name(self) -> str:
        return self.purchase.name

    @property
    def timezone(self) -> str:
        """The IANA zone every local date of the package is read in."""
        return self.purchase.timezone

    @property
    def location(self) -> str | None:
        return self.purchase.location

    @property
    def beneficiary(self) -> str | None:
        """The pet / family member it is for now (``None``: shared by the whole account)."""
        change = self.beneficiary_change
        return self.purchase.beneficiary if change is None else change.new

    @property
    def channel(self) -> Literal["pos", "portal"]:
        return self.purchase.channel

    @property
    def grants(self) -> tuple[TypeComponent, ...]:
        """What one purchase (and one subscription period) grants."""
        return self.purchase.components

    @property
    def price(self) -> Money:
        """The price of one purchase (and of one subscription period)."""
        return self.purchase.price

    @property
    def days_to_expiration(self) -> int | None:
        return self.purchase.days_to_expiration

    @property
    def expiry_starts(self) -> Literal["sale", "first_use"]:
        return self.purchase.expiry_starts

    @property
    def pricing_rules(self) -> bool:
        return self.purchase.pricing_rules

    @property
    def reminder_days(self) -> int | None:
        return self.purchase.reminder_days

    @property
    def low_balance_threshold(self) -> int | None:
        return self.purchase.low_balance_threshold

    @property
    def subscription(self) -> Period | None:
        return self.purchase.subscription

    @property
    def taxed(self) -> bool:
        return self.purchase.taxed

    @property
    def account_code(self) -> str | None:
        return self.purchase.account_code

    @property
    def commission_basis(self) -> CommissionMode:
        return self.purchase.commission_basis

    @property
    def defined_at(self) -> str | None:
        """The franchise account that defined its type, if any."""
        return self.purchase.defined_at

    @property
    def tz(self) -> dt.tzinfo:
        """The package's time zone."""
        return zone(self.timezone)

    @property
    def redemptions(self) -> tuple[RedemptionRecord, ...]:
        """Every redemption, in the order recorded (cancelled ones included)."""
        return tuple(_record_value(r) for r in self.records)

    @property
    def open_redemptions(self) -> tuple[RedemptionRecord, ...]:
        """Redemptions held or used (not cancelled)."""
        return tuple(_record_value(r) for r in self.records if r[8] == "held" or r[8] == "used")

    def with_redemptions(self, records: Iterable[RedemptionRecord]) -> PackageState:
        """This state holding *records* as its redemptions (a store loads only some of them:
        the held ones and those of the booking it acts on)."""
        return attrs.evolve(self, records=tuple(record_of(r) for r in records))

    def redemptions_of(self, booking: str, line_id: str | None = None) -> list[RedemptionRecord]:
        """The redemptions for *booking* (for its line *line_id* only, if given), any status."""
        return [
            _record_value(r)
            for r in self.records
            if r[1] == booking and (line_id is None or r[3] == line_id)
        ]

    def redemption(self, redemption_id: str) -> RedemptionRecord:
        """The redemption whose id (its event's ``event_id``) is *redemption_id*."""
        for r in self.records:
            if r[0] == redemption_id:
                return _record_value(r)
        raise InvalidValueError(
            "redemption_id", f"package {self.id!r} has no redemption {redemption_id!r}"
        )

    def held_by(self, moment: dt.datetime) -> list[RedemptionRecord]:
        """The redemptions still held whose scheduled time is at or before *moment* (aware): by
        the rule of docs/semantics.md section L they are used, whether or not the use was recorded."""
        return [
            _record_value(r) for r in self.records if r[8] == "held" and not before(moment, r[9])
        ]

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
    def total_forfeited(self) -> int:
        return sum(c.forfeited for c in self.components)

    @property
    def renewing(self) -> bool:
        """Whether it is a subscription that renews at the end of its period."""
        return self.subscription is not None and self.renewal_stop is None

    def period_anchor(self) -> tuple[dt.date, int]:
        """(the local date a run of subscription periods starts on, the number of the first of
        them): the purchase date and period 1, or the day after a renewal date set by hand and
        the period after it."""
        moved = self.renewal_set
        if moved is None:
            return local_date(self.purchased_at, self.tz), 1
        return moved.new + dt.timedelta(days=1), moved.period + 1

    @property
    def holds_anything(self) -> bool:
        """Whether credits (or money of a stored value) are held for bookings."""
        return bool(self.total_held or (self.balance is not None and self.balance.held.minor))

    @property
    def was_used(self) -> bool:
        """Whether credits (or money of a stored value) were used."""
        return bool(self.total_used or (self.balance is not None and self.balance.used.minor))

    @property
    def in_debt(self) -> bool:
        """Whether a component is below zero (an overdraft, X8, not settled yet)."""
        return any(c.remaining < 0 for c in self.components)

    @property
    def expiry_from_countdown(self) -> bool:
        """Whether the expiry instant follows from the countdown (``days_to_expiration`` or
        ``valid_for``) rather than from a date: the policy's expiry mode (X5) decides it then."""
        return (
            not self.expiry_explicit
            and self.subscription is None
            and self.purchase.countdown is not None
        )

    def expiry_moment(
        self, expires_at: dt.timedelta, mode: ExpiryMode = "end_of_day"
    ) -> dt.datetime | None:
        """The instant the package stops being usable (``None``: no expiry date yet or never),
        under the policy's *expires_at* and expiry *mode* (X5).

        It is :func:`punchcard.expiry.package_times` of :meth:`as_package`: the end of the local
        day :attr:`expires_on` at *expires_at*, or, in the ``elapsed`` mode for an expiry that
        follows from the countdown, the exact instant the countdown ends. For a subscription it
        is the end of the current period (the renewal moment).
        """
        if self.expires_on is None:
            return None
        if mode == "end_of_day" or not self.expiry_from_countdown:
            # what package_times gives for an explicit date, remembered per (date, zone)
            return _end_of_day(self.expires_on, self.timezone, expires_at)
        return package_times(self.as_package(mode), self.tz, expires_at, mode).expires_local

    def expired_at(
        self, moment: dt.datetime, expires_at: dt.timedelta, mode: ExpiryMode = "end_of_day"
    ) -> bool:
        """Whether the package is expired at *moment* (aware): its expiry was recorded, or its
        expiry moment has passed (a subscription does not expire by time: it renews)."""
        if self.status == "expired":
            return True
        if self.subscription is not None and self.renewal_stop is None:
            return False
        end = self.expiry_moment(expires_at, mode)
        return end is not None and not before(moment, end)

    def as_package(self, mode: ExpiryMode = "end_of_day") -> Package:
        """The engine's view of the package: the credits (or the money) free to be redeemed
        now, and the terms it was sold with (the market options of docs/options.md: priority,
        pools, substitutes, overdrafts, calendar validity, future activation, pauses, stored
        value).

        Under the ``elapsed`` expiry *mode* (X5) an expiry that follows from the countdown is
        left to the engine to compute (as an instant); otherwise the package's expiry date is
        passed, as the engine's explicit ``expires_on``.
        """
        terms = self.purchase
        grants = {g.item: g for g in terms.components}
        subscription = self.subscription is not None
        balance = self.balance
        # Every field was checked when the package was sold (its terms, by the engine's own
        # checks: events.check_terms) and the fold keeps the counts within them: the engine's
        # value is built without checking them again (tests/lifecycle/test_lifecycle_ledger.py
        # compares it with the checked constructor's over generated ledgers).
        return build_trusted(
            Package,
            id=self.id,
            owner=self.owner,
            purchased_at=self.purchased_at,
            components=tuple(
                grants[c.item].component(c.remaining, trusted=True) for c in self.components
            ),
            location=self.location,
            beneficiary=self.beneficiary,
            expires_on=(
                None if mode == "elapsed" and self.expiry_from_countdown else self.expires_on
            ),
            days_to_expiration=None if subscription else self.days_to_expiration,
            expiry_starts=self.expiry_starts,
            first_used_at=self.first_used_at,
            pricing_rules=self.pricing_rules,
            priority=terms.priority,
            valid_from=terms.valid_from,
            valid_for=None if subscription else terms.valid_for,
            pauses=self.pauses,
            balance=None if balance is None else balance.remaining,
            items=terms.items,
            version=self.version,
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
# One loop over the events dispatches each to its handler (one per event type). What every
# event but a purchase shares (its package is known, its ``seq`` follows, it is not before the
# package's previous event) is checked in the loop. A package touched by the events is folded
# in a mutable accumulator (plain ints, strings and tuples); the frozen values (PackageState,
# ComponentBalance) are built once, at the end, for the packages touched.


class _Comp:
    """The balance of one component while folding."""

    __slots__ = (
        "deducted",
        "expired",
        "forfeited",
        "granted",
        "held",
        "hourly",
        "item",
        "overdraft",
        "period_uses",
        "refunded",
        "remaining",
        "settled",
        "transferred",
        "used",
    )

    def __init__(
        self,
        item: str,
        hourly: bool,
        granted: int,
        remaining: int,
        held: int = 0,
        used: int = 0,
        deducted: int = 0,
        expired: int = 0,
        refunded: int = 0,
        overdraft: int = 0,
        settled: int = 0,
        forfeited: int = 0,
        transferred: int = 0,
        period_uses: int = 0,
    ) -> None:
        self.item = item
        self.hourly = hourly
        self.granted = granted
        self.remaining = remaining
        self.held = held
        self.used = used
        self.deducted = deducted
        self.expired = expired
        self.refunded = refunded
        self.overdraft = overdraft
        self.settled = settled
        self.forfeited = forfeited
        self.transferred = transferred
        self.period_uses = period_uses

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
            self.overdraft,
            self.settled,
            self.forfeited,
            self.transferred,
            self.period_uses,
        )


class _Money:
    """The money of a stored-value package while folding (X9), in minor units."""

    __slots__ = (
        "currency",
        "expired",
        "forfeited",
        "granted",
        "held",
        "refunded",
        "remaining",
        "used",
    )

    def __init__(self, currency: str, granted: int, remaining: int, *rest: int) -> None:
        self.currency = currency
        self.granted = granted
        self.remaining = remaining
        self.held, self.used, self.expired, self.refunded, self.forfeited = rest or (0,) * 5

    @classmethod
    def of(cls, balance: StoredBalance) -> _Money:
        return cls(
            balance.granted.currency,
            *(
                getattr(balance, name).minor
                for name in (
                    "granted",
                    "remaining",
                    "held",
                    "used",
                    "expired",
                    "refunded",
                    "forfeited",
                )
            ),
        )

    def take(self, bucket: str, amount: Money, *, none: bool = False) -> int:
        """*amount* in minor units, once checked to be of this currency, more than zero (or, with
        *none*, zero too) and no more than *bucket* holds."""
        if amount.currency != self.currency:
            raise LedgerError("amount", f"must be in {self.currency}, got {amount.currency}")
        minor = amount.minor
        have = getattr(self, bucket)
        if minor < 0 or (minor == 0 and not none) or minor > have:
            raise LedgerError("amount", f"takes {amount} of the {bucket} balance, {have} there")
        return minor

    def freeze(self) -> StoredBalance:
        def money(minor: int) -> Money:
            return Money.from_minor(minor, self.currency)

        return StoredBalance(
            money(self.granted),
            money(self.remaining),
            money(self.held),
            money(self.used),
            money(self.expired),
            money(self.refunded),
            money(self.forfeited),
        )


class _Acc:
    """A package being folded: mutable, private to this module. ``records`` maps a redemption's
    id to its :data:`Record`."""

    __slots__ = (
        "beneficiary_change",
        "comps",
        "countdown_used",
        "drawn_at",
        "expires_on",
        "explicit",
        "first_used_at",
        "id",
        "last",
        "low_at",
        "money",
        "paid",
        "paid_credits",
        "pauses",
        "period",
        "period_began",
        "purchase",
        "purchased_at",
        "records",
        "refunded_amount",
        "renewal_set",
        "renewal_stop",
        "status",
        "tz",
        "used_value",
        "version",
        "watch",
    )

    id: str
    purchase: PackagePurchased
    purchased_at: dt.datetime
    comps: dict[str, _Comp]
    records: dict[str, Record]
    status: PackageStatus
    expires_on: dt.date | None
    first_used_at: dt.datetime | None
    period: int
    paid: Money
    paid_credits: int
    #: ``None``: nothing refunded (zero is made when the package is frozen).
    refunded_amount: Money | None
    tz: dt.tzinfo
    #: The ``seq`` and the time of the last event folded (the time as the event gave it).
    version: int
    last: dt.datetime
    #: See :attr:`PackageState.low_balance_at`.
    low_at: dt.datetime | None
    #: The low-balance threshold while the credits left have not reached it in this period
    #: (``None``: no threshold, or reached).
    watch: int | None
    # See the fields of PackageState of the same names (issue 12 options).
    beneficiary_change: BeneficiaryChanged | None
    renewal_set: RenewalDateSet | None
    renewal_stop: RenewalStopped | None
    period_began: dt.datetime | None
    #: What the used and forfeited credits took off, by currency.
    used_value: dict[str, Decimal]
    drawn_at: dt.datetime | None
    countdown_used: bool
    #: See :attr:`PackageState.pauses`, :attr:`PackageState.expiry_explicit`.
    pauses: tuple[Pause, ...]
    explicit: bool
    #: The money of a stored-value package (``None``: credits).
    money: _Money | None

    @classmethod
    def of_state(cls, state: PackageState) -> _Acc:
        """The accumulator of a package of the starting state."""
        acc = cls()
        acc.id = state.id
        acc.purchase = state.purchase
        acc.purchased_at = state.purchased_at
        acc.comps = {
            b.item: _Comp(
                b.item,
                b.hourly,
                b.granted,
                b.remaining,
                b.held,
                b.used,
                b.deducted,
                b.expired,
                b.refunded,
                b.overdraft,
                b.settled,
                b.forfeited,
                b.transferred,
                b.period_uses,
            )
            for b in state.components
        }
        acc.records = {r[0]: r for r in state.records}
        acc.status = state.status
        acc.expires_on = state.expires_on
        acc.first_used_at = state.first_used_at
        acc.period = state.period
        acc.paid = state.paid
        acc.paid_credits = state.paid_credits
        acc.refunded_amount = state.refunded_amount
        acc.tz = state.tz
        acc.version = state.version
        acc.last = state.last_event_at
        acc.low_at = state.low_balance_at
        acc.watch = state.low_balance_threshold if state.low_balance_at is None else None
        acc.beneficiary_change = state.beneficiary_change
        acc.renewal_set = state.renewal_set
        acc.renewal_stop = state.renewal_stop
        acc.period_began = state.period_began_at
        acc.used_value = {m.currency: m.amount for m in state.used_value}
        acc.drawn_at = state.drawn_at
        acc.countdown_used = state.countdown_used
        acc.pauses = state.pauses
        acc.explicit = state.expiry_explicit
        acc.money = None if state.balance is None else _Money.of(state.balance)
        return acc

    def comp(self, item: str) -> _Comp:
        found = self.comps.get(item)
        if found is None:
            raise LedgerError("item", f"package {self.id!r} has no component {item!r}")
        return found

    def freeze(self, zeros: dict[str, Money]) -> PackageState:
        """The package as a frozen value (*zeros*: zero amounts already made, by currency)."""
        refunded = self.refunded_amount
        if refunded is None:
            currency = self.paid.currency
            refunded = zeros.get(currency)
            if refunded is None:
                refunded = zeros[currency] = Money.zero(currency)
        last = self.last
        tz = self.tz
        return PackageState(
            purchase=self.purchase,
            purchased_at=self.purchased_at,
            components=tuple(c.freeze() for c in self.comps.values()),
            expires_on=self.expires_on,
            first_used_at=self.first_used_at,
            period=self.period,
            status=self.status,
            paid=self.paid,
            paid_credits=self.paid_credits,
            refunded_amount=refunded,
            records=tuple(self.records.values()),
            version=self.version,
            last_event_at=last if last.tzinfo is tz else last.astimezone(tz),
            low_balance_at=self.low_at,
            beneficiary_change=self.beneficiary_change,
            renewal_set=self.renewal_set,
            renewal_stop=self.renewal_stop,
            period_began_at=self.period_began,
            used_value=tuple(
                Money(amount, currency) for currency, amount in sorted(self.used_value.items())
            ),
            drawn_at=self.drawn_at,
            countdown_used=self.countdown_used,
            pauses=self.pauses,
            expiry_explicit=self.explicit,
            balance=None if self.money is None else self.money.freeze(),
        )


# The handlers: one per event type.


def _on_purchased(ev: PackagePurchased, accs: dict[str, _Acc], states: Mapping[str, Any]) -> None:
    """Open the accumulator of the package *ev* sells."""
    package_id = ev.package_id
    if package_id in accs or package_id in states:
        raise LedgerError("package_id", f"package {package_id!r} purchased twice")
    if ev.seq != 1:
        raise LedgerError("seq", f"a purchase is event 1 of its package, got {ev.seq}")
    acc = accs[package_id] = _Acc()
    acc.id = package_id
    acc.purchase = ev
    tz = acc.tz = zone(ev.timezone)
    at = ev.at
    acc.purchased_at = at if at.tzinfo is tz else at.astimezone(tz)
    comps = acc.comps = {}
    paid_credits = 0
    for c in ev.components:
        quantity = c.quantity
        comps[c.item] = _Comp(c.item, c.hourly, quantity, quantity, overdraft=c.overdraft)
        paid_credits += quantity
    acc.records = {}
    acc.status = "active"
    acc.expires_on = ev.expires_on
    acc.first_used_at = None
    acc.period = 1
    acc.paid = ev.price
    acc.paid_credits = paid_credits
    acc.refunded_amount = None
    acc.version = 1
    acc.last = at
    acc.low_at = None
    acc.watch = ev.low_balance_threshold
    acc.beneficiary_change = None
    acc.renewal_set = None
    acc.renewal_stop = None
    acc.period_began = None
    acc.used_value = {}
    acc.drawn_at = None
    acc.countdown_used = False
    acc.pauses = ()
    acc.explicit = False
    value = ev.value
    acc.money = None if value is None else _Money(value.currency, value.minor, value.minor)


def _short(comp: _Comp, bucket: str, credits: int) -> LedgerError:
    have = getattr(comp, bucket)
    return LedgerError(
        "credits", f"takes {credits} {bucket} credits of {comp.item!r}, only {have} there"
    )


def _inactive(acc: _Acc, what: str) -> LedgerError:
    return LedgerError("type", f"{what} on package {acc.id!r} which is {acc.status}")


def _first_use(acc: _Acc, scheduled: dt.datetime) -> None:
    """Record the first use (at *scheduled*, in the package's zone): it starts a first-use
    countdown (the local date of the first use + the length, as the engine's
    :func:`~punchcard.expiry.advance` fixes it)."""
    acc.first_used_at = scheduled
    terms = acc.purchase
    if acc.expires_on is None and terms.expiry_starts == "first_use" and terms.subscription is None:
        length = terms.countdown
        if length is not None:
            acc.expires_on = length.after(local_date(scheduled, acc.tz))


def _note_low(acc: _Acc, threshold: int, at: dt.datetime) -> None:
    """After a use or a deduction at *at* (in the package's zone): note when the credits left
    first reach the low-balance *threshold*."""
    left = 0
    for c in acc.comps.values():
        left += c.remaining
    if left <= threshold:
        acc.low_at = at
        acc.watch = None


def _on_redeemed(acc: _Acc, ev: RedemptionRecorded) -> None:
    if acc.status != "active":
        raise _inactive(acc, "a redemption")
    comp = acc.comps.get(ev.item) or acc.comp(ev.item)  # (the second raises)
    credits = ev.credits
    if credits > comp.remaining + comp.overdraft:  # (below zero down to the overdraft, X8)
        raise _short(comp, "remaining", credits)
    event_id = ev.event_id
    records = acc.records
    if event_id in records:
        raise LedgerError("event_id", f"redemption {event_id!r} recorded twice")
    comp.remaining -= credits
    comp.period_uses += credits
    status = ev.status
    if status == "held":
        comp.held += credits
    else:
        comp.used += credits
        _add_value(acc, ev.amount.amount, ev.amount.currency)
        acc.countdown_used = True
    # (astimezone to a value's own zone returns the value: the call is skipped)
    tz = acc.tz
    scheduled = ev.scheduled_for
    if scheduled.tzinfo is not tz:
        scheduled = scheduled.astimezone(tz)
    at = ev.at
    if at.tzinfo is not tz:
        at = at.astimezone(tz)
    amount = ev.amount
    records[event_id] = (
        event_id,
        ev.booking,
        ev.booking_kind,
        ev.line_id,
        comp.item,
        credits,
        amount.amount,
        amount.currency,
        status,
        scheduled,
        at,
        ev.cart_id,
    )
    if acc.first_used_at is None:
        _first_use(acc, scheduled)
    acc.drawn_at = at
    watch = acc.watch
    if watch is not None:
        _note_low(acc, watch, at)


def _changed_record(
    acc: _Acc,
    ev: RedemptionUsed | RedemptionCancelled | RedemptionForfeited,
    was: RecordStatus,
    status: RecordStatus,
) -> _Comp:
    """Check that *ev* names a redemption of *acc* that is *was*, mark it *status*, and return
    its component."""
    item = _mark(acc, ev.redemption_id, (ev.booking, ev.line_id, ev.item, ev.credits), was, status)
    return acc.comp(item or "")


def _mark(
    acc: _Acc,
    redemption_id: str,
    same: tuple[str, str, str | None, int],
    was: RecordStatus,
    status: RecordStatus,
    amount: Money | None = None,
) -> str | None:
    """Check that the redemption *redemption_id* of *acc* is *was* and repeats *same* (booking,
    line, item, credits; and *amount* when given), mark it *status*, and return its item."""
    found = acc.records.get(redemption_id)
    if found is None:
        raise LedgerError("redemption_id", f"no redemption {redemption_id!r} to change")
    rid, booking, kind, line_id, item, credits, value, currency, now, when, at, cart = found
    if (booking, line_id, item, credits) != same or (
        amount is not None and (value, currency) != (amount.amount, amount.currency)
    ):
        raise LedgerError("redemption_id", f"does not match redemption {rid!r}")
    if now != was:
        if status == "cancelled" or status == "forfeited":
            raise LedgerError("was", f"redemption {rid!r} is {now}, not {was}")
        raise LedgerError("redemption_id", f"redemption {rid!r} is {now}")
    acc.records[rid] = (
        rid,
        booking,
        kind,
        line_id,
        item,
        credits,
        value,
        currency,
        status,
        when,
        at,
        cart,
    )
    return item


def _on_used(acc: _Acc, ev: RedemptionUsed) -> None:
    comp = _changed_record(acc, ev, "held", "used")
    credits = ev.credits
    if credits > comp.held:
        raise _short(comp, "held", credits)
    comp.held -= credits
    comp.used += credits
    record = acc.records[ev.redemption_id]
    _add_value(acc, record[6], record[7])
    acc.countdown_used = True


def _on_cancelled(acc: _Acc, ev: RedemptionCancelled) -> None:
    was = ev.was
    comp = _changed_record(acc, ev, was, "cancelled")
    credits = ev.credits
    if ev.expired > credits:
        raise LedgerError("expired", f"{ev.expired} expired of {credits} credits")
    if was == "held":
        if credits > comp.held:
            raise _short(comp, "held", credits)
        comp.held -= credits
    else:
        if credits > comp.used:
            raise _short(comp, "used", credits)
        comp.used -= credits
    comp.remaining += credits - ev.expired
    comp.expired += ev.expired
    record = acc.records[ev.redemption_id]
    if was == "used":
        _add_value(acc, -record[6], record[7])
    if acc.period_began is None or not before(record[10], acc.period_began):
        comp.period_uses -= credits  # redeemed in this period: the use is given back


def _on_refunded(acc: _Acc, ev: PackageRefunded) -> None:
    if acc.status != "active":
        raise _inactive(acc, "a refund")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        if moved.credits > comp.remaining:
            raise _short(comp, "remaining", moved.credits)
        comp.remaining -= moved.credits
        comp.refunded += moved.credits
    if ev.balance is not None:
        money = _money_of(acc, "a refund of a balance")
        minor = money.take("remaining", ev.balance, none=True)
        money.remaining -= minor
        money.refunded += minor
    acc.status = "refunded"
    refunded = acc.refunded_amount
    acc.refunded_amount = ev.amount if refunded is None else refunded + ev.amount


def _on_assigned(acc: _Acc, ev: CreditsAssigned) -> None:
    if acc.status != "active":
        raise _inactive(acc, "an assignment")
    comp = acc.comp(ev.item)
    comp.granted += ev.credits
    comp.remaining += ev.credits


def _draw(
    acc: _Acc, ev: CreditsDeducted | CreditsTransferredOut, what: str, bucket: str
) -> dt.datetime:
    """Take *ev*'s credits of an active package's remaining ones into *bucket* (a deduction, a
    transfer out): never more than remain; the package was drawn on at *ev*'s time, returned in
    the package's zone."""
    _active(acc, what)
    comp = acc.comp(ev.item)
    credits = ev.credits
    if credits > comp.remaining:
        raise _short(comp, "remaining", credits)
    comp.remaining -= credits
    setattr(comp, bucket, getattr(comp, bucket) + credits)
    at = ev.at
    at = acc.drawn_at = at if at.tzinfo is acc.tz else at.astimezone(acc.tz)
    return at


def _on_deducted(acc: _Acc, ev: CreditsDeducted) -> None:
    at = _draw(acc, ev, "a deduction", "deducted")
    watch = acc.watch
    if watch is not None:
        _note_low(acc, watch, at)


def _on_expiry_changed(acc: _Acc, ev: ExpiryChanged) -> None:
    if acc.status != "active":
        raise _inactive(acc, "an expiry change")
    if acc.expires_on != ev.old:
        raise LedgerError("old", f"the expiry date was {acc.expires_on}, not {ev.old}")
    acc.expires_on = ev.new
    acc.explicit = True


def _on_expired(acc: _Acc, ev: PackageExpired) -> None:
    if acc.status != "active":
        raise _inactive(acc, "an expiry")
    for moved in ev.credits:
        comp = acc.comp(moved.item)
        # a component below zero (an overdraft, X8) lapses nothing: its debt stays
        if moved.credits > max(comp.remaining, 0):
            raise _short(comp, "remaining", moved.credits)
        comp.remaining -= moved.credits
        comp.expired += moved.credits
    if ev.balance is not None:
        money = _money_of(acc, "a lapsed balance")
        minor = money.take("remaining", ev.balance, none=True)
        money.remaining -= minor
        money.expired += minor
    acc.status = "expired"


def _on_renewed(acc: _Acc, ev: SubscriptionRenewed) -> None:
    if acc.status != "active":
        raise _inactive(acc, "a renewal")
    if acc.purchase.subscription is None:
        raise LedgerError("type", f"package {acc.id!r} is not a subscription")
    if acc.renewal_stop is not None:
        raise LedgerError("type", f"subscription {acc.id!r} stopped renewing")
    if ev.period != acc.period + 1:
        raise LedgerError("period", f"renews period {ev.period} after period {acc.period}")
    for moved in ev.forfeited:
        comp = acc.comp(moved.item)
        if moved.credits > comp.remaining:
            raise _short(comp, "remaining", moved.credits)
        comp.remaining -= moved.credits
        comp.expired += moved.credits
    granted = 0
    for moved in ev.granted:
        comp = acc.comp(moved.item)
        comp.granted += moved.credits
        comp.remaining += moved.credits
        granted += moved.credits
    acc.period = ev.period
    for comp in acc.comps.values():
        comp.period_uses = 0
    acc.period_began = ev.at
    acc.drawn_at = None
    acc.low_at = None  # each period has its own low-balance notice
    acc.watch = acc.purchase.low_balance_threshold
    acc.expires_on = ev.ends_on
    acc.paid = acc.paid + ev.amount
    acc.paid_credits += granted


def _on_deleted(acc: _Acc, ev: PackageDeleted) -> None:
    if acc.status == "deleted":
        raise LedgerError("type", f"package {acc.id!r} deleted twice")
    acc.status = "deleted"


# The handlers of the events of the lifecycle options of issue 12 (1, 11-13, 16).


def _add_value(acc: _Acc, amount: Decimal, currency: str) -> None:
    """Add *amount* (of *currency*) to what the used and forfeited credits took off."""
    values = acc.used_value
    values[currency] = values.get(currency, Decimal(0)) + amount


def _on_forfeited(acc: _Acc, ev: RedemptionForfeited) -> None:
    was = ev.was
    comp = _changed_record(acc, ev, was, "forfeited")
    credits = ev.credits
    if credits > getattr(comp, was):
        raise _short(comp, was, credits)
    if was == "held":
        comp.held -= credits
        record = acc.records[ev.redemption_id]
        _add_value(acc, record[6], record[7])
    else:
        comp.used -= credits
    comp.forfeited += credits
    acc.countdown_used = True


def _on_balance_forfeited(acc: _Acc, ev: BalanceForfeited) -> None:
    minor = _balance_change(acc, ev, ev.was)
    _money_of(acc, "a forfeit").forfeited += minor
    acc.countdown_used = True


def _on_fee(acc: _Acc, ev: CancellationFee) -> None:
    found = acc.records.get(ev.redemption_id)
    if found is None:
        raise LedgerError("redemption_id", f"no redemption {ev.redemption_id!r} to charge for")
    rid, booking, _kind, line_id, *_rest = found
    if booking != ev.booking or line_id != ev.line_id:
        raise LedgerError("redemption_id", f"does not match redemption {rid!r}")
    if found[8] != "cancelled":
        raise LedgerError("redemption_id", f"redemption {rid!r} is {found[8]}, not cancelled")


def _active(acc: _Acc, what: str) -> None:
    if acc.status != "active":
        raise _inactive(acc, what)


def _on_transferred_out(acc: _Acc, ev: CreditsTransferredOut) -> None:
    _draw(acc, ev, "a transfer", "transferred")


def _on_transferred_in(acc: _Acc, ev: CreditsTransferredIn) -> None:
    _active(acc, "a transfer")
    comp = acc.comp(ev.item)
    comp.granted += ev.credits
    comp.remaining += ev.credits


def _on_beneficiary_changed(acc: _Acc, ev: BeneficiaryChanged) -> None:
    _active(acc, "a change of beneficiary")
    change = acc.beneficiary_change
    now = acc.purchase.beneficiary if change is None else change.new
    if ev.old != now:
        raise LedgerError("old", f"the beneficiary was {now!r}, not {ev.old!r}")
    acc.beneficiary_change = ev


def _subscription(acc: _Acc, ev: RenewalDateSet | RenewalStopped, what: str) -> None:
    _active(acc, what)
    if acc.purchase.subscription is None:
        raise LedgerError("type", f"package {acc.id!r} is not a subscription")
    if ev.period != acc.period:
        raise LedgerError("period", f"names period {ev.period}, the package is in {acc.period}")


def _on_renewal_set(acc: _Acc, ev: RenewalDateSet) -> None:
    _subscription(acc, ev, "a renewal date")
    if acc.expires_on != ev.old:
        raise LedgerError("old", f"the period ended on {acc.expires_on}, not {ev.old}")
    acc.expires_on = ev.new
    acc.renewal_set = ev


def _on_renewal_stopped(acc: _Acc, ev: RenewalStopped) -> None:
    _subscription(acc, ev, "a stop of renewals")
    if acc.renewal_stop is not None:
        raise LedgerError("type", f"subscription {acc.id!r} stopped renewing twice")
    if acc.expires_on != ev.ends_on:
        raise LedgerError("ends_on", f"the period ends on {acc.expires_on}, not {ev.ends_on}")
    acc.renewal_stop = ev


def _on_countdown_reset(acc: _Acc, ev: CountdownReset) -> None:
    _active(acc, "a countdown reset")
    first = acc.first_used_at
    if first is None or first.astimezone(UTC) != ev.first_used_at.astimezone(UTC):
        raise LedgerError("first_used_at", f"the countdown started at {first}, not as named")
    if acc.expires_on != ev.expires_on:
        raise LedgerError("expires_on", f"the expiry date was {acc.expires_on}")
    acc.first_used_at = None
    acc.expires_on = None
    acc.countdown_used = False


# -- the handlers of the market options' events (docs/options.md) --------------------------------


def _money_of(acc: _Acc, what: str) -> _Money:
    money = acc.money
    if money is None:
        raise LedgerError("type", f"{what} on package {acc.id!r}, which holds no stored value")
    return money


def _on_balance_redeemed(acc: _Acc, ev: BalanceRedeemed) -> None:
    if acc.status != "active":
        raise _inactive(acc, "a redemption")
    money = _money_of(acc, "a redemption of a balance")
    minor = money.take("remaining", ev.amount)
    records = acc.records
    event_id = ev.event_id
    if event_id in records:
        raise LedgerError("event_id", f"redemption {event_id!r} recorded twice")
    money.remaining -= minor
    status = ev.status
    if status == "held":
        money.held += minor
    else:
        money.used += minor
    tz = acc.tz
    scheduled = ev.scheduled_for.astimezone(tz)
    amount = ev.amount
    records[event_id] = (
        event_id,
        ev.booking,
        ev.booking_kind,
        ev.line_id,
        None,
        0,
        amount.amount,
        amount.currency,
        status,
        scheduled,
        ev.at.astimezone(tz),
        ev.cart_id,
    )
    if acc.first_used_at is None:
        _first_use(acc, scheduled)


def _balance_change(
    acc: _Acc, ev: BalanceUsed | BalanceCancelled | BalanceForfeited, was: RecordStatus
) -> int:
    """Mark the redemption *ev* changes (*was*) as its new status; its amount in minor units,
    taken from the *was* bucket."""
    status: RecordStatus = (
        "used"
        if isinstance(ev, BalanceUsed)
        else "forfeited"
        if isinstance(ev, BalanceForfeited)
        else "cancelled"
    )
    _mark(acc, ev.redemption_id, (ev.booking, ev.line_id, None, 0), was, status, ev.amount)
    money = _money_of(acc, "a change of a balance redemption")
    minor = money.take(was, ev.amount)
    setattr(money, was, getattr(money, was) - minor)
    return minor


def _on_balance_used(acc: _Acc, ev: BalanceUsed) -> None:
    minor = _balance_change(acc, ev, "held")
    _money_of(acc, "a use").used += minor


def _on_balance_cancelled(acc: _Acc, ev: BalanceCancelled) -> None:
    money = _money_of(acc, "a cancellation")
    if ev.expired.currency != money.currency or not 0 <= ev.expired.minor <= ev.amount.minor:
        raise LedgerError("expired", f"{ev.expired} expired of {ev.amount}")
    minor = _balance_change(acc, ev, ev.was)
    money.remaining += minor - ev.expired.minor
    money.expired += ev.expired.minor


def _on_paused(acc: _Acc, ev: PackagePaused) -> None:
    if acc.status != "active":
        raise _inactive(acc, "a pause")
    if acc.expires_on != ev.old:
        raise LedgerError("old", f"the expiry date was {acc.expires_on}, not {ev.old}")
    try:
        acc.pauses = _pauses((*acc.pauses, Pause(ev.start, ev.end)))  # the engine's checks
    except InvalidValueError as err:
        raise LedgerError("start", err.message) from None
    _moved(acc, ev.old, ev.new)


def _moved(acc: _Acc, old: dt.date | None, new: dt.date | None) -> None:
    """The expiry date moved from *old* to *new* by a pause (or its end): it is explicit now."""
    acc.expires_on = new
    if new != old:
        acc.explicit = True


def _on_pause_ended(acc: _Acc, ev: PauseEnded) -> None:
    if acc.status != "active":
        raise _inactive(acc, "the end of a pause")
    if acc.expires_on != ev.old:
        raise LedgerError("old", f"the expiry date was {acc.expires_on}, not {ev.old}")
    pause = Pause(ev.start, ev.end)
    if pause not in acc.pauses:
        raise LedgerError("start", f"package {acc.id!r} has no pause {ev.start}..{ev.end}")
    kept = [p for p in acc.pauses if p != pause]
    if ev.until is not None:
        kept.append(Pause(ev.start, ev.until))
    acc.pauses = _pauses(kept)
    _moved(acc, ev.old, ev.new)


def _on_debt_settled(acc: _Acc, ev: DebtSettled) -> None:
    comp = acc.comp(ev.item)
    credits = ev.credits
    if acc.id == ev.debtor:
        # the debt stays the owner's after the package expired: only a void package refuses it
        if acc.status in ("refunded", "deleted"):
            raise _inactive(acc, "a settled debt")
        if comp.remaining + credits > 0:
            raise LedgerError(
                "credits", f"settles {credits} of {comp.item!r}, the debt is {-comp.remaining}"
            )
        comp.granted += credits
        comp.remaining += credits
    else:
        if acc.status != "active":
            raise _inactive(acc, "a settlement")
        if credits > comp.remaining:
            raise _short(comp, "remaining", credits)
        comp.remaining -= credits
        comp.settled += credits


#: The handler of every event type; the purchase's is ``None``: it opens an accumulator
#: (:func:`_on_purchased`), every other event changes one.
_HANDLERS: dict[type, Callable[[_Acc, Any], None] | None] = {
    PackagePurchased: None,
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
    BalanceRedeemed: _on_balance_redeemed,
    BalanceUsed: _on_balance_used,
    BalanceCancelled: _on_balance_cancelled,
    PackagePaused: _on_paused,
    PauseEnded: _on_pause_ended,
    DebtSettled: _on_debt_settled,
    RedemptionForfeited: _on_forfeited,
    BalanceForfeited: _on_balance_forfeited,
    CancellationFee: _on_fee,
    CreditsTransferredOut: _on_transferred_out,
    CreditsTransferredIn: _on_transferred_in,
    BeneficiaryChanged: _on_beneficiary_changed,
    RenewalDateSet: _on_renewal_set,
    RenewalStopped: _on_renewal_stopped,
    CountdownReset: _on_countdown_reset,
}


def _opened(package_id: str, states: Mapping[str, PackageState]) -> _Acc:
    """The accumulator of *package_id*, a package of the starting state *states*."""
    state = states.get(package_id)
    if state is None:
        raise LedgerError("package_id", f"no package {package_id!r} was purchased")
    return _Acc.of_state(state)


def _fold(start: LedgerState | None, events: Iterable[Any], accs: dict[str, _Acc]) -> None:
    """Fold *events* into *accs* (the accumulators of the packages touched, in the order first
    touched). Raises :class:`LedgerError` with the position of the first inconsistent event."""
    states: Mapping[str, PackageState] = {} if start is None else start._by_id
    handlers = _HANDLERS
    # (the lookups are subscripts: a missing key, the rare case, raises KeyError)
    for i, ev in enumerate(events):
        try:
            try:
                handler = handlers[type(ev)]
            except KeyError:
                raise LedgerError("type", f"not a ledger event: {ev!r}") from None
            if handler is None:
                _on_purchased(ev, accs, states)
                continue
            package_id = ev.package_id
            try:
                acc = accs[package_id]
            except KeyError:
                acc = accs[package_id] = _opened(package_id, states)
            seq = ev.seq
            if seq != acc.version + 1:
                raise LedgerError(
                    "seq", f"package {package_id!r} is at event {acc.version}, got {seq}"
                )
            at = ev.at
            if before(at, acc.last):
                raise LedgerError(
                    "at", f"{at.isoformat()} is before the previous event of {package_id!r}"
                )
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
    zeros: dict[str, Money] = {}
    packages: list[PackageState] = []
    # Each accumulator is dropped once frozen: the garbage collector's count of new objects
    # then stays level while the states are made (instead of walking every object alive a few
    # times over a large ledger).
    pop = accs.pop
    if state is not None:
        for p in state.packages:
            acc = pop(p.id, None)
            packages.append(p if acc is None else acc.freeze(zeros))
    for package_id in list(accs):  # those bought by these events, in the order bought
        packages.append(pop(package_id).freeze(zeros))
    return LedgerState(packages)


def credits_of(state: PackageState, field: str) -> tuple[ItemCredits, ...]:
    """The credits of every component in bucket *field*, as :class:`ItemCredits`."""
    return tuple(ItemCredits(c.item, getattr(c, field)) for c in state.components)


def lapsing(state: PackageState) -> tuple[ItemCredits, ...]:
    """The credits left of every component that lapse at expiry: none of a component below
    zero (an overdraft, X8: the debt stays, for the next purchase of the type to settle)."""
    return tuple(ItemCredits(c.item, max(c.remaining, 0)) for c in state.components)
