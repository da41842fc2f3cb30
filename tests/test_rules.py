"""Rules R1-R11 of semantics.md through :func:`punchcard.apply`: what is redeemed, and the reason.

Each rule has a failing case named after it and, where the rule has a switch or an exception, the
passing counterpart. Then: the order in which rules are checked, custom rules, and settings errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest
from builders import AT, BOUGHT, cart, line, package, run, usd

from punchcard import (
    Application,
    Component,
    InvalidValueError,
    Line,
    Money,
    Package,
    Policy,
    Settings,
    SettingsError,
)
from punchcard.models import Pause
from punchcard.rules import REASON_CODES, FunctionRule


def redeemed(result: Application) -> list[tuple[str, str, str | None, int, str]]:
    """(line, package, item, credits, amount) of every redemption, in the engine's order."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def rejected(result: Application) -> list[tuple[str, str, str]]:
    """(line, package, reason code) of every rejection."""
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


# R1 ---------------------------------------------------------------------------------------------


def test_R1_owner_mismatch() -> None:
    theirs = package("p1", owner="jones")
    ours = package("p2", Component("daycare_full", 1))
    result = run(cart(line(units=2)), [theirs, ours])
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]
    assert rejected(result) == [("l1", "p1", "owner_mismatch")]
    assert result.package("p1") == theirs


# R2 ---------------------------------------------------------------------------------------------


def test_R2_beneficiary_mismatch_individual_package_other_pet() -> None:
    rex_only = package(beneficiary="rex")
    result = run(cart(line(beneficiary="bella")), [rex_only])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "beneficiary_mismatch")]
    assert result.due == usd("30")


def test_R2_beneficiary_mismatch_line_for_no_one() -> None:
    result = run(cart(line()), [package(beneficiary="rex")])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "beneficiary_mismatch")]


def test_R2_individual_package_pays_for_its_own_pet() -> None:
    result = run(cart(line(beneficiary="rex")), [package(beneficiary="rex")])
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert rejected(result) == []


def test_R2_shared_package_pays_for_every_pet_and_for_no_pet() -> None:
    lines = (line("l1", beneficiary="rex"), line("l2", beneficiary="bella"), line("l3"))
    result = run(cart(*lines), [package()])
    assert {(r[0], r[3]) for r in redeemed(result)} == {("l1", 1), ("l2", 1), ("l3", 1)}
    assert result.due == usd("0")


# R3 ---------------------------------------------------------------------------------------------


def test_R3_not_yet_valid_purchased_after_checkout() -> None:
    later = package(purchased_at=AT + dt.timedelta(minutes=1))
    result = run(cart(), [later])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "not_yet_valid")]


def test_R3_purchased_at_the_checkout_time_is_valid() -> None:
    result = run(cart(), [package(purchased_at=AT)])
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]


# R4 ---------------------------------------------------------------------------------------------


def test_R4_expired() -> None:
    old = package(expires_on=dt.date(2026, 3, 1))
    result = run(cart(), [old])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "expired")]
    assert result.package("p1") == old


# R5 ---------------------------------------------------------------------------------------------


def test_R5_location_mismatch_without_any_location() -> None:
    uptown = package(location="uptown")
    result = run(cart(location="downtown"), [uptown])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "location_mismatch")]


def test_R5_other_location_with_any_location() -> None:
    uptown = package(location="uptown")
    result = run(cart(location="downtown"), [uptown], settings=Settings(any_location=True))
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]
    assert rejected(result) == []


def test_R5_same_location_and_global_packages_usable() -> None:
    local = package("p1", Component("daycare_full", 1), location="downtown")
    global_ = package("p2", Component("daycare_full", 1), purchased_at=BOUGHT.replace(day=6))
    result = run(cart(line(units=2), location="downtown"), [local, global_])
    assert redeemed(result) == [
        ("l1", "p1", "daycare_full", 1, "30.00"),
        ("l1", "p2", "daycare_full", 1, "30.00"),
    ]
    other = run(cart(line(units=2), location="uptown"), [local, global_])
    assert redeemed(other) == [("l1", "p2", "daycare_full", 1, "30.00")]
    assert rejected(other) == [("l1", "p1", "location_mismatch")]


# R6 ---------------------------------------------------------------------------------------------


def test_R6_type_mismatch_without_any_type() -> None:
    boarding = package("p1", Component("boarding", 3))
    rates = {"downtown": {"boarding": usd("30")}}
    result = run(cart(), [boarding], rates=rates)
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "type_mismatch")]


def test_R6_other_item_with_any_type() -> None:
    boarding = package("p1", Component("boarding", 3))
    rates = {"downtown": {"boarding": usd("30")}}
    result = run(cart(), [boarding], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "30.00")]


