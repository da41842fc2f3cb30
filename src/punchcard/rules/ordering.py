"""Which line is served first, and which credit pays first (``docs/semantics.md``, section O).

The credit order is total and the same shape for every policy: a component that pays the line's
item as its own before a cross-item one (O.1), then the lower package ``priority`` (X1), then the
:class:`PackageOrder`'s rank of the package, then the package id, then the component's position.
A :class:`PackageOrder` only ranks packages: the engine ranks them once per checkout and walks
that one ranking for every line.

A :class:`LineOrder` arranges the cart's lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

import attrs

from ..context import Context
from ..models import Line, Package

__all__ = [
    "LINE_ORDERS",
    "NEVER",
    "PACKAGE_ORDERS",
    "CartOrder",
    "CheapestFirst",
    "EarliestExpiry",
    "Fifo",
    "LineOrder",
    "Optimal",
    "PackageOrder",
    "PriciestFirst",
]

#: A moment later than every real one: never-expiring packages sort last.
NEVER: Final = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@runtime_checkable
class PackageOrder(Protocol):
    """The order in which the packages of a checkout are used (after O.1 and the priority).

    ``rank`` must not depend on the line: the engine ranks the packages once per checkout. It
    returns a tuple; smaller is used first; the engine appends the package id and the
    component's position, so the order is total.

    An order may say ``static_rank = True`` when its rank reads nothing but the package and its
    times (``ctx.times(package)``), never the checkout (its time, cart, settings): the engine
    then ranks a :class:`~punchcard.engine.PreparedPackages` once for all its checkouts.
    """

    @property
    def name(self) -> str:
        """The name used in scenario documents."""

    def rank(self, package: Package, ctx: Context) -> tuple[Any, ...]:
        """The package's rank key."""


@attrs.frozen
class Fifo:
    """Individual before shared (O.2), then the earliest purchase, whatever the expiry (O.3).

    >>> Fifo().name
    'fifo'
    """

    name: ClassVar[str] = "fifo"
    static_rank: ClassVar[bool] = True

    def rank(self, package: Package, ctx: Context) -> tuple[Any, ...]:
        return (package.beneficiary is None, ctx.times(package).purchased_utc)


@attrs.frozen
class EarliestExpiry:
    """Individual before shared, then the earliest expiry (never last), then the earliest
    purchase. A first-use package never used counts as never expiring."""

    name: ClassVar[str] = "earliest_expiry"
    static_rank: ClassVar[bool] = True

    def rank(self, package: Package, ctx: Context) -> tuple[Any, ...]:
        times = ctx.times(package)
        expires = times.expires_utc
        return (package.beneficiary is None, NEVER if expires is None else expires, times[1])


@runtime_checkable
class LineOrder(Protocol):
    """The order in which the cart's lines are served (all units of a line before the next).

    ``arrange`` must return a permutation of the line positions; anything else is refused with
    :class:`~punchcard.errors.PluginError`.
    """

    @property
    def name(self) -> str:
        """The name used in scenario documents."""

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        """Return the positions of *lines* in the order they are served."""


@attrs.frozen
class CheapestFirst:
    """The cheapest unit price first; ties keep cart order (the source: a credit goes to the
    cheapest eligible product).

    >>> from punchcard import Line, Money
    >>> lines = [Line("a", "x", Money("9", "USD")), Line("b", "x", Money("5", "USD")),
    ...          Line("c", "x", Money("5", "USD"))]
    >>> CheapestFirst().arrange(lines)
    [1, 2, 0]
    """

    name: ClassVar[str] = "cheapest_first"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return sorted(range(len(lines)), key=lambda i: (lines[i].unit_price.amount, i))


@attrs.frozen
class PriciestFirst:
    """The dearest unit price first; ties keep cart order."""

    name: ClassVar[str] = "priciest_first"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return sorted(range(len(lines)), key=lambda i: (-lines[i].unit_price.amount, i))


@attrs.frozen
class CartOrder:
    """The lines as given."""

    name: ClassVar[str] = "cart"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return list(range(len(lines)))


@attrs.frozen
class Optimal:
    """The assignment of credits to line units that covers the most money, then the most units.

    Not a line-by-line order (``solves_assignment``): the engine solves it as a min-cost flow.
    ``arrange`` gives the order in which the chosen redemptions are listed (cheapest first).
    """

    name: ClassVar[str] = "optimal"
    #: The engine allocates the whole cart at once instead of line by line.
    solves_assignment: ClassVar[bool] = True

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return CheapestFirst().arrange(lines)


#: Line orders by scenario name.
LINE_ORDERS: Final[dict[str, LineOrder]] = {
    o.name: o for o in (CheapestFirst(), PriciestFirst(), CartOrder(), Optimal())
}
#: Package orders by scenario name.
PACKAGE_ORDERS: Final[dict[str, PackageOrder]] = {o.name: o for o in (Fifo(), EarliestExpiry())}
