"""The market options X1-X3 and X6-X9 of docs/semantics.md, through :func:`punchcard.apply`.

Every expected value here is worked out by hand from the semantics (section X), not read off the
engine. The calendar options (X4 ``valid_for``, X5 elapsed expiry, and where a countdown starts)
are in tests/test_expiry.py; the properties (additivity, invariants with options on) in
tests/property/test_options_properties.py.

The Smiths check out downtown on Monday 2 March 2026 at 17:30, New York time (``AT``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from builders import AT, BOUGHT, TZ, cart, line, package, run, usd

from punchcard import (
    Application,
    Component,
    CurrencyMismatchError,
    Guard,
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    Money,
    Package,
    Policy,
    Settings,
)
from punchcard.events import BalanceRedeemed, advance_packages
from punchcard.models import Pause

NY = ZoneInfo(TZ)
UTC = dt.timezone.utc
RATES = {"downtown": {"daycare_full": usd("30"), "daycare_half": usd("18"), "boarding": usd("45")}}
CROSS = Settings(any_type=True, greater_value=True)
FEB_1 = dt.datetime(2026, 2, 1, 9, 0)


def took(result: Application) -> list[tuple[str, str, str | None, int, str]]:
    """(line, package, item, credits, amount) per redemption, in the order they were applied."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def why_not(result: Application) -> dict[tuple[str, str], str]:
    """{(line, package): reason code} of the rejections."""
    return {(r.line_id, r.package_id): r.reason for r in result.rejections}


def gift(id: str, amount: str, **fields: Any) -> Package:
    """A stored-value package (X9) of the Smiths holding *amount* dollars."""
    fields.setdefault("purchased_at", BOUGHT)
    return Package(id=id, owner=fields.pop("owner", "smith"), balance=usd(amount), **fields)


def day(pid: str, remaining: int = 5, **fields: Any) -> Package:
    """A daycare pass with *remaining* full-day credits."""
    return package(pid, Component("daycare_full", remaining), **fields)


# X1 priority -------------------------------------------------------------------------------------


def test_X1_priority_default_is_50_and_0_and_100_are_allowed() -> None:
    assert day("p1").priority == 50
    assert day("p1", priority=0).priority == 0
    assert day("p1", priority=100).priority == 100


@pytest.mark.parametrize(("value", "error"), [(-1, InvalidValueError), (101, InvalidValueError)])
def test_X1_priority_outside_0_to_100_is_refused(value: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        day("p1", priority=value)
    assert info.value.field == "priority"  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [True, 1.5, "5", None])
def test_X1_priority_must_be_a_whole_number(value: object) -> None:
    with pytest.raises(InvalidTypeError) as info:
        day("p1", priority=value)
    assert info.value.field == "priority"


@pytest.mark.parametrize(
    ("new_priority", "payer"),
    [(49, "new"), (0, "new"), (50, "old"), (51, "old"), (100, "old")],
)
def test_X1_priority_lower_is_consumed_first_before_fifo(new_priority: int, payer: str) -> None:
    old = day("old")
    new = day("new", purchased_at=FEB_1, priority=new_priority)
    for packages in ([old, new], [new, old]):
        result = run(cart(line()), packages)
        assert took(result) == [("l1", payer, "daycare_full", 1, "30.00")]


def test_X1_priority_comes_after_the_own_item_O1() -> None:
    # A boarding credit may pay a day under CROSS, and its package says priority 0; the daycare
    # pass (priority 100) still pays first: own item before cross-item, then priority.
    boarding = package("board", Component("boarding", 5), priority=0)
    pass100 = day("pass", purchased_at=FEB_1, priority=100)
    result = run(cart(line()), [boarding, pass100], settings=CROSS, rates=RATES)
    assert took(result) == [("l1", "pass", "daycare_full", 1, "30.00")]
    # Without the pass, the boarding credit pays, so it was eligible all along.
    result = run(cart(line()), [boarding], settings=CROSS, rates=RATES)
    assert took(result) == [("l1", "board", "boarding", 1, "30.00")]


@pytest.mark.parametrize(("shared_priority", "payer"), [(10, "family"), (50, "rex")])
def test_X1_priority_comes_before_individual_first_O2(shared_priority: int, payer: str) -> None:
    family = day("family", priority=shared_priority)
    rexs = day("rex", beneficiary="rex")
    result = run(cart(line(beneficiary="rex")), [family, rexs])
    assert took(result) == [("l1", payer, "daycare_full", 1, "30.00")]


@pytest.mark.parametrize(
    ("soon_priority", "later_priority", "payer"), [(60, 40, "later"), (50, 50, "soon")]
)
def test_X1_priority_comes_before_earliest_expiry_O3(
    soon_priority: int, later_priority: int, payer: str
) -> None:
    soon = day("soon", expires_on=dt.date(2026, 3, 31), priority=soon_priority)
    later = day("later", expires_on=dt.date(2026, 12, 31), priority=later_priority)
    policy = Policy(package_order="earliest_expiry")
    result = run(cart(line()), [later, soon], policy=policy)
    assert took(result) == [("l1", payer, "daycare_full", 1, "30.00")]


