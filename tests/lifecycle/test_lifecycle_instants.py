"""Instants, not wall clocks (issue 10 item 2): in the hour repeated when clocks go back, two
times of one zone are ordered by the instants they denote (compared in UTC), in every operation,
sweep and report.

On 1 Nov 2026 in New York, 01:00-01:59 happens twice: first in EDT (-04:00, ``fold=0``), then in
EST (-05:00, ``fold=1``). 01:10 EST is 40 minutes *after* 01:30 EDT. In Santiago, 23:00-23:59 on
4 Apr 2026 happens twice (-03:00, then -04:00).
"""

from __future__ import annotations

import datetime as dt

from lifecycle_kit import ADMIN, NY, PASS10, THREE, Book, at, daycare_cart, refused

from punchcard import Money
from punchcard.lifecycle import (
    PackageType,
    TypeComponent,
    assign,
    balances_report,
    checkout,
    deduct,
    edit_expiry,
    refund,
    state_as_of,
    uses_due,
)
from punchcard.lifecycle._instants import before
from punchcard.timeutil import zone

UTC = dt.timezone.utc
_NY = zone(NY)
EDT_0130 = dt.datetime(2026, 11, 1, 1, 30, tzinfo=_NY)  # 05:30 UTC
EST_0110 = dt.datetime(2026, 11, 1, 1, 10, tzinfo=_NY, fold=1)  # 06:10 UTC


def test_the_two_times_are_forty_minutes_apart() -> None:
    assert EST_0110.astimezone(UTC) - EDT_0130.astimezone(UTC) == dt.timedelta(minutes=40)
    assert EST_0110 < EDT_0130  # what Python says for one zone: the wall clocks
    assert before(EDT_0130, EST_0110)
    assert not before(EST_0110, EDT_0130)


def _bought() -> Book:
    """Package p1 (10 days of daycare) bought on Oct 20, its expiry moved to the end of the
    year."""
    book = Book()
    book.buy(PASS10, when=at(10, 20))
    book(edit_expiry(book.state, "p1", dt.date(2026, 12, 31), as_of=at(10, 21)))
    return book


def test_issue10_item2_a_later_checkout_in_the_repeated_hour_is_not_out_of_order() -> None:
    book = _bought()
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=EDT_0130, actor=ADMIN))
    outcome = book(checkout(book.state, daycare_cart(1), booking="t", as_of=EST_0110, timezone=NY))
    (event,) = outcome.own
    assert event.at == EST_0110
    assert event.at.utcoffset() == -dt.timedelta(hours=5)
    assert book.replayed() == book.state


def test_issue10_item2_an_earlier_instant_in_the_repeated_hour_is_out_of_order() -> None:
    book = _bought()
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=EST_0110, actor=ADMIN))
    refused(
        lambda: checkout(book.state, daycare_cart(1), booking="t", as_of=EDT_0130, timezone=NY),
        book,
        code="out_of_order",
        message="2026-11-01T01:30:00-04:00 is before the last event of package 'p1' "
        "(2026-11-01T01:10:00-05:00); events are recorded in time order",
    )


def test_issue10_item2_uses_due_waits_for_the_instant_not_the_wall_clock() -> None:
    book = _bought()
    book.hold(1, booking="appt", as_of=at(10, 30), scheduled_for=EST_0110)
    assert [r.booking for _p, r in uses_due(book.state.packages, as_of=EDT_0130)] == []
    assert [r.booking for _p, r in uses_due(book.state.packages, as_of=EST_0110)] == ["appt"]
    # at 01:30 EDT the hold is still held: a checkout of another line leaves it held
    outcome = book(checkout(book.state, daycare_cart(2), booking="t", as_of=EDT_0130, timezone=NY))
    assert outcome.catch_up == ()
    assert book.state.package("p1").component("daycare_full").held == 1


def test_issue10_item2_state_as_of_and_the_balances_report_take_events_by_instant() -> None:
    book = _bought()
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=EDT_0130, actor=ADMIN))
    book(deduct(book.state, "p1", "daycare_full", 2, as_of=EST_0110, actor=ADMIN))
    between = EDT_0130 + dt.timedelta(minutes=20)  # 01:50 EDT, 05:50 UTC
    assert before(between, EST_0110)
    past = state_as_of(book.events, between)
    assert past.package("p1").remaining("daycare_full") == 9
    (row,) = balances_report(past.packages, as_of=between)
    assert row.remaining == 9
    now = state_as_of(book.events, EST_0110)
    assert now.package("p1").remaining("daycare_full") == 7


def test_issue10_item2_santiago_no_refund_or_assignment_31_minutes_after_expiry() -> None:
    """A package expiring on Sat 4 Apr 2026 ends at 23:59 -03:00 (02:59 UTC); 23:30 in the
    repeated hour (-04:00, 03:30 UTC) is 31 minutes later: it is expired then."""
    santiago = zone("America/Santiago")
    fifty = PackageType(
        id="fifty",
        name="2 for 50",
        components=[TypeComponent("daycare_full", 2)],
        price=Money("50.00", "USD"),
        days_to_expiration=4,
    )
    book = Book()
    book.buy(fifty, when=dt.datetime(2026, 3, 31, 10), timezone="America/Santiago")
    assert book.state.package("p1").expires_on == dt.date(2026, 4, 4)
    late = dt.datetime(2026, 4, 4, 23, 30, tzinfo=santiago, fold=1)
    end = book.state.package("p1").expiry_moment(dt.timedelta(hours=23, minutes=59))
    assert end is not None
    assert late.astimezone(UTC) - end.astimezone(UTC) == dt.timedelta(minutes=31)
    message = "package 'p1' expired on 2026-04-04; its credits have lapsed and cannot be refunded"
    refused(
        lambda: refund(book.state, "p1", as_of=late, actor=ADMIN),
        book,
        code="package_expired",
        message=message,
    )
    refused(
        lambda: assign(book.state, "p1", "daycare_full", 1, as_of=late, actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-04-04; packages cannot be unexpired",
    )
    # the first 23:30 (-03:00) is before the expiry: the refund is allowed then
    early = late.replace(fold=0)
    outcome = book(refund(book.state, "p1", as_of=early, actor=ADMIN))
    assert str(outcome.own[0].amount) == "50.00"  # type: ignore[union-attr]


def test_issue10_item2_an_aware_time_in_another_zone_is_the_same_instant() -> None:
    book = Book()
    book.buy(THREE, when=at(3, 1))
    in_utc = dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
    outcome = book(checkout(book.state, daycare_cart(2), booking="t", as_of=in_utc, timezone=NY))
    assert outcome.own[0].at.isoformat() == "2026-03-02T09:00:00-05:00"
