# The field helpers of _codec return attrs fields (validator + JSON codec): RUF009 cannot tell
# them from a call that builds a shared mutable default.
# ruff: noqa: RUF009
"""The ledger events of a package's life: the single source of truth the host stores.

Every event names its package and carries ``seq``, its position in that package's history (1 for
the purchase, then 2, 3...). Hosts that store events with a unique ``(package_id, seq)`` key get
optimistic concurrency for free: two tills that both append event 5 to the same package cannot
both succeed. ``event_id`` is derived from ``(package_id, seq)`` so that a retried operation
produces the same id. ``at`` is aware, in the package's time zone; ``actor`` is the id of the
member of staff who acted, where one did.

Events never hold one entry per credit: they carry counts.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, TypeAlias

import attrs

from ..events import CreditsRedeemed, event_id
from ..money import Money
from ..timeutil import zone
from ..valuation.revenue import CommissionMode
from . import _codec as c
from .values import ItemCredits, Period, TypeComponent

__all__ = [
    "EVENT_TYPES",
    "BookingKind",
    "CreditsAssigned",
    "CreditsDeducted",
    "ExpiryChanged",
    "LedgerEvent",
    "PackageDeleted",
    "PackageExpired",
    "PackagePurchased",
    "PackageRefunded",
    "RedemptionCancelled",
    "RedemptionRecorded",
    "RedemptionUsed",
    "SubscriptionRenewed",
    "UseReason",
    "ledger_event_id",
]

#: What a redemption is for: an appointment, a class, or an open POS ticket.
BookingKind = Literal["appointment", "class", "ticket"]
BOOKING_KINDS = ("appointment", "class", "ticket")
#: Why held credits became used.
UseReason = Literal["ticket_closed", "completed", "time_passed"]
USE_REASONS = ("ticket_closed", "completed", "time_passed")


def ledger_event_id(package_id: str, seq: int) -> str:
    """The id of event number *seq* of package *package_id* (deterministic).

    >>> ledger_event_id("p1", 1) == ledger_event_id("p1", 1) != ledger_event_id("p1", 2)
    True
    """
    return event_id("ledger", package_id, seq)


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


@attrs.frozen(kw_only=True)
class PackagePurchased(_Event):
    """A package was sold: every component of its type, with a snapshot of the type's terms."""

    kind: ClassVar[str] = "package_purchased"
    owner: str = c.ident()
    type_id: str = c.ident()
    name: str = c.ident()
    #: The IANA zone of the selling location: every local date of this package is read in it.
    timezone: str = c.ident()
    components: tuple[TypeComponent, ...] = c.components()
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
    subscription: Period | None = c.period()
    #: Where it was sold: at the till (``pos``) or in the customer portal (``portal``).
    channel: Literal["pos", "portal"] = c.choice(("pos", "portal"), "pos")
    taxed: bool = c.flag()
    account_code: str | None = c.opt_ident()
    commission_basis: CommissionMode = c.choice(("retail", "package"), "retail")

    def __attrs_post_init__(self) -> None:
        zone(self.timezone)  # an unknown zone is refused when the event is made


@attrs.frozen(kw_only=True)
class RedemptionRecorded(_Event):
    """Credits of one component were redeemed for one line of a booking: *held* for a future
    appointment or an open ticket, or *used* at once (a ticket closed at checkout).

    It mirrors the engine's :class:`punchcard.CreditsRedeemed` (``source_event_id``) and adds the
    booking reference and the status.
    """

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
    #: The id of the engine's :class:`punchcard.CreditsRedeemed` event.
    source_event_id: str = c.ident()

    @classmethod
    def from_engine(
        cls,
        ev: CreditsRedeemed,
        *,
        seq: int,
        booking: str,
        booking_kind: BookingKind,
        status: Literal["held", "used"],
        scheduled_for: dt.datetime,
        at: dt.datetime,
        actor: str | None,
    ) -> RedemptionRecorded:
        """The ledger event for the engine's *ev*."""
        assert ev.item is not None, "lifecycle packages hold credits"
        return cls(
            event_id=ledger_event_id(ev.package_id, seq),
            package_id=ev.package_id,
            seq=seq,
            at=at,
            actor=actor,
            booking=booking,
            booking_kind=booking_kind,
            line_id=ev.line_id,
            item=ev.item,
            credits=ev.credits,
            amount=ev.amount,
            status=status,
            scheduled_for=scheduled_for,
            cart_id=ev.cart_id,
            source_event_id=ev.event_id,
        )


