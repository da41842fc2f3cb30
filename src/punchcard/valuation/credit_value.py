"""What one credit takes off a line (section V of semantics.md).

A valuation returns the *value* of one credit of a candidate on a line, or ``None`` when it cannot
be determined (cross-item use with no default rate: rule R9). The engine takes off
``min(value, unit price)``; where a cross-item value exceeds the price, rule R10 decides.

- Same item, ``line_price`` (default): the line's unit price.
- Same item, ``default_rate``: the location default rate of the item (the voucher behaviour), the
  unit price where there is no rate.
- Cross item: the default rate of the *component's* item at the cart's location.
- Pricing rules: a package with ``pricing_rules`` takes the line's own ``credit_values[item]`` when
  the host supplied one; it replaces the rate (and the line price) above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final, Protocol, runtime_checkable

import attrs

from ..models import Line
from ..money import Money

if TYPE_CHECKING:
    from ..rules.base import Candidate, Context

__all__ = [
    "VALUATIONS",
    "CreditValuation",
    "DefaultRate",
    "LinePrice",
    "takeoff",
]


@runtime_checkable
class CreditValuation(Protocol):
    """What one credit of a candidate is worth on a line."""

    @property
    def name(self) -> str:
        """The name used in scenario documents."""

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        """The value of one credit, or ``None`` when it cannot be determined."""


def _pricing_rule_or_cross_item(candidate: Candidate, line: Line, ctx: Context) -> Money | None:
    item = candidate.component.item
    if candidate.package.pricing_rules:
        own = line.credit_value(item)
        if own is not None:
            return own
    return ctx.rates.get(ctx.cart.location, item)


@attrs.frozen
class LinePrice:
    """Same item: the credit pays the line's unit price (the default)."""

    name: ClassVar[str] = "line_price"

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        if candidate.component.item == line.item:
            if candidate.package.pricing_rules:
                own = line.credit_value(line.item)
                if own is not None:
                    return own
            return line.unit_price
        return _pricing_rule_or_cross_item(candidate, line, ctx)


@attrs.frozen
class DefaultRate:
    """Same item: the credit is a voucher worth the location default rate.

    A credit bought for $25 still takes off the $30 base rate; on a $35 holiday price it leaves
    $5 due. With no rate for the item it falls back to the unit price.
    """

    name: ClassVar[str] = "default_rate"

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        value = _pricing_rule_or_cross_item(candidate, line, ctx)
        if value is None and candidate.component.item == line.item:
            return line.unit_price
        return value


def takeoff(value: Money, line: Line) -> Money:
    """What one credit worth *value* takes off *line*: never more than the unit price.

    >>> from punchcard import Line, Money
    >>> line = Line("l1", "boarding", Money("16", "USD"))
    >>> takeoff(Money("20", "USD"), line), takeoff(Money("12", "USD"), line)
    (Money('16.00', 'USD'), Money('12.00', 'USD'))
    """
    return value if value.amount <= line.unit_price.amount else line.unit_price


#: Valuations by scenario name.
VALUATIONS: Final[dict[str, CreditValuation]] = {v.name: v for v in (LinePrice(), DefaultRate())}
