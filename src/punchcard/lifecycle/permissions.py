"""Who may do what: the actor a host passes in, the three permissions of the source articles, and
the business's policy of which operation needs which.

punchcard does not know users. The host builds an :class:`Actor` from its own user and groups and
passes it to the operations; the business's :class:`PermissionPolicy` says which permission each
operation needs. A missing permission raises
:class:`~punchcard.lifecycle.errors.PermissionDenied` naming it, and nothing changes.

>>> desk = Actor("front-desk", {ASSIGN_CREDITS})
>>> desk.may(ASSIGN_CREDITS), desk.may(DEDUCT_REFUND_CREDITS)
(True, False)
>>> require(desk, DEDUCT_REFUND_CREDITS)
Traceback (most recent call last):
...
punchcard.lifecycle.errors.PermissionDenied: actor 'front-desk' lacks the permission 'deduct_refund_credits'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Final, Literal

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError
from .errors import PermissionDenied

__all__ = [
    "ASSIGN_CREDITS",
    "DEDUCT_REFUND_CREDITS",
    "DEFAULT_REQUIRED",
    "MANAGE_PACKAGES",
    "OPERATIONS",
    "PAUSE_PACKAGES",
    "PERMISSIONS",
    "Actor",
    "Operation",
    "PermissionPolicy",
    "require",
]

#: Add credits to a package without payment (manual assign).
ASSIGN_CREDITS: Final = "assign_credits"
#: Remove credits from a package by hand, and refund packages.
DEDUCT_REFUND_CREDITS: Final = "deduct_refund_credits"
#: Create, edit, deactivate and delete package types (and, by default, move a client's package
#: to another pet / family member: MyTime's "Access Packages").
MANAGE_PACKAGES: Final = "manage_packages"
#: Pause a package (a freeze for a vacation, an injury) and end a pause early (X7). A pause
#: gives the package its paused days back, in effect validity without payment: a permission of
#: its own, as the products that offer freezes have.
#:
#: .. versionadded:: 0.2
PAUSE_PACKAGES: Final = "pause_packages"
#: The permissions punchcard knows.
PERMISSIONS: Final[frozenset[str]] = frozenset(
    {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, MANAGE_PACKAGES, PAUSE_PACKAGES}
)

#: Every operation a business may put behind a permission. ``cancel_used`` is the cancellation
#: of credits already used (see :attr:`PermissionPolicy.cancel_used_after`); a cancellation also
#: needs what ``cancel`` needs. ``waive`` is the waiver of a late-cancel or no-show penalty
#: (issue 12, option 1); the operations after ``delete_type`` are those of issue 12.
Operation = Literal[
    "purchase",
    "hold",
    "checkout",
    "close_ticket",
    "use",
    "cancel",
    "cancel_used",
    "refund",
    "delete",
    "assign",
    "deduct",
    "edit_expiry",
    "add_type",
    "edit_type",
    "delete_type",
    "pause",
    "unpause",
    "no_show",
    "waive",
    "transfer",
    "change_beneficiary",
    "set_renewal",
    "stop_renewal",
]
OPERATIONS: Final[tuple[Operation, ...]] = Operation.__args__  # type: ignore[attr-defined]

#: What each operation needs by default (the source articles): staff adjustments and refunds
#: their permission, the catalogue ``manage_packages``, pauses ``pause_packages``, everything
#: else nothing.
DEFAULT_REQUIRED: Final[Mapping[Operation, str | None]] = {
    **dict.fromkeys(OPERATIONS, None),
    "assign": ASSIGN_CREDITS,
    "deduct": DEDUCT_REFUND_CREDITS,
    "refund": DEDUCT_REFUND_CREDITS,
    "add_type": MANAGE_PACKAGES,
    "edit_type": MANAGE_PACKAGES,
    "delete_type": MANAGE_PACKAGES,
    "pause": PAUSE_PACKAGES,
    "unpause": PAUSE_PACKAGES,
    # issue 12: waiving a penalty gives credits back (a credit refund); a transfer gives the
    # receiving client credits without payment (an assignment); moving a package to another
    # pet edits a client's package (MyTime: "Access Packages").
    "waive": DEDUCT_REFUND_CREDITS,
    "transfer": ASSIGN_CREDITS,
    "change_beneficiary": MANAGE_PACKAGES,
}


def _permissions(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidTypeError("permissions", f"must be a collection of names, got {value!r}")
    out = frozenset(value)
    unknown = sorted(p for p in out if p not in PERMISSIONS)
    if unknown:
        raise InvalidValueError(
            "permissions", f"must be among {sorted(PERMISSIONS)!r}, got {unknown!r}"
        )
    return out


@attrs.frozen
class Actor:
    """A member of staff (or a system job) acting on the ledger, with what they may do.

    >>> Actor("ann", ["manage_packages"]).permissions
    frozenset({'manage_packages'})
    >>> Actor("ann", ["sell_ice"])
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: permissions: must be among ['assign_credits', 'deduct_refund_credits', 'manage_packages', 'pause_packages'], got ['sell_ice']
    """

    #: The host's id for this person or job; recorded on the events they cause.
    id: str = attrs.field(validator=v.identifier)
    #: The permissions they hold (names from :data:`PERMISSIONS`).
    permissions: frozenset[str] = attrs.field(default=frozenset(), converter=_permissions)

    def may(self, permission: str) -> bool:
        """Whether the actor holds *permission*."""
        return permission in self.permissions


def require(actor: Actor | None, permission: str | None) -> None:
    """Raise :class:`PermissionDenied` unless *actor* holds *permission* (``None``: nothing is
    needed, any actor or none will do).

    >>> require(None, MANAGE_PACKAGES)
    Traceback (most recent call last):
    ...
    punchcard.lifecycle.errors.PermissionDenied: no actor was given and the operation needs the permission 'manage_packages'
    >>> require(None, None)
    """
    if actor is not None and not isinstance(actor, Actor):
        raise InvalidTypeError("actor", f"must be an Actor or None, got {actor!r}")
    if permission is None:
        return
    if actor is None:
        raise PermissionDenied(permission, None)
    if permission not in actor.permissions:
        raise PermissionDenied(permission, actor.id)


def _required(value: Mapping[str, str | None]) -> tuple[tuple[Operation, str | None], ...]:
    if isinstance(value, tuple):  # already converted (attrs.evolve passes the stored form)
        value = dict(value)
    if not isinstance(value, Mapping):
        raise InvalidTypeError("required", f"must map operation -> permission, got {value!r}")
    unknown = sorted(str(k) for k in value if k not in OPERATIONS)
    if unknown:
        raise InvalidValueError(
            "required", f"operations must be among {sorted(OPERATIONS)!r}, got {unknown!r}"
        )
    for operation, permission in value.items():
        if permission is not None and permission not in PERMISSIONS:
            raise InvalidValueError(
                f"required.{operation}",
                f"must be None or one of {sorted(PERMISSIONS)!r}, got {permission!r}",
            )
    return tuple(
        (operation, value[operation] if operation in value else DEFAULT_REQUIRED[operation])
        for operation in OPERATIONS
    )


def _after(_inst: object, attr: attrs.Attribute[dt.timedelta | None], value: object) -> None:
    if value is not None and (not isinstance(value, dt.timedelta) or value < dt.timedelta(0)):
        raise InvalidValueError(attr.name, f"must be None or a timedelta >= 0, got {value!r}")


@attrs.frozen
class PermissionPolicy:
    """Which permission each operation needs: the business's choice, the source articles' by
    default (:data:`DEFAULT_REQUIRED`).

    >>> strict = PermissionPolicy(
    ...     {"delete": MANAGE_PACKAGES, "edit_expiry": MANAGE_PACKAGES,
    ...      "cancel_used": DEDUCT_REFUND_CREDITS},
    ...     cancel_used_after=dt.timedelta(days=7),
    ... )
    >>> strict.needs("delete"), strict.needs("assign"), strict.needs("hold")
    ('manage_packages', 'assign_credits', None)
    >>> PermissionPolicy({"sell": MANAGE_PACKAGES})
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: required: operations must be among ['add_type', 'assign', 'cancel', 'cancel_used', 'change_beneficiary', 'checkout', 'close_ticket', 'deduct', 'delete', 'delete_type', 'edit_expiry', 'edit_type', 'hold', 'no_show', 'pause', 'purchase', 'refund', 'set_renewal', 'stop_renewal', 'transfer', 'unpause', 'use', 'waive'], got ['sell']
    """

    #: Operation -> the permission it needs (``None``: none). Operations not given keep their
    #: default; stored with every operation, in the order of :data:`OPERATIONS`.
    required: tuple[tuple[Operation, str | None], ...] = attrs.field(
        factory=dict, converter=_required
    )
    #: With a permission for ``cancel_used``: it is needed only for credits whose service took
    #: place more than this long before the cancellation (``None``: for every used credit).
    cancel_used_after: dt.timedelta | None = attrs.field(default=None, validator=_after)

    def needs(self, operation: Operation) -> str | None:
        """The permission *operation* needs (``None``: none)."""
        for name, permission in self.required:
            if name == operation:
                return permission
        raise InvalidValueError(
            "operation", f"must be one of {sorted(OPERATIONS)!r}, got {operation!r}"
        )

    def check(self, actor: Actor | None, operation: Operation) -> None:
        """Raise :class:`PermissionDenied` unless *actor* may do *operation*."""
        require(actor, self.needs(operation))

    def check_cancel_used(
        self, actor: Actor | None, service: dt.datetime, moment: dt.datetime
    ) -> None:
        """Raise :class:`PermissionDenied` unless *actor* may cancel credits used for a service
        at *service*, at *moment* (both aware)."""
        after = self.cancel_used_after
        if (
            after is not None
            and moment.astimezone(dt.timezone.utc) - service.astimezone(dt.timezone.utc) <= after
        ):
            return
        require(actor, self.needs("cancel_used"))