# R7 ---------------------------------------------------------------------------------------------


def test_R7_unit_mismatch_hourly_credit_on_daily_line() -> None:
    hourly = package("p1", Component("daycare_full", 5, hourly=True))
    result = run(cart(line(charge_by="day")), [hourly])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "unit_mismatch")]


def test_R7_unit_mismatch_daily_credit_on_hourly_line() -> None:
    result = run(cart(line(charge_by="hour", units=3)), [package()])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "unit_mismatch")]


@pytest.mark.parametrize("charge_by", ["each", "day", "night"])
def test_R7_only_hour_matters(charge_by: str) -> None:
    result = run(cart(line(charge_by=charge_by)), [package()])
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]


def test_R7_hourly_credit_on_hourly_line() -> None:
    hourly = package("p1", Component("daycare_full", 5, hourly=True))
    result = run(cart(line(charge_by="hour", price="8")), [hourly])
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "8.00")]


# R8 ---------------------------------------------------------------------------------------------


def test_R8_zero_price_untouched_by_default() -> None:
    free = package()
    result = run(cart(line(price="0")), [free])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "zero_price")]
    assert result.package("p1").remaining("daycare_full") == 5


def test_R8_zero_price_with_zero_price_items() -> None:
    result = run(cart(line(price="0")), [package()], settings=Settings(zero_price_items=True))
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "0.00")]
    assert result.package("p1").remaining("daycare_full") == 4


# R9 ---------------------------------------------------------------------------------------------


def test_R9_no_rate_for_cross_item_use() -> None:
    boarding = package("p1", Component("boarding", 3))
    # A rate exists, but at another location: the cart's location decides.
    rates = {"uptown": {"boarding": usd("20")}, "downtown": {"daycare_full": usd("30")}}
    result = run(cart(), [boarding], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "no_rate")]


# R10 --------------------------------------------------------------------------------------------


def test_R10_value_exceeds_price_without_greater_value() -> None:
    boarding = package("p1", Component("boarding", 3))
    rates = {"downtown": {"boarding": usd("45")}}
    result = run(cart(), [boarding], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "value_exceeds_price")]


def test_R10_value_equal_to_price_is_allowed() -> None:
    boarding = package("p1", Component("boarding", 3))
    rates = {"downtown": {"boarding": usd("30")}}
    result = run(cart(), [boarding], rates=rates, settings=Settings(any_type=True))
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "30.00")]


def test_R10_value_exceeds_price_with_greater_value() -> None:
    boarding = package("p1", Component("boarding", 3))
    rates = {"downtown": {"boarding": usd("45")}}
    settings = Settings(any_type=True, greater_value=True)
    result = run(cart(), [boarding], rates=rates, settings=settings)
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "30.00")]


def test_R10_same_item_never_checked() -> None:
    # A same-item credit is worth the line's price; a default rate above it does not matter.
    rates = {"downtown": {"daycare_full": usd("45")}}
    result = run(cart(), [package()], rates=rates, policy=Policy(valuation="default_rate"))
    assert redeemed(result) == [("l1", "p1", "daycare_full", 1, "30.00")]


# R11 --------------------------------------------------------------------------------------------


def test_R11_exhausted() -> None:
    empty = package("p1", Component("daycare_full", 0))
    result = run(cart(), [empty])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "exhausted")]


def test_R11_exhausted_by_earlier_lines_of_this_cart() -> None:
    one = package("p1", Component("daycare_full", 1))
    lines = (line("l1", price="35", beneficiary="rex"), line("l2", price="30", beneficiary="bella"))
    result = run(cart(*lines), [one])
    # Cheapest first: l2 takes the only credit, then l1 finds none left.
    assert redeemed(result) == [("l2", "p1", "daycare_full", 1, "30.00")]
    assert rejected(result) == [("l1", "p1", "exhausted")]


def test_rejections_only_for_lines_that_wanted_more() -> None:
    lots = package("p1", Component("daycare_full", 5))
    theirs = package("p2", owner="jones")
    result = run(cart(line(units=2)), [lots, theirs])
    # l1 is fully covered: nobody explains why p2 did not help it.
    assert redeemed(result) == [("l1", "p1", "daycare_full", 2, "60.00")]
    assert rejected(result) == []


# Rule order -------------------------------------------------------------------------------------


State = tuple[Package, Line, Settings, dict[str, dict[str, Money]]]


