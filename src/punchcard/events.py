# The field helpers of _codec return attrs fields (validator + JSON codec): RUF009 cannot tell
# them from a call that builds a shared mutable default.
# ruff: noqa: RUF009
"""The ledger: the events of a package's life, the single source of truth the host stores.

Every event names its package and carries ``seq``, its position in that package's history (1 for
the purchase, then 2, 3...). Hosts that store events with a unique ``(package_id, seq)`` key get
optimistic concurrency for free: two tills that both append event 5 to the same package cannot
both succeed. ``event_id`` is derived from ``(package_id, seq)`` so that a retried operation
produces the same id. ``at`` is aware, in the package's time zone; ``actor`` is the id of the
member of staff who acted, where one did. Events never hold one entry per credit: they carry
counts.

The stored form is a plain JSON-ready dict (:func:`event_to_dict`, :func:`event_from_dict`)
carrying its format version ``"v"``; the reader also reads the previous format (no ``"v"``).

>>> ev = ExpiryChanged(event_id="ev-1", package_id="p1", seq=4,
...                    at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc),
...                    actor="ann", old=dt.date(2026, 3, 31), new=dt.date(2026, 4, 30))
>>> data = event_to_dict(ev)
>>> data
{'type': 'expiry_changed', 'v': 1, 'event_id': 'ev-1', 'package_id': 'p1', 'seq': 4, 'at': '2026-03-01T09:00:00+00:00', 'actor': 'ann', 'old': '2026-03-31', 'new': '2026-04-30'}
>>> event_from_dict(data) == ev
True

A checkout of the engine produces these same events (:attr:`punchcard.Application.events`):
:class:`RedemptionRecorded` for credits, :class:`BalanceRedeemed` for money of a stored-value
package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, TypeAlias

import attrs
from dateutil.relativedelta import relativedelta

from . import _codec as c
from . import _validate as v
from ._codec import CODEC, CODEC_V0, OPTION, LedgerError
from ._fast import build_trusted
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError, PunchcardError
from .expiry import ExpiryMode, advance
from .models import (
    DEFAULT_PRIORITY,
    PRIORITY_RANGE,
    Component,
    Duration,
    Package,
    _check_components,
    _optional_duration,
    _optional_items,
    _pool_items,
    _repr_omitting_defaults,
    _substitutes,
)
from .money import Money
from .timeutil import zone
from .valuation.revenue import CommissionMode

__all__ = [
    "BOOKING_KINDS",
    "EVENT_TYPES",
    "FORMAT_VERSION",
    "PENALTY_REASONS",
    "USE_REASONS",
    "BalanceCancelled",
    "BalanceForfeited",
    "BalanceRedeemed",
    "BalanceUsed",
    "BeneficiaryChanged",
    "BookingKind",
    "CancellationFee",
    "CountdownReset",
    "CreditsAssigned",
    "CreditsDeducted",
    "CreditsTransferredIn",
    "CreditsTransferredOut",
    "DebtSettled",
    "ExpiryChanged",
    "ItemCredits",
    "LedgerError",
    "LedgerEvent",
    "PackageDeleted",
    "PackageExpired",
    "PackagePaused",
    "PackagePurchased",
    "PackageRefunded",
    "PauseEnded",
    "PenaltyReason",
    "Period",
    "PeriodUnit",
    "RedemptionCancelled",
    "RedemptionForfeited",
    "RedemptionRecorded",
    "RedemptionUsed",
    "RenewalDateSet",
    "RenewalStopped",
    "SubscriptionRenewed",
    "TypeComponent",
    "UseReason",
    "advance_packages",
    "check_terms",
    "credits_tuple",
    "event_from_dict",
    "event_id",
    "event_to_dict",
    "ledger_event_id",
    "redemption_event",
    "type_components",
]


def event_id(*parts: object) -> str:
    """A deterministic event id derived from *parts* (the same inputs give the same id).

    >>> event_id("cart-1", "l1", "p1", "daycare_full")
    'ev-7582b7362a74e3e5c6b68440'
    """
    import hashlib  # here: importing it costs a few ms that `import punchcard` need not pay

    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return f"ev-{digest[:24]}"


def ledger_event_id(package_id: str, seq: int) -> str:
    """The id of event number *seq* of package *package_id* (deterministic).

    >>> ledger_event_id("p1", 1) == ledger_event_id("p1", 1) != ledger_event_id("p1", 2)
    True
    """
    return event_id("ledger", package_id, seq)


def pretty(value: object, printer: Any, cycle: bool) -> None:
    """``_repr_pretty_`` of the values whose repr shows the options only when set: pretty
    printers (IPython's, Hypothesis's) print that repr rather than every field."""
    printer.text(repr(value))


# -- the small values events carry ---------------------------------------------------------------

PeriodUnit = Literal["days", "weeks", "months", "years"]


@attrs.frozen(repr=False)
class TypeComponent:
    """One component of a package type: an item and how many credits of it a purchase grants.

    >>> TypeComponent("daycare_full", 10)
    TypeComponent(item='daycare_full', quantity=10, hourly=False)
    >>> TypeComponent("grooming", 0)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: quantity: must be a whole number >= 1, got 0

    The engine's component options are sold with it (docs/options.md): a *pool* of items (X2),
    *substitutes* (X3), an *overdraft* (X8); each is shown only when it is used:

    >>> TypeComponent("grooming", 5, items=["nails", "bath"], overdraft=1)
    TypeComponent(item='grooming', quantity=5, hourly=False, items=('bath', 'nails'), overdraft=1)
    """

    #: What a credit pays for (a reservation type, service, class, product...), or the name of
    #: a pool (X2).
    item: str = attrs.field(validator=v.identifier)
    #: Credits granted per purchase (and per subscription period): at least one.
    quantity: int = attrs.field(validator=v.whole(1))
    #: An hourly credit pays for one hour of a line charged by the hour.
    hourly: bool = attrs.field(default=False, validator=v.boolean, kw_only=True)
    #: For a pool: the items its credits pay for as their own (X2); empty for a plain component.
    #:
    #: .. versionadded:: 0.2
    items: tuple[str, ...] = attrs.field(default=(), converter=_pool_items, kw_only=True)
    #: Other items a credit may also pay with ``any_type`` off, as a cross-item use (X3).
    #:
    #: .. versionadded:: 0.2
    substitutes: tuple[str, ...] = attrs.field(default=(), converter=_substitutes, kw_only=True)
    #: How far below zero the credits may go (X8); 0 = never.
    #:
    #: .. versionadded:: 0.2
    overdraft: int = attrs.field(default=0, validator=v.whole(0), kw_only=True)

    def __repr__(self) -> str:
        return _repr_omitting_defaults(self, ("items", "substitutes", "overdraft"))

    _repr_pretty_ = pretty

    def __attrs_post_init__(self) -> None:
        if self.items or self.substitutes or self.overdraft:
            self.component(self.quantity)  # the engine's own checks of the options

    def component(self, remaining: int, *, trusted: bool = False) -> Component:
        """The engine's component of this grant, with *remaining* credits left (*trusted*: a
        count the ledger's fold kept within the grant's bounds, not checked again)."""
        fields: dict[str, Any] = {
            "item": self.item,
            "remaining": remaining,
            "hourly": self.hourly,
            "items": self.items,
            "substitutes": self.substitutes,
            "overdraft": self.overdraft,
        }
        return build_trusted(Component, **fields) if trusted else Component(**fields)


def _item(component: TypeComponent | ItemCredits) -> str:
    return component.item


def type_components(value: Iterable[TypeComponent]) -> tuple[TypeComponent, ...]:
    """Convert and check a sequence of :class:`TypeComponent`: items unique, and an item paid by
    one component at most (a pool's items included). Empty for a stored-value type only: see
    :func:`check_terms`."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError("components", f"must be a sequence of TypeComponent, got {value!r}")
    out = v.unique_sequence(tuple(value), "components", TypeComponent, _item)
    if any(c.items for c in out):
        _check_components(None, None, tuple(c.component(c.quantity) for c in out))
    return out


def check_terms(
    *,
    components: tuple[TypeComponent, ...],
    price: Money,
    value: Money | None,
    items: tuple[str, ...] | None,
    priority: int,
    valid_for: Duration | None,
    days_to_expiration: int | None,
    subscription: Period | None,
    low_balance_threshold: int | None,
) -> None:
    """Check the terms a package type sells (and a sale records) together: at least one
    component, or a stored value (X9) and then no component; a priority from 0 to 100 (X1); a
    countdown of ``valid_for`` or ``days_to_expiration``, not both (X4).

    **Decisions**: a stored value, a ``valid_for`` and an overdraft are not offered on a
    subscription (its dates are its periods, and its renewals grant credits, not money); a
    stored-value type has no low-balance threshold (it counts credits); its value is more than
    zero, in the currency of its price.
    """
    if value is None:
        if not components:
            raise InvalidValueError("components", "a package type needs at least one component")
        if items is not None:
            raise InvalidValueError("items", "only a stored-value type lists items")
    else:
        if components:
            raise InvalidValueError("value", "a package type holds credits or a value, not both")
        if value.currency != price.currency:
            raise CurrencyMismatchError(price.currency, value.currency, "value")
        if value.amount <= 0:
            raise InvalidValueError("value", f"must be more than zero, got {value}")
        if low_balance_threshold is not None:
            raise InvalidValueError(
                "low_balance_threshold", "a stored-value type has no credits to count"
            )
    low, high = PRIORITY_RANGE
    if priority > high:
        raise InvalidValueError(
            "priority", f"must be a whole number from {low} to {high}, got {priority}"
        )
    if valid_for is not None and days_to_expiration is not None:
        raise InvalidValueError("valid_for", "give valid_for or days_to_expiration, not both")
    if subscription is not None:
        for name, given in (
            ("value", value is not None),
            ("valid_for", valid_for is not None),
            ("overdraft", any(c.overdraft for c in components)),
        ):
            if given:
                raise InvalidValueError(name, "is not offered on a subscription type")


@attrs.frozen
class ItemCredits:
    """A number of credits of one item (what an event moved for one component)."""

    item: str = attrs.field(validator=v.identifier)
    credits: int = attrs.field(validator=v.whole(0))


def credits_tuple(value: Iterable[ItemCredits]) -> tuple[ItemCredits, ...]:
    """Convert and check a sequence of :class:`ItemCredits` (items unique)."""
    return v.unique_sequence(value, "credits", ItemCredits, _item)


@attrs.frozen
class Period:
    """The length of a subscription period: *count* days, weeks, months or years.

    Period *k* (1 = the first) starts on ``anchor + (k - 1) x length`` and ends on the day
    before the next one starts; every start is counted from the first period's start (the
    *anchor*) with ``dateutil.relativedelta``, never from the previous one, so month ends are
    clamped without drifting. A monthly subscription started on 31 January has periods starting
    on 28 February (29 in a leap year), 31 March, 30 April...: its first period ends on 27
    February, its second on 30 March. A period of *n* days covers exactly *n* local dates.

    >>> monthly = Period("months")
    >>> [monthly.start(dt.date(2026, 1, 31), k).isoformat() for k in (1, 2, 3, 4)]
    ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']
    >>> [monthly.last_day(dt.date(2026, 1, 31), k).isoformat() for k in (1, 2, 3)]
    ['2026-02-27', '2026-03-30', '2026-04-29']
    >>> monthly.last_day(dt.date(2028, 1, 31), 1)  # a leap year
    datetime.date(2028, 2, 28)
    >>> Period("weeks").last_day(dt.date(2026, 3, 2), 1)  # bought on a Monday: until Sunday
    datetime.date(2026, 3, 8)
    >>> Period("days").last_day(dt.date(2026, 3, 2), 1), Period("weeks", 2).last_day(
    ...     dt.date(2026, 3, 2), 1)
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 15))
    """

    #: ``days``, ``weeks``, ``months`` or ``years``.
    unit: PeriodUnit = attrs.field(validator=v.one_of(("days", "weeks", "months", "years")))
    #: How many units make one period (at least one).
    count: int = attrs.field(default=1, validator=v.whole(1))

    def start(self, anchor: dt.date, k: int) -> dt.date:
        """The local date on which period *k* (1 = the first) starts, for periods anchored on
        *anchor*."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidValueError("k", f"must be a whole number >= 1, got {k!r}")
        n = self.count * (k - 1)
        if self.unit == "days":
            delta = relativedelta(days=n)
        elif self.unit == "weeks":
            delta = relativedelta(weeks=n)
        elif self.unit == "months":
            delta = relativedelta(months=n)
        else:
            delta = relativedelta(years=n)
        result: dt.date = anchor + delta
        return result

    def last_day(self, anchor: dt.date, k: int) -> dt.date:
        """The local date on which period *k* (1 = the first) ends: the day before period
        *k + 1* starts. The subscription renews at the end of that day (23:59 local by
        default)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidValueError("k", f"must be a whole number >= 1, got {k!r}")
        return self.start(anchor, k + 1) - dt.timedelta(days=1)


def _period_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Period):
        raise InvalidTypeError(attr.name, f"must be a Period or None, got {value!r}")


