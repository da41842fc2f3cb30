"""Small values shared by the catalogue, the ledger events and the states.

>>> TypeComponent("daycare_full", 10)
TypeComponent(item='daycare_full', quantity=10, hourly=False)
>>> Period("months").last_day(dt.date(2026, 1, 31), 1)
datetime.date(2026, 2, 28)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

import attrs
from dateutil.relativedelta import relativedelta

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError

__all__ = [
    "ItemCredits",
    "Period",
    "PeriodUnit",
    "TypeComponent",
    "credits_tuple",
    "type_components",
]

PeriodUnit = Literal["days", "weeks", "months", "years"]


@attrs.frozen
class TypeComponent:
    """One component of a package type: an item and how many credits of it a purchase grants.

    >>> TypeComponent("grooming", 0)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: quantity: must be a whole number >= 1, got 0
    """

    #: What a credit pays for (a reservation type, service, class, product...).
    item: str = attrs.field(validator=v.identifier)
    #: Credits granted per purchase (and per subscription period): at least one.
    quantity: int = attrs.field(validator=v.whole(1))
    #: An hourly credit pays for one hour of a line charged by the hour.
    hourly: bool = attrs.field(default=False, validator=v.boolean, kw_only=True)


def type_components(value: Iterable[TypeComponent]) -> tuple[TypeComponent, ...]:
    """Convert and check a sequence of :class:`TypeComponent`: at least one, items unique."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError("components", f"must be a sequence of TypeComponent, got {value!r}")
    out = tuple(value)
    if not out:
        raise InvalidValueError("components", "a package type needs at least one component")
    return v.unique_sequence(out, "components", TypeComponent, _item)


def _item(component: TypeComponent | ItemCredits) -> str:
    return component.item


@attrs.frozen
class ItemCredits:
    """A number of credits of one item (what an event moved for one component)."""

    item: str = attrs.field(validator=v.identifier)
    credits: int = attrs.field(validator=v.whole(0))


def credits_tuple(value: Iterable[ItemCredits]) -> tuple[ItemCredits, ...]:
    """Convert and check a sequence of :class:`ItemCredits` (items unique)."""
    return v.unique_sequence(value, "credits", ItemCredits, _item)


@attrs.frozen
class Period:
    """The length of a subscription period: *count* days, weeks, months or years.

    Period ends are counted from the first period's start (the *anchor*), never from the previous
    end, so month ends are clamped without drifting (``dateutil.relativedelta``): a monthly period
    anchored on 31 January ends on 28 February (29 in a leap year), then on 31 March, 30 April...

    >>> monthly = Period("months")
    >>> [monthly.last_day(dt.date(2026, 1, 31), k).isoformat() for k in (1, 2, 3)]
    ['2026-02-28', '2026-03-31', '2026-04-30']
    >>> monthly.last_day(dt.date(2028, 1, 31), 1)
    datetime.date(2028, 2, 29)
    >>> Period("weeks", 2).last_day(dt.date(2026, 1, 1), 1)
    datetime.date(2026, 1, 15)
    """

    #: ``days``, ``weeks``, ``months`` or ``years``.
    unit: PeriodUnit = attrs.field(validator=v.one_of(("days", "weeks", "months", "years")))
    #: How many units make one period (at least one).
    count: int = attrs.field(default=1, validator=v.whole(1))

    def last_day(self, anchor: dt.date, k: int) -> dt.date:
        """The local date on which period *k* (1 = the first) ends, for periods anchored on *anchor*.

        The subscription renews at the end of that day (23:59 local by default).
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidValueError("k", f"must be a whole number >= 1, got {k!r}")
        n = self.count * k
        if self.unit == "days":
            delta = relativedelta(days=n)
        elif self.unit == "weeks":
            delta = relativedelta(weeks=n)
        elif self.unit == "months":
            delta = relativedelta(months=n)
        else:
            delta = relativedelta(years=n)
        result: dt.date = anchor + delta
        return result
