"""The expiry sweep (sections E and L): a package expiring on D expires at 23:59 local on D,
DST days included, in America/New_York and Australia/Sydney; the credits left expire, held ones
stay held."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifecycle_kit import ADMIN, NY, PASS10, SYDNEY, Book, at

from punchcard import Policy
from punchcard.events import event_from_dict, event_to_dict
from punchcard.lifecycle import (
    Business,
    PackageExpired,
    RedemptionCancelled,
    cancel,
    deduct,
    edit_expiry,
    expire,
    expiries_due,
    use,
)
from punchcard.lifecycle.state import fold
from punchcard.testing import Ledger, ledgers

# (zone, expiry date, offset at 23:59 that day) for the days clocks change in 2026.
DST_DAYS = [
    (NY, dt.date(2026, 3, 8), "-04:00"),  # spring forward at 02:00
    (NY, dt.date(2026, 11, 1), "-05:00"),  # fall back at 02:00
    (SYDNEY, dt.date(2026, 4, 5), "+10:00"),  # autumn: clocks go back at 03:00
    (SYDNEY, dt.date(2026, 10, 4), "+11:00"),  # spring: clocks go forward at 02:00
]


def _expiring_on(day: dt.date, timezone: str) -> Book:
    book = Book()
    sold = dt.datetime.combine(day - dt.timedelta(days=30), dt.time(10))
    book.buy(PASS10, when=sold, timezone=timezone)
    assert book.state.package("p1").expires_on == day
    return book


@pytest.mark.parametrize(("timezone", "day", "offset"), DST_DAYS)
def test_expiry_at_2359_local_on_dst_days(timezone: str, day: dt.date, offset: str) -> None:
    book = _expiring_on(day, timezone)
    just_before = dt.datetime.combine(day, dt.time(23, 58, 59))
    on_time = dt.datetime.combine(day, dt.time(23, 59))
    assert expire(book.state, as_of=just_before).events == ()
    outcome = book(expire(book.state, as_of=on_time))
    (event,) = outcome.events
    assert isinstance(event, PackageExpired)
    assert event.at.isoformat() == f"{day.isoformat()}T23:59:00{offset}"
    assert event.expires_on == day
    assert [(c.item, c.credits) for c in event.credits] == [("daycare_full", 10)]
    package = book.state.package("p1")
    assert package.status == "expired"
    assert package.component("daycare_full").expired == 10


@pytest.mark.parametrize(("timezone", "day", "offset"), DST_DAYS)
def test_expiry_instant_is_the_same_for_an_aware_as_of(
    timezone: str, day: dt.date, offset: str
) -> None:
    book = _expiring_on(day, timezone)
    moment = dt.datetime.combine(day, dt.time(23, 59)).replace(tzinfo=ZoneInfo(timezone))
    utc = moment.astimezone(dt.timezone.utc)
    assert expire(book.state, as_of=utc - dt.timedelta(seconds=1)).events == ()
    (event,) = expire(book.state, as_of=utc).events
    assert event.at == moment
    assert event.at.isoformat().endswith(offset)


def test_whole_day_policy_expires_at_the_next_midnight() -> None:
    book = _expiring_on(dt.date(2026, 11, 1), NY)
    whole_day = Business(policy=Policy(expires_at="24:00"))
    assert expire(book.state, as_of=at(11, 1, 23, 59), business=whole_day).events == ()
    (event,) = expire(book.state, as_of=at(11, 2, 0, 0), business=whole_day).events
    assert event.at.isoformat() == "2026-11-02T00:00:00-05:00"


def test_a_package_with_no_expiry_never_expires() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, days_to_expiration=None))
    assert expire(book.state, as_of=at(12, 31, year=2099)).events == ()


def test_first_use_package_never_used_does_not_expire() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, expiry_starts="first_use"))
    assert expire(book.state, as_of=at(12, 31, year=2030)).events == ()


def test_held_credits_stay_held_through_expiry_and_can_be_used() -> None:
    book = Book()
    book.buy(PASS10)  # expires Mar 31
    book.hold(31, booking="a", as_of=at(3, 20), scheduled_for=at(3, 31, 8))
    book(expire(book.state, as_of=at(4, 1)))
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.held, daycare.expired, daycare.remaining) == (1, 9, 0)
    book(use(book.state, "a", as_of=at(4, 1, 10)))
    assert book.state.package("p1").component("daycare_full").used == 1


def test_expiry_after_a_later_event_is_dated_after_it() -> None:
    # The expiry date was moved back to a day before the package's last event: the expiry is
    # recorded at that event, so the package's events stay in time order.
    book = Book()
    book.buy(PASS10)
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 20), actor=ADMIN))
    book(edit_expiry(book.state, "p1", dt.date(2026, 3, 10), as_of=at(3, 20, 9, 30)))
    (event,) = book(expire(book.state, as_of=at(4, 2))).events
    assert event.at.isoformat() == "2026-03-20T09:30:00-04:00"
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.expired, daycare.remaining) == (9, 0)
    assert book.replayed() == book.state


def test_issue10_item3_an_operation_after_the_expiry_moment_records_the_expiry_first() -> None:
    # A cancellation after the expiry moment, before any sweep ran: the expiry is recorded first,
    # dated at its moment (23:59 on Mar 31), the held credit used at its time (Mar 31 08:00)
    # before it, and the cancellation gives the credit back expired.
    book = Book()
    book.buy(PASS10)
    book.hold(31, booking="a", as_of=at(3, 20), scheduled_for=at(3, 31, 8))
    outcome = book(cancel(book.state, "a", as_of=at(4, 1, 8)))
    assert [type(e).__name__ for e in outcome.catch_up] == ["RedemptionUsed", "PackageExpired"]
    assert [e.at.isoformat() for e in outcome.catch_up] == [
        "2026-03-31T08:00:00-04:00",
        "2026-03-31T23:59:00-04:00",
    ]
    (own,) = outcome.own
    assert isinstance(own, RedemptionCancelled)
    assert (own.was, own.expired, own.at.isoformat()) == ("used", 1, "2026-04-01T08:00:00-04:00")
    assert expire(book.state, as_of=at(4, 2)).events == ()
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.expired, daycare.remaining, daycare.used) == (10, 0, 0)
    assert book.replayed() == book.state


def test_expiries_due_streams_and_skips_what_is_not_due() -> None:
    book = Book()
    book.buy(PASS10, "a", when=at(3, 1))
    book.buy(PASS10, "b", when=at(3, 2))
    due = expiries_due(iter(book.state.packages), as_of=at(3, 31, 23, 59))
    assert [e.package_id for e in due] == ["a"]
    assert sorted(e.package_id for e in expiries_due(book.state, as_of=at(4, 2))) == ["a", "b"]


def test_expired_packages_are_not_expired_again() -> None:
    book = _expiring_on(dt.date(2026, 3, 8), NY)
    book(expire(book.state, as_of=at(3, 9)))
    assert expire(book.state, as_of=at(3, 10)).events == ()


@given(ledger=ledgers(max_steps=8), days=st.integers(0, 400))
@settings(max_examples=40, deadline=None)
def test_an_expiry_event_the_sweep_derives_is_the_event_its_checks_would_build(
    ledger: Ledger, days: int
) -> None:
    """The sweep builds its expiry events from the packages' own values without checking them
    again (the cost of half the nightly sweep): each must equal the event built with every check,
    and survive the ledger's JSON, and the fold must take it."""
    as_of = ledger.as_of + dt.timedelta(days=days)
    events = list(expiries_due(ledger.state, as_of=as_of, business=ledger.business))
    for event in events:
        checked = PackageExpired(
            **{f.name: getattr(event, f.name) for f in attrs.fields(PackageExpired)}
        )
        assert checked == event
        assert event_from_dict(event_to_dict(event)) == event
    after = fold(ledger.state, events)  # the fold checks each against its package
    assert all(after.package(e.package_id).status == "expired" for e in events)
