"""What one credit takes off a line: section V of docs/semantics.md, one test each (punchcard.valuation.credit_value)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from builders import AT, cart, line, package, run, usd

from punchcard import (
    Application,
    Cart,
    Component,
    InvalidTypeError,
    Line,
    Money,
    Policy,
    Settings,
    apply,
)


def redeemed(result: Application) -> list[tuple[str, str, str, int, str]]:
    """(line, package, item, credits, amount) of every redemption, in the engine's order."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def rejected(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


# V: what one credit takes off -------------------------------------------------------------------


def test_V_same_item_line_price() -> None:
    rates = {"downtown": {"daycare_full": usd("30")}}
    result = run(cart(line(price="35")), [package()], rates=rates)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "35.00")]
    assert result.due == usd("0")


def test_V_default_rate_voucher_25_for_30() -> None:
    # A credit bought for $25 (10 for $250) still takes off the $30 base rate.
    voucher = package("p1", Component("daycare_full", 10))
    rates = {"downtown": {"daycare_full": usd("30")}}
    policy = Policy(valuation="default_rate")
    result = run(cart(line(price="30")), [voucher], rates=rates, policy=policy)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert (result.covered, result.due) == (usd("30"), usd("0"))


def test_V_default_rate_holiday_price_leaves_5_due() -> None:
    rates = {"downtown": {"daycare_full": usd("30")}}
    policy = Policy(valuation="default_rate")
    result = run(cart(line(price="35")), [package()], rates=rates, policy=policy)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert result.line("l1").due == usd("5")
    assert result.line("l1").credits == 1


def test_V_default_rate_never_more_than_the_price() -> None:
    rates = {"downtown": {"daycare_full": usd("30")}}
    policy = Policy(valuation="default_rate")
    result = run(cart(line(price="22.50")), [package()], rates=rates, policy=policy)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "22.50")]


def test_V_default_rate_no_rate_falls_back() -> None:
    # A rate for another item, and for this item at another location: neither applies.
    rates = {"downtown": {"boarding": usd("50")}, "uptown": {"daycare_full": usd("25")}}
    policy = Policy(valuation="default_rate")
    result = run(cart(line(price="35")), [package()], rates=rates, policy=policy)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "35.00")]


def test_V_cross_item_uses_component_item_rate() -> None:
    boarding = package("p1", Component("boarding", 2))
    rates = {
        "downtown": {"boarding": usd("20"), "daycare_full": usd("30")},
        "uptown": {"boarding": usd("28")},
    }
    result = run(cart(line(price="30")), [boarding], rates=rates, settings=Settings(any_type=True))
    # The boarding rate at the cart's location, not the daycare rate, nor uptown's.
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "20.00")]
    assert result.due == usd("10")


def test_V_pricing_rules_credit_values() -> None:
    # The host ran its pricing rules (a multi-pet discount): this line's credit is worth $24.
    discounted = line(price="30", credit_values={"daycare_full": usd("24")})
    with_rules = package("p1", pricing_rules=True)
    result = run(cart(discounted), [with_rules])
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "24.00")]
    assert result.due == usd("6")
    # Without the flag the package ignores the line's values.
    plain = run(cart(discounted), [package("p1")])
    assert redeemed(plain) == [("l1", "p1", "daycare_full", 1, "30.00")]
    # The value replaces the default rate too, and for a cross-item credit.
    rates = {"downtown": {"daycare_full": usd("30"), "boarding": usd("20")}}
    policy = Policy(valuation="default_rate")
    assert redeemed(run(cart(discounted), [with_rules], rates=rates, policy=policy)) == [
        ("l1", "p1", "daycare_full", 1, "24.00")
    ]
    cross = line(price="30", credit_values={"boarding": usd("18")})
    boarding = package("p1", Component("boarding", 1), pricing_rules=True)
    result = run(cart(cross), [boarding], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "18.00")]


def test_V_greater_value_surplus_lost() -> None:
    boarding = package("p1", Component("boarding", 2))
    rates = {"downtown": {"boarding": usd("45")}}
    settings = Settings(any_type=True, greater_value=True)
    result = run(cart(line(price="30")), [boarding], rates=rates, settings=settings)
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "30.00")]
    assert (result.covered, result.due) == (usd("30"), usd("0"))
    # A whole credit is gone; the $15 surplus is not kept anywhere.
    after = result.package("p1")
    assert after.components == (Component("boarding", 1),)
    assert [e.amount for e in result.events] == [usd("30")]