def test_X1_equal_priorities_fall_back_to_the_package_id_O4() -> None:
    twins = [day("b", priority=7), day("a", priority=7)]
    assert took(run(cart(line()), twins)) == [("l1", "a", "daycare_full", 1, "30.00")]


def test_X1_priority_package_fills_units_then_the_next_one_pays() -> None:
    first = day("first", 2, purchased_at=FEB_1, priority=0)
    result = run(cart(line(units=3)), [day("old"), first])
    assert took(result) == [
        ("l1", "first", "daycare_full", 2, "60.00"),
        ("l1", "old", "daycare_full", 1, "30.00"),
    ]


# X2 pools ----------------------------------------------------------------------------------------

GROOMING = Component("grooming", 5, items=["bath", "haircut", "nails"])


def groom(remaining: int = 5, pid: str = "spa", **fields: Any) -> Package:
    return package(pid, attrs.evolve(GROOMING, remaining=remaining), **fields)


def test_X2_pool_pays_every_item_of_its_set_as_its_own_and_names_the_pool() -> None:
    lines = (line("bath", "bath", "20"), line("nails", "nails", "10"), line("cut", "haircut", "40"))
    result = run(cart(*lines), [groom()])
    assert took(result) == [  # cheapest first; the redemption names the pool
        ("nails", "spa", "grooming", 1, "10.00"),
        ("bath", "spa", "grooming", 1, "20.00"),
        ("cut", "spa", "grooming", 1, "40.00"),
    ]
    after = result.package("spa")
    assert after.components == (attrs.evolve(GROOMING, remaining=2),)
    assert after.remaining("grooming") == 2  # the balance is keyed by the pool's name
    assert result.guards == (Guard("spa", "grooming", 5, 2),)
    assert [e.item for e in result.events] == ["grooming"] * 3
    assert tuple(advance_packages([groom()], result.events, NY)) == result.packages


def test_X2_pool_is_one_balance_for_its_items_R11() -> None:
    result = run(cart(line("bath", "bath", "20"), line("nails", "nails", "10")), [groom(1)])
    assert took(result) == [("nails", "spa", "grooming", 1, "10.00")]
    assert why_not(result) == {("bath", "spa"): "exhausted"}


def test_X2_pool_R6_an_item_outside_the_set_is_a_type_mismatch() -> None:
    result = run(cart(line("stay", "boarding", "45")), [groom()])
    assert took(result) == []
    assert why_not(result) == {("stay", "spa"): "type_mismatch"}


def test_X2_pool_V_same_item_default_rate_is_the_rate_of_the_lines_item() -> None:
    # Same item for V: under default_rate a credit takes off min(rate of the line's item, price);
    # with no rate for the item, the unit price (not R9: it is not a cross-item use).
    rates = {"downtown": {"bath": usd("15"), "grooming": usd("99")}}
    lines = (line("bath", "bath", "20"), line("nails", "nails", "12"))
    result = run(cart(*lines), [groom()], policy=Policy(valuation="default_rate"), rates=rates)
    assert took(result) == [
        ("nails", "spa", "grooming", 1, "12.00"),
        ("bath", "spa", "grooming", 1, "15.00"),
    ]
    assert result.due == usd("5")


def test_X2_pool_O1_is_same_item_before_an_older_cross_item_credit() -> None:
    rates = {"downtown": {"haircut": usd("40")}}
    cut = package("cut", Component("haircut", 5), purchased_at=dt.datetime(2025, 12, 1))
    spa = groom(purchased_at=FEB_1)
    result = run(cart(line("bath", "bath", "20")), [cut, spa], settings=CROSS, rates=rates)
    assert took(result) == [("bath", "spa", "grooming", 1, "20.00")]
    # The older haircut credit was eligible (cross-item, greater_value on): it is second.
    result = run(cart(line("bath", "bath", "20")), [cut], settings=CROSS, rates=rates)
    assert took(result) == [("bath", "cut", "haircut", 1, "20.00")]


@pytest.mark.parametrize(
    "components",
    [
        [Component("grooming", 5, items=["bath", "nails"]), Component("bath", 2)],
        [Component("grooming", 5, items=["bath", "nails"]), Component("spa", 1, items=["nails"])],
        [Component("bath", 2), Component("grooming", 5, items=["haircut", "bath"])],
    ],
    ids=["pool-and-plain", "two-pools", "plain-then-pool"],
)
def test_X2_an_item_in_two_components_is_an_input_error(components: list[Component]) -> None:
    with pytest.raises(InvalidValueError) as info:
        package("p1", *components)
    assert info.value.field == "components"


def test_X2_an_item_twice_in_one_pool_is_an_input_error() -> None:
    with pytest.raises(InvalidValueError) as info:
        Component("grooming", 5, items=["bath", "nails", "bath"])
    assert info.value.field == "items"


def test_X2_pool_credits_still_follow_R7_units() -> None:
    walks = package("walks", Component("walking", 4, items=["walk", "run"], hourly=True))
    hours = line("w", "walk", "12", units=2, charge_by="hour")
    assert took(run(cart(hours), [walks])) == [("w", "walks", "walking", 2, "24.00")]
    once = line("r", "run", "12")
    assert why_not(run(cart(once), [walks])) == {("r", "walks"): "unit_mismatch"}


