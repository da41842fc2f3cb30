"""The operations of a package's life, each a pure function over the ledger's state.

Each operation checks its preconditions and either raises a typed error that says what is wrong
(:class:`~punchcard.lifecycle.errors.OperationRefused` with a ``.code``, or
:class:`~punchcard.lifecycle.errors.PermissionDenied` naming the permission) and changes
nothing, or returns an :class:`~punchcard.lifecycle.Outcome`: the new events for the host to
append to its ledger and the state they lead to. Nothing reads the clock: the caller passes the
time of the operation, ``as_of``. A naive time is local time in the zone of the package concerned
(for a booking: in the zone of the cart's location).

Every operation first sees the world as it is at ``as_of``: the packages it reads are caught up
(:func:`~punchcard.lifecycle.sweeps.catch_up_events`) and those events come first in its outcome.
Every event is recorded at an instant no earlier than the previous event of its package (code
``out_of_order`` otherwise), so that :func:`~punchcard.lifecycle.state_as_of` is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import attrs

from ..engine import apply
from ..errors import InvalidTypeError, InvalidValueError
from ..events import (
    BOOKING_KINDS,
    USE_REASONS,
    BookingKind,
    CountdownReset,
    CreditsAssigned,
    CreditsDeducted,
    DebtSettled,
    ExpiryChanged,
    LedgerEvent,
    PackageDeleted,
    PackagePaused,
    PackagePurchased,
    PackageRefunded,
    PauseEnded,
    PenaltyReason,
    UseReason,
    ledger_event_id,
    redemption_event,
)
from ..expiry import package_times
from ..models import Cart, Pause
from ..money import Money
from ..results import Application
from ..timeutil import local_date, zone
from ._instants import before, local
from .booking_rules import engine_terms
from .business import Business, business_of, zone_for
from .catalogue import PackageType
from .errors import OperationRefused, RefusalCode
from .outcome import (
    CancelOutcome,
    Outcome,
    RedemptionOutcome,
    Sequencer,
    TicketLine,
    TicketOutcome,
    actor_id,
    cancelled,
    checked_state,
    fee_charged,
    fields_of,
    finish,
    forfeited,
    in_order,
    used,
)
from .permissions import Actor, Operation
from .reports import refund_breakdown
from .state import LedgerState, PackageState, RedemptionRecord, credits_of, fold
from .sweeps import caught_up
from .terms import LateCancel

__all__ = [
    "assign",
    "cancel",
    "checkout",
    "close_ticket",
    "deduct",
    "delete",
    "edit_expiry",
    "hold",
    "no_show",
    "pause",
    "purchase",
    "refund",
    "unpause",
    "use",
]

_DEFAULT_BUSINESS = Business()


def _open(package: PackageState, when: dt.datetime, business: Business, what: str) -> None:
    """Refuse unless *package* is active and not expired at *when*."""
    if package.status == "deleted":
        raise OperationRefused(
            "package_deleted", f"package {package.id!r} was deleted", package_id=package.id
        )
    if package.status == "refunded":
        raise OperationRefused(
            "package_refunded", f"package {package.id!r} was refunded", package_id=package.id
        )
    if package.expired_at(when, business.expires_at, business.expiry_mode):
        raise OperationRefused(
            "package_expired",
            f"package {package.id!r} expired on {package.expires_on}; {what}",
            package_id=package.id,
        )


def _package_at(
    state: LedgerState, package_id: str, as_of: dt.datetime, business: Business
) -> tuple[list[LedgerEvent], LedgerState, PackageState, dt.datetime]:
    """For an operation on one package: the package caught up at *as_of* (catch-up events,
    state after them, the package, *as_of* in its zone)."""
    state = checked_state(state)
    package = state.package(package_id)
    when = local(as_of, package.tz, "as_of")
    events, current = caught_up(state, [package], when, business)
    return events, current, current.package(package_id), when


def _held(package: PackageState) -> str:
    """What *package* holds for bookings, in words: its credits, or its money (X9)."""
    if package.balance is not None and not package.total_held:
        held = package.balance.held
        return f"{held} {held.currency} of its balance"
    return f"{package.total_held} credits"


def _credits(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError("credits", f"must be a whole number >= 1, got {value!r}")
    if value < 1:
        raise InvalidValueError("credits", f"must be a whole number >= 1, got {value!r}")
    return value


# -- purchase -------------------------------------------------------------------------------------


def purchase(
    state: LedgerState,
    ptype: PackageType,
    *,
    package_id: str,
    owner: str,
    as_of: dt.datetime,
    timezone: str | None = None,
    beneficiary: str | None = None,
    channel: Literal["pos", "portal"] = "pos",
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
    valid_from: dt.datetime | None = None,
) -> Outcome:
    """Sell a package of type *ptype* to *owner*: every component of the type, never a part.

    The sale records the type's terms, its market options included (docs/options.md). A
    package sold with *valid_from* (a gift, a pre-sale; naive = local time) pays nothing before
    it, and its countdown starts then (X6). The first credits of a type with an overdraft (X8)
    settle the owner's debt on earlier packages of the same type (and beneficiary) first:
    :class:`~punchcard.lifecycle.DebtSettled`, on both packages.

    *timezone* is the IANA zone of the selling location (default: the business's zone of the
    type's location); every local date of the package (expiry, renewal) is read in it. Refused
    when the id is taken (``duplicate_package``), the type is inactive (``inactive_type``), it
    is bought in the portal but not sold online (``not_online``), the owner ever bought one of a
    once-per-owner type, whatever became of it (``once_per_owner``: *This package can only be
    purchased once per client.*), or a beneficiary is missing for an individual type
    (``beneficiary_required``) or given for a shared one (``beneficiary_not_allowed``).
    """
    state = checked_state(state)
    business = business_of(business)
    if not isinstance(ptype, PackageType):
        raise InvalidTypeError("ptype", f"must be a PackageType, got {ptype!r}")
    if timezone is None:
        timezone = business.zone_of(ptype.location)
        if timezone is None:
            raise InvalidValueError(
                "timezone",
                f"no zone is known for location {ptype.location!r}: pass timezone= or give "
                "the business a timezone (or zones)",
            )
    if not isinstance(timezone, str):
        raise InvalidTypeError("timezone", f"must be an IANA zone name, got {timezone!r}")
    if channel not in ("pos", "portal"):
        raise InvalidValueError("channel", f"must be 'pos' or 'portal', got {channel!r}")
    business.permissions.check(actor, "purchase")
    tz = zone(timezone)
    at = local(as_of, tz, "as_of")
    start = None if valid_from is None else local(valid_from, tz, "valid_from")
    if package_id in state:
        raise OperationRefused(
            "duplicate_package",
            f"there is already a package {package_id!r}",
            package_id=package_id,
        )
    if not ptype.active:
        raise OperationRefused("inactive_type", f"package type {ptype.id!r} is not active")
    if channel == "portal" and not ptype.purchasable_online:
        raise OperationRefused(
            "not_online", f"package type {ptype.id!r} cannot be purchased online"
        )
    if ptype.once_per_owner and any(p.type_id == ptype.id for p in state.owned_by(owner)):
        raise OperationRefused(
            "once_per_owner", "This package can only be purchased once per client."
        )
    if ptype.individual and beneficiary is None:
        raise OperationRefused(
            "beneficiary_required",
            f"package type {ptype.id!r} is sold for one pet / family member: name the beneficiary",
        )
    if not ptype.individual and beneficiary is not None:
        raise OperationRefused(
            "beneficiary_not_allowed",
            f"package type {ptype.id!r} is shared by the whole account; got beneficiary "
            f"{beneficiary!r}",
        )
    event = PackagePurchased(
        event_id=ledger_event_id(package_id, 1),
        package_id=package_id,
        seq=1,
        at=at,
        actor=actor_id(actor),
        owner=owner,
        type_id=ptype.id,
        name=ptype.name,
        timezone=timezone,
        components=ptype.components,
        price=ptype.price,
        location=ptype.location,
        beneficiary=beneficiary,
        expires_on=(
            None if ptype.subscription is None else ptype.subscription.last_day(at.date(), 1)
        ),
        days_to_expiration=ptype.days_to_expiration,
        expiry_starts=ptype.expiry_starts,
        pricing_rules=ptype.pricing_rules,
        reminder_days=ptype.reminder_days,
        low_balance_threshold=ptype.low_balance_threshold,
        subscription=ptype.subscription,
        channel=channel,
        taxed=ptype.taxed,
        account_code=ptype.account_code,
        commission_basis=ptype.commission_basis,
        defined_at=ptype.defined_at,
        priority=ptype.priority,
        valid_from=start,
        valid_for=ptype.valid_for,
        value=ptype.value,
        items=ptype.items,
    )
    if ptype.subscription is None and ptype.expiry_starts == "sale":
        # a countdown from the sale (or from valid_from): its date is fixed now, as the engine
        # computes it (punchcard.expiry.package_times, the one function for a package's expiry)
        sold = fold(None, [event]).package(package_id).as_package()
        expires_on = package_times(sold, tz, business.expires_at).expires_on
        if expires_on is not None:
            event = attrs.evolve(event, expires_on=expires_on)
    catch_up, current, settled = _settle_debts(state, event, business)
    return finish(state, catch_up, current, [event, *settled])


# -- redemptions: hold, checkout, close a ticket ----------------------------------------------------


class _Booking:
    """What hold, checkout and close_ticket share: the inputs checked, the owner's packages
    caught up at the booking time, and which of them the engine may use."""

    def __init__(
        self,
        state: LedgerState,
        cart: Cart,
        booking: str,
        booking_kind: BookingKind,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo | None,
        actor: Actor | None,
        business: Business,
        operation: Operation,
    ) -> None:
        self.state = checked_state(state)
        if not isinstance(cart, Cart):
            raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
        if not isinstance(booking, str) or not booking:
            raise InvalidValueError("booking", f"must be a non-empty string, got {booking!r}")
        if booking_kind not in BOOKING_KINDS:
            raise InvalidValueError(
                "booking_kind", f"must be one of {list(BOOKING_KINDS)!r}, got {booking_kind!r}"
            )
        self.business = business = business_of(business)
        business.permissions.check(actor, operation)
        self.cart = cart
        self.booking = booking
        self.booking_kind = booking_kind
        self.actor = actor_id(actor)
        self.tz = zone_for(business, cart.location, timezone)
        self.at = local(as_of, self.tz, "as_of")
        self.catch_up, self.current = caught_up(
            self.state, self.state.owned_by(cart.owner), self.at, business
        )
        self.owned = self.current.owned_by(cart.owner)
        self.sequencer = Sequencer()

    def offered(self) -> tuple[tuple[str, ...], list[PackageState]]:
        """(the active packages the franchise bars at the cart's location, the packages the
        engine may use: active, bought by the booking time, not barred)."""
        franchise = self.business.franchise
        location = self.cart.location
        settings = self.business.settings
        active = [p for p in self.owned if p.status == "active"]
        barred = tuple(
            p.id
            for p in active
            if franchise is not None and not franchise.may_redeem(p, location, settings)
        )
        live = [p for p in active if not before(self.at, p.purchased_at) and p.id not in barred]
        return barred, live

    def apply(self, cart: Cart, when: dt.datetime) -> tuple[tuple[str, ...], Application]:
        barred, live = self.offered()
        business = self.business
        packages, policy = engine_terms(business, live, self.at, when)
        application = apply(
            cart,
            packages,
            as_of=when,
            timezone=self.tz,
            settings=business.settings,
            policy=policy,
            rates=business.rates,
        )
        return barred, application

    def recorded(
        self, application: Application, status: Literal["held", "used"], when: dt.datetime
    ) -> list[LedgerEvent]:
        """One :class:`RedemptionRecorded` per redemption of *application* (a
        :class:`BalanceRedeemed` for money of a stored-value package, X9)."""
        events: list[LedgerEvent] = []
        for red in application.redemptions:
            package = self.current.package(red.package_id)
            in_order(package, self.at)
            common: dict[str, Any] = {
                **self.sequencer.fields(package, self.at, self.actor),
                "booking": self.booking,
                "booking_kind": self.booking_kind,
                "status": status,
                "scheduled_for": when,
                "cart_id": application.cart_id,
            }
            events.append(
                redemption_event(red.line_id, red.amount, red.item, red.credits, **common)
            )
        return events


def _redeem(
    booking: _Booking, status: Literal["held", "used"], scheduled_for: dt.datetime | None
) -> RedemptionOutcome:
    when = (
        booking.at if scheduled_for is None else local(scheduled_for, booking.tz, "scheduled_for")
    )
    line_ids = {line.id for line in booking.cart.lines}
    for p in booking.owned:
        for r in p.redemptions_of(booking.booking):
            if r.open and r.line_id in line_ids:
                raise OperationRefused(
                    "already_redeemed",
                    f"line {r.line_id!r} of booking {booking.booking!r} already has credits "
                    f"{r.status} from package {p.id!r}; cancel it first",
                    package_id=p.id,
                )
    barred, application = booking.apply(booking.cart, when)
    own = booking.recorded(application, status, when)
    outcome = finish(booking.state, booking.catch_up, booking.current, own)
    return RedemptionOutcome(**fields_of(outcome), application=application, barred=barred)


def hold(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    as_of: dt.datetime,
    scheduled_for: dt.datetime | None = None,
    booking_kind: BookingKind = "appointment",
    timezone: str | dt.tzinfo | None = None,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> RedemptionOutcome:
    """Hold credits for the lines of *cart* booked as *booking* (a future appointment, a class,
    an open ticket): the engine decides which credits pay, and they are recorded as *held*.

    *as_of* is when the booking is made, *scheduled_for* when the service takes place (default:
    *as_of*); eligibility (expiry included) is judged at *scheduled_for*, as the packages stand
    at *as_of*. Times are read in *timezone* (default: the business's zone of the cart's
    location). Only the cart owner's active packages bought by *as_of*, and that the franchise
    lets this location redeem, are considered. A line of the booking that already holds credits
    is refused (``already_redeemed``): a retried booking never takes credits twice. A booking
    that no credit pays for returns no events of its own (see ``outcome.application`` for why).
    """
    return _redeem(
        _Booking(state, cart, booking, booking_kind, as_of, timezone, actor, business, "hold"),
        "held",
        scheduled_for,
    )


def checkout(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    as_of: dt.datetime,
    booking_kind: BookingKind = "ticket",
    timezone: str | dt.tzinfo | None = None,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> RedemptionOutcome:
    """Redeem credits for *cart* and record them as *used* at once (a ticket saved or closed at
    the till). Otherwise as :func:`hold`, with the service at *as_of*."""
    return _redeem(
        _Booking(state, cart, booking, booking_kind, as_of, timezone, actor, business, "checkout"),
        "used",
        None,
    )


def close_ticket(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    as_of: dt.datetime,
    timezone: str | dt.tzinfo | None = None,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> TicketOutcome:
    """Close the ticket *booking* whose lines are *cart*, in one operation.

    The lines that hold credits of the booking use them (reason ``ticket_closed``; holds whose
    time had passed are used already); what no hold covers (new lines, and booked units beyond
    the credits held) is offered to the owner's credits by the engine, and what it redeems is
    recorded as used. The outcome says, per line, what the holds and the new credits covered,
    what is due, and why packages did not pay more. A line holding more credits than its units
    is refused (``held_exceeds_units``: cancel the extra holds first). Units already covered by
    the booking's credits are never offered again, so a second close redeems nothing more for
    them.
    """
    ticket = _Booking(
        state, cart, booking, "ticket", as_of, timezone, actor, business, "close_ticket"
    )
    own: list[LedgerEvent] = []
    holds: dict[str, tuple[RedemptionRecord, ...]] = {}
    rest = []
    for line in cart.lines:
        found = [(p, r) for p in ticket.owned for r in p.redemptions_of(booking, line.id) if r.open]
        held = sum(r.credits for _p, r in found)
        if held > line.units:
            raise OperationRefused(
                "held_exceeds_units",
                f"line {line.id!r} of ticket {booking!r} holds {held} credits for {line.units} "
                "units; cancel the holds it no longer needs first",
                package_id=found[0][0].id,
            )
        for package, record in found:
            if record.status == "held":
                in_order(package, ticket.at)
                fields = ticket.sequencer.fields(package, ticket.at, ticket.actor)
                own.append(used(record, fields, "ticket_closed"))
        holds[line.id] = tuple(attrs.evolve(r, status="used") for _p, r in found)
        # a line stored value paid for at the booking (X9) is not offered again: money covers
        # an amount, not units (what it did not cover is due)
        if held < line.units and all(r.item is not None for _p, r in found):
            rest.append(attrs.evolve(line, units=line.units - held))
    new_part = Cart(cart.owner, cart.location, cart.currency, rest, id=cart.id)
    _barred, application = ticket.apply(new_part, ticket.at)
    own += ticket.recorded(application, "used", ticket.at)
    zero = Money.zero(cart.currency)
    by_line = {r.line_id: r for r in application.lines}
    lines: list[TicketLine] = []
    for line in cart.lines:
        engine = by_line.get(line.id)
        covered = sum((r.amount for r in holds[line.id]), zero)
        if engine is not None:
            covered = covered + engine.covered
        lines.append(
            TicketLine(
                line_id=line.id,
                total=line.total,
                covered=covered,
                due=line.total - covered,
                holds=holds[line.id],
                redemptions=tuple(r for r in application.redemptions if r.line_id == line.id),
                rejections=tuple(r for r in application.rejections if r.line_id == line.id),
            )
        )
    covered = sum((t.covered for t in lines), zero)
    outcome = finish(ticket.state, ticket.catch_up, ticket.current, own)
    return TicketOutcome(
        **fields_of(outcome),
        lines=tuple(lines),
        total=cart.total,
        covered=covered,
        due=cart.total - covered,
        application=application,
    )


# -- use, cancel ----------------------------------------------------------------------------------


def _found(
    state: LedgerState, booking: str, line_id: str | None, owner: str | None
) -> list[tuple[PackageState, RedemptionRecord]]:
    """The redemptions of *booking* (its line *line_id*), of *owner*'s packages. Without an
    owner, the booking's redemptions must all be one owner's: two families may use the same
    booking id, and one's cancel must never restore the other's credits."""
    packages = state.packages if owner is None else state.owned_by(owner)
    found = [(p, r) for p in packages for r in p.redemptions_of(booking, line_id)]
    if owner is None and len(owners := {p.owner for p, _r in found}) > 1:
        raise InvalidValueError(
            "owner",
            f"booking {booking!r} has redemptions of {len(owners)} owners "
            f"({', '.join(sorted(map(repr, owners)))}): name the owner",
        )
    return found


def _booking_missing(
    found: list[tuple[PackageState, RedemptionRecord]], booking: str, want: str
) -> OperationRefused:
    if not found:
        return OperationRefused("unknown_booking", f"no credits were redeemed for {booking!r}")
    statuses = {r.status for _p, r in found}
    if want == "held" and "used" in statuses:
        return OperationRefused(
            "already_used",
            f"the credits of {booking!r} are already used",
            package_id=found[0][0].id,
        )
    return OperationRefused(
        "already_cancelled",
        f"booking {booking!r} was already cancelled; nothing to restore",
        package_id=found[0][0].id,
    )


def _touched(found: list[tuple[PackageState, RedemptionRecord]]) -> list[PackageState]:
    """The packages of *found*, each once, in order."""
    return list({p.id: p for p, _r in found}.values())


def use(
    state: LedgerState,
    booking: str,
    *,
    as_of: dt.datetime,
    reason: UseReason = "completed",
    line_id: str | None = None,
    owner: str | None = None,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Mark the held credits of *booking* (of its line *line_id* only, and of *owner*'s packages
    only, if given) as used: the ticket was saved/closed (``ticket_closed``), the appointment or
    class was completed (``completed``), or its time passed (``time_passed``).

    Credits whose scheduled time had passed by *as_of* are already used (the catch-up records
    them, reason ``time_passed``). Refused when nothing was redeemed for the booking
    (``unknown_booking``), when its credits were already used (``already_used``) or when it was
    cancelled (``already_cancelled``).
    """
    state = checked_state(state)
    business = business_of(business)
    if reason not in USE_REASONS:
        raise InvalidValueError("reason", f"must be one of {list(USE_REASONS)!r}, got {reason!r}")
    business.permissions.check(actor, "use")
    who = actor_id(actor)
    found = _found(state, booking, line_id, owner)
    held = [(p, r) for p, r in found if r.status == "held"]
    if not held:
        raise _booking_missing(found, booking, "held")
    catch_up, current = caught_up(state, _touched(held), as_of, business)
    sequencer = Sequencer()
    own: list[LedgerEvent] = []
    for package, record in held:
        package = current.package(package.id)
        if package.redemption(record.id).status != "held":
            continue  # its time had passed: the catch-up used it
        when = local(as_of, package.tz, "as_of")
        in_order(package, when)
        own.append(used(record, sequencer.fields(package, when, who), reason))
    return finish(state, catch_up, current, own)


def cancel(
    state: LedgerState,
    booking: str,
    *,
    as_of: dt.datetime,
    line_id: str | None = None,
    owner: str | None = None,
    actor: Actor | None = None,
    waive: bool = False,
    business: Business = _DEFAULT_BUSINESS,
) -> CancelOutcome:
    """Cancel *booking* (or only its line *line_id*, and only *owner*'s packages, if given):
    restore exactly the credits its redemptions took, held or used, once.

    A second cancellation is refused (``already_cancelled``), never a second restore; a booking
    nothing was redeemed for is refused (``unknown_booking``). Credits of a refunded package are
    not restored (``package_refunded``). When the package has expired by *as_of*, the
    business's ``cancel_after_expiry`` decides: ``expire`` (default) restores the credits and
    they expire at once, ``refuse`` refuses (``package_expired``). Cancelling credits already
    used needs what the business's permission policy asks for ``cancel_used``.

    With the business's late-cancel window (``Business.late_cancel``), cancelling an
    appointment or a class less than the window before its start is late: its credits are
    forfeited, or restored for a fee (``outcome.forfeited``, ``outcome.fee``). *waive* waives
    that penalty (it needs what the permission policy asks for ``waive``). With
    ``Business.countdown_reset``, a first-use countdown whose every use is cancelled early
    starts again at the next use (a :class:`~punchcard.lifecycle.CountdownReset` is recorded).
    """
    return _call_off(state, booking, as_of, line_id, owner, actor, waive, business, False)


def no_show(
    state: LedgerState,
    booking: str,
    *,
    as_of: dt.datetime,
    line_id: str | None = None,
    owner: str | None = None,
    actor: Actor | None = None,
    waive: bool = False,
    business: Business = _DEFAULT_BUSINESS,
) -> CancelOutcome:
    """Record that the customer did not show up for *booking* (or its line *line_id*): the
    business's no-show rule (``Business.late_cancel.no_show``) decides what happens to its
    credits: ``restore`` (default: as :func:`cancel`), ``forfeit`` (the business keeps them) or
    ``fee`` (restored, and ``outcome.fee`` is charged). *waive* waives the penalty (it needs what
    the permission policy asks for ``waive``).

    Refused before the booking's scheduled time (``not_started``), and as :func:`cancel` is.

    .. versionadded:: 0.2
    """
    return _call_off(state, booking, as_of, line_id, owner, actor, waive, business, True)


def _call_off(
    state: LedgerState,
    booking: str,
    as_of: dt.datetime,
    line_id: str | None,
    owner: str | None,
    actor: Actor | None,
    waive: bool,
    business: Business,
    missed: bool,
) -> CancelOutcome:
    """:func:`cancel` (*missed* false) or :func:`no_show` (*missed* true)."""
    state = checked_state(state)
    business = business_of(business)
    business.permissions.check(actor, "no_show" if missed else "cancel")
    if not isinstance(waive, bool):
        raise InvalidTypeError("waive", f"must be True or False, got {waive!r}")
    who = actor_id(actor)
    found = _found(state, booking, line_id, owner)
    live = [(p, r) for p, r in found if r.open]
    if not live:
        raise _booking_missing(found, booking, "open")
    catch_up, current = caught_up(state, _touched(live), as_of, business)
    terms = business.late_cancel
    sequencer = Sequencer()
    own: list[LedgerEvent] = []
    forfeits = 0
    fees: list[Money] = []
    charged: set[str] = set()
    waived = False
    restored: dict[str, PackageState] = {}
    for package, record in live:
        package = current.package(package.id)
        record = package.redemption(record.id)
        when = local(as_of, package.tz, "as_of")
        if missed and before(when, record.scheduled_for):
            raise OperationRefused(
                "not_started",
                f"booking {booking!r} starts at {record.scheduled_for.isoformat()}; a no-show is "
                "recorded once its time has passed",
                package_id=package.id,
            )
        if package.status in ("refunded", "deleted"):
            raise OperationRefused(
                "package_refunded" if package.status == "refunded" else "package_deleted",
                f"package {package.id!r} was {package.status}; its credits cannot be restored",
                package_id=package.id,
            )
        reason = _penalty_reason(record, when, terms, missed)
        penalty = "restore" if reason is None else terms.penalty(reason)
        if penalty != "restore" and waive:
            business.permissions.check(actor, "waive")
            penalty, waived = "restore", True
        in_order(package, when)
        if penalty == "forfeit":
            assert reason is not None
            own.append(forfeited(record, sequencer.fields(package, when, who), reason))
            forfeits += record.credits
            continue
        if record.status == "used":
            business.permissions.check_cancel_used(actor, record.scheduled_for, when)
        expired = package.expired_at(when, business.expires_at, business.expiry_mode)
        if expired and business.cancel_after_expiry == "refuse":
            raise OperationRefused(
                "package_expired",
                f"package {package.id!r} expired on {package.expires_on}; its credits cannot "
                "be restored (cancel_after_expiry='refuse')",
                package_id=package.id,
            )
        fields = sequencer.fields(package, when, who)
        own.append(cancelled(record, fields, _lapsing_at_cancel(package, record) if expired else 0))
        if penalty == "fee" and record.line_id not in charged:
            assert reason is not None
            assert terms.fee is not None
            charged.add(record.line_id)
            fields = sequencer.fields(package, when, who)
            own.append(fee_charged(record, fields, reason, terms.fee))
            fees.append(terms.fee)
        if record.status == "held" and not expired:
            restored[package.id] = package
    if business.countdown_reset and restored:
        own += _countdown_resets(current, own, restored, as_of, sequencer, who)
    outcome = finish(state, catch_up, current, own)
    return CancelOutcome(
        **fields_of(outcome),
        forfeited=forfeits,
        fee=sum(fees[1:], fees[0]) if fees else None,
        waived=waived,
    )


def _penalty_reason(
    record: RedemptionRecord, when: dt.datetime, terms: LateCancel, missed: bool
) -> PenaltyReason | None:
    """Why calling off *record* at *when* is penalised, if it is: a no-show, or a late
    cancellation (an appointment or a class still held, less than the window before its
    start)."""
    if missed:
        return "no_show"
    if (
        record.status == "held"
        and record.booking_kind != "ticket"
        and terms.is_late(record.scheduled_for, when)
    ):
        return "late_cancel"
    return None


def _countdown_resets(
    current: LedgerState,
    own: list[LedgerEvent],
    restored: dict[str, PackageState],
    as_of: dt.datetime,
    sequencer: Sequencer,
    who: str | None,
) -> list[LedgerEvent]:
    """The :class:`CountdownReset` of each package of *restored* (packages whose held credits
    were given back by *own*) whose first-use countdown no use is left to justify: nothing
    held, used or forfeited since it started, and its expiry date the countdown's."""
    after = fold(current, own)
    events: list[LedgerEvent] = []
    for package_id, before_cancel in restored.items():
        package = after.package(package_id)
        first = package.first_used_at
        days = package.days_to_expiration
        if (
            first is None
            or days is None
            or package.expiry_starts != "first_use"
            or package.subscription is not None
            or package.countdown_used
            or package.total_held
            or package.expires_on != local_date(first, package.tz) + dt.timedelta(days=days)
        ):
            continue
        when = local(as_of, package.tz, "as_of")
        events.append(
            CountdownReset(
                **sequencer.fields(before_cancel, when, who),
                first_used_at=first,
                expires_on=package.expires_on,
            )
        )
    return events


def _lapsing_at_cancel(package: PackageState, record: RedemptionRecord) -> int | Money:
    """What of *record*, cancelled once *package* has expired, lapses at once: all of it, but
    the credits that fill the component's overdraft first (X8: a cancelled service leaves no
    debt)."""
    if record.item is None:
        return record.amount
    debt = max(0, -package.component(record.item).remaining)
    return record.credits - min(record.credits, debt)


# -- refund, delete -------------------------------------------------------------------------------


def refund(
    state: LedgerState,
    package_id: str,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Refund a package: its credits left are gone and :func:`refund_quote` is paid back (at
    the business's ``refund_used_at`` basis: see :func:`refund_breakdown`).

    Needs ``deduct_refund_credits`` (by default). Allowed while unused; once a credit was used
    (held credits whose time has passed are used) only with the ``refund_after_use`` setting
    (code ``used``). Refused while credits are held for a booking (``credits_held``: cancel or
    use it first), twice (``already_refunded``), on a deleted package (``package_deleted``) and
    on an expired one (``package_expired``).
    """
    business_of(business).permissions.check(actor, "refund")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    if package.status == "refunded":
        raise OperationRefused(
            "already_refunded",
            f"package {package_id!r} was already refunded",
            package_id=package_id,
        )
    _open(package, when, business, "its credits have lapsed and cannot be refunded")
    if package.holds_anything:
        raise OperationRefused(
            "credits_held",
            f"package {package_id!r} has {_held(package)} held for bookings; "
            "cancel or use them first",
            package_id=package_id,
        )
    if package.in_debt:
        raise OperationRefused(
            "in_debt",
            f"package {package_id!r} has credits below zero (an overdraft): the next purchase "
            "of its type settles the debt first",
            package_id=package_id,
        )
    if (package.was_used or package.total_forfeited) and not business.settings.refund_after_use:
        raise OperationRefused(
            "used",
            f"package {package_id!r} has been used; refunds after use need the "
            "refund_after_use setting",
            package_id=package_id,
        )
    in_order(package, when)
    event = PackageRefunded(
        **Sequencer().fields(package, when, actor_id(actor)),
        amount=refund_breakdown(package, business=business).amount,
        credits=credits_of(package, "remaining"),
        balance=None if package.balance is None else package.balance.remaining,
    )
    return finish(checked_state(state), catch_up, current, [event])


def delete(
    state: LedgerState,
    package_id: str,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Delete a package sold by mistake. Refused once any credit was used (``used``: held
    credits whose time has passed are used) or is held (``credits_held``), or was removed by
    hand (``credits_removed``), and twice (``already_deleted``). A cancelled redemption does
    not count as a use."""
    business_of(business).permissions.check(actor, "delete")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    if package.status == "deleted":
        raise OperationRefused(
            "already_deleted",
            f"package {package_id!r} was already deleted",
            package_id=package_id,
        )
    if package.holds_anything:
        raise OperationRefused(
            "credits_held",
            f"package {package_id!r} cannot be deleted: {_held(package)} "
            f"{'are' if package.total_held else 'is'} held for bookings",
            package_id=package_id,
        )
    if package.was_used or package.total_forfeited:
        raise OperationRefused(
            "used",
            f"package {package_id!r} cannot be deleted: credits of it were used",
            package_id=package_id,
        )
    if package.total_deducted or any(c.transferred for c in package.components):
        raise OperationRefused(
            "credits_removed",
            f"package {package_id!r} cannot be deleted: credits were removed from it by hand",
            package_id=package_id,
        )
    in_order(package, when)
    event = PackageDeleted(**Sequencer().fields(package, when, actor_id(actor)))
    return finish(checked_state(state), catch_up, current, [event])


# -- manual adjustments ---------------------------------------------------------------------------


def assign(
    state: LedgerState,
    package_id: str,
    item: str,
    credits: int,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    note: str = "",
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Add *credits* of *item* to a package without payment. Needs ``assign_credits`` (by
    default).

    Only to a component the package has (``unknown_item``), and only while it is active and not
    expired (``package_expired``, ``package_refunded``, ``package_deleted``).
    """
    business_of(business).permissions.check(actor, "assign")
    _credits(credits)
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    package.component(item)
    in_order(package, when)
    event = CreditsAssigned(
        **Sequencer().fields(package, when, actor_id(actor)),
        item=item,
        credits=credits,
        note=note,
    )
    return finish(checked_state(state), catch_up, current, [event])


def deduct(
    state: LedgerState,
    package_id: str,
    item: str,
    credits: int,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    note: str = "",
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Remove *credits* of *item* from a package by hand. Needs ``deduct_refund_credits`` (by
    default).

    Never more than are left (``insufficient_credits``); only while the package is active and
    not expired.
    """
    business_of(business).permissions.check(actor, "deduct")
    _credits(credits)
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "its credits have lapsed")
    left = package.component(item).remaining
    if credits > left:
        raise OperationRefused(
            "insufficient_credits",
            f"cannot deduct {credits} credits of {item!r} from package {package_id!r}: {left} left",
            package_id=package_id,
        )
    in_order(package, when)
    event = CreditsDeducted(
        **Sequencer().fields(package, when, actor_id(actor)),
        item=item,
        credits=credits,
        note=note,
    )
    return finish(checked_state(state), catch_up, current, [event])


def edit_expiry(
    state: LedgerState,
    package_id: str,
    expires_on: dt.date,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Move a package's expiry date to *expires_on* (it then wins over any countdown).

    Refused on an expired package (``package_expired``: packages cannot be unexpired), on a
    refunded or deleted one, on a subscription (``subscription``: its dates are its periods), and
    when the date does not change (``unchanged``).
    """
    if isinstance(expires_on, dt.datetime) or not isinstance(expires_on, dt.date):
        raise InvalidTypeError("expires_on", f"must be a datetime.date, got {expires_on!r}")

    def not_a_subscription(package: PackageState) -> None:
        if package.subscription is not None:
            raise OperationRefused(
                "subscription",
                f"package {package_id!r} is a subscription: its dates are its periods",
                package_id=package_id,
            )

    return _change_term(
        state,
        package_id,
        as_of=as_of,
        actor=actor,
        business=business,
        operation="edit_expiry",
        event=ExpiryChanged,
        old=lambda package: package.expires_on,
        new=expires_on,
        unchanged=f"already expires on {expires_on}",
        check=not_a_subscription,
    )


def _change_term(
    state: LedgerState,
    package_id: str,
    *,
    as_of: dt.datetime,
    actor: Actor | None,
    business: Business,
    operation: Operation,
    event: Callable[..., LedgerEvent],
    old: Callable[[PackageState], Any],
    new: Any,
    unchanged: str,
    check: Callable[[PackageState], None] | None = None,
) -> Outcome:
    """Change one term of an open package from ``old(package)`` to *new*, recorded as *event*
    (``old=``, ``new=``): an expiry date, a beneficiary. Needs what the permission policy asks
    for *operation*; refused on an expired, refunded or deleted package, by *check*, and when
    nothing changes (``unchanged``: the package *unchanged*)."""
    business_of(business).permissions.check(actor, operation)
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    if check is not None:
        check(package)
    was = old(package)
    if was == new:
        raise OperationRefused(
            "unchanged", f"package {package_id!r} {unchanged}", package_id=package_id
        )
    in_order(package, when)
    changed = event(**Sequencer().fields(package, when, actor_id(actor)), old=was, new=new)
    return finish(checked_state(state), catch_up, current, [changed])


# -- the market options (docs/options.md): overdraft settlement (X8), pauses (X7) ---------------


def _settle_debts(
    state: LedgerState, sale: PackagePurchased, business: Business
) -> tuple[list[LedgerEvent], LedgerState, list[LedgerEvent]]:
    """The owner's debts that the package *sale* sells settles first (X8): for each of its
    components, the credits below zero of that item on the owner's earlier packages of the same
    type and beneficiary (not refunded or deleted; expired ones too: the debt stays the
    owner's), oldest package first, up to the credits the sale grants.

    Returns the catch-up of the packages in debt at the sale, the state after it, and the
    :class:`DebtSettled` events (one on each package, the payer's first).
    """
    debtors = [
        p
        for p in state.owned_by(sale.owner)
        if p.type_id == sale.type_id
        and p.beneficiary == sale.beneficiary
        and p.status in ("active", "expired")
        and p.in_debt
    ]
    if not debtors:
        return [], state, []
    catch_up, current = caught_up(state, debtors, sale.at, business)
    payer = fold(current, [sale]).package(sale.package_id)
    left = {g.item: g.quantity for g in sale.components}
    sequencer = Sequencer()
    events: list[LedgerEvent] = []
    for debtor in debtors:
        debtor = current.package(debtor.id)
        for component in debtor.components:
            credits = min(-component.remaining, left.get(component.item, 0))
            if credits <= 0:
                continue
            left[component.item] -= credits
            in_order(debtor, sale.at)
            for package in (payer, debtor):
                events.append(
                    DebtSettled(
                        **sequencer.fields(package, sale.at, sale.actor),
                        debtor=debtor.id,
                        payer=payer.id,
                        item=component.item,
                        credits=credits,
                    )
                )
    return catch_up, current, events


def _day(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidTypeError(field, f"must be a datetime.date, got {value!r}")
    return value


def pause(
    state: LedgerState,
    package_id: str,
    start: dt.date,
    end: dt.date,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    note: str = "",
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Pause a package from *start* to *end*, local dates both included (X7): a freeze for a
    vacation or an injury. No credit of it pays on those dates (the engine's rule R4a,
    reason ``paused``), and its expiry date moves by the paused days (it is then the package's
    date, as an edited one: X5's exact instant no longer applies). Needs ``pause_packages``
    (by default).

    Refused on an expired, refunded or deleted package, on a subscription (``subscription``:
    its dates are its periods), for a pause that starts before the local date of *as_of*
    (``pause_in_past``), after the expiry date (``pause_after_expiry``), that overlaps another
    pause (``pause_overlaps``), or on a date credits of the package are held for
    (``redeemed_in_pause``: cancel the booking first; credits already used, say this morning,
    do not stop a pause from today), and for a first-use countdown not started yet
    (``not_started``: there is no expiry date to move).
    """
    _day(start, "start")
    _day(end, "end")
    if end < start:
        raise InvalidValueError("end", f"a pause ends ({end}) before it starts ({start})")
    business_of(business).permissions.check(actor, "pause")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    refusal = _pause_refusal(package, Pause(start, end), when.date())
    if refusal is not None:
        code, message = refusal
        raise OperationRefused(code, f"package {package_id!r} {message}", package_id=package_id)
    in_order(package, when)
    old = package.expires_on
    event = PackagePaused(
        **Sequencer().fields(package, when, actor_id(actor)),
        start=start,
        end=end,
        old=old,
        new=None if old is None else _moved_by(old, (end - start).days + 1),
        note=note,
    )
    return finish(checked_state(state), catch_up, current, [event])


def _moved_by(day: dt.date, days: int) -> dt.date:
    """*day* moved by *days* (may be negative), within the calendar."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _pause_refusal(
    package: PackageState, pause: Pause, today: dt.date
) -> tuple[RefusalCode, str] | None:
    """Why *package* cannot be paused for *pause* on *today*: (code, the rest of the message
    after the package's name), or ``None``."""
    if package.subscription is not None:
        return "subscription", "is a subscription: its dates are its periods"
    if pause.start < today:
        return "pause_in_past", f"cannot be paused from {pause.start}, before today ({today})"
    if package.expires_on is None and package.purchase.countdown is not None:
        return "not_started", "has no expiry date to move yet: its countdown starts at first use"
    if package.expires_on is not None and pause.start > package.expires_on:
        return "pause_after_expiry", (
            f"expires on {package.expires_on}, before the pause starts ({pause.start})"
        )
    for other in package.pauses:
        if other.start <= pause.end and pause.start <= other.end:
            return "pause_overlaps", f"is already paused from {other.start} to {other.end}"
    for record in package.open_redemptions:
        day = record.scheduled_for.astimezone(package.tz).date()
        if record.status == "held" and pause.covers(day):
            return "redeemed_in_pause", (
                f"has {'money' if record.item is None else 'credits'} held for "
                f"{record.booking!r} on {day}; cancel them first"
            )
    return None


def unpause(
    state: LedgerState,
    package_id: str,
    start: dt.date,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """End early the pause of a package that begins on *start* (X7): from the local date of
    *as_of* on, the package pays again (a pause that has not begun is called off), and its
    expiry date moves back by the days given back, never before that date. Needs
    ``pause_packages`` (by default).

    Refused when no pause begins on *start* (``unknown_pause``), when it ended before the local
    date of *as_of* (``pause_over``), and on an expired, refunded or deleted package.
    """
    _day(start, "start")
    business_of(business).permissions.check(actor, "unpause")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    found = next((p for p in package.pauses if p.start == start), None)
    if found is None:
        raise OperationRefused(
            "unknown_pause",
            f"package {package_id!r} has no pause starting on {start} "
            f"(it has {[f'{p.start}..{p.end}' for p in package.pauses]!r})",
            package_id=package_id,
        )
    today = when.date()
    if found.end < today:
        raise OperationRefused(
            "pause_over",
            f"the pause of package {package_id!r} from {found.start} to {found.end} is over",
            package_id=package_id,
        )
    in_order(package, when)
    old = package.expires_on
    given_back = (found.end - max(found.start, today)).days + 1
    event = PauseEnded(
        **Sequencer().fields(package, when, actor_id(actor)),
        start=found.start,
        end=found.end,
        until=None if found.start >= today else today - dt.timedelta(days=1),
        old=old,
        new=None if old is None else max(_moved_by(old, -given_back), today),
    )
    return finish(checked_state(state), catch_up, current, [event])