def test_V_hourly_three_hours_three_credits() -> None:
    hours = package("p1", Component("walk", 5, hourly=True))
    result = run(cart(line(item="walk", price="12", units=3, charge_by="hour")), [hours])
    assert redeemed(result) == [("l1", "p1", "walk", 3, "36.00")]
    assert result.line("l1").credits == 3
    assert result.package("p1").remaining("walk") == 2


def test_V_partial_cover_two_of_three_nights() -> None:
    two = package("p1", Component("boarding", 2))
    nights = line(item="boarding", price="50", units=3, charge_by="night")
    result = run(cart(nights), [two])
    assert redeemed(result) == [("l1", "p1", "boarding", 2, "100.00")]
    lr = result.line("l1")
    assert (lr.total, lr.covered, lr.due, lr.credits) == (usd("150"), usd("100"), usd("50"), 2)
    assert result.package("p1").remaining("boarding") == 0
    # p1 helped the line, so it is not among the rejections; another package that could not is.
    theirs = package("p2", Component("boarding", 5), owner="jones")
    result = run(cart(nights), [two, theirs])
    assert result.line("l1").due == usd("50")
    assert rejected(result) == [("l1", "p2", "owner_mismatch")]


def test_V_no_split() -> None:
    # A full-day credit never pays half of itself for a half day: it is used whole or not at all.
    full = package("p1", Component("daycare_full", 3))
    half_day = line(item="daycare_half", price="18")
    rates = {"downtown": {"daycare_full": usd("30"), "daycare_half": usd("18")}}
    refused = run(cart(half_day), [full], rates=rates, settings=Settings(any_type=True))
    assert redeemed(refused) == []
    assert rejected(refused) == [("l1", "p1", "value_exceeds_price")]
    settings = Settings(any_type=True, greater_value=True)
    whole = run(cart(half_day), [full], rates=rates, settings=settings)
    assert redeemed(whole) == [("l1", "p1", "daycare_full", 1, "18.00")]
    assert whole.package("p1").remaining("daycare_full") == 2
    # One unit takes one credit from one package, never a part of two.
    ones = [
        package("p1", Component("daycare_full", 1)),
        package("p2", Component("daycare_full", 1)),
    ]
    result = run(cart(line()), ones)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert result.package("p2") == ones[1]


def test_V_several_packages_cover_one_line() -> None:
    older = package("p2", Component("boarding", 1), purchased_at=dt.datetime(2026, 1, 1))
    newer = package("p1", Component("boarding", 5), purchased_at=dt.datetime(2026, 2, 1))
    nights = line(item="boarding", price="50", units=3, charge_by="night")
    result = run(cart(nights), [newer, older])
    assert redeemed(result) == [
        ("l1", "p2", "boarding", 1, "50.00"),
        ("l1", "p1", "boarding", 2, "100.00"),
    ]
    assert result.line("l1").credits == 3
    assert result.due == usd("0")
    assert result.package("p1").remaining("boarding") == 3


def test_V_minor_units_jpy_bhd() -> None:
    jpy = Cart("smith", "tokyo", "JPY", [Line("l1", "daycare_full", Money("3000", "JPY"), units=2)])
    result = apply(jpy, [package()], as_of=AT, timezone="Asia/Tokyo")
    assert result.covered == Money("6000", "JPY")
    assert result.covered.amount.as_tuple().exponent == 0
    assert str(result.redemptions[0].amount) == "6000"

    bhd_line = Line("l1", "daycare_full", Money("15", "BHD"), units=3)
    bhd = Cart("smith", "manama", "BHD", [bhd_line])
    result = apply(
        bhd,
        [package("p1", Component("daycare_full", 2))],
        as_of=AT,
        timezone="Asia/Bahrain",
        policy=Policy(valuation="default_rate"),
        rates={"manama": {"daycare_full": Money("12.345", "BHD")}},
    )
    assert str(result.total) == "45.000"
    assert str(result.covered) == "24.690"
    assert str(result.due) == "20.310"
    assert result.due.amount == Decimal("45") - 2 * Decimal("12.345")
    # Float money is refused outright, never rounded.
    with pytest.raises(InvalidTypeError, match="floats are inexact"):
        Money(12.345, "BHD")
