"""Which line is served first, and which credit pays first (section O of semantics.md).

A :class:`PackageOrder` gives a sort key for a candidate; the engine always appends the package
id and the component position, so every order is total and never falls back to input order.
A :class:`LineOrder` arranges the cart's lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

import attrs

from ..models import Line
from .base import Candidate, Context

__all__ = [
    "LINE_ORDERS",
    "PACKAGE_ORDERS",
    "CartOrder",
    "CheapestFirst",
    "EarliestExpiry",
    "Fifo",
    "LineOrder",
    "Optimal",
    "PackageOrder",
    "PriciestFirst",
    "own_item_then_individual",
]

# A moment later than every real one: never-expiring packages sort last.
_NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@runtime_checkable
class PackageOrder(Protocol):
    """The order in which the candidates of one line are used."""

    @property
    def name(self) -> str:
        """The name used in scenario documents."""

    def key(self, candidate: Candidate, line: Line, ctx: Context) -> tuple[Any, ...]:
        """A sort key: smaller first. The engine appends (package id, component position)."""


def own_item_then_individual(candidate: Candidate, line: Line) -> tuple[int, int]:
    """The first two keys of every built-in credit order (O.1 and O.2 of the semantics).

    Start your own :class:`PackageOrder` key with it to keep them.
    """
    # O.1: a component of the line's own item before a cross-item one;
    # O.2: a beneficiary-scoped package before a shared one.
    return (
        0 if candidate.component.item == line.item else 1,
        0 if candidate.package.beneficiary is not None else 1,
    )


@attrs.frozen
class Fifo:
    """Own item first, individual before shared, then the earliest purchase (whatever expiry).

    >>> Fifo().name
    'fifo'
    """

    name: ClassVar[str] = "fifo"

    def key(self, candidate: Candidate, line: Line, ctx: Context) -> tuple[Any, ...]:
        return (0 if candidate.component.item == line.item else 1, *self.after_item(candidate, ctx))

    def after_item(self, candidate: Candidate, ctx: Context) -> tuple[Any, ...]:
        """The keys after O.1: they do not depend on the line (the engine sorts by them once)."""
        return (
            0 if candidate.package.beneficiary is not None else 1,
            ctx.purchased_utc(candidate.package),
        )


@attrs.frozen
class EarliestExpiry:
    """Own item first, individual before shared, then the earliest expiry (never last), then FIFO.

    A first-use package never used counts as never expiring.
    """

    name: ClassVar[str] = "earliest_expiry"

    def key(self, candidate: Candidate, line: Line, ctx: Context) -> tuple[Any, ...]:
        return (0 if candidate.component.item == line.item else 1, *self.after_item(candidate, ctx))

    def after_item(self, candidate: Candidate, ctx: Context) -> tuple[Any, ...]:
        """The keys after O.1: they do not depend on the line (the engine sorts by them once)."""
        moment = ctx.expires_at_moment(candidate.package)
        return (
            0 if candidate.package.beneficiary is not None else 1,
            _NEVER if moment is None else moment,
            ctx.purchased_utc(candidate.package),
        )


@runtime_checkable
class LineOrder(Protocol):
    """The order in which the cart's lines are served (all units of a line before the next)."""

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

    Not a line-by-line order: the engine solves it as a min-cost flow. ``arrange`` gives the
    order in which the chosen redemptions are listed (cheapest first).
    """

    name: ClassVar[str] = "optimal"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return CheapestFirst().arrange(lines)


#: Line orders by scenario name.
LINE_ORDERS: Final[dict[str, LineOrder]] = {
    o.name: o for o in (CheapestFirst(), PriciestFirst(), CartOrder(), Optimal())
}
#: Package orders by scenario name.
PACKAGE_ORDERS: Final[dict[str, PackageOrder]] = {o.name: o for o in (Fifo(), EarliestExpiry())}