def test_X2_pool_cross_item_value_is_the_rate_of_the_pool_name() -> None:
    """Decision (the spec is silent): with ``any_type``, a pool credit used for an item outside
    its set is worth the default rate of the pool's *name*; with no such rate, R9."""
    stay = line("stay", "boarding", "45")
    by_item = {"downtown": {"bath": usd("25"), "nails": usd("10")}}
    assert why_not(run(cart(stay), [groom()], settings=CROSS, rates=by_item)) == {
        ("stay", "spa"): "no_rate"
    }
    by_pool = {"downtown": {"grooming": usd("35")}}
    result = run(cart(stay), [groom()], settings=CROSS, rates=by_pool)
    assert took(result) == [("stay", "spa", "grooming", 1, "35.00")]


def test_X2_pool_with_pricing_rules_takes_the_value_given_for_the_lines_item() -> None:
    """Decision (the spec is silent on which key): a pool credit counts as same item for V, so a
    package with ``pricing_rules`` reads the line's ``credit_values`` of the line's item."""
    bath = line("bath", "bath", "20", credit_values={"bath": usd("16"), "grooming": usd("11")})
    result = run(cart(bath), [groom(pricing_rules=True)])
    assert took(result) == [("bath", "spa", "grooming", 1, "16.00")]


# X3 substitutes ----------------------------------------------------------------------------------

FULL_FOR_HALF = Component("daycare_full", 5, substitutes=["daycare_half"])


def full(pid: str = "full", remaining: int = 5, **fields: Any) -> Package:
    return package(pid, attrs.evolve(FULL_FOR_HALF, remaining=remaining), **fields)


def half(price: str = "18", lid: str = "half", **fields: Any) -> Any:
    return line(lid, "daycare_half", price, **fields)


def test_X3_substitute_pays_with_any_type_off_and_a_surplus_is_lost_not_R10() -> None:
    # The $30 full-day credit pays the $18 half day: greater_value is off, yet R10 does not apply.
    result = run(cart(half()), [full()], rates=RATES)
    assert took(result) == [("half", "full", "daycare_full", 1, "18.00")]
    assert result.package("full").remaining("daycare_full") == 4
    assert result.due == usd("0")


def test_X3_substitutes_go_one_direction_only() -> None:
    halves = package("halves", Component("daycare_half", 5))
    result = run(cart(line("day", "daycare_full", "30")), [halves], rates=RATES)
    assert why_not(result) == {("day", "halves"): "type_mismatch"}
    # Listing a substitute on the full-day credit lets nothing else pay a full day either.
    result = run(cart(line("stay", "boarding", "45")), [full()], rates=RATES)
    assert why_not(result) == {("stay", "full"): "type_mismatch"}


def test_X3_value_is_the_rate_of_the_components_own_item() -> None:
    rates = {"downtown": {"daycare_full": usd("15"), "daycare_half": usd("18")}}
    result = run(cart(half()), [full()], rates=rates)
    assert took(result) == [("half", "full", "daycare_full", 1, "15.00")]
    assert result.due == usd("3")


def test_X3_with_no_rate_the_value_is_the_unit_price_not_R9() -> None:
    result = run(cart(half()), [full()])
    assert took(result) == [("half", "full", "daycare_full", 1, "18.00")]
    assert why_not(result) == {}


def test_X3_with_pricing_rules_the_lines_credit_value_replaces_the_rate() -> None:
    priced = half(credit_values={"daycare_full": usd("12")})
    result = run(cart(priced), [full(pricing_rules=True)], rates=RATES)
    assert took(result) == [("half", "full", "daycare_full", 1, "12.00")]


def test_X3_a_credit_is_never_split_two_half_days_take_two_credits() -> None:
    result = run(cart(half(lid="h1"), half(lid="h2")), [full(remaining=2)], rates=RATES)
    assert took(result) == [
        ("h1", "full", "daycare_full", 1, "18.00"),
        ("h2", "full", "daycare_full", 1, "18.00"),
    ]
    assert result.package("full").remaining("daycare_full") == 0


def test_X3_substitute_is_cross_item_for_O1_even_against_priority() -> None:
    halves = package("halves", Component("daycare_half", 5), purchased_at=FEB_1, priority=100)
    old_full = full(priority=0, purchased_at=dt.datetime(2025, 12, 1))
    result = run(cart(half()), [old_full, halves], rates=RATES)
    assert took(result) == [("half", "halves", "daycare_half", 1, "18.00")]


def test_X3_with_any_type_on_a_listed_substitute_is_still_not_under_R9_R10() -> None:
    any_type = Settings(any_type=True)
    plain = package("plain", Component("daycare_full", 5))
    # A plain full-day credit, cross-item: R10 with a $30 rate, R9 with none.
    assert why_not(run(cart(half()), [plain], settings=any_type, rates=RATES)) == {
        ("half", "plain"): "value_exceeds_price"
    }
    assert why_not(run(cart(half()), [plain], settings=any_type)) == {("half", "plain"): "no_rate"}
    # The same credit listing the half day as a substitute pays, either way.
    for rates in (RATES, None):
        result = run(cart(half()), [full()], settings=any_type, rates=rates)
        assert took(result) == [("half", "full", "daycare_full", 1, "18.00")]


