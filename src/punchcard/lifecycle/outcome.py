"""What an operation returns, and what every operation shares to make its events.

An operation at time *t* first records what is already true at *t* and not yet in the ledger
(the *catch-up*: held credits whose time has passed are used, packages past their expiry moment
are expired, subscriptions past a renewal moment are renewed), then its own events. Both are in
:attr:`Outcome.events`, catch-up first, so the ledger stays the truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, TypedDict

import attrs

from ..errors import InvalidTypeError
from ..events import (
    BalanceCancelled,
    BalanceForfeited,
    BalanceUsed,
    CancellationFee,
    LedgerEvent,
    PenaltyReason,
    RedemptionCancelled,
    RedemptionForfeited,
    RedemptionUsed,
    UseReason,
    ledger_event_id,
)
from ..money import Money
from ..results import Application, Redemption, Rejection
from ._instants import before
from .errors import OperationRefused
from .permissions import Actor
from .state import LedgerState, PackageState, RedemptionRecord, fold

__all__ = [
    "CancelOutcome",
    "Outcome",
    "RedemptionOutcome",
    "TicketLine",
    "TicketOutcome",
]


@attrs.frozen(kw_only=True)
class Outcome:
    """What an operation returns: the events to append, and the state they lead to."""

    #: The new ledger events, in the order to append them (possibly none): the catch-up events
    #: first, then the operation's own.
    events: tuple[LedgerEvent, ...]
    #: The state after them (the input state if there are none).
    state: LedgerState
    #: How many of the first :attr:`events` record what was already true at the operation's
    #: time (uses whose time had passed, expiries, renewals) rather than the operation itself.
    caught_up: int

    @property
    def catch_up(self) -> tuple[LedgerEvent, ...]:
        """The catch-up events (the first :attr:`caught_up` of :attr:`events`)."""
        return self.events[: self.caught_up]

    @property
    def own(self) -> tuple[LedgerEvent, ...]:
        """The operation's own events (after the catch-up)."""
        return self.events[self.caught_up :]


@attrs.frozen(kw_only=True)
class RedemptionOutcome(Outcome):
    """What :func:`~punchcard.lifecycle.hold` and :func:`~punchcard.lifecycle.checkout` return."""

    #: The engine's full answer: what is still due, why other packages were not used.
    application: Application
    #: The owner's active packages the franchise does not let this location redeem (they were
    #: not offered to the engine).
    barred: tuple[str, ...]


@attrs.frozen(kw_only=True)
class TicketLine:
    """How one line of a closed ticket was paid by credits."""

    line_id: str
    #: unit price x units.
    total: Money
    #: What the credits took off: the holds used and the credits redeemed at the close.
    covered: Money
    #: ``total - covered``.
    due: Money
    #: The held redemptions of the line that the close used (or that were already used).
    holds: tuple[RedemptionRecord, ...]
    #: Credits the engine redeemed at the close for the units no hold covered.
    redemptions: tuple[Redemption, ...]
    #: Why packages did not pay more of those units (the engine's reasons).
    rejections: tuple[Rejection, ...]


@attrs.frozen(kw_only=True)
class TicketOutcome(Outcome):
    """What :func:`~punchcard.lifecycle.close_ticket` returns."""

    #: Per line of the ticket, in ticket order.
    lines: tuple[TicketLine, ...]
    total: Money
    covered: Money
    due: Money
    #: The engine's answer for the part of the ticket no hold covered (its cart holds the lines
    #: with units left, with those units only; it may be empty).
    application: Application


@attrs.frozen(kw_only=True)
class CancelOutcome(Outcome):
    """What :func:`~punchcard.lifecycle.cancel` and :func:`~punchcard.lifecycle.no_show`
    return: besides the events, what the business's late-cancel and no-show rule cost
    (issue 12, option 1; by default nothing).

    .. versionadded:: 0.2
    """

    #: Credits forfeited (kept by the business) instead of restored.
    forfeited: int = 0
    #: The fees to charge (one per booked line charged; the ledger records each), ``None``
    #: when none is due.
    fee: Money | None = None
    #: Whether a penalty was waived (by an actor allowed to: the ``waive`` operation).
    waived: bool = False


def finish(
    before_catch_up: LedgerState,
    catch_up: Sequence[LedgerEvent],
    caught_up: LedgerState,
    own: Sequence[LedgerEvent],
) -> Outcome:
    """The outcome of an operation: the events, catch-up first, and the state after them
    (*caught_up* is *before_catch_up* with the catch-up folded)."""
    if not catch_up and not own:
        return Outcome(events=(), state=before_catch_up, caught_up=0)
    state = fold(caught_up, own) if own else caught_up
    return Outcome(events=(*catch_up, *own), state=state, caught_up=len(catch_up))


