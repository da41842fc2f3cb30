"""Sections V (valuation), O (order) and E (expiry and time) of semantics.md, one test each.

Plus the engine's promises about its inputs: never mutated, and the clock never read.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from builders import AT, TZ, cart, line, package, run, usd

from punchcard import (
    Application,
    Cart,
    Component,
    InvalidTimeError,
    InvalidTypeError,
    Line,
    Money,
    Package,
    Policy,
    Settings,
    apply,
)

NY = ZoneInfo(TZ)
SYDNEY = ZoneInfo("Australia/Sydney")
UTC = dt.timezone.utc


def redeemed(result: Application) -> list[tuple[str, str, str, int, str]]:
    """(line, package, item, credits, amount) of every redemption, in the engine's order."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def rejected(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


def usable(result: Application, package_id: str = "p1") -> bool:
    """Whether *package_id* paid for something (the one-line carts below want one credit)."""
    return any(r.package_id == package_id for r in result.redemptions)


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


# O: which line and which credit first -----------------------------------------------------------


def _three_prices() -> tuple[Line, Line, Line]:
    return (
        line("a", price="35", beneficiary="rex"),
        line("b", price="40", beneficiary="bella"),
        line("c", price="30", beneficiary="milo"),
    )


def test_O_cheapest_first_default() -> None:
    one = package("p1", Component("daycare_full", 1))
    result = run(cart(*_three_prices()), [one])
    assert redeemed(result) == [("c", "p1", "daycare_full", 1, "30.00")]
    assert Policy().line_order.name == "cheapest_first"


def test_O_priciest_first() -> None:
    one = package("p1", Component("daycare_full", 1))
    result = run(cart(*_three_prices()), [one], policy=Policy(line_order="priciest_first"))
    assert redeemed(result) == [("b", "p1", "daycare_full", 1, "40.00")]


def test_O_cart_order() -> None:
    two = package("p1", Component("daycare_full", 2))
    result = run(cart(*_three_prices()), [two], policy=Policy(line_order="cart"))
    assert redeemed(result) == [
        ("a", "p1", "daycare_full", 1, "35.00"),
        ("b", "p1", "daycare_full", 1, "40.00"),
    ]


@pytest.mark.parametrize("line_order", ["cheapest_first", "priciest_first", "cart"])
def test_O_ties_keep_cart_order(line_order: str) -> None:
    # Equal prices; the ids sort the other way round, so only cart order explains the result.
    lines = (line("z", price="30", beneficiary="rex"), line("a", price="30", beneficiary="bella"))
    one = package("p1", Component("daycare_full", 1))
    result = run(cart(*lines), [one], policy=Policy(line_order=line_order))
    assert redeemed(result) == [("z", "p1", "daycare_full", 1, "30.00")]
    assert rejected(result) == [("a", "p1", "exhausted")]


def test_O_units_of_a_line_filled_before_next() -> None:
    three = package("p1", Component("daycare_full", 3))
    lines = (
        line("l1", price="30", units=2, beneficiary="rex"),
        line("l2", price="30", units=2, beneficiary="bella"),
    )
    result = run(cart(*lines), [three])
    assert redeemed(result) == [
        ("l1", "p1", "daycare_full", 2, "60.00"),
        ("l2", "p1", "daycare_full", 1, "30.00"),
    ]
    assert [lr.credits for lr in result.lines] == [2, 1]


def test_O_same_item_before_cross_item() -> None:
    # The boarding package is older, so FIFO alone would pick it: own item comes first.
    boarding = package("p1", Component("boarding", 5), purchased_at=dt.datetime(2025, 6, 1))
    daycare = package("p2", Component("daycare_full", 1), purchased_at=dt.datetime(2026, 2, 1))
    rates = {"downtown": {"boarding": usd("30")}}
    result = run(
        cart(line(units=2)), [boarding, daycare], rates=rates, settings=Settings(any_type=True)
    )
    assert redeemed(result) == [
        ("l1", "p2", "daycare_full", 1, "30.00"),
        ("l1", "p1", "boarding", 1, "30.00"),
    ]


def test_O_individual_before_shared() -> None:
    shared = package("p1", Component("daycare_full", 5), purchased_at=dt.datetime(2025, 6, 1))
    rex = package(
        "p2", Component("daycare_full", 5), purchased_at=dt.datetime(2026, 2, 1), beneficiary="rex"
    )
    result = run(cart(line(beneficiary="rex")), [shared, rex])
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]
    # Same-item still comes before individual: a cross-item individual credit waits.
    rex_boarding = package("p3", Component("boarding", 5), beneficiary="rex")
    rates = {"downtown": {"boarding": usd("30")}}
    result = run(
        cart(line(beneficiary="rex")),
        [rex_boarding, shared],
        rates=rates,
        settings=Settings(any_type=True),
    )
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]


