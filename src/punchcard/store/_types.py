"""The values the store passes around: a request (an operation as a pure function of the owner's
state, with the arguments that decide it), and the receipt of a committed one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..lifecycle import LedgerEvent, LedgerState, Outcome, RedemptionOutcome, TicketOutcome
from ..money import Money

__all__ = ["Charges", "LineCharge", "Receipt", "Request"]


@attrs.frozen
class Request:
    """One mutating operation of one owner (or of two: :attr:`counterpart`), before it is
    committed.

    *plan* is the operation itself: a pure function from the owner's state (as the store loads it
    under the owner's guard) to the lifecycle's :class:`~punchcard.lifecycle.Outcome`. *arguments*
    are everything else that decides the result; with the operation's name, the owner and the
    store's business they make the request's digest, which an idempotency key is bound to.
    """

    #: The operation's name (``"hold"``, ``"refund"``...).
    operation: str
    #: The owner whose packages the operation reads and writes (the guard it runs under).
    owner: str
    #: The arguments, by name (JSON-encodable by :func:`punchcard.store._codec.request_json`).
    arguments: Mapping[str, Any]
    #: The operation: state in, outcome out; raises to refuse (nothing is written then).
    plan: Callable[[LedgerState], Outcome] = attrs.field(eq=False, repr=False)
    #: The booking whose redemptions the operation reads (besides the held ones), if any.
    booking: str | None = None
    #: The packages the request names: each must be the owner's (or not exist yet).
    package_ids: tuple[str, ...] = ()
    #: A second owner the operation reads and writes too (a transfer to another client's
    #: package): their guard is taken as well (the two in name order), their packages loaded
    #: with the owner's, and their rows written in the same transaction.
    #:
    #: .. versionadded:: 0.2
    counterpart: str | None = None
    #: The packages the request names of the *counterpart*: each must be theirs.
    #:
    #: .. versionadded:: 0.2
    counterpart_package_ids: tuple[str, ...] = ()


@attrs.frozen
class LineCharge:
    """What a redemption operation did to one cart line."""

    line_id: str
    total: Money
    covered: Money
    due: Money
    credits: int


@attrs.frozen
class Charges:
    """What a redemption operation (hold, checkout, close_ticket) did to the cart: what the
    credits covered and what is still due, in total and per line."""

    total: Money
    covered: Money
    due: Money
    lines: tuple[LineCharge, ...]

    @classmethod
    def of(cls, outcome: RedemptionOutcome | TicketOutcome) -> Charges:
        """The charges of a hold, checkout or closed ticket."""
        if isinstance(outcome, TicketOutcome):
            return cls(
                outcome.total,
                outcome.covered,
                outcome.due,
                tuple(
                    LineCharge(
                        line.line_id,
                        line.total,
                        line.covered,
                        line.due,
                        sum(r.credits for r in line.holds)
                        + sum(r.credits for r in line.redemptions),
                    )
                    for line in outcome.lines
                ),
            )
        application = outcome.application
        return cls(
            application.total,
            application.covered,
            application.due,
            tuple(
                LineCharge(r.line_id, r.total, r.covered, r.due, r.credits)
                for r in application.lines
            ),
        )


@attrs.frozen
class Receipt:
    """What the store committed for one idempotency key.

    ``replayed`` is true when the key had been committed before (a retry): nothing was applied
    now, and the events and charges are the stored ones.
    """

    key: str
    operation: str
    owner: str
    #: The ledger events committed, in ledger order (possibly none).
    events: tuple[LedgerEvent, ...]
    #: Their global ledger positions (ascending; commit order).
    positions: tuple[int, ...]
    #: For hold, checkout and close_ticket: covered and due, per line (``None`` for the other
    #: operations).
    charges: Charges | None
    #: ``True``: committed by an earlier call with this key; nothing was applied now.
    replayed: bool
    #: How many transactions this call ran (1 + conflicts retried).
    attempts: int
    #: The lifecycle's outcome of this call (``None`` when replayed): its ``application`` holds
    #: the engine's full answer (rejections...), its ``state`` the packages the store loaded.
    outcome: Outcome | None = attrs.field(default=None, eq=False, repr=False)