def _everything_wrong() -> State:
    """A package that fails every rule it can at once, and a line it is offered to."""
    bad = package(
        "p1",
        Component("boarding", 0, hourly=True),
        owner="jones",  # R1
        beneficiary="bella",  # R2
        purchased_at=AT + dt.timedelta(hours=1),  # R3
        expires_on=dt.date(2026, 3, 1),  # R4
        location="uptown",  # R5
        pauses=[Pause(AT.date(), AT.date())],  # R4a
    )
    return bad, line(beneficiary="rex", price="0", charge_by="day"), Settings(), {}


def test_rule_order_first_failing_rule_is_reported() -> None:
    """Fix the first failing rule, one at a time: the next rule of the list is reported."""
    bad, the_line, settings, rates = _everything_wrong()
    boarding = bad.components[0]
    fixes: list[Callable[[Package, Line, Settings, dict[str, dict[str, Money]]], State]] = [
        lambda p, ln, s, r: (attrs.evolve(p, owner="smith"), ln, s, r),
        lambda p, ln, s, r: (attrs.evolve(p, beneficiary=None), ln, s, r),
        lambda p, ln, s, r: (attrs.evolve(p, purchased_at=BOUGHT), ln, s, r),
        lambda p, ln, s, r: (attrs.evolve(p, expires_on=None), ln, s, r),
        lambda p, ln, s, r: (attrs.evolve(p, pauses=()), ln, s, r),
        lambda p, ln, s, r: (attrs.evolve(p, location=None), ln, s, r),
        lambda p, ln, s, r: (p, ln, Settings(any_type=True), r),
        lambda p, ln, s, r: (
            attrs.evolve(p, components=[attrs.evolve(boarding, hourly=False)]),
            ln,
            s,
            r,
        ),
        lambda p, ln, s, r: (p, attrs.evolve(ln, unit_price=usd("30")), s, r),
        lambda p, ln, s, r: (p, ln, s, {"downtown": {"boarding": usd("45")}}),
        lambda p, ln, s, r: (p, ln, s, {"downtown": {"boarding": usd("25")}}),
    ]
    reported = []
    state: State = (bad, the_line, settings, rates)
    for fix in fixes:
        p, ln, s, r = state
        result = run(cart(ln), [p], settings=s, rates=r)
        assert redeemed(result) == []
        [(_, _, reason)] = rejected(result)
        reported.append(reason)
        state = fix(*state)
    p, ln, s, r = state
    result = run(cart(ln), [p], settings=s, rates=r)
    [(_, _, reason)] = rejected(result)
    reported.append(reason)
    assert reported == list(REASON_CODES)
    assert reported == [
        "owner_mismatch",
        "beneficiary_mismatch",
        "not_yet_valid",
        "expired",
        "paused",
        "location_mismatch",
        "type_mismatch",
        "unit_mismatch",
        "zero_price",
        "no_rate",
        "value_exceeds_price",
        "exhausted",
    ]
    # One more credit, and the package pays (at the boarding rate, under the price).
    paying = attrs.evolve(p, components=[attrs.evolve(p.components[0], remaining=1)])
    result = run(cart(ln), [paying], settings=s, rates=r)
    assert redeemed(result) == [("l1", "p1", "boarding", 1, "25.00")]


@pytest.mark.parametrize("reverse", [False, True])
def test_rule_order_component_that_got_furthest_is_reported(reverse: bool) -> None:
    components = [
        Component("boarding", 4),  # fails R6 (type_mismatch)
        Component("daycare_full", 4, hourly=True),  # fails R7 (unit_mismatch)
        Component("grooming", 4),  # fails R6
    ]
    if reverse:
        components.reverse()
    result = run(cart(), [package("p1", *components)])
    assert redeemed(result) == []
    assert rejected(result) == [("l1", "p1", "unit_mismatch")]


def test_rule_order_exhausted_component_beats_other_items() -> None:
    bundle = package("p1", Component("boarding", 3), Component("daycare_full", 0))
    result = run(cart(), [bundle])
    assert rejected(result) == [("l1", "p1", "exhausted")]


def test_rule_order_package_rule_beats_every_component_rule() -> None:
    bundle = package("p1", Component("boarding", 0), owner="jones")
    result = run(cart(), [bundle])
    assert rejected(result) == [("l1", "p1", "owner_mismatch")]


def test_rejections_by_line_in_cart_order_then_package_id() -> None:
    packages = [
        package("pc", owner="jones"),
        package("pa", expires_on=dt.date(2026, 1, 1)),
        package("pb", location="uptown"),
    ]
    lines = (line("l2", price="40"), line("l1", price="30"))
    result = run(cart(*lines), packages)
    assert rejected(result) == [
        ("l2", "pa", "expired"),
        ("l2", "pb", "location_mismatch"),
        ("l2", "pc", "owner_mismatch"),
        ("l1", "pa", "expired"),
        ("l1", "pb", "location_mismatch"),
        ("l1", "pc", "owner_mismatch"),
    ]