def _old_late_and_new_soon() -> list[Package]:
    old_late = package("p1", purchased_at=dt.datetime(2026, 1, 1), expires_on=dt.date(2026, 12, 31))
    new_soon = package("p2", purchased_at=dt.datetime(2026, 2, 1), expires_on=dt.date(2026, 3, 9))
    return [new_soon, old_late]


def test_O_fifo_regardless_of_expiry() -> None:
    result = run(cart(), _old_late_and_new_soon())
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert Policy().package_order.name == "fifo"


def test_O_earliest_expiry() -> None:
    policy = Policy(package_order="earliest_expiry")
    result = run(cart(), _old_late_and_new_soon(), policy=policy)
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]
    # Equal expiry: the earlier purchase first.
    same_day = [
        package("p1", purchased_at=dt.datetime(2026, 2, 1), expires_on=dt.date(2026, 5, 1)),
        package("p2", purchased_at=dt.datetime(2026, 1, 1), expires_on=dt.date(2026, 5, 1)),
    ]
    assert redeemed(run(cart(), same_day, policy=policy)) == [
        ("l1", "p2", "daycare_full", 1, "30.00")
    ]


def test_O_earliest_expiry_never_expiring_last() -> None:
    never = package("p1", purchased_at=dt.datetime(2025, 1, 1))
    far = package("p2", purchased_at=dt.datetime(2026, 2, 1), expires_on=dt.date(2030, 1, 1))
    policy = Policy(package_order="earliest_expiry")
    result = run(cart(line(units=6)), [never, far], policy=policy)
    assert redeemed(result) == [
        ("l1", "p2", "daycare_full", 5, "150.00"),
        ("l1", "p1", "daycare_full", 1, "30.00"),
    ]


def test_O_first_use_never_used_counts_as_never_expiring() -> None:
    policy = Policy(package_order="earliest_expiry")
    # Never used, 1 day from first use: no expiry yet, so it waits behind a far sale expiry.
    unused = package(
        "p1", purchased_at=dt.datetime(2026, 1, 1), days_to_expiration=1, expiry_starts="first_use"
    )
    from_sale = package("p2", purchased_at=dt.datetime(2026, 2, 1), days_to_expiration=300)
    result = run(cart(), [unused, from_sale], policy=policy)
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]
    # Once used, its countdown runs (to Mar 3) and it comes first.
    used = attrs.evolve(unused, first_used_at=dt.datetime(2026, 3, 1, 9))
    result = run(cart(), [used, from_sale], policy=policy)
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]


def test_O_stable_ids_break_ties() -> None:
    twins = [package("b"), package("a")]
    assert redeemed(run(cart(), twins)) == [("l1", "a", "daycare_full", 1, "30.00")]
    assert redeemed(run(cart(), twins[::-1])) == [("l1", "a", "daycare_full", 1, "30.00")]
    policy = Policy(package_order="earliest_expiry")
    assert redeemed(run(cart(), twins, policy=policy)) == [("l1", "a", "daycare_full", 1, "30.00")]
    # Within one package, component order: grooming is listed before boarding.
    bundle = package("p1", Component("grooming", 1), Component("boarding", 1))
    rates = {"downtown": {"grooming": usd("30"), "boarding": usd("30")}}
    result = run(cart(), [bundle], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == [("l1", "p1", "grooming", 1, "30.00")]


# E: expiry and time -----------------------------------------------------------------------------


def test_E_expires_at_2359_local() -> None:
    p = package(expires_on=dt.date(2026, 3, 31))
    assert usable(run(cart(), [p], at=dt.datetime(2026, 3, 31, 23, 58, 59)))
    late = run(cart(), [p], at=dt.datetime(2026, 3, 31, 23, 59))
    assert not usable(late)
    assert rejected(late) == [("l1", "p1", "expired")]
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 4, 1, 0, 0)))
    assert Policy().expires_at == "23:59"


def test_E_2400_whole_day() -> None:
    p = package(expires_on=dt.date(2026, 3, 31))
    policy = Policy(expires_at="24:00")
    assert usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 3, 31, 23, 59)))
    assert usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 3, 31, 23, 59, 59)))
    assert not usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 4, 1, 0, 0)))


