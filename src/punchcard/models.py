"""The values the engine reads: settings, packages and their components, cart lines, carts, rates.

All are frozen attrs classes, validated on construction, changed only with :func:`attrs.evolve`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, Union

import attrs
from dateutil.relativedelta import relativedelta

from . import _validate as v
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError, SettingsError
from .money import MAX_DIGITS, MAX_MINOR, Money

__all__ = [
    "CHARGE_BY",
    "DURATION_UNITS",
    "Cart",
    "ChargeBy",
    "Component",
    "Duration",
    "DurationUnit",
    "ExpiryStarts",
    "Line",
    "Package",
    "Pause",
    "Rates",
    "Settings",
]

ChargeBy = Literal["each", "hour", "day", "night"]
CHARGE_BY: tuple[ChargeBy, ...] = ("each", "hour", "day", "night")
ExpiryStarts = Literal["sale", "first_use"]
DurationUnit = Literal["days", "weeks", "months"]
DURATION_UNITS: tuple[DurationUnit, ...] = ("days", "weeks", "months")
#: The lowest and highest package priority (lower is consumed first), and the default.
PRIORITY_RANGE: Final = (0, 100)
DEFAULT_PRIORITY: Final = 50


@attrs.frozen
class Settings:
    """The system-wide switches of a business.

    >>> Settings(any_type=True, greater_value=True).greater_value
    True
    >>> Settings(greater_value=True)
    Traceback (most recent call last):
    ...
    punchcard.errors.SettingsError: greater_value: requires any_type to be on
    """

    #: A credit may pay for a line of another item.
    any_type: bool = attrs.field(default=False, validator=v.boolean)
    #: A credit may be used at a location other than its package's.
    any_location: bool = attrs.field(default=False, validator=v.boolean)
    #: A credit may pay for a cheaper cross-item line (the surplus is lost). Needs ``any_type``.
    greater_value: bool = attrs.field(default=False, validator=v.boolean)
    #: Credits may be used on lines whose unit price is 0.
    zero_price_items: bool = attrs.field(default=False, validator=v.boolean)
    #: A package that has been used may still be refunded.
    refund_after_use: bool = attrs.field(default=False, validator=v.boolean)

    def __attrs_post_init__(self) -> None:
        if self.greater_value and not self.any_type:
            raise SettingsError("greater_value", "requires any_type to be on")


def _names(value: object, field: str) -> tuple[str, ...]:
    """*value* as a sorted tuple of unique item names (a pool's items, substitutes...)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError(field, f"must be a sequence of item names, got {v.show(value)}")
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidValueError(
                field, f"item names must be non-empty strings, got {v.show(name)}"
            )
    if len(set(names)) != len(names):
        twice = sorted(n for n in set(names) if names.count(n) > 1)[0]
        raise InvalidValueError(field, f"item {twice!r} appears twice")
    return tuple(sorted(names))


def _pool_items(value: object) -> tuple[str, ...]:
    return _names(value, "items")


def _substitutes(value: object) -> tuple[str, ...]:
    return _names(value, "substitutes")


def _repr_omitting_defaults(inst: Any, omitted: tuple[str, ...]) -> str:
    """The attrs repr of *inst* without the fields of *omitted* that hold their default: the
    options (docs/semantics.md#x-options) show only where they are used."""
    parts = []
    for field in attrs.fields(type(inst)):
        if not field.repr or field.name.startswith("_"):
            continue
        value = getattr(inst, field.name)
        if field.name in omitted and value == field.default:
            continue
        parts.append(f"{field.name}={value!r}")
    return f"{type(inst).__name__}({', '.join(parts)})"


def _signed_whole(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(attr.name, f"must be a whole number >= 0, got {v.show(value)}")


@attrs.frozen(repr=False)
class Component:
    """One component of an owned package: an item and the whole credits left for it.

    >>> Component("daycare_full", 10)
    Component(item='daycare_full', remaining=10, hourly=False)
    >>> Component("daycare_full", -1)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: remaining: must be a whole number >= 0, got -1

    A *pool* is one balance for a set of items (docs/semantics.md#x2-pools): its ``item`` is
    the pool's name. A component may list *substitutes*, items its credit may also pay (X3),
    and an *overdraft*, how far below zero its credits may go (X8):

    >>> grooming = Component("grooming", 5, items=["nails", "bath", "haircut"])
    >>> grooming.items, grooming.is_pool, grooming.pays_as_own("bath")
    (('bath', 'haircut', 'nails'), True, True)
    >>> Component("daycare_full", -2, overdraft=2).remaining
    -2
    """

    #: What a credit pays for (a reservation type, service, class, product...), or the name of
    #: a pool (X2).
    item: str = attrs.field(validator=v.identifier)
    #: Whole credits left (as low as ``-overdraft``).
    remaining: int = attrs.field(validator=_signed_whole)
    #: An hourly credit pays for one hour of a line charged by the hour.
    hourly: bool = attrs.field(default=False, validator=v.boolean, kw_only=True)
    #: For a pool: the items its credits pay for as their own (X2); empty for a plain component.
    items: tuple[str, ...] = attrs.field(default=(), converter=_pool_items, kw_only=True)
    #: Other items a credit may also pay with ``any_type`` off, as a cross-item use (X3).
    substitutes: tuple[str, ...] = attrs.field(default=(), converter=_substitutes, kw_only=True)
    #: How far below zero the credits may go (X8); 0 = never.
    overdraft: int = attrs.field(default=0, validator=v.whole(0), kw_only=True)

    def __repr__(self) -> str:
        return _repr_omitting_defaults(self, ("items", "substitutes", "overdraft"))

    def __attrs_post_init__(self) -> None:
        # remaining may go below zero down to the overdraft (X8); the bound of counts holds.
        v.check_count(self.remaining, "remaining", -self.overdraft)
        if self.pays_as_own_any(self.substitutes):
            raise InvalidValueError(
                "substitutes", f"{self.item!r} pays for its own items; they are not substitutes"
            )

    @property
    def is_pool(self) -> bool:
        """Whether this component is a pool of several items (X2)."""
        return bool(self.items)

    @property
    def own_items(self) -> tuple[str, ...]:
        """The items a credit pays for as *its own* (same-item use): the pool's, or its item."""
        return self.items if self.items else (self.item,)

    def pays_as_own(self, item: str) -> bool:
        """Whether a credit of this component pays for *item* as a same-item use (R6, V, O.1)."""
        return item in self.items if self.items else item == self.item

    def pays_as_own_any(self, items: Iterable[str]) -> bool:
        return any(self.pays_as_own(item) for item in items)


def _components(value: Iterable[Component]) -> tuple[Component, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError(
            "components", f"must be a sequence of Component, got {v.show(value)}"
        )
    return tuple(value)


def _check_components(_inst: object, _attr: object, value: tuple[Component, ...]) -> None:
    v.unique_sequence(value, "components", Component, _item)
    seen: set[str] = set()
    for component in value:
        for item in component.own_items:
            if item in seen:
                raise InvalidValueError(
                    "components", f"item {item!r} is paid by two components of the package"
                )
            seen.add(item)


def _item(component: Component) -> str:
    return component.item


@attrs.frozen
class Duration:
    """A length of validity on the local calendar: *count* days, weeks or months (X4).

    Months are added with ``dateutil.relativedelta``, month ends clamped:

    >>> Duration("months", 3).after(dt.date(2026, 5, 15))
    datetime.date(2026, 8, 15)
    >>> Duration("months", 1).after(dt.date(2026, 1, 31))
    datetime.date(2026, 2, 28)
    >>> Duration("weeks", 2).after(dt.date(2026, 3, 2))
    datetime.date(2026, 3, 16)
    """

    #: ``days``, ``weeks`` or ``months``.
    unit: DurationUnit = attrs.field(validator=v.one_of(DURATION_UNITS))
    #: How many (0 = the same day).
    count: int = attrs.field(validator=v.whole(0))

    def _delta(self) -> relativedelta | dt.timedelta:
        if self.unit == "days":
            return dt.timedelta(days=self.count)
        if self.unit == "weeks":
            return dt.timedelta(weeks=self.count)
        return relativedelta(months=self.count)

    def after(self, day: dt.date) -> dt.date:
        """The local date *self* after *day*; the last date there is when beyond the calendar."""
        try:
            result: dt.date = day + self._delta()
        except (OverflowError, ValueError):
            return dt.date.max
        return result

    def after_wall(self, wall: dt.datetime) -> dt.datetime | None:
        """The naive local wall time *self* after the naive *wall* (the same clock time), or
        ``None`` beyond the calendar."""
        try:
            result: dt.datetime = wall + self._delta()
        except (OverflowError, ValueError):
            return None
        return result


@attrs.frozen
class Pause:
    """Local dates, inclusive, on which a package is paused: no credit of it may pay (X7).

    >>> Pause(dt.date(2026, 3, 1), dt.date(2026, 3, 10)).covers(dt.date(2026, 3, 10))
    True
    """

    #: The first paused date (JSON ``from``).
    start: dt.date = attrs.field(validator=v.date_only)
    #: The last paused date, inclusive (JSON ``to``).
    end: dt.date = attrs.field(validator=v.date_only)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValueError(
                "pauses", f"a pause ends ({self.end}) before it starts ({self.start})"
            )

    def covers(self, day: dt.date) -> bool:
        """Whether *day* is paused."""
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        """How many dates it pauses."""
        return (self.end - self.start).days + 1


def _pauses(value: object) -> tuple[Pause, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError("pauses", f"must be a sequence of Pause, got {v.show(value)}")
    out = tuple(value)
    for pause in out:
        if not isinstance(pause, Pause):
            raise InvalidTypeError("pauses", f"must hold Pause values, got {v.show(pause)}")
    ordered = tuple(sorted(out, key=_pause_start))
    for before, after in itertools.pairwise(ordered):
        if after.start <= before.end:
            raise InvalidValueError(
                "pauses",
                f"pauses overlap: {before.start}..{before.end} and {after.start}..{after.end}",
            )
    return ordered


def _pause_start(pause: Pause) -> dt.date:
    return pause.start


def _optional_items(value: object) -> tuple[str, ...] | None:
    return None if value is None else _names(value, "items")


def _optional_money(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Money):
        raise InvalidTypeError(attr.name, f"must be Money or None, got {v.show(value)}")


def _optional_duration(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Duration):
        raise InvalidTypeError(attr.name, f"must be a Duration or None, got {v.show(value)}")


_PACKAGE_OPTIONS = ("priority", "valid_from", "valid_for", "pauses", "balance", "items", "version")


@attrs.frozen(repr=False)
class Package:
    """A package an owner bought: remaining credits per component, purchase time, expiry.

    >>> import datetime as dt
    >>> p = Package(
    ...     id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5, 10),
    ...     components=[Component("daycare_full", 10)], days_to_expiration=90,
    ... )
    >>> p.location is None, p.beneficiary is None, p.remaining("daycare_full")
    (True, True, 10)
    """

    #: Stable id; the last key of every ordering.
    id: str = attrs.field(validator=v.identifier)
    #: The customer account that owns the package.
    owner: str = attrs.field(validator=v.identifier)
    #: When it was sold: naive = local time of the business.
    purchased_at: dt.datetime = attrs.field(validator=v.moment)
    #: The components, each with its credits left. A bundle has several; a stored-value package
    #: (``balance``) has none.
    components: tuple[Component, ...] = attrs.field(
        default=(), converter=_components, validator=_check_components
    )
    #: The location it was sold at; ``None`` = a global package, usable everywhere.
    location: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: The one pet / family member it is scoped to; ``None`` = shared by all.
    beneficiary: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: The local date on which it expires (at 23:59 by default). Wins over the countdown.
    expires_on: dt.date | None = attrs.field(default=None, validator=v.optional_date)
    #: Days from sale (or first use) to expiry; ``None`` with no ``expires_on`` = never.
    days_to_expiration: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: When the countdown of ``days_to_expiration`` starts.
    expiry_starts: ExpiryStarts = attrs.field(
        default="sale", validator=v.one_of(("sale", "first_use"))
    )
    #: When a credit of it was first redeemed; recorded by the engine.
    first_used_at: dt.datetime | None = attrs.field(default=None, validator=v.optional_moment)
    #: Take a credit's value from the line's ``credit_values`` (the host's pricing rules).
    pricing_rules: bool = attrs.field(default=False, validator=v.boolean)
    #: Lower is consumed first, after the line's own item and before every other key (X1).
    priority: int = attrs.field(default=DEFAULT_PRIORITY, validator=v.whole(0), kw_only=True)
    #: Before this moment it is not yet valid, as before its purchase (X6).
    valid_from: dt.datetime | None = attrs.field(
        default=None, validator=v.optional_moment, kw_only=True
    )
    #: A calendar length of validity instead of ``days_to_expiration`` (X4).
    valid_for: Duration | None = attrs.field(
        default=None, validator=_optional_duration, kw_only=True
    )
    #: Local dates on which it is paused (X7).
    pauses: tuple[Pause, ...] = attrs.field(default=(), converter=_pauses, kw_only=True)
    #: Stored value: a money balance instead of credits (X9); then ``components`` is empty.
    balance: Money | None = attrs.field(default=None, validator=_optional_money, kw_only=True)
    #: With ``balance`` only: the items it may pay (``None``: every item) (X9).
    items: tuple[str, ...] | None = attrs.field(
        default=None, converter=_optional_items, kw_only=True
    )
    #: The ledger position (``seq`` of its last event) of the state this value was taken from;
    #: the events a checkout returns continue from it. 0 for a package with no ledger.
    version: int = attrs.field(default=0, validator=v.whole(0), kw_only=True)

    def __repr__(self) -> str:
        return _repr_omitting_defaults(self, _PACKAGE_OPTIONS)

    def __attrs_post_init__(self) -> None:
        low, high = PRIORITY_RANGE
        if self.priority > high:
            raise InvalidValueError(
                "priority", f"must be a whole number from {low} to {high}, got {self.priority}"
            )
        if self.valid_for is not None and self.days_to_expiration is not None:
            raise InvalidValueError("valid_for", "give valid_for or days_to_expiration, not both")
        if self.balance is None:
            if not self.components:
                raise InvalidValueError("components", "a package needs at least one component")
            if self.items is not None:
                raise InvalidValueError("items", "only a stored-value package lists items")
        else:
            if self.components:
                raise InvalidValueError("balance", "a package holds credits or a balance, not both")
            if self.balance.amount < 0:
                raise InvalidValueError("balance", f"must not be negative, got {self.balance}")

    @property
    def stored_value(self) -> bool:
        """Whether it holds a money balance instead of credits (X9)."""
        return self.balance is not None

    def remaining(self, item: str) -> int:
        """Credits left for *item* (0 when the package has no such component)."""
        for c in self.components:
            if c.item == item:
                return c.remaining
        return 0

    @property
    def total_remaining(self) -> int:
        """Credits left over all components."""
        return sum(c.remaining for c in self.components)


def _credit_values(value: object) -> tuple[tuple[str, Money], ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (tuple, list)):
        pairs = list(value)
    else:
        raise InvalidTypeError(
            "credit_values", f"must be a mapping item -> Money, got {v.show(value)}"
        )
    out: list[tuple[str, Money]] = []
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise InvalidTypeError("credit_values", f"must map item -> Money, got {v.show(pair)}")
        item, money = pair
        v.check_identifier(item, "credit_values", "item")
        if not isinstance(money, Money):
            raise InvalidTypeError("credit_values", f"{item!r} must be Money, got {v.show(money)}")
        if money.amount < 0:
            raise InvalidValueError("credit_values", f"{item!r} must not be negative")
        out.append((item, money))
    out.sort(key=lambda p: p[0])
    for i in range(1, len(out)):
        if out[i - 1][0] == out[i][0]:
            raise InvalidValueError("credit_values", f"item {out[i][0]!r} appears twice")
    return tuple(out)


@attrs.frozen
class Line:
    """One cart line: an item for a beneficiary, a unit price and a number of units.

    >>> line = Line("l1", "daycare_full", Money("30", "USD"), units=2, beneficiary="rex")
    >>> line.total
    Money('60.00', 'USD')
    >>> Line("l1", "daycare_full", Money("30", "USD"), units=0)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: units: must be a whole number >= 1, got 0
    """

    #: Unique within the cart.
    id: str = attrs.field(validator=v.identifier)
    #: What is sold on this line.
    item: str = attrs.field(validator=v.identifier)
    #: The price of one unit (one day, night, hour, product...).
    unit_price: Money = attrs.field(validator=v.instance(Money, "Money"))
    #: Whole units; a line takes at most this many credits.
    units: int = attrs.field(default=1, validator=v.whole(1))
    #: The pet / family member the line is for, if any.
    beneficiary: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: How the line is charged; only ``hour`` vs the rest matters to the rules.
    charge_by: ChargeBy = attrs.field(default="each", validator=v.one_of(CHARGE_BY))
    #: The line's own price for a credit of an item (the host's pricing rules), item -> Money.
    credit_values: tuple[tuple[str, Money], ...] = attrs.field(default=(), converter=_credit_values)

    def __attrs_post_init__(self) -> None:
        if self.unit_price.amount < 0:
            raise InvalidValueError("unit_price", f"must not be negative, got {self.unit_price}")
        if self.unit_price.minor * self.units >= MAX_MINOR:
            raise InvalidValueError(
                "units",
                f"unit_price x units must stay within Money's {MAX_DIGITS} digits, got "
                f"{self.unit_price} x {self.units}",
            )
        for _item, money in self.credit_values:
            if money.currency != self.unit_price.currency:
                raise CurrencyMismatchError(
                    self.unit_price.currency, money.currency, "credit_values"
                )

    @property
    def total(self) -> Money:
        """unit price x units."""
        return self.unit_price * self.units

    def credit_value(self, item: str) -> Money | None:
        """The line's own price for a credit of *item*, if the host supplied one."""
        for key, money in self.credit_values:
            if key == item:
                return money
        return None


def _lines(value: Iterable[Line]) -> tuple[Line, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError("lines", f"must be a sequence of Line, got {v.show(value)}")
    return tuple(value)


@attrs.frozen
class Cart:
    """What is being checked out: an owner, a location, a currency and lines.

    >>> cart = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
    >>> cart.total
    Money('30.00', 'USD')
    >>> Cart("smith", "downtown", "USD", [Line("l1", "x", Money("30", "EUR"))])
    Traceback (most recent call last):
    ...
    punchcard.errors.CurrencyMismatchError: lines[0].unit_price: cannot combine 'USD' with 'EUR'
    """

    #: The customer checking out.
    owner: str = attrs.field(validator=v.identifier)
    #: Where: picks the rates, the time zone and the local packages.
    location: str = attrs.field(validator=v.identifier)
    #: The ISO 4217 currency of every amount of the cart.
    currency: str = attrs.field(validator=v.identifier)
    #: The lines, in cart order.
    lines: tuple[Line, ...] = attrs.field(default=(), converter=_lines)
    #: An optional id of the cart / ticket / invoice, carried into events and idempotency keys.
    id: str | None = attrs.field(default=None, kw_only=True, validator=v.optional_identifier)

    def __attrs_post_init__(self) -> None:
        Money.zero(self.currency)  # validates the code
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            if not isinstance(line, Line):
                raise InvalidTypeError(f"lines[{i}]", f"must be a Line, got {v.show(line)}")
            if line.id in seen:
                raise InvalidValueError(f"lines[{i}].id", f"duplicate line id {line.id!r}")
            seen.add(line.id)
            if line.unit_price.currency != self.currency:
                raise CurrencyMismatchError(
                    self.currency, line.unit_price.currency, f"lines[{i}].unit_price"
                )

    @property
    def total(self) -> Money:
        """The sum of the lines' totals."""
        minor = sum(line.unit_price.minor * line.units for line in self.lines)
        return Money.from_minor(minor, self.currency)


RatesInput = Union["Rates", Mapping[str, Mapping[str, Money]], None]


@attrs.frozen
class Rates:
    """The location default rates: location -> item -> price of one unit.

    >>> rates = Rates.from_mapping({"downtown": {"daycare_full": Money("30", "USD")}})
    >>> rates.get("downtown", "daycare_full"), rates.get("uptown", "daycare_full")
    (Money('30.00', 'USD'), None)
    """

    entries: tuple[tuple[str, str, Money], ...] = attrs.field(default=())
    _index: dict[tuple[str, str], Money] = attrs.field(
        init=False, eq=False, hash=False, repr=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        index: dict[tuple[str, str], Money] = {}
        if not isinstance(self.entries, (tuple, list)):
            raise InvalidTypeError(
                "rates",
                f"entries must be a tuple of (location, item, Money), got {v.show(self.entries)}",
            )
        for entry in self.entries:
            if not (isinstance(entry, tuple) and len(entry) == 3):
                raise InvalidTypeError(
                    "rates", f"entries are (location, item, Money), got {v.show(entry)}"
                )
            location, item, money = entry
            v.check_identifier(location, "rates", "location")
            v.check_identifier(item, f"rates.{location}", "item")
            if not isinstance(money, Money):
                raise InvalidTypeError(
                    f"rates.{location}.{item}", f"must be Money, got {v.show(money)}"
                )
            if money.amount < 0:
                raise InvalidValueError(f"rates.{location}.{item}", "must not be negative")
            if (location, item) in index:
                raise InvalidValueError(f"rates.{location}.{item}", "given twice")
            index[(location, item)] = money
        object.__setattr__(self, "entries", tuple(sorted(self.entries, key=lambda e: e[:2])))
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Mapping[str, Money]]) -> Rates:
        """Build from ``{location: {item: Money}}``."""
        if not isinstance(mapping, Mapping):
            raise InvalidTypeError(
                "rates", f"must be a mapping location -> item -> Money, got {v.show(mapping)}"
            )
        entries: list[tuple[str, str, Money]] = []
        for location, items in mapping.items():
            v.check_identifier(location, "rates", "location")
            if not isinstance(items, Mapping):
                raise InvalidTypeError(
                    f"rates.{location}", f"must be a mapping item -> Money, got {v.show(items)}"
                )
            entries.extend((location, item, money) for item, money in items.items())
        return cls(tuple(entries))

    @classmethod
    def coerce(cls, value: RatesInput) -> Rates:
        """Accept a :class:`Rates`, a nested mapping or ``None``."""
        if value is None:
            return _NO_RATES
        if isinstance(value, Rates):
            return value
        if isinstance(value, Mapping):
            return cls.from_mapping(value)
        raise InvalidTypeError("rates", f"must be Rates or a mapping, got {v.show(value)}")

    def get(self, location: str, item: str) -> Money | None:
        """The default rate of *item* at *location*, or ``None``."""
        return self._index.get((location, item))


_NO_RATES = Rates()
