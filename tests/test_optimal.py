"""``line_order = "optimal"`` (section O of semantics.md), on hand-built carts.

Section O leaves open which of several optimal assignments is returned, so these tests assert the
amount and units covered; they assert a line's own figures only where the optimum is unique (the
comment says why).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from punchcard import (
    Application,
    Cart,
    Component,
    Line,
    Money,
    Package,
    Policy,
    Settings,
    apply,
)
from punchcard.scenario import evaluate

TZ = "America/New_York"
AT = dt.datetime(2026, 3, 2, 17, 30)  # local time in New York
BOUGHT = dt.datetime(2026, 1, 5, 10, 0)
CROSS_ITEM = Settings(any_type=True, greater_value=True)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def package(id: str, *components: Component, **fields: Any) -> Package:
    fields.setdefault("owner", "smith")
    fields.setdefault("purchased_at", BOUGHT)
    return Package(id=id, components=components, **fields)


def cart(*lines: Line) -> Cart:
    return Cart("smith", "downtown", "USD", lines)


def run(
    the_cart: Cart,
    packages: list[Package],
    order: str = "optimal",
    *,
    settings: Settings | None = None,
    rates: dict[str, str] | None = None,
) -> Application:
    return apply(
        the_cart,
        packages,
        as_of=AT,
        timezone=TZ,
        settings=settings or Settings(),
        policy=Policy(line_order=order),
        rates={"downtown": {item: usd(price) for item, price in (rates or {}).items()}},
    )


def credits(result: Application) -> int:
    return sum(line.credits for line in result.lines)


def covered_by_line(result: Application) -> dict[str, str]:
    return {line.line_id: str(line.covered) for line in result.lines}


def reasons(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


def test_O_optimal_cross_item_credit_goes_to_the_dearer_line() -> None:
    # One daycare_full credit (worth the $30 rate), usable cross-item by both lines: on the
    # $18 half day it takes $18 (greater_value), on the $40 grooming $30. cheapest_first serves
    # the half day first; optimal gives the credit where it covers more (the only way to $30).
    the_cart = cart(
        Line("l1", "daycare_half", usd("18")),
        Line("l2", "grooming", usd("40")),
    )
    packages = [package("p1", Component("daycare_full", 1))]
    rates = {"daycare_full": "30"}

    greedy = run(the_cart, packages, "cheapest_first", settings=CROSS_ITEM, rates=rates)
    assert str(greedy.covered) == "18.00"
    assert covered_by_line(greedy) == {"l1": "18.00", "l2": "0.00"}

    best = run(the_cart, packages, settings=CROSS_ITEM, rates=rates)
    assert (str(best.covered), str(best.due), credits(best)) == ("30.00", "28.00", 1)
    assert covered_by_line(best) == {"l1": "0.00", "l2": "30.00"}
    assert [(r.line_id, r.package_id, r.item, r.credits) for r in best.redemptions] == [
        ("l2", "p1", "daycare_full", 1)
    ]
    assert best.package("p1").remaining("daycare_full") == 0
    # The half day took nothing: the credit it could have used is gone.
    assert reasons(best) == [("l1", "p1", "exhausted")]


def test_O_optimal_bundle_matched_across_lines() -> None:
    # A bundle of 5 grooming + 2 shampoo; the cart has 3 shampoos ($15) and 5 groomings ($40).
    # cheapest_first fills the shampoo line first: 2 shampoo credits, then a grooming credit
    # cross-item ($15), and only 4 groomings are left for the $40 line: 30 + 15 + 160 = $205.
    # Optimal leaves the third shampoo due and pays all five groomings: 30 + 200 = $230. It is
    # the only assignment worth $230 (any grooming credit moved to the shampoo line loses $25).
    the_cart = cart(
        Line("l1", "shampoo", usd("15"), units=3),
        Line("l2", "grooming", usd("40"), units=5),
    )
    bundle = package("p1", Component("grooming", 5), Component("shampoo", 2))
    rates = {"grooming": "40", "shampoo": "15"}

    greedy = run(the_cart, [bundle], "cheapest_first", settings=CROSS_ITEM, rates=rates)
    assert (str(greedy.covered), credits(greedy)) == ("205.00", 7)

    best = run(the_cart, [bundle], settings=CROSS_ITEM, rates=rates)
    assert (str(best.covered), str(best.due), credits(best)) == ("230.00", "15.00", 7)
    assert covered_by_line(best) == {"l1": "30.00", "l2": "200.00"}
    assert sorted((r.line_id, r.item, r.credits, str(r.amount)) for r in best.redemptions) == [
        ("l1", "shampoo", 2, "30.00"),
        ("l2", "grooming", 5, "200.00"),
    ]
    after = best.package("p1")
    assert (after.remaining("grooming"), after.remaining("shampoo")) == (0, 0)


def test_O_optimal_beats_priciest_first_when_the_own_item_credit_is_needed_elsewhere() -> None:
    # priciest_first serves the $40 grooming first, and the credit order (own item first) gives
    # it the grooming credit: the only credit the $18 half day may use (worth the $15 rate
    # there). The rex-only boarding credit (the $40 rate) would have paid the grooming in full.
    the_cart = cart(
        Line("l1", "grooming", usd("40"), beneficiary="rex"),
        Line("l2", "daycare_half", usd("18"), beneficiary="bella"),
    )
    packages = [
        package("p1", Component("grooming", 1)),
        package("p2", Component("boarding", 1), beneficiary="rex"),
    ]
    rates = {"grooming": "15", "boarding": "40"}
    settings = Settings(any_type=True)

    greedy = run(the_cart, packages, "priciest_first", settings=settings, rates=rates)
    assert str(greedy.covered) == "40.00"
    assert covered_by_line(greedy) == {"l1": "40.00", "l2": "0.00"}

    best = run(the_cart, packages, settings=settings, rates=rates)
    assert (str(best.covered), credits(best)) == ("55.00", 2)
    assert covered_by_line(best) == {"l1": "40.00", "l2": "15.00"}
    assert reasons(best) == []


def test_O_optimal_zero_price_units_still_count() -> None:
    # A $30 day and two $0 days (say, a free trial), two credits, zero_price_items on. Every
    # assignment that covers the $30 day is worth $30; among those the most units wins, so the
    # second credit goes to a $0 day rather than staying on the package.
    the_cart = cart(
        Line("l1", "daycare_full", usd("30")),
        Line("l2", "daycare_full", usd("0"), units=2),
    )
    packages = [package("p1", Component("daycare_full", 2))]
    zero_ok = Settings(zero_price_items=True)

    best = run(the_cart, packages, settings=zero_ok)
    assert (str(best.covered), str(best.due), credits(best)) == ("30.00", "0.00", 2)
    assert [(line.line_id, line.credits) for line in best.lines] == [("l1", 1), ("l2", 1)]
    assert sorted((r.line_id, r.credits, str(r.amount)) for r in best.redemptions) == [
        ("l1", 1, "30.00"),
        ("l2", 1, "0.00"),
    ]
    assert best.package("p1").remaining("daycare_full") == 0

    # cheapest_first gives both credits to the $0 line and covers nothing.
    greedy = run(the_cart, packages, "cheapest_first", settings=zero_ok)
    assert (str(greedy.covered), credits(greedy)) == ("0.00", 2)

    # With zero_price_items off the $0 line is untouched (R8), and reported.
    strict = run(the_cart, packages)
    assert (str(strict.covered), credits(strict)) == ("30.00", 1)
    assert strict.package("p1").remaining("daycare_full") == 1
    assert reasons(strict) == [("l2", "p1", "zero_price")]


def test_O_optimal_bulk_counts_are_exact() -> None:
    # A line of 1,000,000 hours against 10**12 hourly credits: counts, not units one by one.
    walks = Line("l1", "walk", usd("25"), units=1_000_000, charge_by="hour")
    huge = package("p1", Component("walk", 10**12, hourly=True))
    best = run(cart(walks), [huge])
    assert (credits(best), str(best.covered), str(best.due)) == (1_000_000, "25000000.00", "0.00")
    assert [(r.line_id, r.package_id, r.credits, str(r.amount)) for r in best.redemptions] == [
        ("l1", "p1", 1_000_000, "25000000.00")
    ]
    assert best.package("p1").remaining("walk") == 10**12 - 1_000_000


def test_O_optimal_bulk_contention_fills_the_dearer_line_first() -> None:
    # Two lines of a million hours, 1,500,000 credits: the $30 hours all covered, the $25 hours
    # half. Unique optimum: any credit moved from the $30 line to the $25 line loses $5.
    the_cart = cart(
        Line("l1", "walk", usd("25"), units=1_000_000, charge_by="hour"),
        Line("l2", "walk", usd("30"), units=1_000_000, charge_by="hour"),
    )
    packages = [
        package("p1", Component("walk", 1_000_000, hourly=True)),
        package("p2", Component("walk", 500_000, hourly=True)),
    ]
    best = run(the_cart, packages)
    assert (credits(best), str(best.covered)) == (1_500_000, "42500000.00")
    assert [(line.line_id, line.credits) for line in best.lines] == [
        ("l1", 500_000),
        ("l2", 1_000_000),
    ]
    assert str(best.due) == "12500000.00"
    assert [p.remaining("walk") for p in best.packages] == [0, 0]


def test_O_optimal_reports_rejections_for_lines_left_partly_due() -> None:
    # Three days for rex, one usable credit: the line stays partly due, and every package that
    # took nothing off it is reported with the first rule it fails, by package id.
    the_cart = cart(Line("l1", "daycare_full", usd("30"), units=3, beneficiary="rex"))
    packages = [
        package("p5", Component("daycare_full", 0)),
        package("p1", Component("daycare_full", 1)),
        package("p3", Component("daycare_full", 4), owner="jones"),
        package("p2", Component("daycare_full", 4), expires_on=dt.date(2026, 3, 1)),
        package("p4", Component("daycare_full", 4), beneficiary="bella"),
    ]
    best = run(the_cart, packages)
    assert (str(best.covered), str(best.due), credits(best)) == ("30.00", "60.00", 1)
    expected = [
        ("l1", "p2", "expired"),
        ("l1", "p3", "owner_mismatch"),
        ("l1", "p4", "beneficiary_mismatch"),
        ("l1", "p5", "exhausted"),
    ]
    assert reasons(best) == expected
    # The same reasons as a greedy order reports on the same cart.
    assert reasons(run(the_cart, packages, "cheapest_first")) == expected


def test_O_optimal_with_nothing_to_allocate() -> None:
    empty = run(cart(), [package("p1", Component("daycare_full", 3))])
    assert (str(empty.total), str(empty.covered), empty.redemptions) == ("0.00", "0.00", ())
    alone = run(cart(Line("l1", "daycare_full", usd("30"))), [])
    assert (str(alone.covered), str(alone.due), alone.rejections) == ("0.00", "30.00", ())


def test_O_optimal_through_evaluate() -> None:
    # The cross-item example as a scenario document: the JSON face accepts "optimal".
    document: dict[str, Any] = {
        "version": 1,
        "at": "2026-03-02T17:30:00",
        "timezone": TZ,
        "currency": "USD",
        "settings": {"any_type": True, "greater_value": True},
        "policy": {"line_order": "optimal"},
        "rates": {"downtown": {"daycare_full": "30.00"}},
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [
                {"id": "l1", "item": "daycare_half", "unit_price": "18.00"},
                {"id": "l2", "item": "grooming", "unit_price": "40.00"},
            ],
        },
        "packages": [
            {
                "id": "p1",
                "owner": "smith",
                "purchased_at": "2026-01-05T10:00:00",
                "credits": [{"item": "daycare_full", "remaining": 1}],
            }
        ],
    }
    result = evaluate(document)
    assert (result["total"], result["covered"], result["due"]) == ("58.00", "30.00", "28.00")
    assert result["lines"] == [
        {"id": "l1", "total": "18.00", "covered": "0.00", "due": "18.00", "credits": 0},
        {"id": "l2", "total": "40.00", "covered": "30.00", "due": "10.00", "credits": 1},
    ]
    assert result["redemptions"] == [
        {"line": "l2", "package": "p1", "item": "daycare_full", "credits": 1, "amount": "30.00"}
    ]
    assert result["rejections"] == [{"line": "l1", "package": "p1", "reason": "exhausted"}]
    assert result["packages"][0]["remaining"] == {"daycare_full": 0}

    document["policy"] = {"line_order": "cheapest_first"}
    assert evaluate(document)["covered"] == "18.00"