_COMPONENT = c.record_codec(
    TypeComponent,
    (("item", str), ("quantity", int), ("hourly", bool)),
    (("items", tuple, ()), ("substitutes", tuple, ()), ("overdraft", int, 0)),
)
_DURATION = c.record_codec(Duration, (("unit", str), ("count", int)))
_CREDITS = c.record_codec(ItemCredits, (("item", str), ("credits", int)))
_PERIOD = c.record_codec(Period, (("unit", str), ("count", int)))


def _components() -> Any:
    return c.records(_COMPONENT, type_components, shape="a list of components", empty=False)


def _credits() -> Any:
    return c.records(_CREDITS, credits_tuple, shape="a list of {item, credits}", empty=True)


# -- the events -----------------------------------------------------------------------------------

#: What a redemption is for: an appointment, a class, or an open POS ticket.
BookingKind = Literal["appointment", "class", "ticket"]
BOOKING_KINDS: Final = ("appointment", "class", "ticket")
#: Why held credits became used.
UseReason = Literal["ticket_closed", "completed", "time_passed"]
USE_REASONS: Final = ("ticket_closed", "completed", "time_passed")


@attrs.frozen(kw_only=True)
class _Event:
    #: The event's type name in JSON (``"package_purchased"``...).
    kind: ClassVar[str] = ""
    #: Unique, deterministic: :func:`ledger_event_id` of ``(package_id, seq)``.
    event_id: str = c.ident()
    #: The package whose history this event belongs to.
    package_id: str = c.ident()
    #: Position in the package's history: 1 for the purchase, then 2, 3...
    seq: int = c.whole(1)
    #: When it happened (aware, in the package's zone).
    at: dt.datetime = c.moment()
    #: Who acted (the host's staff id), if anyone did.
    actor: str | None = c.opt_ident()

    def __repr__(self) -> str:
        # (for the events with options, declared with repr=False: an option is shown when set)
        options = tuple(f.name for f in attrs.fields(type(self)) if OPTION in f.metadata)
        return _repr_omitting_defaults(self, options)

    _repr_pretty_ = pretty


