"""Reports (section L): the balances report, one package's history, revenue per credit and
breakage, commission bases; all exact to the minor unit."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifecycle_kit import ADMIN, BUNDLE, NY, PASS10, THREE, Book, at, daycare_cart

from punchcard import Cart, Line, Money
from punchcard.errors import InvalidValueError
from punchcard.lifecycle import (
    PackageType,
    TypeComponent,
    assign,
    balances_report,
    breakage,
    cancel,
    checkout,
    deduct,
    edit_expiry,
    expire,
    history,
    redemption_commission_base,
    refund,
    revenue,
    state_as_of,
    use,
)


def test_balances_report_lists_every_active_package_per_component() -> None:
    book = Book()
    book.buy(PASS10, "p2", owner="smith", when=at(3, 1))
    book.buy(BUNDLE, "b1", owner="jones", when=at(3, 2))
    book.buy(THREE, "p1", owner="smith", when=at(3, 3))
    book.hold(9, booking="a", as_of=at(3, 4), scheduled_for=at(3, 9))
    rows = balances_report(book.state.packages, as_of=at(3, 5))
    assert [(r.owner, r.package_id, r.item, r.remaining, r.held) for r in rows] == [
        ("jones", "b1", "grooming", 5, 0),
        ("jones", "b1", "shampoo", 2, 0),
        ("smith", "p1", "daycare_full", 3, 0),
        ("smith", "p2", "daycare_full", 9, 1),
    ]


def test_balances_report_leaves_out_expired_refunded_deleted_and_future_packages() -> None:
    book = Book()
    book.buy(PASS10, "expired", when=at(1, 1))  # expires Jan 31
    book.buy(THREE, "refunded", when=at(3, 1))
    book(refund(book.state, "refunded", as_of=at(3, 2), actor=ADMIN))
    book.buy(THREE, "later", when=at(3, 20))
    rows = balances_report(book.state.packages, as_of=at(3, 10))
    assert rows == ()  # "expired" is expired by time even before the sweep ran
    assert [r.package_id for r in balances_report(book.state.packages, as_of=at(3, 21))] == [
        "later"
    ]


def test_balances_report_of_the_past_from_the_ledger() -> None:
    book = Book()
    book.buy(PASS10)
    book(checkout(book.state, daycare_cart(5, units=4), booking="t", as_of=at(3, 5), timezone=NY))
    past = state_as_of(book.events, at(3, 4))
    (row,) = balances_report(past.packages, as_of=at(3, 4))
    assert row.remaining == 10
    (row,) = balances_report(book.state.packages, as_of=at(3, 6))
    assert row.remaining == 6


def test_history_of_one_package_in_order() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    book.buy(THREE, "other", owner="jones")
    book.hold(5, 6, booking="appt-1", as_of=at(3, 2), scheduled_for=at(3, 5, 8))
    book(cancel(book.state, "appt-1", line_id="d6", as_of=at(3, 3)))
    book(use(book.state, "appt-1", as_of=at(3, 5, 7, 45), reason="completed"))
    book(assign(book.state, "p1", "daycare_full", 2, as_of=at(3, 6), actor=ADMIN, note="sorry"))
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 7), actor=ADMIN))
    book(edit_expiry(book.state, "p1", dt.date(2026, 4, 15), as_of=at(3, 8), actor=ADMIN))
    book(expire(book.state, as_of=at(4, 16)))
    entries = history(book.events, "p1")
    assert [e.seq for e in entries] == list(range(1, 10))
    assert [e.kind for e in entries] == [
        "package_purchased",
        "credits_redeemed",
        "credits_redeemed",
        "redemption_cancelled",
        "redemption_used",
        "credits_assigned",
        "credits_deducted",
        "expiry_changed",
        "package_expired",
    ]
    assert [e.change for e in entries] == [10, -1, -1, 1, 0, 2, -1, 0, -10]
    assert [e.reference for e in entries][1:5] == ["appt-1"] * 4
    assert [e.line_id for e in entries][1:5] == ["d5", "d6", "d6", "d5"]
    assert entries[0].summary == ("Purchased 10 Day Daycare: 10 daycare_full for 250.00 USD")
    assert entries[1].summary == (
        "1 daycare_full held for appointment appt-1 (line d5, 2026-03-05): 30.00 USD off"
    )
    assert entries[3].summary == "appt-1 cancelled: 1 daycare_full restored"
    assert entries[4].summary == "1 daycare_full of appt-1 used (completed)"
    assert entries[5].summary == "2 daycare_full assigned by admin (sorry)"
    assert entries[7].summary == "Expiry date changed by admin from 2026-03-31 to 2026-04-15"
    assert entries[8].summary == "Expired at the end of 2026-04-15: 10 daycare_full lapsed"
    assert entries[1].amount == Money("30", "USD")
    assert entries[6].actor == "admin"
    # the running balance of the history is the balance of the state
    assert sum(e.change for e in entries) == book.state.package("p1").total_remaining


def test_revenue_and_breakage_are_exact() -> None:
    # $100 for 3: 33.34, 33.33, 33.33. One used, then the rest expires.
    book = Book()
    book.buy(attrs.evolve(THREE, days_to_expiration=10))
    book(checkout(book.state, daycare_cart(2), booking="t", as_of=at(3, 2), timezone=NY))
    book(expire(book.state, as_of=at(3, 12)))
    money = revenue(book.state.package("p1"))
    assert (money.used, money.breakage, money.deferred) == (
        Money("33.34", "USD"),
        Money("66.66", "USD"),
        Money("0", "USD"),
    )
    assert breakage(book.state.packages, "USD") == Money("66.66", "USD")


def test_revenue_buckets_always_add_up_to_what_was_paid() -> None:
    book = Book()
    book.buy(BUNDLE, "b1")
    cart = Cart("smith", "downtown", "USD", [Line("g", "grooming", Money("50", "USD"), units=2)])
    book(checkout(book.state, cart, booking="t", as_of=at(3, 2), timezone=NY))
    book(deduct(book.state, "b1", "shampoo", 1, as_of=at(3, 3), actor=ADMIN))
    book(assign(book.state, "b1", "grooming", 4, as_of=at(3, 4), actor=ADMIN))
    money = revenue(book.state.package("b1"))
    total = money.used + money.deducted + money.breakage + money.held + money.refunded
    assert total + money.deferred == money.paid == Money("200", "USD")
    assert money.deducted == Money("28.57", "USD")  # shampoo's share 57.14 / 2


def test_commission_base_by_package_price_or_retail() -> None:
    book = Book()
    book.buy(attrs.evolve(THREE, commission_basis="package"), "pkg")
    book.buy(THREE, "ret", owner="jones")
    for n, day in enumerate((2, 3, 4)):
        book(
            checkout(book.state, daycare_cart(day), booking=f"t{n}", as_of=at(3, day), timezone=NY)
        )
    package = book.state.package("pkg")
    bases = [redemption_commission_base(package, r.id) for r in package.redemptions]
    assert [str(b) for b in bases] == ["33.34", "33.33", "33.33"]
    book(
        checkout(
            book.state,
            daycare_cart(5, owner="jones", units=2),
            booking="j",
            as_of=at(3, 5),
            timezone=NY,
        )
    )
    ret = book.state.package("ret")
    (record,) = ret.redemptions
    assert redemption_commission_base(ret, record.id, retail_price=Money("40", "USD")) == Money(
        "80", "USD"
    )
    with pytest.raises(InvalidValueError, match="retail_price: is required"):
        redemption_commission_base(ret, record.id)


def test_commission_base_skips_cancelled_redemptions() -> None:
    book = Book()
    book.buy(attrs.evolve(THREE, commission_basis="package"))
    book(checkout(book.state, daycare_cart(2), booking="t0", as_of=at(3, 2), timezone=NY))
    book(cancel(book.state, "t0", as_of=at(3, 2, 10)))
    book(checkout(book.state, daycare_cart(3), booking="t1", as_of=at(3, 3), timezone=NY))
    package = book.state.package("p1")
    assert str(redemption_commission_base(package, package.redemptions[1].id)) == "33.34"


@given(
    cents=st.integers(0, 10**7),
    quantities=st.lists(st.integers(1, 50), min_size=1, max_size=3),
    consumed=st.lists(st.integers(0, 60), min_size=3, max_size=3),
)
def test_revenue_adds_up_for_any_price_and_consumption(
    cents: int, quantities: list[int], consumed: list[int]
) -> None:
    ptype = PackageType(
        id="t",
        name="T",
        price=Money.from_minor(cents, "USD"),
        components=[TypeComponent(f"i{k}", q) for k, q in enumerate(quantities)],
    )
    book = Book()
    book.buy(ptype)
    for k, q in enumerate(quantities):
        n = min(consumed[k], q)
        if n:
            book(deduct(book.state, "p1", f"i{k}", n, as_of=at(3, 2), actor=ADMIN))
    money = revenue(book.state.package("p1"))
    assert money.deducted + money.deferred == money.paid
    assert money.deducted.minor >= 0
    assert money.deferred.minor >= 0
