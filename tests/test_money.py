"""Money: what it accepts, what it refuses, and the bound every amount keeps (issue 10, items 9-10).

Each refusal is a punchcard error that is also the matching builtin, names the field and shows
what arrived.
"""

from __future__ import annotations

import pickle
import time
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard import Money, PunchcardError
from punchcard.errors import InvalidTypeError, InvalidValueError
from punchcard.lifecycle import LedgerError, event_from_dict
from punchcard.money import MAX_DIGITS, currency_precision, split_exact

#: The largest amounts the bound lets through (38 digits at the currency's minor units).
LARGEST = {"USD": "9" * 36 + ".99", "JPY": "9" * 38, "BHD": "9" * 35 + ".999"}


def refused(amount: Any, currency: str = "USD") -> InvalidValueError | InvalidTypeError:
    """The error Money(amount, currency) raises: a punchcard error naming its field."""
    with pytest.raises(PunchcardError) as info:
        Money(amount, currency)
    err = info.value
    assert isinstance(err, (InvalidValueError, InvalidTypeError))
    assert isinstance(err, ValueError if isinstance(err, InvalidValueError) else TypeError)
    assert str(err) == f"{err.field}: {err.message}"
    return err


# --- item 9: bounded resources --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e999999999", "1E+999999999", "-1e3", "1e-2", "1E2", "0e0"])
def test_issue10_item9_money_refuses_exponent_notation_quickly(text: str) -> None:
    Money("1", "USD")  # CLDR data loaded before measuring
    tracemalloc.start()
    started = time.process_time()
    try:
        err = refused(text)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.process_time() - started < 0.5
    assert peak < 1_000_000  # "1e999999999" once allocated ~420 MB
    assert err.field == "amount"
    assert "no exponent" in err.message
    assert repr(text) in err.message


@pytest.mark.parametrize(
    "amount",
    [Decimal("1E+999999999"), Decimal("-1E+999999999"), Decimal("1E+36"), Decimal("1E+425000000")],
    ids=str,
)
def test_issue10_item9_money_refuses_decimals_with_huge_exponents_quickly(amount: Decimal) -> None:
    Money("1", "USD")  # CLDR data loaded before measuring
    tracemalloc.start()
    try:
        err = refused(amount)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 1_000_000
    assert err.field == "amount"
    assert "at most 38 digits" in err.message
    assert repr(amount) in err.message or repr(str(amount)) in err.message


@pytest.mark.parametrize("currency", sorted(LARGEST))
def test_issue10_item9_money_holds_at_most_38_digits_at_its_minor_units(currency: str) -> None:
    largest = LARGEST[currency]
    assert str(Money(largest, currency)) == largest
    assert str(Money("-" + largest, currency)) == "-" + largest
    assert Money(Decimal(largest), currency) == Money(largest, currency)
    one_more = 10 ** (MAX_DIGITS - currency_precision(currency))
    for beyond in (str(one_more), f"-{one_more}", Decimal(one_more), one_more, -one_more):
        err = refused(beyond, currency)
        assert err.field == "amount"
        assert "at most 38" in err.message
        if not isinstance(beyond, str):
            assert f"|amount| < 10**{MAX_DIGITS - currency_precision(currency)}" in err.message


def test_issue10_item9_money_from_minor_keeps_the_bound() -> None:
    assert Money.from_minor(10**38 - 1, "USD") == Money(LARGEST["USD"], "USD")
    assert Money.from_minor(-(10**38) + 1, "USD").amount < 0
    for minor in (10**38, -(10**38), 10**5000):
        with pytest.raises(InvalidValueError) as info:
            Money.from_minor(minor, "USD")
        assert info.value.field == "minor"
    with pytest.raises(InvalidValueError, match="<int of 5001 digits>"):
        Money.from_minor(10**5000, "USD")


@pytest.mark.parametrize("text", ["1" * 39, "0" * 39, "-" + "1" * 37 + ".00", "1" * 10_000_000])
def test_issue10_item9_money_refuses_text_of_more_than_38_digits_before_reading_it(
    text: str,
) -> None:
    started = time.process_time()
    err = refused(text, "JPY")
    assert time.process_time() - started < 0.5
    assert "at most 38 ASCII digits" in err.message
    assert len(err.message) < 400  # the value is shown cut, with its length
    if len(text) > 200:
        assert f"({len(text)} characters)" in err.message


