"""What :func:`punchcard.apply` returns: per-line totals, redemptions, rejections, new states, events."""

from __future__ import annotations

import attrs

from .events import CreditsRedeemed
from .models import Package
from .money import Money

__all__ = ["Application", "LineResult", "Redemption", "Rejection"]


@attrs.frozen
class LineResult:
    """How much of one line the credits covered."""

    #: The line's id.
    line_id: str
    #: unit price x units.
    total: Money
    #: What the credits took off.
    covered: Money
    #: What is still due: ``total - covered``.
    due: Money
    #: How many credits the line took (at most its units).
    credits: int


@attrs.frozen
class Redemption:
    """Credits of one component of one package that paid for units of one line."""

    line_id: str
    package_id: str
    #: The component's item (which may differ from the line's item with ``any_type``).
    item: str
    #: Whole credits taken (one per unit).
    credits: int
    #: The total amount they took off.
    amount: Money


@attrs.frozen
class Rejection:
    """Why a package took nothing off a line that wanted more credits."""

    line_id: str
    package_id: str
    #: The reason code of the first rule that failed (``exhausted``, ``expired``...).
    reason: str
    #: A human sentence from the rule.
    detail: str = attrs.field(default="", eq=False)


@attrs.frozen
class Application:
    """The result of applying an owner's packages to a cart. Nothing has been written anywhere:
    the host persists ``packages`` (the new states) and ``events`` (the ledger)."""

    #: The cart's currency.
    currency: str
    #: The cart's total.
    total: Money
    #: What the credits took off the cart.
    covered: Money
    #: What is left to pay.
    due: Money
    #: Per line, in cart order.
    lines: tuple[LineResult, ...]
    #: In the order the engine applied them.
    redemptions: tuple[Redemption, ...]
    #: By line (cart order), then package id.
    rejections: tuple[Rejection, ...]
    #: Every input package, in input order, as it stands after this cart.
    packages: tuple[Package, ...]
    #: One :class:`CreditsRedeemed` per redemption, for the host's ledger.
    events: tuple[CreditsRedeemed, ...]

    def line(self, line_id: str) -> LineResult:
        """The result of the line with id *line_id*."""
        for result in self.lines:
            if result.line_id == line_id:
                return result
        raise KeyError(line_id)

    def package(self, package_id: str) -> Package:
        """The new state of the package with id *package_id*."""
        for package in self.packages:
            if package.id == package_id:
                return package
        raise KeyError(package_id)