def test_X3_substitute_still_follows_R7_units() -> None:
    result = run(cart(half(units=2, charge_by="hour")), [full()], rates=RATES)
    assert why_not(result) == {("half", "full"): "unit_mismatch"}


def test_X3_a_component_cannot_list_its_own_item_as_a_substitute() -> None:
    """Decision (the spec is silent): an own item listed as a substitute is an input error."""
    with pytest.raises(InvalidValueError) as info:
        Component("daycare_full", 5, substitutes=["daycare_half", "daycare_full"])
    assert info.value.field == "substitutes"
    with pytest.raises(InvalidValueError):
        Component("grooming", 5, items=["bath", "nails"], substitutes=["nails"])


# X6 future activation ----------------------------------------------------------------------------

GIFTED = day("gift", valid_from=dt.datetime(2026, 3, 3, 9, 0))


@pytest.mark.parametrize(
    ("at", "paid"),
    [
        (AT, False),
        (dt.datetime(2026, 3, 3, 8, 59, 59), False),
        (dt.datetime(2026, 3, 3, 9, 0), True),
        (dt.datetime(2026, 3, 3, 9, 0, 1), True),
    ],
)
def test_X6_before_valid_from_R3_not_yet_valid(at: dt.datetime, paid: bool) -> None:
    result = run(cart(line()), [GIFTED], at=at)
    if paid:
        assert took(result) == [("l1", "gift", "daycare_full", 1, "30.00")]
    else:
        assert why_not(result) == {("l1", "gift"): "not_yet_valid"}


def test_X6_valid_from_before_the_purchase_changes_nothing() -> None:
    sold = dt.datetime(2026, 3, 2, 18, 0)
    early = day("p1", purchased_at=sold, valid_from=dt.datetime(2025, 12, 1))
    assert why_not(run(cart(line()), [early])) == {("l1", "p1"): "not_yet_valid"}
    assert took(run(cart(line()), [early], at=sold)) == [("l1", "p1", "daycare_full", 1, "30.00")]


@pytest.mark.parametrize(("minute", "paid"), [(30, True), (31, False)])
def test_X6_an_aware_valid_from_is_an_instant(minute: int, paid: bool) -> None:
    # 22:30 UTC is 17:30 in New York (EST): the checkout instant itself.
    package_ = day("p1", valid_from=dt.datetime(2026, 3, 2, 22, minute, tzinfo=UTC))
    result = run(cart(line()), [package_])
    assert bool(result.redemptions) is paid


def test_X6_fifo_still_orders_by_purchase_not_by_valid_from() -> None:
    """Decision (O.3 names ``purchased_at``): a gift bought first but valid later still comes
    first under fifo once both are valid."""
    bought_first = day("b-gift", valid_from=dt.datetime(2026, 2, 20))
    valid_first = day("a-pass", purchased_at=FEB_1)
    result = run(cart(line()), [valid_first, bought_first])
    assert took(result) == [("l1", "b-gift", "daycare_full", 1, "30.00")]


def test_X6_a_valid_from_that_does_not_exist_locally_is_an_input_error() -> None:
    skipped = day("p1", valid_from=dt.datetime(2026, 3, 8, 2, 30))  # clocks go forward
    with pytest.raises(InvalidTimeError) as info:
        run(cart(line()), [day("p0"), skipped])
    assert info.value.field == "packages[1].valid_from"


# X7 pauses ---------------------------------------------------------------------------------------


def paused(start: dt.date, end: dt.date, **fields: Any) -> Package:
    return day("p1", pauses=[Pause(start, end)], **fields)


def march(d: int) -> dt.date:
    """2026-03-*d*; 0 is the day before 1 March."""
    return dt.date(2026, 3, 1) + dt.timedelta(days=d - 1)


def test_X7_R4a_paused_on_a_paused_date() -> None:
    result = run(cart(line()), [paused(march(1), march(10))])
    assert took(result) == []
    assert why_not(result) == {("l1", "p1"): "paused"}


@pytest.mark.parametrize(
    ("start", "end", "at", "is_paused"),
    [
        (2, 2, dt.datetime(2026, 3, 2, 0, 0), True),
        (2, 2, dt.datetime(2026, 3, 2, 23, 59, 59), True),
        (2, 2, dt.datetime(2026, 3, 3, 0, 0), False),
        (3, 5, dt.datetime(2026, 3, 2, 23, 59, 59), False),
        (3, 5, dt.datetime(2026, 3, 3, 0, 0), True),
        (3, 5, dt.datetime(2026, 3, 5, 23, 59, 59), True),
        (0, 1, dt.datetime(2026, 3, 2, 0, 0), False),
        (0, 2, AT, True),
    ],
)
def test_X7_pause_bounds_are_inclusive_local_dates(
    start: int, end: int, at: dt.datetime, is_paused: bool
) -> None:
    result = run(cart(line()), [paused(march(start), march(end))], at=at)
    assert why_not(result) == ({("l1", "p1"): "paused"} if is_paused else {})
    assert bool(result.redemptions) is not is_paused


