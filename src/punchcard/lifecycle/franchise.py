"""Franchises: package types defined at the parent (global) or at a child account (local).

A *global* type is defined at the parent account: every location of every child may sell it and
redeem it, and only the parent may delete it (which removes it everywhere). A *local* type is
defined at one child account: only that child's locations may sell it; its credits are redeemed
at its own location, or at any of the child's locations with the ``any_location`` setting; only
that child may delete it (from all its locations at once).

>>> from punchcard import Money
>>> from punchcard.lifecycle import PackageType, TypeComponent
>>> franchise = Franchise.from_mapping("hq", {"north": {"downtown", "uptown"}, "south": {"beach"}})
>>> usd = Money("100", "USD")
>>> national = PackageType(id="nat", name="National 10", price=usd, defined_at="hq",
...                        components=[TypeComponent("daycare_full", 10)])
>>> local = PackageType(id="loc", name="North 10", price=usd, defined_at="north",
...                     location="downtown", components=[TypeComponent("daycare_full", 10)])
>>> franchise.scope(national), franchise.scope(local)
('global', 'local')
>>> franchise.may_sell(national, "beach"), franchise.may_sell(local, "beach")
(True, False)
>>> franchise.may_redeem(local, "uptown"), franchise.may_redeem(
...     local, "uptown", Settings(any_location=True))
(False, True)
>>> franchise.may_redeem(local, "beach", Settings(any_location=True))
False
>>> franchise.may_delete(national, "north"), franchise.may_delete(national, "hq")
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError
from ..models import Settings

__all__ = ["Franchise", "Scope", "Terms"]

#: Where a package type was defined.
Scope = Literal["global", "local"]
_DEFAULT_SETTINGS = Settings()


class Terms(Protocol):
    """What the franchise rules read of a package type, or of a package sold of one (both a
    :class:`~punchcard.lifecycle.PackageType` and a :class:`~punchcard.lifecycle.PackageState`
    have them)."""

    @property
    def defined_at(self) -> str | None:
        """The account that defined the type (``None``: none, i.e. global)."""

    @property
    def location(self) -> str | None:
        """The location the type is sold and redeemed at (``None``: every location)."""


def _children(value: object) -> tuple[tuple[str, frozenset[str]], ...]:
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        pairs = list(value)
    else:
        raise InvalidTypeError("children", f"must map child account -> locations, got {value!r}")
    out: list[tuple[str, frozenset[str]]] = []
    owner_of: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise InvalidTypeError("children", f"must map child account -> locations, got {pair!r}")
        child, locations = pair
        if not isinstance(child, str) or not child:
            raise InvalidValueError("children", f"account ids must be non-empty strings: {child!r}")
        if isinstance(locations, (str, bytes)) or not isinstance(locations, Iterable):
            raise InvalidTypeError(
                "children", f"locations of {child!r} must be a set of ids, got {locations!r}"
            )
        locs = frozenset(locations)
        for loc in locs:
            if loc in owner_of:
                raise InvalidValueError(
                    "children", f"location {loc!r} belongs to {owner_of[loc]!r} and {child!r}"
                )
            owner_of[loc] = child
        out.append((child, locs))
    out.sort(key=lambda p: p[0])
    return tuple(out)


@attrs.frozen
class Franchise:
    """A parent account and its child accounts, each with its locations."""

    #: The parent (franchisor) account id.
    parent: str = attrs.field(validator=v.identifier)
    #: (child account id, its locations), sorted by account id.
    children: tuple[tuple[str, frozenset[str]], ...] = attrs.field(converter=_children)

    def __attrs_post_init__(self) -> None:
        if any(child == self.parent for child, _ in self.children):
            raise InvalidValueError("children", f"{self.parent!r} is the parent, not a child")

    @classmethod
    def from_mapping(cls, parent: str, children: Mapping[str, Iterable[str]]) -> Franchise:
        """Build from ``{child account: [locations]}``."""
        return cls(parent, tuple((k, frozenset(v)) for k, v in children.items()))

    @property
    def locations(self) -> frozenset[str]:
        """Every location of the franchise."""
        return frozenset().union(*(locs for _, locs in self.children))

    def locations_of(self, account: str) -> frozenset[str]:
        """The locations of child *account* (every location for the parent)."""
        if account == self.parent:
            return self.locations
        for child, locs in self.children:
            if child == account:
                return locs
        raise InvalidValueError("account", f"{account!r} is not an account of this franchise")

    def scope(self, ptype: Terms) -> Scope:
        """``global`` for a type defined at the parent (or with no ``defined_at``), else
        ``local``."""
        if ptype.defined_at is None or ptype.defined_at == self.parent:
            return "global"
        self.locations_of(ptype.defined_at)  # validates the account
        return "local"

    def may_sell(self, ptype: Terms, location: str) -> bool:
        """Whether *location* may sell packages of *ptype*."""
        if self.scope(ptype) == "global":
            return location in self.locations
        assert ptype.defined_at is not None
        return location in self.locations_of(ptype.defined_at)

    def may_redeem(
        self, ptype: Terms, location: str, settings: Settings = _DEFAULT_SETTINGS
    ) -> bool:
        """Whether credits of a *ptype* package (a type, or a package sold of one) may be
        redeemed at *location*: a global type at every location of the franchise, a local one
        at its own location, or at any location of its child account with ``any_location``
        or when the type has no location."""
        if self.scope(ptype) == "global":
            return location in self.locations
        assert ptype.defined_at is not None
        own = self.locations_of(ptype.defined_at)
        if settings.any_location or ptype.location is None:
            return location in own
        return location == ptype.location

    def may_delete(self, ptype: Terms, account: str | None) -> bool:
        """Whether *account* may delete *ptype*: a global type only the parent, a local one only
        the child that defined it."""
        if self.scope(ptype) == "global":
            return account == self.parent
        return account == ptype.defined_at