def fields_of(outcome: Outcome) -> dict[str, Any]:
    """The fields of *outcome*, to make a richer outcome of them."""
    return attrs.asdict(outcome, recurse=False)


def actor_id(actor: Actor | None) -> str | None:
    if actor is None:
        return None
    if not isinstance(actor, Actor):
        raise InvalidTypeError("actor", f"must be an Actor or None, got {actor!r}")
    return actor.id


def checked_state(state: object) -> LedgerState:
    if not isinstance(state, LedgerState):
        raise InvalidTypeError("state", f"must be a LedgerState, got {state!r}")
    return state


def in_order(package: PackageState, at: dt.datetime) -> None:
    """Refuse (``out_of_order``) to record at *at* an event before the package's last one."""
    if before(at, package.last_event_at):
        raise OperationRefused(
            "out_of_order",
            f"{at.isoformat()} is before the last event of package {package.id!r} "
            f"({package.last_event_at.isoformat()}); events are recorded in time order",
            package_id=package.id,
        )


def used(
    record: RedemptionRecord, fields: Common, reason: UseReason
) -> RedemptionUsed | BalanceUsed:
    """The event that records the held credits (or money, X9) of *record* as used."""
    if record.item is None:
        return BalanceUsed(**fields, **_about_balance(record), reason=reason)
    return RedemptionUsed(**fields, **_about(record), reason=reason)


def cancelled(
    record: RedemptionRecord, fields: Common, expired: int | Money
) -> RedemptionCancelled | BalanceCancelled:
    """The event that gives back the credits of *record* (*expired* of them expire at once);
    for money of a stored value (X9), *expired* is the amount that lapses (0: none)."""
    was: Literal["held", "used"] = "held" if record.status == "held" else "used"
    if record.item is None:
        lapsed = expired if isinstance(expired, Money) else Money.zero(record.amount.currency)
        return BalanceCancelled(**fields, **_about_balance(record), was=was, expired=lapsed)
    assert isinstance(expired, int)
    return RedemptionCancelled(**fields, **_about(record), was=was, expired=expired)


def forfeited(
    record: RedemptionRecord, fields: Common, reason: PenaltyReason
) -> RedemptionForfeited | BalanceForfeited:
    """The event that keeps the credits (or, for a stored value, the money) of *record*
    (cancelled late, or a no-show)."""
    was: Literal["held", "used"] = "held" if record.status == "held" else "used"
    if record.item is None:
        return BalanceForfeited(**fields, **_about_balance(record), was=was, reason=reason)
    return RedemptionForfeited(**fields, **_about(record), was=was, reason=reason)


def fee_charged(
    record: RedemptionRecord, fields: Common, reason: PenaltyReason, fee: Money
) -> CancellationFee:
    """The event that records the fee charged for the cancelled line of *record*."""
    return CancellationFee(
        **fields,
        redemption_id=record.id,
        booking=record.booking,
        line_id=record.line_id,
        reason=reason,
        fee=fee,
    )


class _About(TypedDict):
    redemption_id: str
    booking: str
    line_id: str
    item: str
    credits: int


def _about(record: RedemptionRecord) -> _About:
    """What an event that changes *record* repeats of it."""
    assert record.item is not None
    return {
        "redemption_id": record.id,
        "booking": record.booking,
        "line_id": record.line_id,
        "item": record.item,
        "credits": record.credits,
    }


class _AboutBalance(TypedDict):
    redemption_id: str
    booking: str
    line_id: str
    amount: Money


def _about_balance(record: RedemptionRecord) -> _AboutBalance:
    """What an event that changes *record*, money of a stored value, repeats of it."""
    return {
        "redemption_id": record.id,
        "booking": record.booking,
        "line_id": record.line_id,
        "amount": record.amount,
    }


class Common(TypedDict):
    event_id: str
    package_id: str
    seq: int
    at: dt.datetime
    actor: str | None


class Sequencer:
    """Numbers the new events of each package: ``seq`` after the package's last event."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}

    def fields(self, package: PackageState, at: dt.datetime, actor: str | None) -> Common:
        """The common fields of the next event of *package*, at *at*, by *actor*."""
        offset = self.offsets[package.id] = self.offsets.get(package.id, 0) + 1
        seq = package.version + offset
        return {
            "event_id": ledger_event_id(package.id, seq),
            "package_id": package.id,
            "seq": seq,
            "at": at,
            "actor": actor,
        }