# (zone, the day, the UTC instant of 23:59 local that day)
SPRING_FORWARD = [
    ("America/New_York", dt.date(2026, 3, 8), dt.datetime(2026, 3, 9, 3, 59, tzinfo=UTC)),
    ("Australia/Sydney", dt.date(2026, 10, 4), dt.datetime(2026, 10, 4, 12, 59, tzinfo=UTC)),
]
FALL_BACK = [
    ("America/New_York", dt.date(2026, 11, 1), dt.datetime(2026, 11, 2, 4, 59, tzinfo=UTC)),
    ("Australia/Sydney", dt.date(2026, 4, 5), dt.datetime(2026, 4, 5, 13, 59, tzinfo=UTC)),
]


def _check_expiry_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    p = package(expires_on=day, purchased_at=dt.datetime(2026, 1, 5, 10))

    def ok(at: dt.datetime) -> bool:
        return usable(run(cart(), [p], at=at, timezone=zone))

    # The same boundary, given as a UTC instant and as naive local time.
    assert ok(end - dt.timedelta(seconds=1))
    assert not ok(end)
    assert ok(dt.datetime.combine(day, dt.time(23, 58, 59)))
    assert not ok(dt.datetime.combine(day, dt.time(23, 59)))
    # An hour either side of 23:59 local: a 24-hour clock from midnight would be off by one.
    assert ok(dt.datetime.combine(day, dt.time(23, 30)).replace(tzinfo=ZoneInfo(zone)))
    assert not ok(end + dt.timedelta(minutes=30))


@pytest.mark.parametrize(("zone", "day", "end"), SPRING_FORWARD)
def test_E_dst_spring_forward_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    assert dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(zone)) == end
    _check_expiry_day(zone, day, end)


@pytest.mark.parametrize(("zone", "day", "end"), FALL_BACK)
def test_E_dst_fall_back_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    assert dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(zone)) == end
    _check_expiry_day(zone, day, end)


def test_E_aware_time_converted() -> None:
    # 03:30 UTC on Mar 3 is 22:30 on Mar 2 in New York: the package expiring Mar 2 still pays.
    p = package(expires_on=dt.date(2026, 3, 2))
    at = dt.datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    result = run(cart(), [p], at=at)
    assert usable(result)
    [event] = result.events
    assert event.at == at
    assert event.at.utcoffset() == dt.timedelta(hours=-5)
    assert event.at.replace(tzinfo=None) == dt.datetime(2026, 3, 2, 22, 30)
    # 05:00 UTC on Mar 3 is 00:00 on Mar 3 in New York: expired.
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 3, 3, 5, 0, tzinfo=UTC)))
    # An aware time in another zone is converted the same way.
    tokyo = dt.datetime(2026, 3, 3, 12, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 22:30 in New York
    assert usable(run(cart(), [p], at=tokyo))


def test_E_nonexistent_local_time_refused() -> None:
    skipped = dt.datetime(2026, 3, 8, 2, 30)  # clocks go from 02:00 to 03:00 in New York
    with pytest.raises(InvalidTimeError, match="does not exist in America/New_York") as info:
        run(cart(), [package()], at=skipped)
    assert info.value.field == "as_of"
    with pytest.raises(InvalidTimeError) as info:
        run(cart(), [package(purchased_at=skipped)], at=dt.datetime(2026, 3, 9, 12))
    assert info.value.field == "packages[0].purchased_at"
    # The same wall time exists in Sydney.
    assert usable(run(cart(), [package()], at=skipped, timezone="Australia/Sydney"))


def test_E_ambiguous_local_time_is_earlier() -> None:
    # 01:30 happens twice on Nov 1 in New York (EDT, then EST): a naive 01:30 is the first.
    result = run(cart(), [package()], at=dt.datetime(2026, 11, 1, 1, 30))
    first_used_at = result.package("p1").first_used_at
    assert first_used_at is not None
    assert first_used_at.utcoffset() == dt.timedelta(hours=-4)
    assert first_used_at.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert result.events[0].at.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_E_instants_compared_as_real_time_in_repeated_hour() -> None:
    """Times in the hour that occurs twice compare as instants, not as wall-clock readings."""
    # Bought at 01:30 EDT (05:30 UTC); checkout at 01:10 EST (06:10 UTC), 40 minutes later.
    bought = dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    checkout = dt.datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    p = package(purchased_at=bought)
    result = run(cart(), [p], at=checkout)
    assert rejected(result) == []
    assert usable(result)
    # The other way round: bought at 01:10 EST, checkout at the naive 01:30 (EDT, the earlier).
    later = package(purchased_at=checkout)
    result = run(cart(), [later], at=dt.datetime(2026, 11, 1, 1, 30))
    assert rejected(result) == [("l1", "p1", "not_yet_valid")]
    # FIFO: the package bought at 01:40 EDT is older than the one bought at 01:10 EST.
    first = package("p2", purchased_at=dt.datetime(2026, 11, 1, 1, 40))  # naive: EDT
    second = package("p1", purchased_at=checkout)
    result = run(cart(), [first, second], at=dt.datetime(2026, 11, 1, 12))
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]