@attrs.frozen(kw_only=True, repr=False)
class PackagePurchased(_Event):
    """A package was sold: every component of its type, with a snapshot of the type's terms."""

    kind: ClassVar[str] = "package_purchased"
    owner: str = c.ident()
    type_id: str = c.ident()
    name: str = c.ident()
    #: The IANA zone of the selling location: every local date of this package is read in it.
    timezone: str = c.ident()
    components: tuple[TypeComponent, ...] = _components()
    #: What was paid.
    price: Money = c.money()
    location: str | None = c.opt_ident()
    beneficiary: str | None = c.opt_ident()
    #: The expiry date fixed at sale (countdown from sale, or a subscription's first period end).
    expires_on: dt.date | None = c.opt_date()
    days_to_expiration: int | None = c.opt_whole(0)
    expiry_starts: Literal["sale", "first_use"] = c.choice(("sale", "first_use"), "sale")
    pricing_rules: bool = c.flag()
    reminder_days: int | None = c.opt_whole(0)
    low_balance_threshold: int | None = c.opt_whole(0)
    subscription: Period | None = c.record(_PERIOD, _period_validator)
    #: Where it was sold: at the till (``pos``) or in the customer portal (``portal``).
    channel: Literal["pos", "portal"] = c.choice(("pos", "portal"), "pos")
    taxed: bool = c.flag()
    account_code: str | None = c.opt_ident()
    commission_basis: CommissionMode = c.choice(("retail", "package"), "retail")
    #: The franchise account that defined the type (see ``Franchise``), if any.
    defined_at: str | None = c.opt_ident()
    # The market options (docs/options.md), written only when set (see punchcard._codec.OPTION).
    #: Lower is consumed first (X1).
    #:
    #: .. versionadded:: 0.2
    priority: int = c.option_whole(0, DEFAULT_PRIORITY)
    #: Before this moment the package is not yet valid (X6): a gift, a pre-sale.
    #:
    #: .. versionadded:: 0.2
    valid_from: dt.datetime | None = c.option_moment()
    #: A calendar length of validity instead of ``days_to_expiration`` (X4).
    #:
    #: .. versionadded:: 0.2
    valid_for: Duration | None = c.option_record(_DURATION, _optional_duration)
    #: The stored value the sale granted (X9): a money balance instead of credits (then
    #: ``components`` is empty); ``price`` is what was paid for it.
    #:
    #: .. versionadded:: 0.2
    value: Money | None = c.option_money()
    #: With ``value`` only: the items the balance may pay (``None``: every item) (X9).
    #:
    #: .. versionadded:: 0.2
    items: tuple[str, ...] | None = c.option_names(_optional_items)

    def __attrs_post_init__(self) -> None:
        zone(self.timezone)  # an unknown zone is refused when the event is made
        check_terms(
            components=self.components,
            price=self.price,
            value=self.value,
            items=self.items,
            priority=self.priority,
            valid_for=self.valid_for,
            days_to_expiration=self.days_to_expiration,
            subscription=self.subscription,
            low_balance_threshold=self.low_balance_threshold,
        )

    @property
    def countdown(self) -> Duration | None:
        """The length of validity sold: ``valid_for``, or ``days_to_expiration`` days (as
        :func:`punchcard.expiry.countdown` reads a package)."""
        if self.valid_for is not None:
            return self.valid_for
        if self.days_to_expiration is not None:
            return Duration("days", self.days_to_expiration)
        return None


