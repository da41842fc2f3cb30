"""Every mutating operation of the store, each a thin wrapper: it names the operation, the owner,
the arguments that decide it, and the lifecycle function that does it, and hands that
:class:`~punchcard.store._types.Request` to :meth:`Operations.run` (the store's one commit path).

Every lifecycle operation has the same shape — ``function(state, *subject, as_of=...,
business=..., **options)`` — so one builder, :meth:`Operations._operation`, serves them all; it
is given the subject by name, so that the request's arguments (and the errors about them) say
``booking``, ``cart`` or ``package_id``.
This is the only module of the store that knows the signatures of :mod:`punchcard.lifecycle`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from .. import lifecycle as lc
from ..lifecycle import (
    Actor,
    BookingKind,
    Business,
    LedgerState,
    Outcome,
    PackageType,
    UseReason,
)
from ..models import Cart
from ._types import Receipt, Request

__all__ = ["Operations"]


class Operations(abc.ABC):
    """The operations of :class:`punchcard.store.Store`, one method each.

    Every one takes an idempotency ``key`` (any string the host chooses for this request: the
    same key sent again returns the first outcome and applies nothing), ``as_of`` (when it
    happens; a naive time is local time in each package's zone) and, where staff act, the
    ``actor``. Each returns a :class:`~punchcard.store.Receipt`, or raises the lifecycle's
    refusal (:class:`~punchcard.lifecycle.OperationRefused`,
    :class:`~punchcard.lifecycle.PermissionDenied`) and writes nothing. Each operation first
    records what is already true at ``as_of`` for the packages it reads (the catch-up).
    """

    #: The business settings every operation is run with.
    business: Business

    @abc.abstractmethod
    def run(self, request: Request, *, key: str) -> Receipt:
        """Commit *request* under idempotency key *key* (the store's one commit path)."""

    def _operation(
        self,
        operation: str,
        function: Callable[..., Outcome],
        account: str,
        subject: Mapping[str, Any],
        *,
        key: str,
        as_of: dt.datetime,
        reads: str | None = None,
        package_ids: tuple[str, ...] = (),
        **options: Any,
    ) -> Receipt:
        """Run ``function(state, *subject.values(), as_of=as_of, business=..., **options)``
        through the commit path, for the owner *account* (whose guard it takes and whose packages
        alone it reads), with the redemptions of the booking *reads* loaded besides the held ones.
        *subject* names the positional arguments. The request that the idempotency key is bound
        to holds the operation, the owner, *subject*, *options* and *as_of* by name (and the
        business, added by the store)."""
        business = self.business

        def plan(state: LedgerState) -> Outcome:
            return function(state, *subject.values(), as_of=as_of, business=business, **options)

        arguments = {**subject, **options, "as_of": as_of}
        request = Request(
            operation, account, arguments, plan, booking=reads, package_ids=package_ids
        )
        return self.run(request, key=key)

    # -- sale ------------------------------------------------------------------------------------

    def sell(
        self,
        owner: str,
        ptype: PackageType,
        *,
        key: str,
        package_id: str,
        as_of: dt.datetime,
        timezone: str | None = None,
        beneficiary: str | None = None,
        channel: Literal["pos", "portal"] = "pos",
        actor: Actor | None = None,
        valid_from: dt.datetime | None = None,
    ) -> Receipt:
        """Sell a package of type *ptype* to *owner* as *package_id*
        (:func:`punchcard.lifecycle.purchase`); *timezone* is the selling location's zone
        (default: the business's); *valid_from*: not valid before (a gift, a pre-sale)."""
        return self._operation(
            "sell",
            lc.purchase,
            owner,
            {"ptype": ptype},
            key=key,
            as_of=as_of,
            package_ids=(package_id,),
            package_id=package_id,
            owner=owner,
            timezone=timezone,
            beneficiary=beneficiary,
            channel=channel,
            actor=actor,
            valid_from=valid_from,
        )

    # -- redemptions -----------------------------------------------------------------------------

    def hold(
        self,
        cart: Cart,
        *,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo | None = None,
        scheduled_for: dt.datetime | None = None,
        booking_kind: BookingKind = "appointment",
        actor: Actor | None = None,
    ) -> Receipt:
        """Hold the owner's credits for the lines of *cart*, booked as *booking*
        (:func:`punchcard.lifecycle.hold`); ``receipt.charges`` says what they cover."""
        return self._operation(
            "hold",
            lc.hold,
            cart.owner,
            {"cart": cart},
            key=key,
            as_of=as_of,
            reads=booking,
            booking=booking,
            timezone=timezone,
            scheduled_for=scheduled_for,
            booking_kind=booking_kind,
            actor=actor,
        )

    def checkout(
        self,
        cart: Cart,
        *,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo | None = None,
        booking_kind: BookingKind = "ticket",
        actor: Actor | None = None,
    ) -> Receipt:
        """Redeem the owner's credits for *cart* and record them used at once (a ticket closed
        at the till: :func:`punchcard.lifecycle.checkout`)."""
        return self._operation(
            "checkout",
            lc.checkout,
            cart.owner,
            {"cart": cart},
            key=key,
            as_of=as_of,
            reads=booking,
            booking=booking,
            timezone=timezone,
            booking_kind=booking_kind,
            actor=actor,
        )

    def close_ticket(
        self,
        cart: Cart,
        *,
        key: str,
        booking: str,
        as_of: dt.datetime,
        timezone: str | dt.tzinfo | None = None,
        actor: Actor | None = None,
    ) -> Receipt:
        """Close a ticket in one operation (:func:`punchcard.lifecycle.close_ticket`): its booked
        lines use their holds, the rest of the ticket is offered to the owner's credits."""
        return self._operation(
            "close_ticket",
            lc.close_ticket,
            cart.owner,
            {"cart": cart},
            key=key,
            as_of=as_of,
            reads=booking,
            booking=booking,
            timezone=timezone,
            actor=actor,
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
        return self._operation(
            "use",
            lc.use,
            owner,
            {"booking": booking},
            key=key,
            as_of=as_of,
            reads=booking,
            reason=reason,
            line_id=line_id,
            owner=owner,
            actor=actor,
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
        waive: bool = False,
    ) -> Receipt:
        """Cancel *booking* (or its line *line_id*): its credits come back once
        (:func:`punchcard.lifecycle.cancel`), unless the business's late-cancel window says
        otherwise (*waive*: staff waive that penalty). Only *owner*'s redemptions are read."""
        return self._call_off(
            "cancel", lc.cancel, owner, booking, key, as_of, line_id, actor, waive
        )

    def no_show(
        self,
        owner: str,
        booking: str,
        *,
        key: str,
        as_of: dt.datetime,
        line_id: str | None = None,
        actor: Actor | None = None,
        waive: bool = False,
    ) -> Receipt:
        """Record that the customer did not show up for *booking* (or its line *line_id*): the
        business's no-show rule decides what becomes of its credits
        (:func:`punchcard.lifecycle.no_show`; *waive*: staff waive the penalty).

        .. versionadded:: 0.2
        """
        return self._call_off(
            "no_show", lc.no_show, owner, booking, key, as_of, line_id, actor, waive
        )

    def _call_off(
        self,
        operation: str,
        function: Callable[..., Outcome],
        owner: str,
        booking: str,
        key: str,
        as_of: dt.datetime,
        line_id: str | None,
        actor: Actor | None,
        waive: bool,
    ) -> Receipt:
        # *waive* is an argument only when given, so that a cancellation's request (and the
        # digest its key is bound to) is the one it was before the option existed
        more: dict[str, Any] = {"waive": waive} if waive is not False else {}
        return self._operation(
            operation,
            function,
            owner,
            {"booking": booking},
            key=key,
            as_of=as_of,
            reads=booking,
            line_id=line_id,
            owner=owner,
            actor=actor,
            **more,
        )

    # -- one package -----------------------------------------------------------------------------

    def refund(
        self, owner: str, package_id: str, *, key: str, as_of: dt.datetime, actor: Actor | None
    ) -> Receipt:
        """Refund a package (:func:`punchcard.lifecycle.refund`)."""
        return self._package("refund", lc.refund, owner, package_id, {}, key, as_of, actor)

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
        adjustment = {"item": item, "credits": credits}
        return self._package(
            "assign", lc.assign, owner, package_id, adjustment, key, as_of, actor, note=note
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
        adjustment = {"item": item, "credits": credits}
        return self._package(
            "deduct", lc.deduct, owner, package_id, adjustment, key, as_of, actor, note=note
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
        return self._package(
            "edit_expiry",
            lc.edit_expiry,
            owner,
            package_id,
            {"expires_on": expires_on},
            key,
            as_of,
            actor,
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
        return self._package("delete", lc.delete, owner, package_id, {}, key, as_of, actor)

    def _package(
        self,
        operation: str,
        function: Callable[..., Outcome],
        owner: str,
        package_id: str,
        more: Mapping[str, Any],
        key: str,
        as_of: dt.datetime,
        actor: Actor | None,
        **options: Any,
    ) -> Receipt:
        """An operation on one package of *owner* (and the rest of its subject, *more*): the
        store refuses it if the package is not theirs, whatever the request says."""
        return self._operation(
            operation,
            function,
            owner,
            {"package_id": package_id, **more},
            key=key,
            as_of=as_of,
            package_ids=(package_id,),
            actor=actor,
            **options,
        )

    # -- the market options (docs/options.md) ----------------------------------------------------

    def pause(
        self,
        owner: str,
        package_id: str,
        start: dt.date,
        end: dt.date,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
        note: str = "",
    ) -> Receipt:
        """Pause a package from *start* to *end*, local dates both included; its expiry date
        moves by the paused days (:func:`punchcard.lifecycle.pause`)."""
        dates = {"start": start, "end": end}
        return self._package(
            "pause", lc.pause, owner, package_id, dates, key, as_of, actor, note=note
        )

    def unpause(
        self,
        owner: str,
        package_id: str,
        start: dt.date,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """End early the pause of a package that begins on *start*
        (:func:`punchcard.lifecycle.unpause`)."""
        return self._package(
            "unpause", lc.unpause, owner, package_id, {"start": start}, key, as_of, actor
        )

    def transfer(
        self,
        owner: str,
        package_id: str,
        to_owner: str,
        to_package: str,
        item: str,
        credits: int,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None,
        note: str = "",
    ) -> Receipt:
        """Move *credits* of *item* from *owner*'s package *package_id* to *to_owner*'s package
        *to_package* (:func:`punchcard.lifecycle.transfer`): both owners' rows are written in
        one transaction, under both guards, once for the key; each package must be its owner's.

        .. versionadded:: 0.2
        """
        business = self.business
        subject = {"package_id": package_id, "to_package": to_package, "item": item}

        def plan(state: LedgerState) -> Outcome:
            return lc.transfer(
                state,
                package_id,
                to_package,
                item,
                credits,
                as_of=as_of,
                actor=actor,
                note=note,
                business=business,
            )

        arguments = {
            **subject,
            "credits": credits,
            "to_owner": to_owner,
            "actor": actor,
            "note": note,
            "as_of": as_of,
        }
        request = Request(
            "transfer",
            owner,
            arguments,
            plan,
            package_ids=(package_id,),
            counterpart=to_owner,
            counterpart_package_ids=(to_package,),
        )
        return self.run(request, key=key)

    def change_beneficiary(
        self,
        owner: str,
        package_id: str,
        beneficiary: str | None,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """Move a package to the pet / family member *beneficiary* (``None``: shared)
        (:func:`punchcard.lifecycle.change_beneficiary`).

        .. versionadded:: 0.2
        """
        return self._package(
            "change_beneficiary",
            lc.change_beneficiary,
            owner,
            package_id,
            {"beneficiary": beneficiary},
            key,
            as_of,
            actor,
        )

    def set_renewal(
        self,
        owner: str,
        package_id: str,
        renews_on: dt.date,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """Set the next renewal date of a subscription by hand
        (:func:`punchcard.lifecycle.set_renewal`).

        .. versionadded:: 0.2
        """
        return self._package(
            "set_renewal",
            lc.set_renewal,
            owner,
            package_id,
            {"renews_on": renews_on},
            key,
            as_of,
            actor,
        )

    def stop_renewal(
        self,
        owner: str,
        package_id: str,
        *,
        key: str,
        as_of: dt.datetime,
        actor: Actor | None = None,
    ) -> Receipt:
        """Stop a subscription renewing, without a refund
        (:func:`punchcard.lifecycle.stop_renewal`).

        .. versionadded:: 0.2
        """
        return self._package(
            "stop_renewal", lc.stop_renewal, owner, package_id, {}, key, as_of, actor
        )

    # -- the sweeps ------------------------------------------------------------------------------

    def renew(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """Renew the owner's subscriptions whose period ended (:func:`punchcard.lifecycle.renew`)."""
        return self._operation("renew", lc.renew, owner, {}, key=key, as_of=as_of)

    def expire(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """Expire the owner's packages whose expiry passed (:func:`punchcard.lifecycle.expire`)."""
        return self._operation("expire", lc.expire, owner, {}, key=key, as_of=as_of)

    def use_due(
        self, owner: str, *, key: str, as_of: dt.datetime, actor: Actor | None = None
    ) -> Receipt:
        """Record as used the owner's holds whose time passed (:func:`punchcard.lifecycle.use_due`)."""
        return self._operation("use_due", lc.use_due, owner, {}, key=key, as_of=as_of, actor=actor)

    def sweep(self, owner: str, *, key: str, as_of: dt.datetime) -> Receipt:
        """The nightly job for one owner, in one transaction: everything already true at
        *as_of* recorded — subscriptions renewed, holds whose time passed used, packages whose
        expiry passed expired (:func:`punchcard.lifecycle.catch_up`)."""
        return self._operation("sweep", lc.catch_up, owner, {}, key=key, as_of=as_of)