def test_E_countdown_from_sale() -> None:
    # Sold at 23:30 on Jan 5 in New York (already Jan 6 in UTC): 30 days -> Feb 4.
    p = package(purchased_at=dt.datetime(2026, 1, 6, 4, 30, tzinfo=UTC), days_to_expiration=30)
    assert usable(run(cart(), [p], at=dt.datetime(2026, 2, 4, 23, 58)))
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 2, 4, 23, 59)))
    # Used on Feb 1: the countdown still runs from the sale, in the returned state too.
    after = run(cart(), [p], at=dt.datetime(2026, 2, 1, 9)).package("p1")
    assert after.expires_on in (None, dt.date(2026, 2, 4))
    assert usable(run(cart(), [after], at=dt.datetime(2026, 2, 4, 23, 58)))
    assert not usable(run(cart(), [after], at=dt.datetime(2026, 2, 4, 23, 59)))
    zero = package(purchased_at=dt.datetime(2026, 3, 2, 8), days_to_expiration=0)
    assert usable(run(cart(), [zero], at=dt.datetime(2026, 3, 2, 23, 58)))
    assert not usable(run(cart(), [zero], at=dt.datetime(2026, 3, 2, 23, 59)))


def test_E_countdown_from_first_use() -> None:
    # Bought over a year ago, never used: the countdown has not started.
    unused = package(
        purchased_at=dt.datetime(2025, 1, 1), days_to_expiration=10, expiry_starts="first_use"
    )
    result = run(cart(), [unused])
    assert usable(result)
    assert result.package("p1").expires_on == dt.date(2026, 3, 12)
    # Used first on Feb 1 (local date; 03:00 UTC on Feb 2 is Feb 1 in New York): Feb 11.
    used = attrs.evolve(unused, first_used_at=dt.datetime(2026, 2, 2, 3, 0, tzinfo=UTC))
    assert usable(run(cart(), [used], at=dt.datetime(2026, 2, 11, 23, 58)))
    assert not usable(run(cart(), [used], at=dt.datetime(2026, 2, 11, 23, 59)))


def test_E_first_use_recorded() -> None:
    unused = package("p1", days_to_expiration=30, expiry_starts="first_use")
    earlier = dt.datetime(2026, 2, 20, 11, 0, tzinfo=NY)
    used_before = package("p2", Component("boarding", 2), first_used_at=earlier)
    untouched = package("p3", Component("grooming", 2))
    nights = line("l2", item="boarding", price="50", charge_by="night")
    result = run(cart(line("l1"), nights), [unused, used_before, untouched])
    assert {r.package_id for r in result.redemptions} == {"p1", "p2"}
    recorded = result.package("p1")
    assert recorded.first_used_at == dt.datetime(2026, 3, 2, 17, 30, tzinfo=NY)
    assert recorded.first_used_at.tzinfo is not None
    assert recorded.expires_on == dt.date(2026, 4, 1)
    # Already used: its first use stays; not used in this cart: returned as it was.
    assert result.package("p2").first_used_at == earlier
    assert result.package("p2").remaining("boarding") == 1
    assert result.package("p3") == untouched
    assert result.package("p3").first_used_at is None


def test_E_explicit_expires_on_wins() -> None:
    # The countdown would end Feb 4; the expiry was edited to Mar 31.
    edited = package(days_to_expiration=30, expires_on=dt.date(2026, 3, 31))
    result = run(cart(), [edited])
    assert usable(result)
    assert result.package("p1").expires_on == dt.date(2026, 3, 31)
    # Shortened below the countdown: it wins as well.
    shortened = package(days_to_expiration=300, expires_on=dt.date(2026, 3, 1))
    assert rejected(run(cart(), [shortened])) == [("l1", "p1", "expired")]
    # A first-use package keeps its explicit date when first used.
    first_use = package(
        days_to_expiration=10, expiry_starts="first_use", expires_on=dt.date(2026, 6, 30)
    )
    assert run(cart(), [first_use]).package("p1").expires_on == dt.date(2026, 6, 30)


