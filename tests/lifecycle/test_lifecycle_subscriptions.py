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


def test_issue10_item1_monthly_from_jan_31_renews_feb_27_then_mar_30_at_2359() -> None:
    """Periods start on Jan 31, Feb 28, Mar 31, Apr 30 (relativedelta from the first start,
    month ends clamped, no drift); each ends the day before the next starts."""
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    assert book.state.package("p1").expires_on == dt.date(2026, 2, 27)
    outcome = book(renew(book.state, as_of=at(4, 1, 12)))
    renewals = [e for e in outcome.events if isinstance(e, SubscriptionRenewed)]
    assert [(e.period, e.ends_on.isoformat(), e.at.isoformat()) for e in renewals] == [
        (2, "2026-03-30", "2026-02-27T23:59:00-05:00"),
        (3, "2026-04-29", "2026-03-30T23:59:00-04:00"),  # after the DST change of Mar 8
    ]
    assert book.state.package("p1").expires_on == dt.date(2026, 4, 29)


def test_issue10_item1_weekly_bought_on_monday_renews_on_sunday_at_2359() -> None:
    """Bought Monday Mar 2: the first period is Mar 2 to Sunday Mar 8; it renews at 23:59 on
    Sunday and the new period's credits are there on Monday (Gingr's renewal article)."""
    weekly = attrs.evolve(MONTHLY, subscription=Period("weeks"))
    book = Book()
    book.buy(weekly, when=at(3, 2, 10))
    assert dt.date(2026, 3, 2).weekday() == 0  # a Monday
    assert book.state.package("p1").expires_on == dt.date(2026, 3, 8)
    assert renew(book.state, as_of=at(3, 8, 23, 58)).events == ()
    (event,) = renew(book.state, as_of=at(3, 8, 23, 59)).events
    assert isinstance(event, SubscriptionRenewed)
    assert event.at.isoformat() == "2026-03-08T23:59:00-04:00"
    assert event.ends_on == dt.date(2026, 3, 15)  # the following Sunday
    # Monday: a checkout uses the new period's credits, no renew call needed
    book(checkout(book.state, daycare_cart(9, units=8), booking="t", as_of=at(3, 9), timezone=NY))
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.granted, daycare.used, daycare.expired, daycare.remaining) == (16, 8, 8, 0)


@pytest.mark.parametrize(
    ("period", "dates"),
    [(Period("days"), 1), (Period("days", 3), 3), (Period("weeks"), 7), (Period("weeks", 2), 14)],
)
def test_issue10_item1_a_period_of_n_days_covers_exactly_n_local_dates(
    period: Period, dates: int
) -> None:
    for anchor in (dt.date(2026, 1, 31), dt.date(2026, 3, 8), dt.date(2028, 2, 29)):
        for k in (1, 2, 3, 10):
            first, last = period.start(anchor, k), period.last_day(anchor, k)
            assert (last - first).days + 1 == dates
            assert period.start(anchor, k + 1) == last + dt.timedelta(days=1)


def test_leap_year_period_two_starts_feb_29() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12, year=2028))
    assert book.state.package("p1").expires_on == dt.date(2028, 2, 28)
    (event,) = renew(book.state, as_of=at(3, 1, year=2028)).events
    assert event.at.isoformat() == "2028-02-28T23:59:00-05:00"
    assert event.ends_on == dt.date(2028, 3, 30)  # period 3 starts on Mar 31


def test_renewal_happens_at_2359_not_before() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    assert renew(book.state, as_of=at(2, 27, 23, 58)).events == ()
    assert len(renew(book.state, as_of=at(2, 27, 23, 59)).events) == 1


def test_renewal_on_a_dst_day_in_sydney() -> None:
    # A weekly subscription bought on Monday Sep 28 2026 ends its first period on Sunday Oct 4,
    # the day clocks go forward in Sydney: renewal at 23:59 AEDT (+11:00).
    weekly = attrs.evolve(MONTHLY, subscription=Period("weeks"))
    book = Book()
    book.buy(weekly, when=dt.datetime(2026, 9, 28, 10), timezone=SYDNEY)
    (event,) = renew(book.state, as_of=dt.datetime(2026, 10, 5, 0, 0)).events
    assert event.at.isoformat() == "2026-10-04T23:59:00+11:00"
    assert event.ends_on == dt.date(2026, 10, 11)


def test_renewal_forfeits_unused_credits_and_grants_the_period_by_default() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    book(checkout(book.state, daycare_cart(2, units=3), booking="t", as_of=at(2, 2), timezone=NY))
    (event,) = book(renew(book.state, as_of=at(2, 28))).events
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
    assert [d.isoformat() for d in days] == ["2026-02-27", "2026-03-30", "2026-04-29", "2027-02-27"]


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
        "days": "2026-02-01",
        "weeks": "2026-02-13",
        "months": "2026-03-30",
        "years": "2028-01-30",
    }[unit]
    assert last.isoformat() == expected