@pytest.mark.parametrize(("pause_day", "is_paused"), [(2, True), (3, False)])
def test_X7_the_paused_date_is_the_local_date_of_the_checkout(
    pause_day: int, is_paused: bool
) -> None:
    late = dt.datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 2 March, 22:00 in New York
    result = run(cart(line()), [paused(march(pause_day), march(pause_day))], at=late)
    assert why_not(result) == ({("l1", "p1"): "paused"} if is_paused else {})


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"expires_on": dt.date(2026, 3, 1)}, "expired"),
        ({"purchased_at": dt.datetime(2026, 3, 2, 18, 0)}, "not_yet_valid"),
        ({"location": "uptown"}, "location_mismatch"),
    ],
)
def test_X7_R4a_comes_after_R4_and_before_R5(fields: dict[str, Any], reason: str) -> None:
    result = run(cart(line()), [paused(march(1), march(10), **fields)])
    expected = "paused" if reason == "location_mismatch" else reason
    assert why_not(result) == {("l1", "p1"): expected}


def test_X7_pauses_may_touch_but_not_overlap() -> None:
    touching = [Pause(march(1), march(5)), Pause(march(6), march(8))]
    assert day("p1", pauses=touching[::-1]).pauses == tuple(touching)
    with pytest.raises(InvalidValueError) as info:
        day("p1", pauses=[Pause(march(1), march(5)), Pause(march(5), march(8))])
    assert info.value.field == "pauses"
    with pytest.raises(InvalidValueError):
        Pause(march(5), march(1))


