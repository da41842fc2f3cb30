"""Who may do what: the actor a host passes in, and the three permissions of
docs/semantics.md#l-lifecycle.

punchcard does not know users. The host builds an :class:`Actor` from its own user and groups and
passes it to the operations that need a permission; a missing permission raises
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

from collections.abc import Iterable
from typing import Final

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError
from .errors import PermissionDenied

__all__ = [
    "ASSIGN_CREDITS",
    "DEDUCT_REFUND_CREDITS",
    "MANAGE_PACKAGES",
    "PERMISSIONS",
    "Actor",
    "require",
]

#: Add credits to a package without payment (manual assign).
ASSIGN_CREDITS: Final = "assign_credits"
#: Remove credits from a package by hand, and refund packages.
DEDUCT_REFUND_CREDITS: Final = "deduct_refund_credits"
#: Create, edit, deactivate and delete package types.
MANAGE_PACKAGES: Final = "manage_packages"
#: The permissions punchcard knows.
PERMISSIONS: Final[frozenset[str]] = frozenset(
    {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, MANAGE_PACKAGES}
)


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
    punchcard.errors.InvalidValueError: permissions: must be among ['assign_credits', 'deduct_refund_credits', 'manage_packages'], got ['sell_ice']
    """

    #: The host's id for this person or job; recorded on the events they cause.
    id: str = attrs.field(validator=v.identifier)
    #: The permissions they hold (names from :data:`PERMISSIONS`).
    permissions: frozenset[str] = attrs.field(default=frozenset(), converter=_permissions)

    def may(self, permission: str) -> bool:
        """Whether the actor holds *permission*."""
        return permission in self.permissions


def require(actor: Actor | None, permission: str) -> None:
    """Raise :class:`PermissionDenied` unless *actor* holds *permission*.

    >>> require(None, MANAGE_PACKAGES)
    Traceback (most recent call last):
    ...
    punchcard.lifecycle.errors.PermissionDenied: no actor was given and the operation needs the permission 'manage_packages'
    """
    if actor is None:
        raise PermissionDenied(permission, None)
    if not isinstance(actor, Actor):
        raise InvalidTypeError("actor", f"must be an Actor, got {actor!r}")
    if permission not in actor.permissions:
        raise PermissionDenied(permission, actor.id)
