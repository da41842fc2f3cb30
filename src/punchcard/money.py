"""Money: an exact ``Decimal`` amount in one ISO 4217 currency, at that currency's minor units.

The minor units come from CLDR through babel (USD 2, JPY 0, BHD 3). Floats are refused, amounts
with more decimals than the currency has are refused, and nothing is ever rounded silently.

Every amount is bounded (:data:`MAX_DIGITS`): written at its currency's minor units it has at
most 38 digits, so it fits a ``DECIMAL(38, minor units)`` column and every computation on it
stays a few dozen digits long. Text is read only as ASCII digits with an optional leading ``-``
and decimal part: no exponent (``"1e999999999"`` would be a billion digits), no spaces, no ``_``
separators, no digits of other scripts, no negative zero.
"""

from __future__ import annotations

import decimal
import functools
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final

import attrs

from ._validate import show
from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError

__all__ = ["MAX_DIGITS", "MAX_MINOR", "Money", "currency_precision", "split_exact", "sum_money"]

#: The most digits an amount may have once written at its currency's minor units:
#: ``|amount| < 10**(38 - minor units)`` (below 10**36 dollars, 10**38 yen, 10**35 dinars).
#: 38 is the largest ``DECIMAL`` precision of SQL Server, Oracle, Snowflake and Redshift.
MAX_DIGITS: Final = 38
#: The bound on an amount in minor units (exclusive): ``|amount.minor| < MAX_MINOR``.
MAX_MINOR: Final = 10**MAX_DIGITS
#: Amounts written as text: ASCII digits ([0-9] is ASCII only, unlike \d), an optional "-" and
#: an optional decimal part. What the ledger codec writes and reads.
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
#: The longest such text: the digits, a sign and a point.
_LONGEST_TEXT: Final = MAX_DIGITS + 2
#: ISO 4217 codes that are valid but name no currency an amount can be in.
_NOT_CURRENCIES: Final = {
    "XXX": "it is the ISO 4217 code for 'no currency'",
    "XTS": "it is the ISO 4217 code reserved for testing",
}

# Exact arithmetic whatever the size: Decimal's default context keeps 28 digits and rounds the
# rest away silently (or fails in quantize). No operation here divides, so no result is infinite.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
#: Enough precision for every bounded amount (babel formats in the current context).
_FORMAT = decimal.Context(prec=MAX_DIGITS + 12)
_scaleb = _EXACT.scaleb
_new = object.__new__
_set = object.__setattr__


def currency_precision(currency: str) -> int:
    """Return the number of minor units of *currency* (from CLDR), refusing unknown codes.

    >>> currency_precision("USD"), currency_precision("JPY"), currency_precision("BHD")
    (2, 0, 3)
    >>> currency_precision("XYZ")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: currency: unknown ISO 4217 currency code 'XYZ'
    >>> currency_precision("XXX")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: currency: must be the code of a currency, got 'XXX' (it is the ISO 4217 code for 'no currency')
    """
    if type(currency) is str:  # the common case first: a known code, already looked up
        known = _KNOWN.get(currency)
        if known is not None:
            return known
    if not isinstance(currency, str):
        raise InvalidTypeError(
            "currency", f"must be a three-letter ISO 4217 code, got {show(currency)}"
        )
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise InvalidValueError(
            "currency", f"must be a three-letter ISO 4217 code, got {show(currency)}"
        )
    if currency in _NOT_CURRENCIES:
        raise InvalidValueError(
            "currency",
            f"must be the code of a currency, got {currency!r} ({_NOT_CURRENCIES[currency]})",
        )
    digits = _precision(currency)
    _KNOWN[currency] = digits
    return digits


#: Minor units of the codes already validated (a memo of CLDR data, never of caller state).
_KNOWN: dict[str, int] = {}
#: Amounts made by :meth:`Money.from_minor`, by (minor units, currency): a memo of immutable
#: values, which equal a new one in every way (emptied when full).
_BY_MINOR: dict[tuple[int, str], Money] = {}
_BY_MINOR_SIZE = 4096


@functools.cache
def _precision(currency: str) -> int:
    # Cached apart from the check above: functools.cache hashes its argument, and a list or a
    # dict given as a currency must be refused, not raise TypeError.
    from babel.numbers import UnknownCurrencyError, get_currency_precision, validate_currency

    try:
        validate_currency(currency)
    except UnknownCurrencyError:
        raise InvalidValueError(
            "currency", f"unknown ISO 4217 currency code {currency!r}"
        ) from None
    return int(get_currency_precision(currency))


