"""Which line and which credit first: section O of docs/semantics.md, one test each (punchcard.rules.ordering)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from builders import cart, line, package, run, usd

from punchcard import (
    Application,
    Component,
    Line,
    Package,
    Policy,
    Settings,
)


def redeemed(result: Application) -> list[tuple[str, str, str, int, str]]:
    """(line, package, item, credits, amount) of every redemption, in the engine's order."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def rejected(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


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
