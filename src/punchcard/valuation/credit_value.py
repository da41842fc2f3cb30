"""What one credit takes off a line (section V of ``docs/semantics.md``).

A valuation returns the *value* of one credit of a candidate on a line, or ``None`` when it cannot
be determined (cross-item use with no default rate: rule R9). The engine takes off
``min(value, unit price)``; where a cross-item value exceeds the price, rule R10 decides.

- Same item (the component's item, or an item of its pool), ``line_price`` (default): the
  line's unit price.
- Same item, ``default_rate``: the location default rate of the line's item (the voucher
  behaviour), the unit price where there is no rate.
- A listed substitute (X3): the default rate of the component's own item, or the unit price
  where there is none.
- Cross item: the default rate of the *component's* item at the cart's location.
- Pricing rules: a package with ``pricing_rules`` takes the line's own ``credit_values`` for the
  component's item (for a same-item use: for the line's item) when the host supplied one; it
  replaces the values above.
"""

from __future__ import annotations

from typing import ClassVar, Final

import attrs

from ..context import Candidate, Context, CreditValuation
from ..models import Line
from ..money import Money

__all__ = [
    "VALUATIONS",
    "CreditValuation",
    "DefaultRate",
    "LinePrice",
    "takeoff",
]


def _pricing_rule(candidate: Candidate, line: Line, item: str) -> Money | None:
    if candidate.package.pricing_rules:
        return line.credit_value(item)
    return None


def _other_item_value(candidate: Candidate, line: Line, ctx: Context) -> Money | None:
    """The value of a credit used for another item than its own (substitute or cross-item)."""
    component = candidate.credits
    own = _pricing_rule(candidate, line, component.item)
    if own is not None:
        return own
    rate = ctx.rates.get(ctx.cart.location, component.item)
    if rate is None and line.item in component.substitutes:
        return line.unit_price  # a substitute with no rate: the unit price
    return rate


@attrs.frozen
class LinePrice:
    """Same item: the credit pays the line's unit price (the default)."""

    name: ClassVar[str] = "line_price"

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        component = candidate.component
        if component is None or component.pays_as_own(line.item):
            if candidate.package.pricing_rules:
                own = line.credit_value(line.item)
                if own is not None:
                    return own
            return line.unit_price
        return _other_item_value(candidate, line, ctx)


@attrs.frozen
class DefaultRate:
    """Same item: the credit is a voucher worth the location default rate.

    A credit bought for $25 still takes off the $30 base rate; on a $35 holiday price it leaves
    $5 due. With no rate for the item it falls back to the unit price.
    """

    name: ClassVar[str] = "default_rate"

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        component = candidate.component
        if component is None or component.pays_as_own(line.item):
            own = _pricing_rule(candidate, line, line.item)
            if own is not None:
                return own
            rate = ctx.rates.get(ctx.cart.location, line.item)
            return line.unit_price if rate is None else rate
        return _other_item_value(candidate, line, ctx)


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