def test_X7_the_checkout_does_not_move_the_expiry() -> None:
    # Sold 1 Feb for 30 days: expires 3 March (23:59). Paused 11 days in February, but the
    # checkout does not move the date: the host passes the moved expires_on.
    sold = dt.datetime(2026, 2, 1, 10, 0)
    vacation = [Pause(dt.date(2026, 2, 10), dt.date(2026, 2, 20))]
    held = day("p1", purchased_at=sold, days_to_expiration=30, pauses=vacation)
    result = run(cart(line()), [held])
    assert took(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert result.package("p1").expires_on is None
    assert result.expires_at("p1") == dt.datetime(2026, 3, 3, 23, 59, tzinfo=NY)
    at = dt.datetime(2026, 3, 4, 9, 0)
    assert why_not(run(cart(line()), [held], at=at)) == {("l1", "p1"): "expired"}
    moved = attrs.evolve(held, expires_on=dt.date(2026, 3, 14))
    assert took(run(cart(line()), [moved], at=at)) == [("l1", "p1", "daycare_full", 1, "30.00")]


def test_X7_a_paused_package_leaves_the_line_to_the_next_one() -> None:
    old = paused(march(1), march(3))
    result = run(cart(line()), [old, day("p2", purchased_at=FEB_1)])
    assert took(result) == [("l1", "p2", "daycare_full", 1, "30.00")]


# X8 overdraft ------------------------------------------------------------------------------------


def owing(pid: str, remaining: int, overdraft: int, **fields: Any) -> Package:
    return package(pid, Component("daycare_full", remaining, overdraft=overdraft), **fields)


def test_X8_default_overdraft_is_0_and_remaining_may_not_go_below_minus_overdraft() -> None:
    assert Component("daycare_full", 1).overdraft == 0
    assert Component("daycare_full", -2, overdraft=2).remaining == -2
    with pytest.raises(InvalidValueError) as info:
        Component("daycare_full", -1)
    assert info.value.field == "remaining"
    with pytest.raises(InvalidValueError):
        Component("daycare_full", -3, overdraft=2)
    with pytest.raises(InvalidValueError) as info:
        Component("daycare_full", 1, overdraft=-1)
    assert info.value.field == "overdraft"


def test_X8_overdraft_goes_down_to_minus_overdraft_then_R11() -> None:
    result = run(cart(line(units=3)), [owing("p1", 0, 2)])
    assert took(result) == [("l1", "p1", "daycare_full", 2, "60.00")]
    assert result.package("p1").remaining("daycare_full") == -2
    assert result.due == usd("30")
    assert result.guards == (Guard("p1", "daycare_full", 0, -2),)
    again = run(cart(line()), [result.package("p1")])
    assert why_not(again) == {("l1", "p1"): "exhausted"}


@pytest.mark.parametrize(("remaining", "paid"), [(1, True), (0, True), (-1, True), (-2, False)])
def test_X8_R11_fails_only_when_remaining_is_at_minus_overdraft(remaining: int, paid: bool) -> None:
    result = run(cart(line()), [owing("p1", remaining, 2)])
    assert bool(result.redemptions) is paid
    assert why_not(result) == ({} if paid else {("l1", "p1"): "exhausted"})


def test_X8_overdraft_is_the_last_resort_credits_of_any_package_first() -> None:
    # The older package (first in fifo) may go into debt, but the newer one still has a credit.
    debtor = owing("old", 0, 2)
    result = run(cart(line(units=2)), [debtor, day("new", 1, purchased_at=FEB_1)])
    assert took(result) == [
        ("l1", "new", "daycare_full", 1, "30.00"),
        ("l1", "old", "daycare_full", 1, "30.00"),
    ]
    assert result.package("old").remaining("daycare_full") == -1
    assert result.package("new").remaining("daycare_full") == 0


def test_X8_debt_waits_for_an_eligible_cross_item_credit() -> None:
    # Own item first (O.1) does not put debt before a credit left: the boarding credit pays.
    boarding = package("board", Component("boarding", 1), purchased_at=FEB_1)
    result = run(cart(line()), [owing("own", 0, 3), boarding], settings=CROSS, rates=RATES)
    assert took(result) == [("l1", "board", "boarding", 1, "30.00")]
    assert result.package("own").remaining("daycare_full") == 0


def test_X8_credits_of_ineligible_packages_do_not_hold_debt_back() -> None:
    expired = day("expired", expires_on=dt.date(2026, 3, 1), purchased_at=FEB_1)
    result = run(cart(line()), [owing("own", 0, 1), expired])
    assert took(result) == [("l1", "own", "daycare_full", 1, "30.00")]
    assert why_not(result) == {}


@pytest.mark.parametrize(("new_priority", "debtor"), [(40, "new"), (50, "old")])
def test_X8_debt_is_drawn_in_credit_order_with_priority(new_priority: int, debtor: str) -> None:
    old = owing("old", 0, 1)
    new = owing("new", 0, 1, purchased_at=FEB_1, priority=new_priority)
    result = run(cart(line()), [old, new])
    assert took(result) == [("l1", debtor, "daycare_full", 1, "30.00")]


def test_X8_a_later_line_of_the_cart_goes_into_debt() -> None:
    lines = (line("cheap", price="20"), line("dear", price="30"))
    result = run(cart(*lines), [owing("p1", 1, 1)])
    assert took(result) == [
        ("cheap", "p1", "daycare_full", 1, "20.00"),
        ("dear", "p1", "daycare_full", 1, "30.00"),
    ]
    assert result.package("p1").remaining("daycare_full") == -1


def test_X8_replaying_the_events_gives_the_debt() -> None:
    packages = [owing("p1", 0, 2), day("p2", 1, purchased_at=FEB_1)]
    result = run(cart(line(units=2)), packages)
    assert tuple(advance_packages(packages, result.events, NY)) == result.packages


def test_X8_credits_and_debt_of_one_component_on_one_line_are_one_redemption() -> None:
    packages = [owing("old", 1, 2), day("new", 2, purchased_at=FEB_1)]
    result = run(cart(line(units=4)), packages)
    # old 1 credit, new 2, then old's debt: 2 credits of "old" in all.
    assert sorted(took(result)) == [
        ("l1", "new", "daycare_full", 2, "60.00"),
        ("l1", "old", "daycare_full", 2, "60.00"),
    ]
    assert len({e.event_id for e in result.events}) == len(result.events)


@pytest.mark.parametrize("line_order", ["cheapest_first", "optimal"])
def test_X8_no_debt_while_credits_are_left_with_optimal_too(line_order: str) -> None:
    lines = (line("dear", price="30"), line("cheap", price="20"))
    policy = Policy(line_order=line_order)
    result = run(cart(*lines), [owing("p1", 2, 1)], policy=policy)
    assert result.covered == usd("50")
    assert result.package("p1").remaining("daycare_full") == 0
    result = run(cart(*lines), [owing("p1", 1, 1)], policy=policy)
    assert result.covered == usd("50")
    assert result.package("p1").remaining("daycare_full") == -1


def test_X8_optimal_gives_credits_first_then_debt() -> None:
    lines = (line("a", price="30"), line("b", price="20"))
    packages = [day("credit", 1), owing("debt", 0, 1, purchased_at=FEB_1)]
    result = run(cart(*lines), packages, policy=Policy(line_order="optimal"))
    assert result.covered == usd("50")
    assert result.package("credit").remaining("daycare_full") == 0
    assert result.package("debt").remaining("daycare_full") == -1


def test_X8_optimal_covers_at_least_as_much_as_every_line_order_with_debt() -> None:
    lines = (line("cheap", price="20"), line("dear", price="30"))
    covered = {
        order: run(cart(*lines), [owing("p1", 0, 1)], policy=Policy(line_order=order)).covered
        for order in ("cheapest_first", "priciest_first", "cart", "optimal")
    }
    assert covered["priciest_first"] == usd("30")
    assert covered["optimal"] == max(covered.values())


# X9 stored value ---------------------------------------------------------------------------------


def test_X9_stored_value_pays_what_is_still_due_after_the_credits() -> None:
    result = run(cart(line(units=2)), [gift("card", "100"), day("pass", 1)])
    assert took(result) == [
        ("l1", "pass", "daycare_full", 1, "30.00"),
        ("l1", "card", None, 0, "30.00"),
    ]
    assert result.line("l1").credits == 1
    assert result.covered == usd("60")
    assert result.package("card").balance == usd("70")
    assert result.package("card").first_used_at == AT.replace(tzinfo=NY)
    assert result.guards == (Guard("card", None, 10000, 7000), Guard("pass", "daycare_full", 1, 0))


def test_X9_stored_value_pays_the_rest_of_a_unit_a_credit_left_due() -> None:
    # default_rate: the credit takes off the $30 rate of a $35 holiday; the card pays the $5.
    result = run(
        cart(line(price="35")),
        [gift("card", "100"), day("pass", 1)],
        policy=Policy(valuation="default_rate"),
        rates=RATES,
    )
    assert took(result) == [
        ("l1", "pass", "daycare_full", 1, "30.00"),
        ("l1", "card", None, 0, "5.00"),
    ]
    assert result.package("card").balance == usd("95")
    assert result.due == usd("0")


@pytest.mark.parametrize(
    ("zero_price_items", "rejections"), [(False, {("l1", "card"): "zero_price"}), (True, {})]
)
def test_X9_stored_value_never_pays_a_zero_price_line(
    zero_price_items: bool, rejections: dict[tuple[str, str], str]
) -> None:
    """Decision (X9 says R6-R10 do not apply, and never a $0 line): the $0 line is refused all
    the same; with ``zero_price_items`` off the reason given is R8's ``zero_price``, with it on
    no rule fails and the package is not listed."""
    settings = Settings(zero_price_items=zero_price_items)
    result = run(cart(line(price="0")), [gift("card", "50")], settings=settings)
    assert took(result) == []
    assert why_not(result) == rejections
    assert result.package("card") == gift("card", "50")


@pytest.mark.parametrize(
    ("line_order", "expected"),
    [
        ("cheapest_first", [("b", "card", None, 0, "20.00"), ("a", "card", None, 0, "20.00")]),
        ("priciest_first", [("a", "card", None, 0, "40.00")]),
        ("cart", [("a", "card", None, 0, "40.00")]),
    ],
)
def test_X9_stored_value_pays_the_lines_in_the_line_order(
    line_order: str, expected: list[tuple[str, str, None, int, str]]
) -> None:
    lines = (line("a", "daycare_full", "50"), line("b", "bath", "20"))
    result = run(cart(*lines), [gift("card", "40")], policy=Policy(line_order=line_order))
    assert took(result) == expected
    assert result.package("card").balance == usd("0")


def test_X9_stored_value_packages_in_credit_order_individual_first() -> None:
    cards = [
        gift("old", "10"),
        gift("new", "100", purchased_at=FEB_1),
        gift("rexs", "100", purchased_at=dt.datetime(2026, 2, 5), beneficiary="rex"),
    ]
    result = run(cart(line(beneficiary="rex")), cards)
    assert took(result) == [("l1", "rexs", None, 0, "30.00")]


def test_X9_stored_value_packages_in_credit_order_priority_first() -> None:
    cards = [gift("old", "10"), gift("new", "100", purchased_at=FEB_1, priority=10)]
    result = run(cart(line()), cards)
    assert took(result) == [("l1", "new", None, 0, "30.00")]


def test_X9_stored_value_packages_in_credit_order_fifo_then_the_next_one() -> None:
    cards = [gift("new", "100", purchased_at=FEB_1), gift("old", "10")]
    result = run(cart(line()), cards)
    assert took(result) == [("l1", "old", None, 0, "10.00"), ("l1", "new", None, 0, "20.00")]
    assert [p.balance for p in result.packages] == [usd("80"), usd("0")]


def test_X9_stored_value_packages_in_credit_order_earliest_expiry() -> None:
    cards = [
        gift("late", "100", expires_on=dt.date(2026, 12, 31)),
        gift("soon", "100", expires_on=dt.date(2026, 3, 31), purchased_at=FEB_1),
    ]
    result = run(cart(line()), cards, policy=Policy(package_order="earliest_expiry"))
    assert took(result) == [("l1", "soon", None, 0, "30.00")]


def test_X9_R1_to_R5_and_R4a_apply_and_rejections_include_stored_value() -> None:
    # Two units at $20 and one credit: the line took fewer credits than its units, so every
    # package that took nothing off it is listed, stored value included.
    cards = [
        day("credits", 1),
        gift("s1-pays", "5"),
        gift("s2-empty", "0"),
        gift("s3-jones", "5", owner="jones"),
        gift("s4-paused", "5", pauses=[Pause(march(2), march(2))]),
        gift("s5-later", "5", valid_from=dt.datetime(2026, 3, 3)),
        gift("s6-uptown", "5", location="uptown"),
        gift("s7-expired", "5", expires_on=dt.date(2026, 3, 1)),
        gift("s8-rex", "5", beneficiary="rex"),
        gift("s9-future", "5", purchased_at=dt.datetime(2026, 3, 2, 18)),
    ]
    result = run(cart(line(price="20", units=2)), cards)
    assert took(result) == [
        ("l1", "credits", "daycare_full", 1, "20.00"),
        ("l1", "s1-pays", None, 0, "5.00"),
    ]
    assert why_not(result) == {
        ("l1", "s2-empty"): "exhausted",
        ("l1", "s3-jones"): "owner_mismatch",
        ("l1", "s4-paused"): "paused",
        ("l1", "s5-later"): "not_yet_valid",
        ("l1", "s6-uptown"): "location_mismatch",
        ("l1", "s7-expired"): "expired",
        ("l1", "s8-rex"): "beneficiary_mismatch",
        ("l1", "s9-future"): "not_yet_valid",
    }
    assert [r.package_id for r in result.rejections] == sorted(pid for _, pid in why_not(result))
    assert result.due == usd("15")


def test_X9_R6_applies_only_when_the_package_lists_items() -> None:
    groomer = gift("spa-card", "50", items=["bath", "haircut"])
    result = run(cart(line("day", "daycare_full", "30"), line("bath", "bath", "20")), [groomer])
    assert took(result) == [("bath", "spa-card", None, 0, "20.00")]
    assert why_not(result) == {("day", "spa-card"): "type_mismatch"}
    # Without items it pays any item, any_type off.
    anything = gift("card", "50")
    result = run(cart(line("stay", "boarding", "45")), [anything])
    assert took(result) == [("stay", "card", None, 0, "45.00")]


def test_X9_items_follow_R6_so_any_type_lifts_them() -> None:
    """Decision (X9 says "then R6 applies to that set", and R6 fails only with any_type off):
    with ``any_type`` on, a stored-value package that lists items pays other items too."""
    groomer = gift("spa-card", "50", items=["bath"])
    result = run(
        cart(line("day", "daycare_full", "30")), [groomer], settings=Settings(any_type=True)
    )
    assert took(result) == [("day", "spa-card", None, 0, "30.00")]


def test_X9_R7_to_R10_do_not_apply_to_stored_value() -> None:
    hourly = line("walk", "walk", "10", units=3, charge_by="hour")  # R7: no hourly credits needed
    other = line("stay", "boarding", "45")  # R9: no rate for anything, R10: nothing to compare
    result = run(cart(hourly, other), [gift("card", "100")])
    assert took(result) == [("walk", "card", None, 0, "30.00"), ("stay", "card", None, 0, "45.00")]
    assert result.package("card").balance == usd("25")


def test_X9_R11_exhausted_when_earlier_lines_spent_the_balance() -> None:
    lines = (line("cheap", price="20"), line("dear", price="30"))
    result = run(cart(*lines), [gift("card", "20")])
    assert took(result) == [("cheap", "card", None, 0, "20.00")]
    assert why_not(result) == {("dear", "card"): "exhausted"}


def test_X9_a_balance_covers_part_of_a_line_and_never_goes_negative() -> None:
    result = run(cart(line(units=2)), [gift("card", "25.50")])
    assert took(result) == [("l1", "card", None, 0, "25.50")]
    assert result.package("card").balance == usd("0")
    assert result.line("l1").due == usd("34.50")


def test_X9_a_balance_not_needed_is_not_a_rejection() -> None:
    """Decision (the spec is silent): on a line paid in full in money, a stored-value package that
    took nothing because nothing was still due fails no rule, so it is not listed; credit
    packages keep their rule (the line took fewer credits than units) and are listed."""
    result = run(cart(line()), [gift("a-card", "100"), gift("b-card", "100"), day("pass", 0)])
    assert took(result) == [("l1", "a-card", None, 0, "30.00")]
    assert why_not(result) == {("l1", "pass"): "exhausted"}


def test_X9_events_replay_to_the_new_balance() -> None:
    packages = [gift("card", "100"), day("pass", 1)]
    result = run(cart(line(units=2), line("l2", "bath", "15")), packages)
    money = [(e.line_id, str(e.amount)) for e in result.events if isinstance(e, BalanceRedeemed)]
    assert money == [("l2", "15.00"), ("l1", "30.00")]
    assert tuple(advance_packages(packages, result.events, NY)) == result.packages
    assert result.package("card").balance == usd("55")


def test_X9_with_optimal_stored_value_pays_after_the_optimal_credits() -> None:
    lines = (line("a", price="30"), line("b", price="20"))
    result = run(
        cart(*lines), [day("pass", 1), gift("card", "25")], policy=Policy(line_order="optimal")
    )
    assert result.covered == usd("50")
    assert result.package("pass").remaining("daycare_full") == 0
    assert result.package("card").balance == usd("5")


def test_X9_optimal_covers_at_least_as_much_as_every_line_order_with_stored_value() -> None:
    # The older card pays anything, the newer one only bath. Bath first (cheapest) spends the
    # older card on it, and the $30 day then finds only the bath card.
    cards = [gift("any", "30"), gift("bath-only", "30", purchased_at=FEB_1, items=["bath"])]
    lines = (line("day", price="30"), line("bath", "bath", "25"))
    covered = {
        order: run(cart(*lines), cards, policy=Policy(line_order=order)).covered
        for order in ("cheapest_first", "priciest_first", "cart", "optimal")
    }
    assert covered["priciest_first"] == usd("55")
    assert covered["optimal"] == max(covered.values())


def test_X9_a_balance_in_another_currency_is_refused() -> None:
    other = Package(id="eur", owner="smith", purchased_at=BOUGHT, balance=Money("50", "EUR"))
    with pytest.raises(CurrencyMismatchError) as info:
        run(cart(line()), [day("p0"), other])
    assert info.value.field == "packages[1].balance"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"balance": usd("-1")}, "balance"),
        ({"balance": usd("10"), "components": [Component("daycare_full", 1)]}, "balance"),
        ({"items": ["bath"], "components": [Component("daycare_full", 1)]}, "items"),
        ({}, "components"),
    ],
    ids=["negative", "credits-and-balance", "items-without-balance", "neither"],
)
def test_X9_stored_value_input_errors(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        Package(id="p1", owner="smith", purchased_at=BOUGHT, **fields)
    assert info.value.field == field