def test_E_first_use_in_cart_does_not_expire_in_cart() -> None:
    # Zero days from first use: first used at 23:59:30, it expires "today at 23:59", already
    # past. The package is judged as it stood when checkout started, so both lines are paid.
    at = dt.datetime(2026, 3, 2, 23, 59, 30)
    p = package(days_to_expiration=0, expiry_starts="first_use")
    lines = (line("l1", beneficiary="rex"), line("l2", beneficiary="bella"))
    result = run(cart(*lines), [p], at=at)
    assert [r.line_id for r in result.redemptions] == ["l1", "l2"]
    assert rejected(result) == []
    after = result.package("p1")
    assert after.expires_on == dt.date(2026, 3, 2)
    # The next checkout, a second later, finds it expired.
    assert rejected(run(cart(), [after], at=at + dt.timedelta(seconds=1))) == [
        ("l1", "p1", "expired")
    ]


def test_E_never_expires_without_days() -> None:
    p = package(purchased_at=dt.datetime(2000, 1, 1))
    result = run(cart(), [p], at=dt.datetime(2099, 12, 31, 23, 59, 59))
    assert usable(result)
    assert result.package("p1").expires_on is None
    first_use = package(purchased_at=dt.datetime(2000, 1, 1), expiry_starts="first_use")
    assert run(cart(), [first_use]).package("p1").expires_on is None


def test_E_not_yet_valid() -> None:
    tomorrow = package(purchased_at=AT + dt.timedelta(days=1))
    assert rejected(run(cart(), [tomorrow])) == [("l1", "p1", "not_yet_valid")]
    # The same instant given in UTC: valid (bought no later than the checkout).
    now = package(purchased_at=dt.datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    assert usable(run(cart(), [now]))
    a_second_late = package(purchased_at=dt.datetime(2026, 3, 2, 22, 30, 1, tzinfo=UTC))
    assert rejected(run(cart(), [a_second_late])) == [("l1", "p1", "not_yet_valid")]


# The engine's promises about its inputs ---------------------------------------------------------


def _busy_checkout() -> tuple[Cart, list[Package], dict[str, Any]]:
    the_cart = Cart(
        "smith",
        "downtown",
        "USD",
        [
            line("l1", units=2, beneficiary="rex"),
            line("l2", item="boarding", price="50", units=3, charge_by="night"),
            line("l3", item="walk", price="12", units=2, charge_by="hour"),
        ],
        id="ticket-7",
    )
    packages = [
        package("p1", Component("daycare_full", 1), Component("boarding", 1)),
        package(
            "p2",
            Component("walk", 4, hourly=True),
            days_to_expiration=10,
            expiry_starts="first_use",
        ),
        package("p3", beneficiary="rex", expires_on=dt.date(2026, 3, 10)),
        package("p4", owner="jones"),
    ]
    kwargs: dict[str, Any] = {
        "as_of": AT,
        "timezone": TZ,
        "settings": Settings(any_type=True),
        "policy": Policy(valuation="default_rate"),
        "rates": {"downtown": {"daycare_full": usd("30"), "boarding": usd("45")}},
    }
    return the_cart, packages, kwargs


def test_inputs_never_mutated() -> None:
    the_cart, packages, kwargs = _busy_checkout()
    before = copy.deepcopy((the_cart, packages, kwargs))
    result = apply(the_cart, packages, **kwargs)
    assert result.redemptions  # the checkout did something
    assert result.packages != tuple(packages)
    assert (the_cart, packages, kwargs) == before
    assert [p.components for p in packages] == [p.components for p in before[1]]
    assert packages[1].first_used_at is None
    # A generator of packages is fine too, and gives the same answer.
    assert apply(the_cart, iter(packages), **kwargs) == result


def test_engine_never_reads_the_clock() -> None:
    the_cart, packages, kwargs = _busy_checkout()
    first = apply(the_cart, packages, **kwargs)
    second = apply(the_cart, packages, **kwargs)
    assert first == second
    assert repr(first) == repr(second)
    # Validity is judged at *at*, whatever today is: far in the future, p3 has expired.
    later = apply(the_cart, packages, **{**kwargs, "as_of": dt.datetime(2031, 1, 1, 9)})
    assert ("l1", "p3", "expired") in rejected(later)
    assert {e.at for e in later.events} == {dt.datetime(2031, 1, 1, 9, tzinfo=NY)}