def test_issue10_item9_money_arithmetic_beyond_the_bound_is_refused() -> None:
    largest = Money(LARGEST["USD"], "USD")
    cent = Money("0.01", "USD")
    assert largest - cent + cent == largest
    with pytest.raises(InvalidValueError, match=r"the result of \+") as info:
        largest + cent
    assert info.value.field == "amount"
    with pytest.raises(InvalidValueError, match=r"the result of -"):
        Money("-" + LARGEST["USD"], "USD") - cent
    with pytest.raises(InvalidValueError, match=r"the result of \*"):
        largest * 2
    with pytest.raises(InvalidValueError, match="<int of 5001 digits>"):
        cent * 10**5000
    assert Money.zero("USD") * 10**5000 == Money.zero("USD")  # zero times anything is zero


def test_issue10_item9_money_formats_every_amount_within_the_bound() -> None:
    # babel rounds in the current decimal context (28 digits by default): it failed with
    # decimal.InvalidOperation on amounts of more than 28 digits.
    assert Money(LARGEST["USD"], "USD").format("en_US") == "$" + f"{10**36 - 1:,}" + ".99"
    assert Money("-" + LARGEST["BHD"], "BHD").format("en_US").endswith("999.999")
    assert Money(LARGEST["JPY"], "JPY").format("ja_JP") == "￥" + f"{10**38 - 1:,}"


def test_issue10_item9_money_bound_is_the_ledger_codec_bound() -> None:
    """The ledger codec reads amounts with Money: what Money refuses, the ledger refuses."""
    event = {
        "type": "package_purchased",
        "price": {"amount": "1" * 37 + ".00", "currency": "USD"},
    }
    with pytest.raises(LedgerError) as info:
        event_from_dict(event)
    assert info.value.path.startswith("event")


# --- item 10: typed errors for every bad amount ---------------------------------------------------


@pytest.mark.parametrize("text", ["1_000", "1_000.00", "1__0"])
def test_issue10_item10_money_refuses_underscore_separators(text: str) -> None:
    err = refused(text)
    assert err.field == "amount"
    assert repr(text) in err.message


@pytest.mark.parametrize("text", [" 1", "1 ", " 1 ", "\t1", "1\n", "\u00a01", "1\u2003", "1 000"])
def test_issue10_item10_money_refuses_surrounding_spaces(text: str) -> None:
    err = refused(text)
    assert err.field == "amount"
    assert repr(text) in err.message


@pytest.mark.parametrize(
    "text",
    ["٣٠", "۳۰", "३०", "３０", "30.٥", "𝟑𝟎"],
    ids=["arabic-indic", "persian", "devanagari", "fullwidth", "mixed", "math-bold"],
)
def test_issue10_item10_money_refuses_non_ascii_digits(text: str) -> None:
    assert Decimal(text) == Decimal(text)  # Decimal reads them all: Money must not
    err = refused(text)
    assert repr(text) in err.message


@pytest.mark.parametrize("text", ["-0", "-0.00", "-00", "-0.0"])
def test_issue10_item10_money_refuses_a_negative_zero_string(text: str) -> None:
    err = refused(text)
    assert err.message == f"must not be a negative zero, got {text!r}"


def test_issue10_item10_money_keeps_negative_amounts_and_never_shows_a_negative_zero() -> None:
    """Decision: Money is a general amount, and differences can be negative (a refund quote
    minus what was paid, one amount minus another); every field that holds a price refuses a
    negative one. A zero has no sign: -0 from Decimal arithmetic is 0."""
    assert str(Money("-250.00", "USD")) == "-250.00"
    assert Money("5", "USD") - Money("7.50", "USD") == Money("-2.50", "USD")
    assert str(Money(Decimal("-0"), "USD")) == "0.00"
    assert str(Money(Decimal("-1") * 0, "USD")) == "0.00"
    assert str(Money("-5", "USD") * 0) == "0.00"
    assert str(Money("-5", "USD") - Money("-5", "USD")) == "0.00"
    assert str(Money.from_minor(-0, "USD")) == "0.00"


@pytest.mark.parametrize("currency", ["XXX", "XTS"])
def test_issue10_item10_money_refuses_the_no_currency_and_testing_codes(currency: str) -> None:
    err = refused("1", currency)
    assert err.field == "currency"
    assert repr(currency) in err.message
    with pytest.raises(InvalidValueError):
        currency_precision(currency)
    with pytest.raises(InvalidValueError):
        Money.from_minor(1, currency)