# Custom rules -----------------------------------------------------------------------------------

HOLIDAYS = frozenset({dt.date(2026, 12, 25), dt.date(2026, 7, 3)})
no_holidays = FunctionRule(
    "holiday",
    "package",
    lambda candidate, line, ctx: ctx.at.date() not in HOLIDAYS,
    detail="no package credits on public holidays",
)


def test_custom_rule_with_rule_refuses_with_its_own_code() -> None:
    policy = Policy().with_rule(no_holidays, before="exhausted")
    assert [r.code for r in policy.rules][-2:] == ["holiday", "exhausted"]
    holiday = run(cart(), [package()], policy=policy, at=dt.datetime(2026, 7, 3, 12))
    assert redeemed(holiday) == []
    assert rejected(holiday) == [("l1", "p1", "holiday")]
    assert holiday.rejections[0].detail == "no package credits on public holidays"
    workday = run(cart(), [package()], policy=policy, at=dt.datetime(2026, 7, 6, 12))
    assert redeemed(workday) == [("l1", "p1", "daycare_full", 1, "30.00")]


def test_custom_rule_position_decides_what_is_reported() -> None:
    empty = package("p1", Component("daycare_full", 0))
    at = dt.datetime(2026, 12, 25, 9)
    before_exhausted = Policy().with_rule(no_holidays, before="exhausted")
    assert rejected(run(cart(), [empty], policy=before_exhausted, at=at)) == [
        ("l1", "p1", "holiday")
    ]
    last = Policy().with_rule(no_holidays)
    assert rejected(run(cart(), [empty], policy=last, at=at)) == [("l1", "p1", "exhausted")]
    first = Policy().with_rule(no_holidays, before="owner_mismatch")
    theirs = package("p1", owner="jones")
    assert rejected(run(cart(), [theirs], policy=first, at=at)) == [("l1", "p1", "holiday")]


def test_custom_component_rule_sees_line() -> None:
    online_only = FunctionRule(
        "offline_booking", "component", lambda c, ln, ctx: ln.id.startswith("web-")
    )
    policy = Policy().with_rule(online_only, before="exhausted")
    lines = (line("web-1", beneficiary="rex"), line("desk-1", beneficiary="bella"))
    result = run(cart(*lines), [package()], policy=policy)
    assert redeemed(result) == [("web-1", "p1", "daycare_full", 1, "30.00")]
    assert rejected(result) == [("desk-1", "p1", "offline_booking")]


def test_with_rule_unknown_anchor_and_duplicate_code_refused() -> None:
    with pytest.raises(InvalidValueError, match="before: no rule with reason code 'nope'"):
        Policy().with_rule(no_holidays, before="nope")
    duplicate = FunctionRule("expired", "package", lambda c, ln, ctx: True)
    with pytest.raises(InvalidValueError, match="two rules share the reason code 'expired'"):
        Policy().with_rule(duplicate)


# Settings ---------------------------------------------------------------------------------------


def test_settings_greater_value_without_any_type_is_an_error() -> None:
    with pytest.raises(SettingsError, match="greater_value: requires any_type") as info:
        Settings(greater_value=True)
    assert info.value.field == "greater_value"
    assert isinstance(info.value, ValueError)
    # Also when switched off later: the error comes before any apply can see the settings.
    ok = Settings(any_type=True, greater_value=True)
    with pytest.raises(SettingsError):
        attrs.evolve(ok, any_type=False)


def test_waived_rules_name_a_settings_flag_and_are_dropped_under_it() -> None:
    """R5, R6, R8 and R10 cannot fail under their flag: ``predicate`` gives None then, and the
    rule's own test otherwise (a misspelt ``waived_by`` would raise here)."""
    from punchcard.rules import builtin

    rules = [rule for rule in builtin.DEFAULT_RULES if isinstance(rule, builtin._Builtin)]
    assert len(rules) == len(builtin.DEFAULT_RULES)
    waived = {rule.rule_id: rule.waived_by for rule in rules if rule.waived_by}
    assert waived == {
        "R5": "any_location",
        "R6": "any_type",
        "R8": "zero_price_items",
        "R10": "greater_value",
    }
    for rule in rules:
        assert rule.predicate(Settings()) == rule.passes
        if rule.waived_by:
            flags = {rule.waived_by: True, "any_type": True}  # greater_value needs any_type
            assert rule.predicate(Settings(**flags)) is None
