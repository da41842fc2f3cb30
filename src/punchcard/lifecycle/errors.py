"""The errors of the lifecycle: a refused operation, a missing permission, a broken ledger.

(:class:`LedgerError` is the ledger's own, from :mod:`punchcard.events`.) All derive from :class:`punchcard.errors.PunchcardError` and from the builtin they resemble, and
keep what went wrong as attributes, so a host can map them to its own responses without parsing
messages.
"""

from __future__ import annotations

from typing import Final, Literal

from .._codec import LedgerError
from ..errors import PunchcardError

__all__ = [
    "REFUSAL_CODES",
    "LedgerError",
    "OperationRefused",
    "PermissionDenied",
    "RefusalCode",
]

#: Why an operation was refused (``OperationRefused.code``).
RefusalCode = Literal[
    "already_cancelled",
    "already_deleted",
    "already_redeemed",
    "already_refunded",
    "already_stopped",
    "already_used",
    "beneficiary_not_allowed",
    "beneficiary_required",
    "credits_held",
    "credits_removed",
    "currency_mismatch",
    "duplicate_package",
    "duplicate_type",
    "held_exceeds_units",
    "in_debt",
    "inactive_type",
    "insufficient_credits",
    "not_defined_here",
    "not_online",
    "not_started",
    "not_subscription",
    "once_per_owner",
    "out_of_order",
    "package_deleted",
    "package_expired",
    "package_refunded",
    "pause_after_expiry",
    "pause_in_past",
    "pause_over",
    "pause_overlaps",
    "redeemed_in_pause",
    "renewal_passed",
    "same_package",
    "subscription",
    "subscription_type",
    "unchanged",
    "unknown_booking",
    "unknown_item",
    "unknown_package",
    "unknown_pause",
    "unit_mismatch",
    "unknown_type",
    "used",
]

#: Every refusal code, for hosts that map codes to their own messages.
REFUSAL_CODES: Final[frozenset[str]] = frozenset(RefusalCode.__args__)  # type: ignore[attr-defined]


class OperationRefused(PunchcardError, ValueError):
    """An operation cannot be done in the state the ledger is in; nothing was changed.

    ``.code`` says why in a machine-readable way, ``.package_id`` names the package concerned
    (when one is), and the message says it to a person.

    >>> err = OperationRefused("once_per_owner", "This package can only be purchased once per client.")
    >>> err.code, str(err)
    ('once_per_owner', 'This package can only be purchased once per client.')
    """

    def __init__(self, code: RefusalCode, message: str, *, package_id: str | None = None) -> None:
        super().__init__(message)
        #: Machine-readable reason, one of :data:`REFUSAL_CODES`.
        self.code: RefusalCode = code
        #: The package concerned, if any.
        self.package_id = package_id
        #: The human message (also ``str(err)``).
        self.message = message


class PermissionDenied(PunchcardError, LookupError):
    """The actor lacks the permission an operation needs; nothing was changed.

    It derives from :class:`LookupError` (the permission was looked for among the actor's and
    is not there), not from :class:`PermissionError`: that one is an :class:`OSError`, and an
    ``except OSError`` around a host's file or network I/O must not swallow a refused
    operation.

    >>> err = PermissionDenied("assign_credits", "front-desk")
    >>> err.permission, err.actor
    ('assign_credits', 'front-desk')
    >>> str(err)
    "actor 'front-desk' lacks the permission 'assign_credits'"
    >>> isinstance(err, OSError), isinstance(err, LookupError)
    (False, True)
    """

    def __init__(self, permission: str, actor: str | None) -> None:
        who = "no actor was given and the operation" if actor is None else f"actor {actor!r}"
        verb = "needs" if actor is None else "lacks"
        super().__init__(f"{who} {verb} the permission {permission!r}")
        #: The permission that is missing.
        self.permission = permission
        #: The id of the actor refused (``None`` when no actor was given).
        self.actor = actor
