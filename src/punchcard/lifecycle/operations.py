"""The operations of a package's life, each a pure function over the ledger's state.

Each operation checks its preconditions and either raises a typed error that says what is wrong
(:class:`~punchcard.lifecycle.errors.OperationRefused` with a ``.code``, or
:class:`~punchcard.lifecycle.errors.PermissionDenied` naming the permission) and changes
nothing, or returns an :class:`Outcome`: the new events for the host to append to its ledger and
the state they lead to. Nothing reads the clock: the caller passes every time. A naive time is
local time in the zone of the package concerned.

Every event is recorded at a time no earlier than the previous event of its package (code
``out_of_order`` otherwise), so that :func:`~punchcard.lifecycle.state_as_of` is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, TypedDict

import attrs

from ..engine import apply
from ..errors import InvalidTypeError, InvalidValueError
from ..events import (
    BOOKING_KINDS,
    USE_REASONS,
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
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    UseReason,
    ledger_event_id,
)
from ..models import Cart, RatesInput, Settings
from ..results import Application
from ..timeutil import to_local, zone
from .catalogue import PackageType
from .errors import OperationRefused
from .permissions import ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, Actor, require
from .policy import LifecyclePolicy
from .reports import refund_quote
from .state import LedgerState, PackageState, RedemptionRecord, credits_of, fold

__all__ = [
    "Outcome",
    "assign",
    "cancel",
    "checkout",
    "deduct",
    "delete",
    "edit_expiry",
    "expire",
    "expiries_due",
    "hold",
    "purchase",
    "refund",
    "use",
    "use_due",
    "uses_due",
]

_DEFAULT_SETTINGS = Settings()
_DEFAULT_POLICY = LifecyclePolicy()


@attrs.frozen
class Outcome:
    """What an operation returns: the events to append, and the state they lead to."""

    #: The new ledger events, in the order to append them (possibly none).
    events: tuple[LedgerEvent, ...]
    #: The state after them (the input state if there are none).
    state: LedgerState
    #: For :func:`hold` and :func:`checkout`: the engine's full answer (what is still due,
    #: why other packages were not used).
    application: Application | None = None


def _finish(
    state: LedgerState, events: Sequence[LedgerEvent], application: Application | None = None
) -> Outcome:
    return Outcome(tuple(events), fold(state, events) if events else state, application)


def _actor_id(actor: Actor | None) -> str | None:
    if actor is None:
        return None
    if not isinstance(actor, Actor):
        raise InvalidTypeError("actor", f"must be an Actor or None, got {actor!r}")
    return actor.id


def _state(state: LedgerState) -> LedgerState:
    if not isinstance(state, LedgerState):
        raise InvalidTypeError("state", f"must be a LedgerState, got {state!r}")
    return state


def _moment(value: dt.datetime, package: PackageState, field: str = "at") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidTypeError(field, f"must be a datetime.datetime, got {value!r}")
    return to_local(value, package.tz, field)


def _in_order(package: PackageState, at: dt.datetime) -> None:
    if at < package.last_event_at:
        raise OperationRefused(
            "out_of_order",
            f"{at.isoformat()} is before the last event of package {package.id!r} "
            f"({package.last_event_at.isoformat()}); events are recorded in time order",
            package_id=package.id,
        )


def _open(package: PackageState, at: dt.datetime, policy: LifecyclePolicy, what: str) -> None:
    """Refuse unless *package* is active and not expired at *at*."""
    if package.status == "deleted":
        raise OperationRefused(
            "package_deleted", f"package {package.id!r} was deleted", package_id=package.id
        )
    if package.status == "refunded":
        raise OperationRefused(
            "package_refunded", f"package {package.id!r} was refunded", package_id=package.id
        )
    if package.expired_at(at, policy.expires_at):
        raise OperationRefused(
            "package_expired",
            f"package {package.id!r} expired on {package.expires_on}; {what}",
            package_id=package.id,
        )


def _open_package(
    state: LedgerState, package_id: str, at: dt.datetime, policy: LifecyclePolicy, what: str
) -> tuple[PackageState, dt.datetime]:
    """The package *package_id* and the time *at* in its zone, refused unless it is active and
    not expired then (*what* ends the message of an expired one)."""
    package = _state(state).package(package_id)
    when = _moment(at, package)
    _open(package, when, policy, what)
    return package, when


def _credits(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError("credits", f"must be a whole number >= 1, got {value!r}")
    if value < 1:
        raise InvalidValueError("credits", f"must be a whole number >= 1, got {value!r}")
    return value


class _Common(TypedDict):
    event_id: str
    package_id: str
    seq: int
    at: dt.datetime
    actor: str | None


def _event_fields(
    package: PackageState, at: dt.datetime, actor: Actor | None, offset: int = 1
) -> _Common:
    seq = package.version + offset
    return {
        "event_id": ledger_event_id(package.id, seq),
        "package_id": package.id,
        "seq": seq,
        "at": at,
        "actor": _actor_id(actor),
    }


# -- purchase -------------------------------------------------------------------------------------


def purchase(
    state: LedgerState,
    ptype: PackageType,
    *,
    package_id: str,
    owner: str,
    at: dt.datetime,
    timezone: str,
    beneficiary: str | None = None,
    channel: Literal["pos", "portal"] = "pos",
    actor: Actor | None = None,
) -> Outcome:
    """Sell a package of type *ptype* to *owner*: every component of the type, never a part.

    *timezone* is the IANA zone of the selling location; every local date of the package
    (expiry, renewal) is read in it. Refused when the id is taken (``duplicate_package``), the
    type is inactive (``inactive_type``), it is bought in the portal but not sold online
    (``not_online``), the owner already has one of a once-per-owner type (``once_per_owner``:
    *This package can only be purchased once per client.*), or a beneficiary is missing for an
    individual type (``beneficiary_required``) or given for a shared one
    (``beneficiary_not_allowed``).
    """
    _state(state)
    if not isinstance(ptype, PackageType):
        raise InvalidTypeError("ptype", f"must be a PackageType, got {ptype!r}")
    if not isinstance(timezone, str):
        raise InvalidTypeError("timezone", f"must be an IANA zone name, got {timezone!r}")
    if channel not in ("pos", "portal"):
        raise InvalidValueError("channel", f"must be 'pos' or 'portal', got {channel!r}")
    tz = zone(timezone)
    if not isinstance(at, dt.datetime):
        raise InvalidTypeError("at", f"must be a datetime.datetime, got {at!r}")
    at_local = to_local(at, tz)
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
    if ptype.once_per_owner and any(
        p.type_id == ptype.id and p.status != "deleted" for p in state.owned_by(owner)
    ):
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
    day = at_local.date()
    expires_on: dt.date | None = None
    if ptype.subscription is not None:
        expires_on = ptype.subscription.last_day(day, 1)
    elif ptype.days_to_expiration is not None and ptype.expiry_starts == "sale":
        expires_on = day + dt.timedelta(days=ptype.days_to_expiration)
    event = PackagePurchased(
        event_id=ledger_event_id(package_id, 1),
        package_id=package_id,
        seq=1,
        at=at_local,
        actor=_actor_id(actor),
        owner=owner,
        type_id=ptype.id,
        name=ptype.name,
        timezone=timezone,
        components=ptype.components,
        price=ptype.price,
        location=ptype.location,
        beneficiary=beneficiary,
        expires_on=expires_on,
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
    )
    return _finish(state, [event])


# -- redemptions: hold, checkout, use, cancel -----------------------------------------------------


def _records(
    state: LedgerState, booking: str, line_id: str | None
) -> list[tuple[PackageState, RedemptionRecord]]:
    return [(p, r) for p in state.packages for r in p.redemptions_of(booking, line_id)]


def _redeem(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    booking_kind: BookingKind,
    status: Literal["held", "used"],
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    scheduled_for: dt.datetime | None,
    settings: Settings,
    policy: LifecyclePolicy,
    rates: RatesInput,
    actor: Actor | None,
) -> Outcome:
    _state(state)
    if not isinstance(cart, Cart):
        raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
    if not isinstance(booking, str) or not booking:
        raise InvalidValueError("booking", f"must be a non-empty string, got {booking!r}")
    if booking_kind not in BOOKING_KINDS:
        raise InvalidValueError(
            "booking_kind", f"must be one of {list(BOOKING_KINDS)!r}, got {booking_kind!r}"
        )
    if not isinstance(policy, LifecyclePolicy):
        raise InvalidTypeError("policy", f"must be a LifecyclePolicy, got {policy!r}")
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if not isinstance(tz, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    if not isinstance(at, dt.datetime):
        raise InvalidTypeError("at", f"must be a datetime.datetime, got {at!r}")
    at_local = to_local(at, tz)
    when = at_local
    if scheduled_for is not None:
        if not isinstance(scheduled_for, dt.datetime):
            raise InvalidTypeError(
                "scheduled_for", f"must be a datetime.datetime, got {scheduled_for!r}"
            )
        when = to_local(scheduled_for, tz, "scheduled_for")
    owned = state.owned_by(cart.owner)
    line_ids = {line.id for line in cart.lines}
    for p in owned:
        for r in p.redemptions:
            if r.open and r.booking == booking and r.line_id in line_ids:
                raise OperationRefused(
                    "already_redeemed",
                    f"line {r.line_id!r} of booking {booking!r} already has credits "
                    f"{r.status} from package {p.id!r}; cancel it first",
                    package_id=p.id,
                )
    live = [p for p in owned if p.status == "active" and p.purchased_at <= at_local]
    application = apply(
        cart,
        [p.as_package() for p in live],
        as_of=when,
        timezone=tz,
        settings=settings,
        policy=policy.redemption,
        rates=rates,
    )
    events: list[LedgerEvent] = []
    taken: dict[str, int] = {}
    actor_id = _actor_id(actor)
    for red in application.redemptions:
        package = state.package(red.package_id)
        _in_order(package, at_local)
        taken[package.id] = taken.get(package.id, 0) + 1
        seq = package.version + taken[package.id]
        events.append(
            RedemptionRecorded(
                event_id=ledger_event_id(package.id, seq),
                package_id=package.id,
                seq=seq,
                at=at_local,
                actor=actor_id,
                booking=booking,
                booking_kind=booking_kind,
                line_id=red.line_id,
                item=red.item,
                credits=red.credits,
                amount=red.amount,
                status=status,
                scheduled_for=when,
                cart_id=application.cart_id,
            )
        )
    return _finish(state, events, application)


def hold(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    scheduled_for: dt.datetime | None = None,
    booking_kind: BookingKind = "appointment",
    settings: Settings = _DEFAULT_SETTINGS,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
    rates: RatesInput = None,
    actor: Actor | None = None,
) -> Outcome:
    """Hold credits for the lines of *cart* booked as *booking* (a future appointment, a class,
    an open ticket): the engine decides which credits pay, and they are recorded as *held*.

    *at* is when the booking is made, *scheduled_for* when the service takes place (default:
    *at*); eligibility (expiry included) is judged at *scheduled_for*, as the packages stand at
    *at*. Only the cart owner's active packages bought by *at* are considered. A line of the
    booking that already holds credits is refused (``already_redeemed``): a retried booking never
    takes credits twice. A booking that no credit pays for returns no events (see
    ``outcome.application`` for why).
    """
    return _redeem(
        state,
        cart,
        booking=booking,
        booking_kind=booking_kind,
        status="held",
        at=at,
        timezone=timezone,
        scheduled_for=scheduled_for,
        settings=settings,
        policy=policy,
        rates=rates,
        actor=actor,
    )


def checkout(
    state: LedgerState,
    cart: Cart,
    *,
    booking: str,
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    booking_kind: BookingKind = "ticket",
    settings: Settings = _DEFAULT_SETTINGS,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
    rates: RatesInput = None,
    actor: Actor | None = None,
) -> Outcome:
    """Redeem credits for *cart* and record them as *used* at once (a ticket saved or closed at
    the till). Otherwise as :func:`hold`, with the service at *at*."""
    return _redeem(
        state,
        cart,
        booking=booking,
        booking_kind=booking_kind,
        status="used",
        at=at,
        timezone=timezone,
        scheduled_for=None,
        settings=settings,
        policy=policy,
        rates=rates,
        actor=actor,
    )


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


def use(
    state: LedgerState,
    booking: str,
    *,
    at: dt.datetime,
    reason: UseReason = "completed",
    line_id: str | None = None,
    actor: Actor | None = None,
) -> Outcome:
    """Mark the held credits of *booking* (of its line *line_id* only, if given) as used:
    the ticket was saved/closed (``ticket_closed``), the appointment or class was completed
    (``completed``), or its time passed (``time_passed``).

    Refused when nothing was redeemed for it (``unknown_booking``), when its credits are already
    used (``already_used``) or when it was cancelled (``already_cancelled``).
    """
    _state(state)
    if reason not in USE_REASONS:
        raise InvalidValueError("reason", f"must be one of {list(USE_REASONS)!r}, got {reason!r}")
    found = _records(state, booking, line_id)
    held = [(p, r) for p, r in found if r.status == "held"]
    if not held:
        raise _booking_missing(found, booking, "held")
    events: list[LedgerEvent] = []
    offsets: dict[str, int] = {}
    for package, record in held:
        when = _moment(at, package)
        _in_order(package, when)
        offsets[package.id] = offsets.get(package.id, 0) + 1
        events.append(
            RedemptionUsed(
                **_event_fields(package, when, actor, offsets[package.id]),
                redemption_id=record.id,
                booking=record.booking,
                line_id=record.line_id,
                item=record.item,
                credits=record.credits,
                reason=reason,
            )
        )
    return _finish(state, events)


def uses_due(
    packages: Iterable[PackageState], as_of: dt.datetime
) -> Iterator[tuple[PackageState, RedemptionRecord]]:
    """The held redemptions whose scheduled time has passed at *as_of*: by section L they are
    used, and :func:`use_due` records it. Streams over *packages*."""
    for package in packages:
        if not package.total_held:
            continue
        for record in package.held_by(_moment(as_of, package, "as_of")):
            yield package, record


def use_due(state: LedgerState, *, as_of: dt.datetime, actor: Actor | None = None) -> Outcome:
    """Record as used (reason ``time_passed``) every held redemption whose scheduled time has
    passed at *as_of*. Each event is dated at the scheduled time (or just after the package's
    previous event, if that is later)."""
    _state(state)
    events: list[LedgerEvent] = []
    offsets: dict[str, int] = {}
    last: dict[str, dt.datetime] = {}
    due = sorted(uses_due(state.packages, as_of), key=lambda pr: (pr[1].scheduled_for, pr[1].id))
    for package, record in due:
        when = max(record.scheduled_for, last.get(package.id, package.last_event_at))
        last[package.id] = when
        offsets[package.id] = offsets.get(package.id, 0) + 1
        events.append(
            RedemptionUsed(
                **_event_fields(package, when, actor, offsets[package.id]),
                redemption_id=record.id,
                booking=record.booking,
                line_id=record.line_id,
                item=record.item,
                credits=record.credits,
                reason="time_passed",
            )
        )
    return _finish(state, events)


def cancel(
    state: LedgerState,
    booking: str,
    *,
    at: dt.datetime,
    line_id: str | None = None,
    actor: Actor | None = None,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Outcome:
    """Cancel *booking* (or only its line *line_id*): restore exactly the credits its
    redemptions took, held or used, once.

    A second cancellation is refused (``already_cancelled``), never a second restore; a booking
    nothing was redeemed for is refused (``unknown_booking``). Credits of a refunded package are
    not restored (``package_refunded``). When the package has expired by *at*, the policy
    decides: ``expire`` (default) restores the credits and they expire at once, ``refuse``
    refuses (``package_expired``).
    """
    _state(state)
    if not isinstance(policy, LifecyclePolicy):
        raise InvalidTypeError("policy", f"must be a LifecyclePolicy, got {policy!r}")
    found = _records(state, booking, line_id)
    live = [(p, r) for p, r in found if r.open]
    if not live:
        raise _booking_missing(found, booking, "open")
    events: list[LedgerEvent] = []
    offsets: dict[str, int] = {}
    for package, record in live:
        when = _moment(at, package)
        if package.status in ("refunded", "deleted"):
            raise OperationRefused(
                "package_refunded" if package.status == "refunded" else "package_deleted",
                f"package {package.id!r} was {package.status}; its credits cannot be restored",
                package_id=package.id,
            )
        expired = package.expired_at(when, policy.expires_at)
        if expired and policy.cancel_after_expiry == "refuse":
            raise OperationRefused(
                "package_expired",
                f"package {package.id!r} expired on {package.expires_on}; its credits cannot "
                "be restored (policy cancel_after_expiry='refuse')",
                package_id=package.id,
            )
        _in_order(package, when)
        offsets[package.id] = offsets.get(package.id, 0) + 1
        events.append(
            RedemptionCancelled(
                **_event_fields(package, when, actor, offsets[package.id]),
                redemption_id=record.id,
                booking=record.booking,
                line_id=record.line_id,
                item=record.item,
                credits=record.credits,
                was="held" if record.status == "held" else "used",
                expired=record.credits if expired else 0,
            )
        )
    return _finish(state, events)


# -- refund, delete -------------------------------------------------------------------------------


def refund(
    state: LedgerState,
    package_id: str,
    *,
    at: dt.datetime,
    actor: Actor | None,
    settings: Settings = _DEFAULT_SETTINGS,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Outcome:
    """Refund a package: its credits left are gone and :func:`refund_quote` is paid back.

    Needs ``deduct_refund_credits``. Allowed while unused; once a credit was used only with the
    ``refund_after_use`` setting (code ``used``). Refused while credits are held for a booking
    (``credits_held``: cancel or use it first), twice (``already_refunded``), on a deleted
    package (``package_deleted``) and on an expired one (``package_expired``).
    """
    require(actor, DEDUCT_REFUND_CREDITS)
    package = _state(state).package(package_id)
    when = _moment(at, package)
    if package.status == "refunded":
        raise OperationRefused(
            "already_refunded",
            f"package {package_id!r} was already refunded",
            package_id=package_id,
        )
    _open(package, when, policy, "its credits have lapsed and cannot be refunded")
    if package.total_held:
        raise OperationRefused(
            "credits_held",
            f"package {package_id!r} has {package.total_held} credits held for bookings; "
            "cancel or use them first",
            package_id=package_id,
        )
    if package.total_used and not settings.refund_after_use:
        raise OperationRefused(
            "used",
            f"package {package_id!r} has been used; refunds after use need the "
            "refund_after_use setting",
            package_id=package_id,
        )
    _in_order(package, when)
    event = PackageRefunded(
        **_event_fields(package, when, actor),
        amount=refund_quote(package),
        credits=credits_of(package, "remaining"),
    )
    return _finish(state, [event])


def delete(
    state: LedgerState, package_id: str, *, at: dt.datetime, actor: Actor | None = None
) -> Outcome:
    """Delete a package sold by mistake. Refused once any credit was used (``used``) or is held
    (``credits_held``), or was removed by hand (``credits_removed``), and twice
    (``already_deleted``). A cancelled redemption does not count as a use."""
    package = _state(state).package(package_id)
    when = _moment(at, package)
    if package.status == "deleted":
        raise OperationRefused(
            "already_deleted",
            f"package {package_id!r} was already deleted",
            package_id=package_id,
        )
    if package.total_held:
        raise OperationRefused(
            "credits_held",
            f"package {package_id!r} cannot be deleted: {package.total_held} credits are held "
            "for bookings",
            package_id=package_id,
        )
    if package.total_used:
        raise OperationRefused(
            "used",
            f"package {package_id!r} cannot be deleted: credits of it were used",
            package_id=package_id,
        )
    if package.total_deducted:
        raise OperationRefused(
            "credits_removed",
            f"package {package_id!r} cannot be deleted: credits were removed from it by hand",
            package_id=package_id,
        )
    _in_order(package, when)
    return _finish(state, [PackageDeleted(**_event_fields(package, when, actor))])


# -- manual adjustments ---------------------------------------------------------------------------


def assign(
    state: LedgerState,
    package_id: str,
    item: str,
    credits: int,
    *,
    at: dt.datetime,
    actor: Actor | None,
    note: str = "",
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Outcome:
    """Add *credits* of *item* to a package without payment. Needs ``assign_credits``.

    Only to a component the package has (``unknown_item``), and only while it is active and not
    expired (``package_expired``, ``package_refunded``, ``package_deleted``).
    """
    require(actor, ASSIGN_CREDITS)
    _credits(credits)
    package, when = _open_package(state, package_id, at, policy, "packages cannot be unexpired")
    package.component(item)
    _in_order(package, when)
    event = CreditsAssigned(
        **_event_fields(package, when, actor),
        item=item,
        credits=credits,
        note=note,
    )
    return _finish(state, [event])


def deduct(
    state: LedgerState,
    package_id: str,
    item: str,
    credits: int,
    *,
    at: dt.datetime,
    actor: Actor | None,
    note: str = "",
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Outcome:
    """Remove *credits* of *item* from a package by hand. Needs ``deduct_refund_credits``.

    Never more than are left (``insufficient_credits``); only while the package is active and
    not expired.
    """
    require(actor, DEDUCT_REFUND_CREDITS)
    _credits(credits)
    package, when = _open_package(state, package_id, at, policy, "its credits have lapsed")
    left = package.component(item).remaining
    if credits > left:
        raise OperationRefused(
            "insufficient_credits",
            f"cannot deduct {credits} credits of {item!r} from package {package_id!r}: {left} left",
            package_id=package_id,
        )
    _in_order(package, when)
    event = CreditsDeducted(
        **_event_fields(package, when, actor),
        item=item,
        credits=credits,
        note=note,
    )
    return _finish(state, [event])


def edit_expiry(
    state: LedgerState,
    package_id: str,
    expires_on: dt.date,
    *,
    at: dt.datetime,
    actor: Actor | None = None,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Outcome:
    """Move a package's expiry date to *expires_on* (it then wins over any countdown).

    Refused on an expired package (``package_expired``: packages cannot be unexpired), on a
    refunded or deleted one, on a subscription (``subscription``: its dates are its periods), and
    when the date does not change (``unchanged``).
    """
    if isinstance(expires_on, dt.datetime) or not isinstance(expires_on, dt.date):
        raise InvalidTypeError("expires_on", f"must be a datetime.date, got {expires_on!r}")
    package, when = _open_package(state, package_id, at, policy, "packages cannot be unexpired")
    if package.subscription is not None:
        raise OperationRefused(
            "subscription",
            f"package {package_id!r} is a subscription: its dates are its periods",
            package_id=package_id,
        )
    if package.expires_on == expires_on:
        raise OperationRefused(
            "unchanged",
            f"package {package_id!r} already expires on {expires_on}",
            package_id=package_id,
        )
    _in_order(package, when)
    event = ExpiryChanged(
        **_event_fields(package, when, actor),
        old=package.expires_on,
        new=expires_on,
    )
    return _finish(state, [event])


# -- expiry ---------------------------------------------------------------------------------------


def expiries_due(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Iterator[PackageExpired]:
    """The expiry events due at *as_of*, streamed: one per active package whose expiry date
    ended (at ``policy.expires_at``, 23:59 local by default, DST-correct) by *as_of*.

    Each is dated at its expiry moment (or at the package's last event, if that is later) and
    moves the credits left to *expired*; held credits stay held. Subscriptions renew instead.
    """
    expires_at = policy.expires_at
    # Per call: *as_of* in each zone, per (date, zone) the expiry moment if it has passed
    # (``None``: not yet), and the credits moved per balance. Each depends only on its key, so
    # the events are the same as computing them for every package; they are computed when first
    # needed, in the same order (so the same errors are raised at the same package).
    now_in: dict[str, dt.datetime] = {}
    passed: dict[tuple[dt.date, str], dt.datetime | None] = {}
    moved: dict[tuple[tuple[str, int], ...], tuple[ItemCredits, ...]] = {}
    for package in packages:
        if package.status != "active" or package.subscription is not None:
            continue
        day = package.expires_on
        if day is None:
            continue
        key = (day, package.timezone)
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
        now = now_in[package.timezone] = _moment(as_of, package, "as_of")
    if moment is not None and moment > now:
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
        credits = moved[balance] = credits_of(package, "remaining")
    seq = package.version + 1
    last = package.last_event_at
    return PackageExpired(
        event_id=ledger_event_id(package.id, seq),
        package_id=package.id,
        seq=seq,
        at=moment if moment >= last else last,
        actor=None,
        expires_on=day,
        credits=credits,
    )


def expire(
    state: LedgerState, *, as_of: dt.datetime, policy: LifecyclePolicy = _DEFAULT_POLICY
) -> Outcome:
    """Expire every package whose expiry date ended by *as_of* (see :func:`expiries_due`)."""
    return _finish(state, list(expiries_due(_state(state).packages, as_of=as_of, policy=policy)))
