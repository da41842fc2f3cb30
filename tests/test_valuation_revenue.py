"""Revenue per credit (punchcard.valuation.revenue): exact splits, bundles, commission bases.

Spec, L (reports): "revenue per credit = package price / quantity, split to the minor unit so that
the parts add up exactly to the price (largest remainder)". Decisions pinned here:

- the leftover minor units go one each to the *first* credits (largest remainder, earlier first
  on ties, as ``split_exact`` does with equal weights);
- a bundle is shared over its components by quantity by default, by retail value
  (retail price of one credit x quantity) when retail prices are given;
- the ``package`` commission base of a credit is its value in the split; ``retail`` is the
  retail price of the item.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from punchcard import Money
from punchcard.errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from punchcard.money import split_exact
from punchcard.testing import CURRENCIES
from punchcard.valuation.revenue import (
    MAX_PARTS,
    RevenueSplit,
    bundle_split,
    commission_base,
    credit_revenue,
)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


# -- RevenueSplit -------------------------------------------------------------------------------


def test_even_split_has_no_extra() -> None:
    split = credit_revenue(usd("250.00"), 10)
    assert split.base == usd("25.00")
    assert split.extra == 0
    assert split.parts() == [usd("25.00")] * 10


def test_leftover_minor_units_go_to_the_first_credits() -> None:
    split = credit_revenue(usd("100.00"), 3)
    assert (split.base, split.extra) == (usd("33.33"), 1)
    assert split.parts() == [usd("33.34"), usd("33.33"), usd("33.33")]
    split = credit_revenue(usd("10.00"), 6)  # 1000 = 6 * 166 + 4
    assert [str(m) for m in split.parts()] == ["1.67"] * 4 + ["1.66"] * 2


def test_jpy_and_bhd_split_at_their_own_minor_units() -> None:
    assert [str(m) for m in credit_revenue(Money("1000", "JPY"), 3).parts()] == [
        "334",
        "333",
        "333",
    ]
    assert [str(m) for m in credit_revenue(Money("10.000", "BHD"), 3).parts()] == [
        "3.334",
        "3.333",
        "3.333",
    ]


def test_price_smaller_than_quantity_gives_zero_credits_at_the_end() -> None:
    assert [str(m) for m in credit_revenue(usd("0.02"), 5).parts()] == [
        "0.01",
        "0.01",
        "0.00",
        "0.00",
        "0.00",
    ]


def test_free_package_credits_are_worth_zero() -> None:
    split = credit_revenue(usd("0"), 4)
    assert split.parts() == [usd("0")] * 4
    assert split.revenue_of(0, 4) == usd("0")


def test_family_package_from_the_article() -> None:
    # "10 Day (2 Dogs) | 20 | $180": 9.00 per credit; "(3 Dogs) | 30 | $260": 8.67 x 20 + 8.66 x 10.
    assert credit_revenue(usd("180"), 20).runs() == ((20, usd("9.00")),)
    assert credit_revenue(usd("260"), 30).runs() == ((20, usd("8.67")), (10, usd("8.66")))


def test_value_of_matches_parts_and_split_exact() -> None:
    split = credit_revenue(usd("100.00"), 7)
    assert [split.value_of(n) for n in range(7)] == split.parts()
    assert split.parts() == split_exact(usd("100.00"), [1] * 7)


def test_value_of_out_of_range_names_index() -> None:
    split = credit_revenue(usd("100.00"), 3)
    for bad in (3, -1):
        with pytest.raises(InvalidValueError) as err:
            split.value_of(bad)
        assert err.value.field == "index"
    with pytest.raises(InvalidTypeError) as type_err:
        split.value_of(True)
    assert type_err.value.field == "index"


def test_revenue_of_ranges() -> None:
    split = credit_revenue(usd("100.00"), 3)
    assert split.revenue_of(0, 0) == usd("0")
    assert split.revenue_of(0, 1) == usd("33.34")
    assert split.revenue_of(1, 2) == usd("66.66")
    assert split.revenue_of(0, 3) == usd("100.00")
    assert split.revenue_of(3, 0) == usd("0")


def test_revenue_of_beyond_the_credits_is_refused() -> None:
    split = credit_revenue(usd("100.00"), 3)
    with pytest.raises(InvalidValueError) as err:
        split.revenue_of(2, 2)
    assert err.value.field == "count"
    with pytest.raises(InvalidValueError) as neg:
        split.revenue_of(-1, 1)
    assert neg.value.field == "first"


def test_huge_quantities_stay_compact_and_exact() -> None:
    split = credit_revenue(usd("100.00"), 10**12)  # 10_000 cents over 10**12 credits
    assert (split.base, split.extra) == (usd("0"), 10_000)
    assert split.revenue_of(0, 10**12) == usd("100.00")
    assert split.value_of(9_999) == usd("0.01")
    assert split.value_of(10_000) == usd("0")
    assert split.revenue_of(5_000, 10**12 - 5_000) == usd("50.00")
    assert split.runs() == ((10_000, usd("0.01")), (10**12 - 10_000, usd("0.00")))
    with pytest.raises(InvalidValueError, match="use value_of") as err:
        split.parts()
    assert err.value.field == "quantity"


def test_parts_limit_is_inclusive() -> None:
    assert len(credit_revenue(usd("1.00"), MAX_PARTS).parts()) == MAX_PARTS
    with pytest.raises(InvalidValueError):
        credit_revenue(usd("1.00"), MAX_PARTS + 1).parts()


@pytest.mark.parametrize(
    ("price", "quantity", "error", "field"),
    [
        (usd("-1.00"), 3, InvalidValueError, "price"),
        (Decimal("10"), 3, InvalidTypeError, "price"),
        (usd("10.00"), 0, InvalidValueError, "quantity"),
        (usd("10.00"), True, InvalidTypeError, "quantity"),
        (usd("10.00"), 2.0, InvalidTypeError, "quantity"),
    ],
)
def test_split_errors_name_the_field(
    price: object, quantity: object, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as err:
        credit_revenue(price, quantity)  # type: ignore[arg-type]
    assert getattr(err.value, "field", None) == field


def test_split_is_a_frozen_hashable_value() -> None:
    split = credit_revenue(usd("100.00"), 3)
    assert split == RevenueSplit(usd("100.00"), 3)
    assert len({split, RevenueSplit(usd("100.00"), 3)}) == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        split.extra = 0  # type: ignore[misc]


# -- bundle_split -------------------------------------------------------------------------------


def test_bundle_by_quantity_default() -> None:
    shares = bundle_split(usd("100.00"), {"grooming": 5, "shampoo": 2})
    assert list(shares) == ["grooming", "shampoo"]
    assert shares["grooming"].price == usd("71.43")  # 100 * 5/7 = 71.428...
    assert shares["shampoo"].price == usd("28.57")  # 100 * 2/7 = 28.571...
    # Every credit of the bundle is worth the same to within the rounding of the shares.
    assert shares["grooming"].runs() == ((3, usd("14.29")), (2, usd("14.28")))
    assert shares["shampoo"].runs() == ((1, usd("14.29")), (1, usd("14.28")))


def test_bundle_by_retail_value() -> None:
    # Retail 25.00 x 5 = 125.00 and 12.50 x 2 = 25.00: shares 5/6 and 1/6 of the price.
    shares = bundle_split(
        usd("100.00"),
        {"grooming": 5, "shampoo": 2},
        retail={"shampoo": usd("12.50"), "grooming": usd("25.00")},
    )
    assert shares["grooming"].price == usd("83.33")
    assert shares["shampoo"].price == usd("16.67")
    assert shares["shampoo"].parts() == [usd("8.34"), usd("8.33")]


def test_bundle_ties_go_to_the_earlier_component() -> None:
    first = bundle_split(usd("0.01"), {"a": 1, "b": 1})
    assert (first["a"].price, first["b"].price) == (usd("0.01"), usd("0"))
    second = bundle_split(usd("0.01"), {"b": 1, "a": 1})
    assert (second["b"].price, second["a"].price) == (usd("0.01"), usd("0"))


def test_bundle_component_with_zero_retail_gets_nothing() -> None:
    shares = bundle_split(
        usd("50.00"),
        {"grooming": 2, "bandana": 1},
        retail={"grooming": usd("30"), "bandana": usd("0")},
    )
    assert shares["grooming"].price == usd("50.00")
    assert shares["bandana"].parts() == [usd("0")]


@pytest.mark.parametrize(
    ("quantities", "retail", "error", "field"),
    [
        ({}, None, InvalidValueError, "quantities"),
        ([("a", 1)], None, InvalidTypeError, "quantities"),
        ({"a": 0}, None, InvalidValueError, "quantities['a']"),
        ({"": 1}, None, InvalidValueError, "quantities"),
        ({"a": 1, "b": 1}, {"a": usd("1")}, InvalidValueError, "retail"),
        ({"a": 1}, {"a": usd("1"), "c": usd("1")}, InvalidValueError, "retail"),
        ({"a": 1}, {"a": usd("0")}, InvalidValueError, "retail"),
        ({"a": 1}, {"a": usd("-1")}, InvalidValueError, "retail['a']"),
        ({"a": 1}, {"a": Money("1", "EUR")}, CurrencyMismatchError, "retail['a']"),
    ],
)
def test_bundle_errors_name_the_field(
    quantities: object, retail: object, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as err:
        bundle_split(usd("10.00"), quantities, retail=retail)  # type: ignore[arg-type]
    assert getattr(err.value, "field", None) == field


# -- commission_base ----------------------------------------------------------------------------


def test_commission_package_mode_is_the_credit_value_in_the_split() -> None:
    # "price of the package / quantity of item credit": 250 / 10.
    assert commission_base("package", usd("30"), usd("250"), 10) == usd("25.00")
    bases = [commission_base("package", None, usd("100"), 3, credit=n) for n in range(3)]
    assert bases == [usd("33.34"), usd("33.33"), usd("33.33")]


def test_commission_retail_mode_is_the_retail_price() -> None:
    assert commission_base("retail", usd("30"), usd("250"), 10) == usd("30.00")
    assert commission_base("retail", usd("30"), usd("250"), 10, credit=9) == usd("30.00")


def test_commission_for_a_bundle_component_uses_its_share() -> None:
    shares = bundle_split(usd("100.00"), {"grooming": 5, "shampoo": 2})
    share = shares["shampoo"]
    base = commission_base("package", None, share.price, share.quantity, credit=1)
    assert base == share.value_of(1) == usd("14.28")


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "field"),
    [
        (("gross", usd("30"), usd("250"), 10), {}, InvalidValueError, "mode"),
        (("retail", None, usd("250"), 10), {}, InvalidValueError, "retail_price"),
        (("retail", usd("-1"), usd("250"), 10), {}, InvalidValueError, "retail_price"),
        (
            ("package", Money("30", "EUR"), usd("250"), 10),
            {},
            CurrencyMismatchError,
            "retail_price",
        ),
        (("package", None, usd("-250"), 10), {}, InvalidValueError, "package_price"),
        (("package", None, 250, 10), {}, InvalidTypeError, "package_price"),
        (("package", None, usd("250"), 0), {}, InvalidValueError, "quantity"),
        (("package", None, usd("250"), 10), {"credit": 10}, InvalidValueError, "credit"),
        (("retail", usd("30"), usd("250"), 10), {"credit": -1}, InvalidValueError, "credit"),
    ],
)
def test_commission_errors_name_the_field(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as err:
        commission_base(*args, **kwargs)  # type: ignore[arg-type]
    assert getattr(err.value, "field", None) == field


# -- properties ---------------------------------------------------------------------------------


@st.composite
def splits(draw: st.DrawFn, *, max_quantity: int = 500) -> RevenueSplit:
    currency = draw(st.sampled_from(CURRENCIES))
    minor = draw(st.one_of(st.integers(0, 1000), st.integers(0, 10**9)))
    quantity = draw(st.integers(1, max_quantity))
    return RevenueSplit(Money.from_minor(minor, currency), quantity)


@given(split=splits())
def test_property_parts_add_up_to_the_price_and_differ_by_at_most_one_minor_unit(
    split: RevenueSplit,
) -> None:
    parts = split.parts()
    assert len(parts) == split.quantity
    assert sum(parts, Money.zero(split.currency)) == split.price
    minors = [m.minor for m in parts]
    assert max(minors) - min(minors) <= 1
    # Largest remainder with equal weights: the larger parts come first.
    assert minors == sorted(minors, reverse=True)
    assert parts == split_exact(split.price, [1] * split.quantity)


@given(split=splits(), data=st.data())
def test_property_revenue_of_a_range_is_the_sum_of_its_values(
    split: RevenueSplit, data: st.DataObject
) -> None:
    first = data.draw(st.integers(0, split.quantity))
    count = data.draw(st.integers(0, split.quantity - first))
    expected = sum(
        (split.value_of(n) for n in range(first, first + count)), Money.zero(split.currency)
    )
    assert split.revenue_of(first, count) == expected


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(0, 10**15),
    quantity=st.integers(1, 10**15),
    data=st.data(),
)
def test_property_large_splits_are_exact_without_listing_parts(
    currency: str, minor: int, quantity: int, data: st.DataObject
) -> None:
    split = RevenueSplit(Money.from_minor(minor, currency), quantity)
    assert split.revenue_of(0, quantity) == split.price
    assert sum((count * value.minor for count, value in split.runs()), 0) == minor
    cut = data.draw(st.integers(0, quantity))
    assert split.revenue_of(0, cut) + split.revenue_of(cut, quantity - cut) == split.price
    n = data.draw(st.integers(0, quantity - 1))
    assert split.value_of(n).minor in (minor // quantity, minor // quantity + 1)


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(0, 10**9),
    components=st.dictionaries(
        st.sampled_from(("grooming", "shampoo", "nails", "bath")),
        st.tuples(st.integers(1, 50), st.integers(0, 10**6)),
        min_size=1,
    ),
    by_retail=st.booleans(),
)
def test_property_bundle_shares_add_up_to_the_price(
    currency: str, minor: int, components: dict[str, tuple[int, int]], by_retail: bool
) -> None:
    price = Money.from_minor(minor, currency)
    quantities = {item: q for item, (q, _) in components.items()}
    retail = {item: Money.from_minor(r, currency) for item, (_, r) in components.items()}
    assume(not by_retail or any(retail.values()))
    shares = bundle_split(price, quantities, retail=retail if by_retail else None)
    assert list(shares) == list(quantities)
    assert sum((s.price for s in shares.values()), Money.zero(currency)) == price
    assert all(s.quantity == quantities[item] for item, s in shares.items())
    total = sum((s.revenue_of(0, s.quantity) for s in shares.values()), Money.zero(currency))
    assert total == price
    if not by_retail:
        # By quantity: a credit of any component is worth price/total credits, to about a minor
        # unit (share rounding, then credit rounding: at most one each way).
        credits = sum(quantities.values())
        for split in shares.values():
            for _count, value in split.runs():
                assert abs(value.minor * credits - minor) < 2 * credits