@attrs.frozen(kw_only=True)
class RedemptionRecorded(_Event):
    """Credits of one component were redeemed for one line of a booking: *held* for a future
    appointment or an open ticket, or *used* at once (a ticket closed at checkout)."""

    kind: ClassVar[str] = "credits_redeemed"
    #: The appointment / class / ticket id: what a cancellation names.
    booking: str = c.ident()
    booking_kind: BookingKind = c.choice(BOOKING_KINDS)
    #: The cart line (reservation line, ticket line) paid for.
    line_id: str = c.ident()
    item: str = c.ident()
    credits: int = c.whole(1)
    #: What the credits took off the line.
    amount: Money = c.money()
    status: Literal["held", "used"] = c.choice(("held", "used"))
    #: When the service takes place (eligibility and first use are judged then).
    scheduled_for: dt.datetime = c.moment()
    #: The cart / ticket / invoice id, if the host gave one.
    cart_id: str | None = c.opt_ident()


@attrs.frozen(kw_only=True)
class BalanceRedeemed(_Event):
    """Money of a stored-value package (semantics X9) paid for one line of a booking: a
    redemption of an amount, not of credits.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "balance_redeemed"
    #: The appointment / class / ticket id.
    booking: str = c.ident()
    booking_kind: BookingKind = c.choice(BOOKING_KINDS)
    #: The cart line paid for.
    line_id: str = c.ident()
    #: What the balance paid.
    amount: Money = c.money()
    status: Literal["held", "used"] = c.choice(("held", "used"))
    #: When the service takes place.
    scheduled_for: dt.datetime = c.moment()
    #: The cart / ticket / invoice id, if the host gave one.
    cart_id: str | None = c.opt_ident()


def redemption_event(
    line_id: str,
    amount: Money,
    item: str | None,
    credits: int,
    *,
    trusted: bool = False,
    **fields: Any,
) -> RedemptionRecorded | BalanceRedeemed:
    """The ledger event of one redemption of the engine (a :class:`punchcard.Redemption`'s
    *line_id*, *amount*, *item* and *credits*) with the event's other *fields*: a
    :class:`RedemptionRecorded` of credits, or a :class:`BalanceRedeemed` of money for a
    stored-value package (no item). A checkout's events and the lifecycle's holds are made here.

    *trusted*: every field was derived from values already checked (a checkout's result: the
    engine's ids, amounts and its aware checkout time), so the validators are not run again.
    """
    kind: type[RedemptionRecorded | BalanceRedeemed] = RedemptionRecorded
    if item is None:
        kind = BalanceRedeemed
    else:
        fields.update(item=item, credits=credits)
    if trusted:
        return build_trusted(kind, line_id=line_id, amount=amount, **fields)
    return kind(line_id=line_id, amount=amount, **fields)


@attrs.frozen(kw_only=True)
class _RedemptionChange(_Event):
    """What an event that changes one redemption repeats of it, to be checked against it."""

    #: The ``event_id`` of the :class:`RedemptionRecorded` concerned.
    redemption_id: str = c.ident()
    booking: str = c.ident()
    line_id: str = c.ident()
    item: str = c.ident()
    credits: int = c.whole(1)


@attrs.frozen(kw_only=True)
class RedemptionUsed(_RedemptionChange):
    """Held credits became used: the ticket was saved/closed, the appointment or class was
    completed, or its scheduled time passed."""

    kind: ClassVar[str] = "redemption_used"
    reason: UseReason = c.choice(USE_REASONS)


@attrs.frozen(kw_only=True)
class RedemptionCancelled(_RedemptionChange):
    """A booking was cancelled: the credits of one redemption came back, once.

    ``expired`` of them expired at once (the package had expired: see the business's
    ``cancel_after_expiry``); the rest went back to the credits left.
    """

    kind: ClassVar[str] = "redemption_cancelled"
    #: Whether the credits were ``held`` or already ``used``.
    was: Literal["held", "used"] = c.choice(("held", "used"))
    #: How many of them expired at once instead of coming back.
    expired: int = c.whole(0)


@attrs.frozen(kw_only=True, repr=False)
class PackageRefunded(_Event):
    """The package was refunded: its credits left are gone and *amount* was paid back."""

    kind: ClassVar[str] = "package_refunded"
    amount: Money = c.money()
    credits: tuple[ItemCredits, ...] = _credits()
    #: For a stored-value package (X9): the balance given back (``amount`` is what it paid).
    #:
    #: .. versionadded:: 0.2
    balance: Money | None = c.option_money()


@attrs.frozen(kw_only=True)
class _Adjustment(_Event):
    """Credits of one item moved by staff, with their note."""

    item: str = c.ident()
    credits: int = c.whole(1)
    note: str = c.text()


@attrs.frozen(kw_only=True)
class CreditsAssigned(_Adjustment):
    """Staff added credits without payment."""

    kind: ClassVar[str] = "credits_assigned"


@attrs.frozen(kw_only=True)
class CreditsDeducted(_Adjustment):
    """Staff removed credits by hand."""

    kind: ClassVar[str] = "credits_deducted"


@attrs.frozen(kw_only=True)
class ExpiryChanged(_Event):
    """The expiry date was edited."""

    kind: ClassVar[str] = "expiry_changed"
    #: The expiry date before (``None``: none yet).
    old: dt.date | None = c.opt_date()
    new: dt.date = c.date()


@attrs.frozen(kw_only=True, repr=False)
class PackageExpired(_Event):
    """The package reached the end of its expiry date: its credits left expired."""

    kind: ClassVar[str] = "package_expired"
    expires_on: dt.date = c.date()
    credits: tuple[ItemCredits, ...] = _credits()
    #: For a stored-value package (X9): the balance that lapsed.
    #:
    #: .. versionadded:: 0.2
    balance: Money | None = c.option_money()


@attrs.frozen(kw_only=True)
class SubscriptionRenewed(_Event):
    """A subscription period ended and the next began, granting the period's credits."""

    kind: ClassVar[str] = "subscription_renewed"
    #: The number of the period that begins (the purchase begins period 1).
    period: int = c.whole(2)
    #: The last day of the period that begins.
    ends_on: dt.date = c.date()
    granted: tuple[ItemCredits, ...] = _credits()
    #: Credits left at the end of the previous period that were forfeited (the default).
    forfeited: tuple[ItemCredits, ...] = _credits()
    #: What the renewal charged.
    amount: Money = c.money()


@attrs.frozen(kw_only=True)
class PackageDeleted(_Event):
    """The package was deleted (allowed only while no credit was used or removed by hand)."""

    kind: ClassVar[str] = "package_deleted"


# -- the events of the market options (docs/options.md) ---------------------------------------


@attrs.frozen(kw_only=True)
class _BalanceChange(_Event):
    """What an event that changes one stored-value redemption repeats of it, to be checked
    against it."""

    #: The ``event_id`` of the :class:`BalanceRedeemed` concerned.
    redemption_id: str = c.ident()
    booking: str = c.ident()
    line_id: str = c.ident()
    amount: Money = c.money()


@attrs.frozen(kw_only=True)
class BalanceUsed(_BalanceChange):
    """Money of a stored-value package held for a booking became used (as
    :class:`RedemptionUsed` for credits).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "balance_used"
    reason: UseReason = c.choice(USE_REASONS)


@attrs.frozen(kw_only=True)
class BalanceCancelled(_BalanceChange):
    """A booking was cancelled: the money of one stored-value redemption came back, once (as
    :class:`RedemptionCancelled` for credits); *expired* of it lapsed at once (the package had
    expired).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "balance_cancelled"
    was: Literal["held", "used"] = c.choice(("held", "used"))
    expired: Money = c.money()


@attrs.frozen(kw_only=True)
class PackagePaused(_Event):
    """The package was paused from *start* to *end*, local dates both included (X7): no credit
    of it pays on those dates, and its expiry date moved from *old* to *new* by the paused days
    (both ``None`` for a package that never expires).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "package_paused"
    start: dt.date = c.date()
    end: dt.date = c.date()
    old: dt.date | None = c.opt_date()
    new: dt.date | None = c.opt_date()
    note: str = c.text()

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValueError(
                "end", f"a pause ends ({self.end}) before it starts ({self.start})"
            )


@attrs.frozen(kw_only=True)
class PauseEnded(_Event):
    """The pause of the package from *start* to *end* was cut short: it now ends on *until*
    (``None``: it was called off before it began), and the expiry date moved back from *old*
    to *new* by the days given back.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "pause_ended"
    start: dt.date = c.date()
    end: dt.date = c.date()
    until: dt.date | None = c.opt_date()
    old: dt.date | None = c.opt_date()
    new: dt.date | None = c.opt_date()

    def __attrs_post_init__(self) -> None:
        if self.until is not None and not self.start <= self.until < self.end:
            raise InvalidValueError(
                "until", f"must be from {self.start} to the day before {self.end}, got {self.until}"
            )


@attrs.frozen(kw_only=True)
class DebtSettled(_Event):
    """*credits* of *item* of the package *payer* (a later purchase of the same type) filled
    the overdraft of the package *debtor* (X8). The ledger records it on both packages: one
    event in each history, *package_id* saying which.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "debt_settled"
    #: The package whose credits were below zero.
    debtor: str = c.ident()
    #: The package whose first credits settled the debt.
    payer: str = c.ident()
    item: str = c.ident()
    credits: int = c.whole(1)

    def __attrs_post_init__(self) -> None:
        if self.debtor == self.payer:
            raise InvalidValueError(
                "payer", f"a package cannot settle its own debt ({self.payer!r})"
            )
        if self.package_id not in (self.debtor, self.payer):
            raise InvalidValueError(
                "package_id", f"must be the debtor or the payer, got {self.package_id!r}"
            )


# -- the events of the lifecycle options of issue 12 (1, 11-13, 16) ------------------------------

#: Why a redemption was penalised: cancelled inside the business's late-cancel window, or the
#: customer did not show up.
PenaltyReason = Literal["late_cancel", "no_show"]
PENALTY_REASONS: Final = ("late_cancel", "no_show")


@attrs.frozen(kw_only=True)
class RedemptionForfeited(_RedemptionChange):
    """A booking was cancelled late (or was a no-show) and the business keeps the credits: the
    credits of one redemption are *forfeited* instead of restored (they move to the component's
    ``forfeited`` bucket).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "redemption_forfeited"
    #: Whether the credits were ``held`` or already ``used`` (a no-show's time has passed).
    was: Literal["held", "used"] = c.choice(("held", "used"))
    reason: PenaltyReason = c.choice(PENALTY_REASONS)


@attrs.frozen(kw_only=True)
class BalanceForfeited(_BalanceChange):
    """A booking paid from a stored value (X9) was cancelled late (or was a no-show) and the
    business keeps the money of one redemption: it moves to the balance's ``forfeited`` part
    instead of coming back (as :class:`RedemptionForfeited` for credits).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "balance_forfeited"
    was: Literal["held", "used"] = c.choice(("held", "used"))
    reason: PenaltyReason = c.choice(PENALTY_REASONS)


@attrs.frozen(kw_only=True)
class CancellationFee(_Event):
    """A late cancellation (or a no-show) of one booked line whose credits (or money) were
    restored, for a fee the host charges: it names the (cancelled) redemption of the line and
    moves nothing.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "cancellation_fee"
    #: The ``event_id`` of the (cancelled) redemption of the line.
    redemption_id: str = c.ident()
    booking: str = c.ident()
    line_id: str = c.ident()
    reason: PenaltyReason = c.choice(PENALTY_REASONS)
    #: The fee to charge.
    fee: Money = c.money()


@attrs.frozen(kw_only=True)
class CreditsTransferredOut(_Event):
    """Staff moved credits of this package to another package (of another client, say): they
    leave this package's balance (its ``transferred`` bucket).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "credits_transferred_out"
    item: str = c.ident()
    credits: int = c.whole(1)
    #: The package that received them, and its owner.
    to_package: str = c.ident()
    to_owner: str = c.ident()
    note: str = c.text()


@attrs.frozen(kw_only=True)
class CreditsTransferredIn(_Event):
    """Credits moved into this package from another one: granted here, free (they carry no
    revenue of this package).

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "credits_transferred_in"
    item: str = c.ident()
    credits: int = c.whole(1)
    #: The package they came from, and its owner.
    from_package: str = c.ident()
    from_owner: str = c.ident()
    note: str = c.text()


@attrs.frozen(kw_only=True)
class BeneficiaryChanged(_Event):
    """The package was moved to another pet / family member (or made shared: ``new`` is
    ``None``). Held credits keep their bookings.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "beneficiary_changed"
    old: str | None = c.opt_ident()
    new: str | None = c.opt_ident()


@attrs.frozen(kw_only=True)
class RenewalDateSet(_Event):
    """The current period of a subscription was set by hand to end on ``new``: it renews at the
    end of that day, and the periods after it are counted from the day after.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "renewal_date_set"
    #: The period whose end moved (the current one).
    period: int = c.whole(1)
    old: dt.date = c.date()
    new: dt.date = c.date()


@attrs.frozen(kw_only=True)
class RenewalStopped(_Event):
    """A subscription stops renewing, without a refund: its current period runs out on
    ``ends_on``, then the package expires.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "renewal_stopped"
    period: int = c.whole(1)
    ends_on: dt.date = c.date()


@attrs.frozen(kw_only=True)
class CountdownReset(_Event):
    """Every use since a first-use countdown started was cancelled early: the countdown is
    cleared and starts again at the next use.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "countdown_reset"
    #: The first use the countdown had started from, and the expiry date it had given.
    first_used_at: dt.datetime = c.moment()
    expires_on: dt.date | None = c.opt_date()


LedgerEvent: TypeAlias = (
    PackagePurchased
    | RedemptionRecorded
    | BalanceRedeemed
    | RedemptionUsed
    | RedemptionCancelled
    | PackageRefunded
    | CreditsAssigned
    | CreditsDeducted
    | ExpiryChanged
    | PackageExpired
    | SubscriptionRenewed
    | PackageDeleted
    | BalanceUsed
    | BalanceCancelled
    | PackagePaused
    | PauseEnded
    | DebtSettled
    | RedemptionForfeited
    | BalanceForfeited
    | CancellationFee
    | CreditsTransferredOut
    | CreditsTransferredIn
    | BeneficiaryChanged
    | RenewalDateSet
    | RenewalStopped
    | CountdownReset
)

#: Every event class by its JSON type name.
EVENT_TYPES: dict[str, type[LedgerEvent]] = {
    cls.kind: cls
    for cls in (
        PackagePurchased,
        RedemptionRecorded,
        BalanceRedeemed,
        RedemptionUsed,
        RedemptionCancelled,
        PackageRefunded,
        CreditsAssigned,
        CreditsDeducted,
        ExpiryChanged,
        PackageExpired,
        SubscriptionRenewed,
        PackageDeleted,
        BalanceUsed,
        BalanceCancelled,
        PackagePaused,
        PauseEnded,
        DebtSettled,
        RedemptionForfeited,
        BalanceForfeited,
        CancellationFee,
        CreditsTransferredOut,
        CreditsTransferredIn,
        BeneficiaryChanged,
        RenewalDateSet,
        RenewalStopped,
        CountdownReset,
    )
}


# -- the stored form ------------------------------------------------------------------------------

#: The format version :func:`event_to_dict` writes (the ``"v"`` key).
FORMAT_VERSION: Final = 1
#: How the previous format (version 0: no ``"v"`` key) differs, per event type: keys it wrote that
#: are gone (read and dropped) and keys added since (absent: their default).
_V0_DROPPED: Final[Mapping[str, frozenset[str]]] = {
    "credits_redeemed": frozenset({"source_event_id"}),
}
_V0_ADDED: Final[Mapping[str, frozenset[str]]] = {
    "package_purchased": frozenset({"defined_at"}),
}


def _decoder(field: attrs.Attribute[Any], version: int) -> Any:
    """How *field* is read in format *version*."""
    if version == 0 and CODEC_V0 in field.metadata:
        return field.metadata[CODEC_V0]
    return field.metadata[CODEC][1]


def event_to_dict(event: LedgerEvent) -> dict[str, Any]:
    """The JSON-ready dict of *event*: ``{"type": ..., "v": 1, field: value, ...}``."""
    kind = getattr(type(event), "kind", None)
    if kind not in EVENT_TYPES or type(event) is not EVENT_TYPES[kind]:
        raise InvalidTypeError("event", f"must be a ledger event, got {event!r}")
    out: dict[str, Any] = {"type": kind, "v": FORMAT_VERSION}
    for field in attrs.fields(type(event)):
        value = getattr(event, field.name)
        if OPTION in field.metadata and value == field.default:
            continue  # an option at its default is not written
        out[field.name] = field.metadata[CODEC][0](value)
    return out


def event_from_dict(data: Mapping[str, Any], *, path: str = "event") -> LedgerEvent:
    """The event *data* describes (as :func:`event_to_dict` writes it, in this format or the
    previous one), validated.

    Unknown or missing keys, and values of the wrong shape, raise :class:`LedgerError` whose
    ``.path`` names the place (``event.at``, ``event.components[1].quantity``...).
    """
    if not isinstance(data, Mapping):
        raise LedgerError(path, f"must be an object, got {v.show(data)}")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise LedgerError(f"{path}.type", f"unknown event type {kind!r}")
    assert isinstance(kind, str)
    version = data.get("v", 0)
    if "v" in data and (type(version) is not int or version != FORMAT_VERSION):
        raise LedgerError(f"{path}.v", f"unknown format version {v.show(version)}")
    fields = attrs.fields(cls)
    names = {f.name for f in fields}
    options = {f.name for f in fields if OPTION in f.metadata}
    optional: frozenset[str] = frozenset()
    dropped: frozenset[str] = frozenset()
    if version == 0:
        optional = _V0_ADDED.get(kind, frozenset())
        dropped = _V0_DROPPED.get(kind, frozenset())
    known = (names - optional) | dropped if version == 0 else names
    unknown = sorted((k for k in data if k not in ("type", "v") and k not in known), key=v.show)
    if unknown:
        raise LedgerError(path, f"unknown keys {unknown!r} for {kind!r}")
    missing = sorted(n for n in names - optional - options if n not in data)
    if missing:
        raise LedgerError(path, f"missing keys {missing!r} for {kind!r}")
    kwargs = {
        f.name: _decoder(f, version)(data[f.name], f"{path}.{f.name}")
        for f in fields
        if f.name in data
    }
    try:
        return cls(**kwargs)
    except PunchcardError as err:
        field = getattr(err, "field", None)
        message = getattr(err, "message", str(err))
        raise LedgerError(f"{path}.{field}" if field else path, message) from None


# -- the engine's packages, advanced by a checkout's events ----------------------------------------


def advance_packages(
    packages: Sequence[Package],
    events: Iterable[LedgerEvent],
    tz: dt.tzinfo,
    *,
    mode: ExpiryMode = "end_of_day",
) -> list[Package]:
    """The engine's *packages* as the redemption events of a checkout leave them (the events of
    :attr:`punchcard.Application.events`, in order): invariant 8 of the semantics. Each event
    advances its package by :func:`punchcard.expiry.advance`, the one function that says how a
    package stands after a redemption. (A ledger of package states is replayed by
    :func:`punchcard.lifecycle.replay`.)

    >>> import datetime as dt
    >>> from punchcard import Component, Money
    >>> from punchcard.timeutil import zone
    >>> ny = zone("America/New_York")
    >>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 1),
    ...             components=[Component("x", 3)])
    >>> at = dt.datetime(2026, 2, 1, 9, tzinfo=ny)
    >>> ev = RedemptionRecorded(event_id="e1", package_id="p1", seq=1, at=at, booking="t1",
    ...                         booking_kind="ticket", line_id="l1", item="x", credits=2,
    ...                         amount=Money("20", "USD"), status="used", scheduled_for=at)
    >>> [q.remaining("x") for q in advance_packages([p], [ev], ny)]
    [1]
    """
    state = {p.id: p for p in packages}
    for ev in events:
        package = state.get(ev.package_id)
        if package is None:
            raise InvalidValueError("package_id", f"no package {ev.package_id!r} to advance")
        if isinstance(ev, BalanceRedeemed):
            if package.balance is None or ev.amount > package.balance:
                raise InvalidValueError("amount", f"event {ev.event_id} spends more than is left")
            state[ev.package_id] = advance(
                package, (), balance=package.balance - ev.amount, at=ev.at, tz=tz, mode=mode
            )
            continue
        if not isinstance(ev, RedemptionRecorded):
            raise InvalidTypeError("events", f"must be redemption events, got {ev!r}")
        balances = []
        found = False
        for comp in package.components:
            left = comp.remaining
            if comp.item == ev.item:
                found = True
                if ev.credits > comp.remaining + comp.overdraft:
                    raise InvalidValueError(
                        "credits", f"event {ev.event_id} takes {ev.credits}, {comp.remaining} left"
                    )
                left -= ev.credits
            balances.append(left)
        if not found:
            raise InvalidValueError("item", f"package {ev.package_id!r} has no {ev.item!r}")
        state[ev.package_id] = advance(package, balances, at=ev.at, tz=tz, mode=mode)
    return [state[p.id] for p in packages]
