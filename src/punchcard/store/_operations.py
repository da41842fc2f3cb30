"""Every mutating operation of the store, each a thin wrapper: it names the operation, the owner,
the arguments that decide it, and the lifecycle function that does it, and hands that
:class:`~punchcard.store._types.Request` to :meth:`Operations.run` (the store's one commit path).

This is the only module of the store that knows the signatures of :mod:`punchcard.lifecycle`.
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any, Literal

import attrs

from .. import lifecycle as lc
from ..lifecycle import (
    Actor,
    BookingKind,
    LedgerState,
    LifecyclePolicy,
    Outcome,
    PackageType,
    UseReason,
)
from ..models import Cart, RatesInput, Settings
from ._types import Receipt, Request

__all__ = ["Business", "Operations"]


@attrs.frozen
class Business:
    """The business settings the store applies to every operation, given once.

    (It stands in for ``punchcard.lifecycle.Business``, which will also bundle the permission
    policy and the franchise; the store passes it through to the lifecycle unread.)
    """

    #: The system-wide switches of the engine (``any_type``, ``refund_after_use``...).
    settings: Settings = attrs.field(factory=Settings)
    #: The lifecycle's choices, with the engine's policy (``policy.redemption``).
    policy: LifecyclePolicy = attrs.field(factory=LifecyclePolicy)
    #: The location default rates (vouchers, cross-item values).
    rates: RatesInput = None


def _request(
    operation: str,
    owner: str,
    plan: Any,
    *,
    booking: str | None = None,
    package_ids: tuple[str, ...] = (),
    **arguments: Any,
) -> Request:
    if booking is not None:
        arguments["booking"] = booking
    return Request(operation, owner, arguments, plan, booking=booking, package_ids=package_ids)


class Operations(abc.ABC):
    """The operations of :class:`punchcard.store.Store`, one method each.

    Every one takes an idempotency ``key`` (any string the host chooses for this request: the
    same key sent again returns the first outcome and applies nothing), ``as_of`` (when it
    happens; a naive time is local time in each package's zone) and, where staff act, the
    ``actor``. Each returns a :class:`~punchcard.store.Receipt`, or raises the lifecycle's
    refusal (:class:`~punchcard.lifecycle.OperationRefused`,
    :class:`~punchcard.lifecycle.PermissionDenied`) and writes nothing.
    """

    #: The business settings every operation is run with.
    business: Business

    @abc.abstractmethod
    def run(self, request: Request, *, key: str) -> Receipt:
        """Commit *request* under idempotency key *key* (the store's one commit path)."""

    # -- sale ------------------------------------------------------------------------------------

    def sell(
        self,
        owner: str,
        ptype: PackageType,
        *,
        key: str,
        package_id: str,
        as_of: dt.datetime,
        timezone: str,
        beneficiary: str | None = None,
        channel: Literal["pos", "portal"] = "pos",
        actor: Actor | None = None,
    ) -> Receipt:
        """Sell a package of type *ptype* to *owner* as *package_id*
        (:func:`punchcard.lifecycle.purchase`); *timezone* is the selling location's zone."""

        def plan(state: LedgerState) -> Outcome:
            return lc.purchase(
                state,
                ptype,
                package_id=package_id,
                owner=owner,
                at=as_of,
                timezone=timezone,
                beneficiary=beneficiary,
                channel=channel,
                actor=actor,
            )

        return self.run(
            _request(
                "sell",
                owner,
                plan,
                package_ids=(package_id,),
                ptype=ptype,
                package_id=package_id,
                as_of=as_of,
                timezone=timezone,
                beneficiary=beneficiary,
                channel=channel,
                actor=actor,
            ),
            key=key,
        )

    # -- redemptions -----------------------------------------------------------------------------

    def hold(
        self,
        cart: Cart,
        *,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo,
        scheduled_for: dt.datetime | None = None,
        booking_kind: BookingKind = "appointment",
        actor: Actor | None = None,
    ) -> Receipt:
        """Hold the owner's credits for the lines of *cart*, booked as *booking*
        (:func:`punchcard.lifecycle.hold`); ``receipt.charges`` says what they cover."""
        return self._redeem(
            "hold",
            lc.hold,
            cart,
            key,
            booking,
            as_of,
            timezone,
            booking_kind,
            actor,
            scheduled_for=scheduled_for,
        )

    def checkout(
        self,
        cart: Cart,
        *,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo,
        booking_kind: BookingKind = "ticket",
        actor: Actor | None = None,
    ) -> Receipt:
        """Redeem the owner's credits for *cart* and record them used at once (a ticket closed
        at the till: :func:`punchcard.lifecycle.checkout`)."""
        return self._redeem(
            "checkout", lc.checkout, cart, key, booking, as_of, timezone, booking_kind, actor
        )

    def _redeem(
        self,
        operation: str,
        function: Any,
        cart: Cart,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo,
        booking_kind: BookingKind,
        actor: Actor | None,
        **scheduled: Any,
    ) -> Receipt:
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            outcome: Outcome = function(
                state,
                cart,
                booking=booking,
                at=as_of,
                timezone=timezone,
                booking_kind=booking_kind,
                settings=business.settings,
                policy=business.policy,
                rates=business.rates,
                actor=actor,
                **scheduled,
            )
            return outcome

        return self.run(
            _request(
                operation,
                cart.owner,
                plan,
                booking=booking,
                cart=cart,
                as_of=as_of,
                timezone=timezone,
                booking_kind=booking_kind,
                actor=actor,
                **scheduled,
            ),
            key=key,
        )

    def use(
        self,
        owner: str,
        booking: str,
        *,
        key: str,
        as_of: dt.datetime,
        reason: UseReason = "completed",
        line_id: str | None = None,
        actor: Actor | None = None,
    ) -> Receipt:
        """Mark the held credits of *booking* (or of its line *line_id*) used
        (:func:`punchcard.lifecycle.use`)."""

        def plan(state: LedgerState) -> Outcome:
            return lc.use(state, booking, at=as_of, reason=reason, line_id=line_id, actor=actor)

        return self.run(
            _request(
                "use",
                owner,
                plan,
                booking=booking,
                as_of=as_of,
                reason=reason,
                line_id=line_id,
                actor=actor,
            ),
            key=key,
        )

    def cancel(
        self,
        owner: str,
        booking: str,
        *,
        key: str,
        as_of: dt.datetime,
        line_id: str | None = None,
        actor: Actor | None = None,
    ) -> Receipt:
        """Cancel *booking* (or its line *line_id*): its credits come back once
        (:func:`punchcard.lifecycle.cancel`). Only *owner*'s redemptions are read."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return lc.cancel(
                state, booking, at=as_of, line_id=line_id, actor=actor, policy=business.policy
            )

        return self.run(
            _request(
                "cancel",
                owner,
                plan,
                booking=booking,
                as_of=as_of,
                line_id=line_id,
                actor=actor,
            ),
            key=key,
        )

    # -- one package -----------------------------------------------------------------------------

    def refund(
        self, owner: str, package_id: str, *, key: str, as_of: dt.datetime, actor: Actor | None
    ) -> Receipt:
        """Refund a package (:func:`punchcard.lifecycle.refund`)."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return lc.refund(
                state,
                package_id,
                at=as_of,
                actor=actor,
                settings=business.settings,
                policy=business.policy,
            )

        return self.run(
            _request(
                "refund",
                owner,
                plan,
                package_ids=(package_id,),
                package_id=package_id,
                as_of=as_of,
                actor=actor,
            ),
            key=key,
        )

    def assign(
        self,
        owner: str,
        package_id: str,
        item: str,
        credits: int,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None,
        note: str = "",
    ) -> Receipt:
        """Add credits without payment (:func:`punchcard.lifecycle.assign`)."""
        return self._adjust(
            "assign", lc.assign, owner, package_id, item, credits, key, as_of, actor, note
        )

    def deduct(
        self,
        owner: str,
        package_id: str,
        item: str,
        credits: int,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None,
        note: str = "",
    ) -> Receipt:
        """Remove credits by hand (:func:`punchcard.lifecycle.deduct`)."""
        return self._adjust(
            "deduct", lc.deduct, owner, package_id, item, credits, key, as_of, actor, note
        )

    def _adjust(
        self,
        operation: str,
        function: Any,
        owner: str,
        package_id: str,
        item: str,
        credits: int,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None,
        note: str,
    ) -> Receipt:
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            outcome: Outcome = function(
                state,
                package_id,
                item,
                credits,
                at=as_of,
                actor=actor,
                note=note,
                policy=business.policy,
            )
            return outcome

        return self.run(
            _request(
                operation,
                owner,
                plan,
                package_ids=(package_id,),
                package_id=package_id,
                item=item,
                credits=credits,
                as_of=as_of,
                actor=actor,
                note=note,
            ),
            key=key,
        )

    def edit_expiry(
        self,
        owner: str,
        package_id: str,
        expires_on: dt.date,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """Move a package's expiry date (:func:`punchcard.lifecycle.edit_expiry`)."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return lc.edit_expiry(
                state, package_id, expires_on, at=as_of, actor=actor, policy=business.policy
            )

        return self.run(
            _request(
                "edit_expiry",
                owner,
                plan,
                package_ids=(package_id,),
                package_id=package_id,
                expires_on=expires_on,
                as_of=as_of,
                actor=actor,
            ),
            key=key,
        )

    def delete(
        self,
        owner: str,
        package_id: str,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """Delete a package sold by mistake (:func:`punchcard.lifecycle.delete`)."""

        def plan(state: LedgerState) -> Outcome:
            return lc.delete(state, package_id, at=as_of, actor=actor)

        return self.run(
            _request(
                "delete",
                owner,
                plan,
                package_ids=(package_id,),
                package_id=package_id,
                as_of=as_of,
                actor=actor,
            ),
            key=key,
        )

    # -- the sweeps ------------------------------------------------------------------------------

    def renew(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """Renew the owner's subscriptions whose period ended (:func:`punchcard.lifecycle.renew`)."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return lc.renew(state, as_of=as_of, policy=business.policy)

        return self.run(_request("renew", owner, plan, as_of=as_of), key=key)

    def expire(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """Expire the owner's packages whose expiry passed (:func:`punchcard.lifecycle.expire`)."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return lc.expire(state, as_of=as_of, policy=business.policy)

        return self.run(_request("expire", owner, plan, as_of=as_of), key=key)

    def use_due(
        self, owner: str, *, key: str, as_of: dt.datetime, actor: Actor | None = None
    ) -> Receipt:
        """Record as used the owner's holds whose time passed (:func:`punchcard.lifecycle.use_due`)."""

        def plan(state: LedgerState) -> Outcome:
            return lc.use_due(state, as_of=as_of, actor=actor)

        return self.run(_request("use_due", owner, plan, as_of=as_of, actor=actor), key=key)

    def sweep(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """The nightly job for one owner, in one transaction: renew the subscriptions, record the
        holds whose time passed as used, expire the packages whose expiry passed."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            renewed = lc.renew(state, as_of=as_of, policy=business.policy)
            used = lc.use_due(renewed.state, as_of=as_of)
            expired = lc.expire(used.state, as_of=as_of, policy=business.policy)
            return Outcome(renewed.events + used.events + expired.events, expired.state)

        return self.run(_request("sweep", owner, plan, as_of=as_of), key=key)
