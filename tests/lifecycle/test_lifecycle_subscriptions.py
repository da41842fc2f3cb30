"""Subscriptions (sections E and L): renewal at 23:59 local on the last day of the period,
periods by relativedelta with month ends clamped, the period's credits granted, unused ones
forfeited (default) or rolled over."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from lifecycle_kit import ADMIN, MONTHLY, NY, SYDNEY, Book, at, daycare_cart

from punchcard import Money
from punchcard.lifecycle import (
    Business,
    Period,
    SubscriptionRenewed,
    checkout,
    expire,
    refund,
    renew,
    renewal_moment,
    renewals_due,
    revenue,
)

ROLLOVER = Business(unused_at_renewal="rollover")


def test_period_starting_jan_31_ends_feb_28_then_mar_31() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    outcome = book(renew(book.state, as_of=at(4, 1, 12)))
    renewals = [e for e in outcome.events if isinstance(e, SubscriptionRenewed)]
    assert [(e.period, e.ends_on.isoformat(), e.at.isoformat()) for e in renewals] == [
        (2, "2026-03-31", "2026-02-28T23:59:00-05:00"),
        (3, "2026-04-30", "2026-03-31T23:59:00-04:00"),  # after the DST change of Mar 8
    ]
    assert book.state.package("p1").expires_on == dt.date(2026, 4, 30)


def test_leap_year_period_ends_feb_29() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12, year=2028))
    assert book.state.package("p1").expires_on == dt.date(2028, 2, 29)
    (event,) = renew(book.state, as_of=at(3, 1, year=2028)).events
    assert event.at.isoformat() == "2028-02-29T23:59:00-05:00"


def test_renewal_happens_at_2359_not_before() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    assert renew(book.state, as_of=at(2, 28, 23, 58)).events == ()
    assert len(renew(book.state, as_of=at(2, 28, 23, 59)).events) == 1


def test_renewal_on_a_dst_day_in_sydney() -> None:
    # A weekly subscription bought on Sunday Sep 27 2026 ends its first period on Oct 4, the
    # day clocks go forward in Sydney: renewal at 23:59 AEDT (+11:00).
    weekly = attrs.evolve(MONTHLY, subscription=Period("weeks"))
    book = Book()
    book.buy(weekly, when=dt.datetime(2026, 9, 27, 10), timezone=SYDNEY)
    (event,) = renew(book.state, as_of=dt.datetime(2026, 10, 5, 0, 0)).events
    assert event.at.isoformat() == "2026-10-04T23:59:00+11:00"
    assert event.ends_on == dt.date(2026, 10, 11)


def test_renewal_forfeits_unused_credits_and_grants_the_period_by_default() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    book(checkout(book.state, daycare_cart(2, units=3), booking="t", as_of=at(2, 2), timezone=NY))
    (event,) = book(renew(book.state, as_of=at(3, 1))).events
    assert isinstance(event, SubscriptionRenewed)
    assert [(c.item, c.credits) for c in event.forfeited] == [("daycare_full", 5)]
    assert [(c.item, c.credits) for c in event.granted] == [("daycare_full", 8)]
    assert event.amount == Money("200", "USD")
    package = book.state.package("p1")
    daycare = package.component("daycare_full")
    assert (daycare.granted, daycare.remaining, daycare.used, daycare.expired) == (16, 8, 3, 5)
    assert package.paid == Money("400", "USD")
    assert package.paid_credits == 16


def test_rollover_keeps_unused_credits() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    book(checkout(book.state, daycare_cart(2, units=3), booking="t", as_of=at(2, 2), timezone=NY))
    outcome = book(renew(book.state, as_of=at(4, 1), business=ROLLOVER))
    assert [sum(c.credits for c in e.forfeited) for e in outcome.events] == [0, 0]  # type: ignore[union-attr]
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.granted, daycare.remaining, daycare.expired) == (24, 21, 0)


def test_missed_periods_renew_one_by_one() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 15))
    outcome = book(renew(book.state, as_of=at(6, 1)))
    assert [e.period for e in outcome.events] == [2, 3, 4, 5]  # type: ignore[union-attr]
    assert [e.seq for e in outcome.events] == [2, 3, 4, 5]
    assert book.state.package("p1").period == 5
    assert book.replayed() == book.state
    assert renew(book.state, as_of=at(6, 1)).events == ()


def test_renewal_moment_of_later_periods_is_anchored_on_the_first() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    package = book.state.package("p1")
    days = [renewal_moment(package, k, Business().expires_at).date() for k in (1, 2, 3, 13)]
    assert [d.isoformat() for d in days] == ["2026-02-28", "2026-03-31", "2026-04-30", "2027-02-28"]


def test_refunded_subscription_does_not_renew_and_sweep_does_not_expire_subscriptions() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    assert expire(book.state, as_of=at(6, 1)).events == ()
    book(refund(book.state, "p1", as_of=at(2, 1), actor=ADMIN))
    assert list(renewals_due(book.state.packages, as_of=at(6, 1))) == []


def test_revenue_of_a_subscription_adds_up_over_its_periods() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    book(checkout(book.state, daycare_cart(2, units=3), booking="t", as_of=at(2, 2), timezone=NY))
    book(renew(book.state, as_of=at(3, 1)))
    money = revenue(book.state.package("p1"))
    assert money.paid == Money("400", "USD")
    assert money.used == Money("75", "USD")  # 3 x 25.00
    assert money.breakage == Money("125", "USD")  # 5 forfeited x 25.00
    assert money.deferred == Money("200", "USD")
    assert money.used + money.breakage + money.deferred == money.paid


@pytest.mark.parametrize("unit", ["days", "weeks", "months", "years"])
def test_period_units(unit: str) -> None:
    period = Period(unit, 2)  # type: ignore[arg-type]
    last = period.last_day(dt.date(2026, 1, 31), 1)
    expected = {
        "days": "2026-02-02",
        "weeks": "2026-02-14",
        "months": "2026-03-31",
        "years": "2028-01-31",
    }[unit]
    assert last.isoformat() == expected