@pytest.mark.parametrize(
    "amount",
    [Decimal("NaN"), Decimal("-NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")],
    ids=str,
)
def test_issue10_item10_money_refuses_decimal_nan_and_infinity(amount: Decimal) -> None:
    err = refused(amount)
    assert err.message == f"must be finite, got {amount!r}"


@pytest.mark.parametrize(
    "text", ["NaN", "nan", "sNaN", "Infinity", "-inf", "+1", ".5", "5.", "1.2.3", "", "-", "0x10"]
)
def test_issue10_item10_money_refuses_text_that_is_not_a_plain_decimal(text: str) -> None:
    err = refused(text)
    assert err.field == "amount"
    assert repr(text) in err.message


@pytest.mark.parametrize(
    ("amount", "currency", "field", "kind"),
    [
        (1.5, "USD", "amount", InvalidTypeError),
        (True, "USD", "amount", InvalidTypeError),
        (None, "USD", "amount", InvalidTypeError),
        ([1], "USD", "amount", InvalidTypeError),
        (b"1", "USD", "amount", InvalidTypeError),
        ("1", None, "currency", InvalidTypeError),
        ("1", ["USD"], "currency", InvalidTypeError),
        ("1", "usd", "currency", InvalidValueError),
        ("1", "ÜSD", "currency", InvalidValueError),
        ("1", "USDX", "currency", InvalidValueError),
        ("1", "ABC", "currency", InvalidValueError),
    ],
)
def test_issue10_item10_money_type_errors_are_typeerrors_naming_the_field(
    amount: Any, currency: Any, field: str, kind: type[Exception]
) -> None:
    with pytest.raises(kind) as info:
        Money(amount, currency)
    assert isinstance(info.value, PunchcardError)
    assert info.value.field == field  # type: ignore[attr-defined]


# --- valid input: unchanged -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("30", "USD", "30.00"),
        ("30.5", "USD", "30.50"),
        ("30.000", "USD", "30.00"),
        ("007", "USD", "7.00"),
        (30, "USD", "30.00"),
        (Decimal("30.1"), "USD", "30.10"),
        (Decimal("3E+1"), "USD", "30.00"),
        ("3000", "JPY", "3000"),
        ("1.5", "BHD", "1.500"),
        ("0", "USD", "0.00"),
    ],
)
def test_valid_amounts_read_as_before(amount: Any, currency: str, shown: str) -> None:
    assert str(Money(amount, currency)) == shown


def test_money_survives_pickling_into_a_fresh_memo() -> None:
    """Arithmetic reads the currency's minor units from a memo; a Money unpickled where the
    memo is empty (another process) still adds up."""
    from punchcard import money as module

    amount = pickle.loads(pickle.dumps(Money("1.25", "BHD")))
    saved = dict(module._KNOWN)
    module._KNOWN.clear()
    try:
        assert str(amount + amount) == "2.500"
    finally:
        module._KNOWN.update(saved)


def test_split_exact_shows_a_huge_weight_in_its_message() -> None:
    with pytest.raises(InvalidValueError, match="<int of 5001 digits>"):
        split_exact(Money("1", "USD"), [-(10**5000)])


@given(
    minor=st.integers(min_value=-(10**20), max_value=10**20),
    currency=st.sampled_from(["USD", "JPY", "BHD", "EUR"]),
)
def test_from_minor_gives_the_same_amount_made_once_or_again(minor: int, currency: str) -> None:
    """Money.from_minor keeps the amounts it made (immutable values): a second call gives an
    amount equal in every way to the one the constructor makes."""
    expected = Money(Decimal(minor).scaleb(-currency_precision(currency)), currency)
    for _ in range(2):
        made = Money.from_minor(minor, currency)
        assert made == expected
        assert (made.amount, str(made), made.minor) == (expected.amount, str(expected), minor)


def test_from_minor_refuses_a_bool_even_once_the_same_number_was_made() -> None:
    assert Money.from_minor(1, "USD") == Money("0.01", "USD")
    with pytest.raises(InvalidTypeError):
        Money.from_minor(True, "USD")


def test_from_minor_of_a_subclass_makes_the_subclass() -> None:
    class Tip(Money):
        pass

    Money.from_minor(250, "USD")
    assert type(Tip.from_minor(250, "USD")) is Tip


def test_from_minor_refuses_a_currency_that_is_not_a_string_with_a_punchcard_error() -> None:
    with pytest.raises(PunchcardError):
        Money.from_minor(5, ["USD"])  # type: ignore[arg-type]
