"""The revenue of a credit: the package price spread exactly over its credits.

"Revenue per credit = package price / quantity, split to the minor unit so that the parts add up
exactly to the price (largest remainder)" (docs/semantics.md#l-lifecycle). A $100.00 package of 3
credits is 33.34 + 33.33 + 33.33: the price in minor units is divided by the quantity, and the
remainder (here 1 cent) goes one minor unit each to the *first* credits. With equal weights every
credit has the same remainder, so "largest remainder, earlier first on ties" is exactly that, and
agrees with :func:`punchcard.money.split_exact`.

A :class:`RevenueSplit` holds that split in O(1) space, whatever the quantity (a package of
10**12 credits is two numbers, not a list): :meth:`~RevenueSplit.value_of` gives one credit,
:meth:`~RevenueSplit.revenue_of` a range of credits in O(1).

A bundle (5 groomings + 2 shampoos for one price) is first split over its components by
:func:`bundle_split`, then each component's share over its credits. :func:`commission_base`
gives the base of a staff commission on a redeemed credit, from the retail price of the item
or from the package price per credit.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

from ..errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from ..money import Money, split_exact

__all__ = [
    "MAX_PARTS",
    "CommissionMode",
    "RevenueSplit",
    "bundle_split",
    "commission_base",
    "credit_revenue",
]

#: The largest quantity :meth:`RevenueSplit.parts` lists; beyond it use ``value_of``,
#: ``revenue_of`` or ``runs``, which do not build a list.
MAX_PARTS: Final = 100_000

CommissionMode = Literal["retail", "package"]
_COMMISSION_MODES: Final[tuple[CommissionMode, ...]] = ("retail", "package")


def _check_money(field: str, value: object) -> Money:
    if not isinstance(value, Money):
        raise InvalidTypeError(field, f"must be a Money, got {value!r}")
    if value.amount < 0:
        raise InvalidValueError(field, f"must not be negative, got {value!r}")
    return value


def _check_whole(field: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(field, f"must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidValueError(field, f"must be a whole number >= {minimum}, got {value!r}")
    return value


def _price(_inst: object, attr: attrs.Attribute[Money], value: object) -> None:
    _check_money(attr.name, value)


def _quantity(_inst: object, attr: attrs.Attribute[int], value: object) -> None:
    _check_whole(attr.name, value, 1)


@attrs.frozen
class RevenueSplit:
    """The exact split of *price* over *quantity* credits, largest remainder, in O(1) space.

    Credit *n* (0-based) is worth ``base``, plus one minor unit when ``n < extra``; so the values
    differ by at most one minor unit and add up to *price* exactly.

    >>> split = RevenueSplit(Money("100.00", "USD"), 3)
    >>> split
    RevenueSplit(price=Money('100.00', 'USD'), quantity=3, base=Money('33.33', 'USD'), extra=1)
    >>> [str(m) for m in split.parts()]
    ['33.34', '33.33', '33.33']
    >>> RevenueSplit(Money("100.00", "USD"), 0)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: quantity: must be a whole number >= 1, got 0
    """

    #: The price of the package (or of one component of a bundle), not per credit; >= 0.
    price: Money = attrs.field(validator=_price)
    #: The number of credits it pays for, >= 1.
    quantity: int = attrs.field(validator=_quantity)
    #: The value of a credit without the extra minor unit: price // quantity, to the minor unit.
    base: Money = attrs.field(init=False)
    #: How many credits (the first ones) carry one more minor unit than ``base``.
    extra: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        whole, extra = divmod(self.price.minor, self.quantity)
        object.__setattr__(self, "base", Money.from_minor(whole, self.price.currency))
        object.__setattr__(self, "extra", extra)

    @property
    def currency(self) -> str:
        """The currency of every amount of the split.

        >>> RevenueSplit(Money("1000", "JPY"), 3).currency
        'JPY'
        """
        return self.price.currency

    def value_of(self, index: int) -> Money:
        """The revenue of credit *index* (0-based, ``0 <= index < quantity``).

        >>> split = RevenueSplit(Money("250", "JPY"), 3)
        >>> split.value_of(0), split.value_of(1), split.value_of(2)
        (Money('84', 'JPY'), Money('83', 'JPY'), Money('83', 'JPY'))
        >>> split.value_of(3)
        Traceback (most recent call last):
        ...
        punchcard.errors.InvalidValueError: index: must be from 0 to 2, got 3
        """
        _check_whole("index", index, 0)
        if index >= self.quantity:
            raise InvalidValueError(
                "index", f"must be from 0 to {self.quantity - 1}, got {index!r}"
            )
        return Money.from_minor(self.base.minor + (index < self.extra), self.currency)

    def revenue_of(self, first: int, count: int) -> Money:
        """The revenue of the *count* credits from *first* (0-based) on, in O(1).

        It equals the sum of :meth:`value_of` over the range; ``revenue_of(0, quantity)`` is
        the price.

        >>> split = RevenueSplit(Money("100.00", "USD"), 10**12)
        >>> split.revenue_of(0, 10**12)
        Money('100.00', 'USD')
        >>> split.base, split.extra  # 10000 cents: the first 10000 credits are worth a cent
        (Money('0.00', 'USD'), 10000)
        >>> split.revenue_of(9_998, 5)
        Money('0.02', 'USD')
        >>> RevenueSplit(Money("10.00", "USD"), 3).revenue_of(1, 2)
        Money('6.66', 'USD')
        """
        _check_whole("first", first, 0)
        _check_whole("count", count, 0)
        if first + count > self.quantity:
            raise InvalidValueError(
                "count",
                f"credits {first} to {first + count - 1} are beyond the {self.quantity} credits "
                f"of the split (first={first!r}, count={count!r})",
            )
        with_extra = max(0, min(first + count, self.extra) - first)
        return Money.from_minor(self.base.minor * count + with_extra, self.currency)

    def runs(self) -> tuple[tuple[int, Money], ...]:
        """The split as ``(count, value)`` runs in credit order, empty runs left out.

        >>> RevenueSplit(Money("100.00", "USD"), 3).runs()
        ((1, Money('33.34', 'USD')), (2, Money('33.33', 'USD')))
        >>> RevenueSplit(Money("90.00", "USD"), 3).runs()
        ((3, Money('30.00', 'USD')),)
        """
        runs: list[tuple[int, Money]] = []
        if self.extra:
            runs.append((self.extra, Money.from_minor(self.base.minor + 1, self.currency)))
        if self.quantity > self.extra:
            runs.append((self.quantity - self.extra, self.base))
        return tuple(runs)

    def parts(self) -> list[Money]:
        """One amount per credit, in credit order: only for quantities up to :data:`MAX_PARTS`.

        >>> [str(m) for m in RevenueSplit(Money("1.000", "BHD"), 3).parts()]
        ['0.334', '0.333', '0.333']
        """
        if self.quantity > MAX_PARTS:
            raise InvalidValueError(
                "quantity",
                f"parts() lists at most {MAX_PARTS} credits, got {self.quantity!r}; "
                "use value_of, revenue_of or runs",
            )
        return [value for count, value in self.runs() for _ in range(count)]


def credit_revenue(price: Money, quantity: int) -> RevenueSplit:
    """The revenue of each credit of a package of *quantity* credits sold for *price*.

    >>> split = credit_revenue(Money("250.00", "USD"), 10)
    >>> split.value_of(0), split.revenue_of(0, 10)
    (Money('25.00', 'USD'), Money('250.00', 'USD'))
    >>> credit_revenue(Money("-1.00", "USD"), 10)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: price: must not be negative, got Money('-1.00', 'USD')
    """
    return RevenueSplit(price, quantity)


def bundle_split(
    price: Money,
    quantities: Mapping[str, int],
    *,
    retail: Mapping[str, Money] | None = None,
) -> dict[str, RevenueSplit]:
    """Split a bundle's *price* over its components, then each share over its credits.

    *quantities* maps each component item to its number of credits (>= 1), in component order.
    The price is shared with :func:`punchcard.money.split_exact` (largest remainder, the earlier
    component first on ties), by weights:

    - by default, the quantities: every credit of the bundle is worth the same, to one minor
      unit, whatever its item;
    - with *retail* (item -> retail price of **one** credit of that item), the retail value of
      each component, ``retail[item] * quantity`` (the relative stand-alone selling price). It
      must name exactly the items of *quantities*, in the price's currency, not all zero.

    The shares add up to *price* exactly, and so do the credits of each share.

    >>> shares = bundle_split(Money("100.00", "USD"), {"grooming": 5, "shampoo": 2})
    >>> {item: str(s.price) for item, s in shares.items()}
    {'grooming': '71.43', 'shampoo': '28.57'}
    >>> shares = bundle_split(Money("100.00", "USD"), {"grooming": 5, "shampoo": 2},
    ...                       retail={"grooming": Money("25", "USD"), "shampoo": Money("12.50", "USD")})
    >>> {item: str(s.price) for item, s in shares.items()}
    {'grooming': '83.33', 'shampoo': '16.67'}
    >>> shares["grooming"].runs()
    ((3, Money('16.67', 'USD')), (2, Money('16.66', 'USD')))
    """
    _check_money("price", price)
    if not isinstance(quantities, Mapping):
        raise InvalidTypeError(
            "quantities", f"must be a mapping of item to quantity, got {quantities!r}"
        )
    if not quantities:
        raise InvalidValueError("quantities", "must name at least one component")
    items = list(quantities)
    counts: list[int] = []
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidValueError("quantities", f"items must be non-empty strings, got {item!r}")
        counts.append(_check_whole(f"quantities[{item!r}]", quantities[item], 1))

    if retail is None:
        weights = counts
    else:
        if not isinstance(retail, Mapping):
            raise InvalidTypeError(
                "retail", f"must be a mapping of item to retail price, got {retail!r}"
            )
        missing = [item for item in items if item not in retail]
        if missing:
            raise InvalidValueError("retail", f"has no retail price for {missing!r}")
        unknown = [item for item in retail if item not in quantities]
        if unknown:
            raise InvalidValueError("retail", f"names items not in the bundle: {unknown!r}")
        weights = []
        for item, count in zip(items, counts, strict=True):
            unit = _check_money(f"retail[{item!r}]", retail[item])
            if unit.currency != price.currency:
                raise CurrencyMismatchError(price.currency, unit.currency, f"retail[{item!r}]")
            weights.append(unit.minor * count)
        if not any(weights):
            raise InvalidValueError("retail", "must not be all zero: there is nothing to weigh")

    shares = split_exact(price, weights)
    return {
        item: RevenueSplit(share, count)
        for item, share, count in zip(items, shares, counts, strict=True)
    }


def commission_base(
    mode: CommissionMode,
    retail_price: Money | None,
    package_price: Money,
    quantity: int,
    *,
    credit: int = 0,
) -> Money:
    """The amount a staff commission on one redeemed credit is computed from.

    The source: "calculated based on either the retail price of the individual package item or
    the calculated package price (price of the package / quantity of item credit)".

    - ``"retail"``: *retail_price*, the retail price of one item (required in this mode).
    - ``"package"``: *package_price* / *quantity*, exact per :class:`RevenueSplit`: the value of
      credit number *credit* (0-based, the first credits carry the leftover minor units), so
      that the bases of all the credits add up to the package price.

    For a bundle, pass the component's share as *package_price* (``bundle_split(...)[item]
    .price``) and its quantity: dividing the whole bundle price by one item's quantity would
    count the price once per component.

    >>> commission_base("package", Money("30", "USD"), Money("250", "USD"), 10)
    Money('25.00', 'USD')
    >>> commission_base("retail", Money("30", "USD"), Money("250", "USD"), 10)
    Money('30.00', 'USD')
    >>> [str(commission_base("package", None, Money("100", "USD"), 3, credit=n)) for n in range(3)]
    ['33.34', '33.33', '33.33']
    >>> commission_base("retail", None, Money("100", "USD"), 3)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: retail_price: is required with mode 'retail'
    """
    if mode not in _COMMISSION_MODES:
        raise InvalidValueError("mode", f"must be one of {list(_COMMISSION_MODES)!r}, got {mode!r}")
    _check_money("package_price", package_price)
    _check_whole("quantity", quantity, 1)
    if retail_price is not None:
        _check_money("retail_price", retail_price)
        if retail_price.currency != package_price.currency:
            raise CurrencyMismatchError(
                package_price.currency, retail_price.currency, "retail_price"
            )
    _check_whole("credit", credit, 0)
    if credit >= quantity:
        raise InvalidValueError("credit", f"must be from 0 to {quantity - 1}, got {credit!r}")
    if mode == "retail":
        if retail_price is None:
            raise InvalidValueError("retail_price", "is required with mode 'retail'")
        return retail_price
    return RevenueSplit(package_price, quantity).value_of(credit)