_EXPECTED_TEXT: Final = (
    f"must be a decimal number of at most {MAX_DIGITS} ASCII digits with an optional '-' and "
    "decimal part, like '30.00' (no exponent, spaces or separators)"
)


def _to_decimal(value: object) -> Decimal:
    """The amount given to :class:`Money` as a Decimal, refused quickly when it is not an amount
    (before any Decimal is built from text, and before any is expanded)."""
    if isinstance(value, bool):
        raise InvalidTypeError("amount", f"must be a Decimal, int or str, got {value!r}")
    if isinstance(value, float):
        raise InvalidTypeError(
            "amount", f"floats are inexact and refused for money, got {value!r}; pass a str"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError("amount", f"must be finite, got {value!r}")
        if value.is_zero():  # -0 comes out of plain arithmetic (Decimal(-1) * 0): it is zero
            return value.copy_abs()
        if value.adjusted() >= MAX_DIGITS:  # beyond the bound of every currency
            raise InvalidValueError("amount", _too_large(show(value)))
        return value
    if isinstance(value, int):
        if not -MAX_MINOR < value < MAX_MINOR:
            raise InvalidValueError("amount", _too_large(show(value)))
        return Decimal(value)
    if isinstance(value, str):
        if (
            len(value) > _LONGEST_TEXT
            or _PLAIN.fullmatch(value) is None
            or len(value) - value.startswith("-") - ("." in value) > MAX_DIGITS
        ):
            raise InvalidValueError("amount", f"{_EXPECTED_TEXT}, got {show(value)}")
        dec = Decimal(value)
        if dec.is_zero() and dec.is_signed():
            raise InvalidValueError("amount", f"must not be a negative zero, got {value!r}")
        return dec
    raise InvalidTypeError("amount", f"must be a Decimal, int or str, got {show(value)}")


def _too_large(got: str, digits: int | None = None, currency: str = "") -> str:
    if digits is None:
        bound = f"|amount| < 10**{MAX_DIGITS}"
    else:
        bound = f"|amount| < 10**{MAX_DIGITS - digits} for {currency}"
    return f"must have at most {MAX_DIGITS} digits with its minor units ({bound}), got {got}"


@functools.total_ordering
@attrs.frozen(eq=True, order=False, repr=False)
class Money:
    """An exact amount of one currency.

    >>> Money("30", "USD")
    Money('30.00', 'USD')
    >>> Money("30.00", "USD") + Money("5.5", "USD")
    Money('35.50', 'USD')
    >>> Money("3000", "JPY").amount
    Decimal('3000')
    >>> Money(0.1, "USD")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidTypeError: amount: floats are inexact and refused for money, got 0.1; pass a str
    >>> Money("30.001", "USD")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: amount: '30.001' has more decimals than USD's 2 minor units
    """

    #: The amount, always quantized to the currency's minor units.
    amount: Decimal = attrs.field(converter=_to_decimal)
    #: The ISO 4217 code, validated against CLDR.
    currency: str = attrs.field()

    def __attrs_post_init__(self) -> None:
        digits = currency_precision(self.currency)
        amount = self.amount
        # Checked before quantize, which would write out every digit of 1E+999999999.
        if amount and amount.adjusted() >= MAX_DIGITS - digits:
            raise InvalidValueError("amount", _too_large(repr(str(amount)), digits, self.currency))
        try:
            quantized = amount.quantize(Decimal(1).scaleb(-digits), context=_EXACT)
        except decimal.InvalidOperation:  # pragma: no cover - bounded above
            raise InvalidValueError("amount", f"{str(amount)!r} is out of range") from None
        if quantized != amount:
            raise InvalidValueError(
                "amount",
                f"{str(amount)!r} has more decimals than {self.currency}'s {digits} minor units",
            )
        _set(self, "amount", quantized)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in *currency*.

        >>> Money.zero("BHD")
        Money('0.000', 'BHD')
        """
        return cls(0, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build an amount from a whole number of minor units (cents).

        >>> Money.from_minor(1999, "USD")
        Money('19.99', 'USD')
        """
        if type(minor) is int and type(currency) is str and cls is Money:  # (not a bool: True == 1)
            found = _BY_MINOR.get((minor, currency))
            if found is not None:
                return found
        elif type(minor) is not int and (isinstance(minor, bool) or not isinstance(minor, int)):
            raise InvalidTypeError("minor", f"must be a whole number, got {show(minor)}")
        digits = _KNOWN.get(currency) if type(currency) is str else None
        if digits is None:
            digits = currency_precision(currency)
        if not -MAX_MINOR < minor < MAX_MINOR:
            raise InvalidValueError(
                "minor", f"must have at most {MAX_DIGITS} digits, got {show(minor)}"
            )
        amount = _scaleb(Decimal(minor), -digits)
        if cls is not Money:
            return cls(amount, currency)
        money = _made(amount, currency)
        if len(_BY_MINOR) >= _BY_MINOR_SIZE:
            _BY_MINOR.clear()
        _BY_MINOR[minor, currency] = money
        return money

    @property
    def minor(self) -> int:
        """The amount as a whole number of minor units.

        >>> Money("19.99", "USD").minor
        1999
        """
        digits = _KNOWN.get(self.currency)
        if digits is None:
            digits = currency_precision(self.currency)
        return int(_scaleb(self.amount, digits))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(self.currency, other.currency)

    # The results of arithmetic are exact at the currency's minor units already (sums and whole
    # multiples of such amounts): only the bound is checked.

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return _result(_EXACT.add(self.amount, other.amount), self.currency, "+")

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return _result(_EXACT.subtract(self.amount, other.amount), self.currency, "-")

    def __mul__(self, other: object) -> Money:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        if not -MAX_MINOR < other < MAX_MINOR:  # beyond the bound whatever the amount, but 0
            if self.amount:
                raise InvalidValueError("amount", _too_large(f"{self} * {show(other)}"))
            return self
        return _result(_EXACT.multiply(self.amount, Decimal(other)), self.currency, "*")

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount < other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        """The amount as written in a scenario document: digits, exact minor units.

        >>> str(Money("7.5", "USD"))
        '7.50'
        """
        return str(self.amount)

    def format(self, locale: str = "en_US") -> str:
        """Format for people with babel, e.g. ``$30.00`` or ``30,00 €``.

        >>> Money("1234.5", "USD").format("en_US")
        '$1,234.50'
        >>> Money("1234.5", "EUR").format("de_DE")
        '1.234,50\\xa0€'
        """
        from babel.numbers import format_currency

        with decimal.localcontext(_FORMAT):  # babel rounds in the current context (28 digits)
            return str(format_currency(self.amount, self.currency, locale=locale))

    def split(self, parts: int) -> list[Money]:
        """Split into *parts* amounts that differ by at most one minor unit and add up exactly.

        >>> [str(m) for m in Money("100.00", "USD").split(3)]
        ['33.34', '33.33', '33.33']
        """
        return split_exact(self, [1] * parts)


def _made(amount: Decimal, currency: str) -> Money:
    """A Money of *amount*, already exact at *currency*'s minor units and within the bound."""
    money: Money = _new(Money)
    _set(money, "amount", amount)
    _set(money, "currency", currency)
    return money


def _result(amount: Decimal, currency: str, operator: str) -> Money:
    """The Money an operation gives: zero without a sign, refused beyond the bound."""
    if not amount:
        return _made(amount.copy_abs(), currency)
    digits = _KNOWN.get(currency)
    if digits is None:  # (a Money unpickled in another process)
        digits = currency_precision(currency)
    if amount.adjusted() >= MAX_DIGITS - digits:
        raise InvalidValueError(
            "amount", _too_large(f"{amount} (the result of {operator})", digits, currency)
        )
    return _made(amount, currency)


def split_exact(total: Money, weights: Sequence[int]) -> list[Money]:
    """Split *total* in proportion to whole-number *weights*, exact to the minor unit.

    Largest remainder: every part is first rounded down, then the minor units left over go one
    each to the parts with the largest remainders (earlier parts first on ties). The parts always
    add up to *total*.

    >>> [str(m) for m in split_exact(Money("10.00", "USD"), [1, 1, 1])]
    ['3.34', '3.33', '3.33']
    >>> [str(m) for m in split_exact(Money("250", "JPY"), [2, 1])]
    ['167', '83']
    >>> sum(split_exact(Money("0.05", "USD"), [3, 3, 3]), Money.zero("USD"))
    Money('0.05', 'USD')
    """
    if not weights:
        raise InvalidValueError("weights", "must not be empty")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise InvalidValueError("weights", f"must be whole numbers >= 0, got {show(w)}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise InvalidValueError("weights", "must not all be 0")
    minor = total.minor
    sign = -1 if minor < 0 else 1
    minor = abs(minor)
    floors = [minor * w // weight_sum for w in weights]
    remainders = [minor * w % weight_sum for w in weights]
    leftover = minor - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Add up *amounts* (all in *currency*); the empty sum is zero."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