@attrs.frozen(kw_only=True)
class RedemptionUsed(_Event):
    """Held credits became used: the ticket was saved/closed, the appointment or class was
    completed, or its scheduled time passed."""

    kind: ClassVar[str] = "redemption_used"
    #: The ``event_id`` of the :class:`RedemptionRecorded` concerned.
    redemption_id: str = c.ident()
    booking: str = c.ident()
    line_id: str = c.ident()
    item: str = c.ident()
    credits: int = c.whole(1)
    reason: UseReason = c.choice(USE_REASONS)


@attrs.frozen(kw_only=True)
class RedemptionCancelled(_Event):
    """A booking was cancelled: the credits of one redemption came back, once.

    ``expired`` of them expired at once (the package had expired: see the lifecycle policy);
    the rest went back to the credits left.
    """

    kind: ClassVar[str] = "redemption_cancelled"
    redemption_id: str = c.ident()
    booking: str = c.ident()
    line_id: str = c.ident()
    item: str = c.ident()
    credits: int = c.whole(1)
    #: Whether the credits were ``held`` or already ``used``.
    was: Literal["held", "used"] = c.choice(("held", "used"))
    #: How many of them expired at once instead of coming back.
    expired: int = c.whole(0)


@attrs.frozen(kw_only=True)
class PackageRefunded(_Event):
    """The package was refunded: its credits left are gone and *amount* was paid back."""

    kind: ClassVar[str] = "package_refunded"
    amount: Money = c.money()
    credits: tuple[ItemCredits, ...] = c.credits()


@attrs.frozen(kw_only=True)
class CreditsAssigned(_Event):
    """Staff added credits without payment."""

    kind: ClassVar[str] = "credits_assigned"
    item: str = c.ident()
    credits: int = c.whole(1)
    note: str = c.text()


@attrs.frozen(kw_only=True)
class CreditsDeducted(_Event):
    """Staff removed credits by hand."""

    kind: ClassVar[str] = "credits_deducted"
    item: str = c.ident()
    credits: int = c.whole(1)
    note: str = c.text()


@attrs.frozen(kw_only=True)
class ExpiryChanged(_Event):
    """The expiry date was edited."""

    kind: ClassVar[str] = "expiry_changed"
    #: The expiry date before (``None``: none yet).
    old: dt.date | None = c.opt_date()
    new: dt.date = c.date()


@attrs.frozen(kw_only=True)
class PackageExpired(_Event):
    """The package reached the end of its expiry date: its credits left expired."""

    kind: ClassVar[str] = "package_expired"
    expires_on: dt.date = c.date()
    credits: tuple[ItemCredits, ...] = c.credits()


@attrs.frozen(kw_only=True)
class SubscriptionRenewed(_Event):
    """A subscription period ended and the next began, granting the period's credits."""

    kind: ClassVar[str] = "subscription_renewed"
    #: The number of the period that begins (the purchase begins period 1).
    period: int = c.whole(2)
    #: The last day of the period that begins.
    ends_on: dt.date = c.date()
    granted: tuple[ItemCredits, ...] = c.credits()
    #: Credits left at the end of the previous period that were forfeited (the default policy).
    forfeited: tuple[ItemCredits, ...] = c.credits()
    #: What the renewal charged.
    amount: Money = c.money()


@attrs.frozen(kw_only=True)
class PackageDeleted(_Event):
    """The package was deleted (allowed only while no credit was used or removed by hand)."""

    kind: ClassVar[str] = "package_deleted"


LedgerEvent: TypeAlias = (
    PackagePurchased
    | RedemptionRecorded
    | RedemptionUsed
    | RedemptionCancelled
    | PackageRefunded
    | CreditsAssigned
    | CreditsDeducted
    | ExpiryChanged
    | PackageExpired
    | SubscriptionRenewed
    | PackageDeleted
)

#: Every event class by its JSON type name.
EVENT_TYPES: dict[str, type[LedgerEvent]] = {
    cls.kind: cls
    for cls in (
        PackagePurchased,
        RedemptionRecorded,
        RedemptionUsed,
        RedemptionCancelled,
        PackageRefunded,
        CreditsAssigned,
        CreditsDeducted,
        ExpiryChanged,
        PackageExpired,
        SubscriptionRenewed,
        PackageDeleted,
    )
}
