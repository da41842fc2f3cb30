"""The world as of t (issue 10 item 3): every operation at time t first sees what is already true
at t, whether or not a sweep recorded it (held credits whose time passed are used, packages past
their expiry moment are expired, subscriptions past a renewal moment are renewed), and records
those catch-up events first in its outcome, so the ledger stays the truth."""

from __future__ import annotations

import datetime as dt

from lifecycle_kit import ADMIN, MONTHLY, NY, PASS10, THREE, Book, at, daycare_cart, refused

from punchcard import Settings
from punchcard.lifecycle import (
    Business,
    PackageExpired,
    RedemptionRecorded,
    RedemptionUsed,
    SubscriptionRenewed,
    balances_report,
    catch_up,
    checkout,
    delete,
    package_at,
    refund,
    state_as_of,
    use,
)

AFTER_USE = Business(settings=Settings(refund_after_use=True))


def _held_for_mar_5(book: Book, package: str = "p1") -> None:
    """Book one day of daycare on Mar 2 for Mar 5, 08:00 (credits held)."""
    book.hold(5, booking="appt", as_of=at(3, 2), scheduled_for=at(3, 5, 8))
    assert book.state.package(package).component("daycare_full").held == 1


def test_issue10_item3_refund_after_use_is_allowed_once_the_appointment_time_passed() -> None:
    book = Book()
    book.buy(THREE)
    _held_for_mar_5(book)
    # before the appointment the credit is held: the refund is refused
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 4), actor=ADMIN, business=AFTER_USE),
        book,
        code="credits_held",
        message="package 'p1' has 1 credits held for bookings; cancel or use them first",
    )
    # after it, the credit is used (no sweep ran): without refund_after_use it is "used"...
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 6), actor=ADMIN),
        book,
        code="used",
        message="package 'p1' has been used; refunds after use need the refund_after_use setting",
    )
    # ... and with it the refund goes through, the use recorded first
    outcome = book(refund(book.state, "p1", as_of=at(3, 6), actor=ADMIN, business=AFTER_USE))
    (used,) = outcome.catch_up
    assert isinstance(used, RedemptionUsed)
    assert (used.reason, used.at.isoformat()) == ("time_passed", "2026-03-05T08:00:00-05:00")
    assert [type(e).__name__ for e in outcome.own] == ["PackageRefunded"]
    assert str(outcome.own[0].amount) == "66.66"  # type: ignore[union-attr]
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.used, daycare.held, daycare.refunded) == (1, 0, 2)
    assert book.replayed() == book.state


def test_issue10_item3_delete_refuses_used_once_the_appointment_time_passed() -> None:
    book = Book()
    book.buy(PASS10)
    _held_for_mar_5(book)
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 4)),
        book,
        code="credits_held",
        message="package 'p1' cannot be deleted: 1 credits are held for bookings",
    )
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 5, 8)),
        book,
        code="used",
        message="package 'p1' cannot be deleted: credits of it were used",
    )


def test_issue10_item3_the_balances_report_shows_a_passed_appointment_used() -> None:
    book = Book()
    book.buy(PASS10)
    _held_for_mar_5(book)
    (before,) = balances_report(book.state.packages, as_of=at(3, 5, 7, 59))
    assert (before.remaining, before.held, before.used) == (9, 1, 0)
    (after,) = balances_report(book.state.packages, as_of=at(3, 5, 8))
    assert (after.remaining, after.held, after.used) == (9, 0, 1)
    # the package as it stands then, recorded or not
    seen = package_at(book.state.package("p1"), as_of=at(3, 6))
    assert seen.component("daycare_full").used == 1
    assert seen.version == book.state.package("p1").version + 1


def test_issue10_item3_checkout_after_a_renewal_moment_uses_the_new_period() -> None:
    """No one called renew: the Mar 2 checkout sees period 2 (it began after Feb 27, 23:59)."""
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))  # 8 days a month
    book(checkout(book.state, daycare_cart(2, units=8), booking="t1", as_of=at(2, 2), timezone=NY))
    assert book.state.package("p1").remaining("daycare_full") == 0
    outcome = book(
        checkout(book.state, daycare_cart(3, units=2), booking="t2", as_of=at(3, 2), timezone=NY)
    )
    (renewed,) = outcome.catch_up
    assert isinstance(renewed, SubscriptionRenewed)
    assert (renewed.period, renewed.at.isoformat()) == (2, "2026-02-27T23:59:00-05:00")
    assert [type(e) for e in outcome.own] == [RedemptionRecorded]
    assert str(outcome.application.covered) == "60.00"
    package = book.state.package("p1")
    assert (package.period, package.remaining("daycare_full")) == (2, 6)
    assert [e.seq for e in outcome.events] == [3, 4]  # the renewal first


def test_issue10_item3_an_expired_package_is_expired_first_and_not_used() -> None:
    book = Book()
    book.buy(PASS10, "old", when=at(3, 1))  # expires Mar 31
    book.buy(THREE, "new", when=at(3, 2))  # never expires
    outcome = book(
        checkout(book.state, daycare_cart(1), booking="t", as_of=at(4, 1, 9), timezone=NY)
    )
    (expired,) = outcome.catch_up
    assert isinstance(expired, PackageExpired)
    assert (expired.package_id, expired.at.isoformat()) == ("old", "2026-03-31T23:59:00-04:00")
    assert [e.package_id for e in outcome.own] == ["new"]
    assert book.state.package("old").status == "expired"
    assert state_as_of(book.events, at(4, 1)).package("old").status == "expired"


def test_issue10_item3_use_after_the_time_passed_records_the_use_at_its_time() -> None:
    book = Book()
    book.buy(PASS10)
    _held_for_mar_5(book)
    outcome = book(use(book.state, "appt", as_of=at(3, 5, 17), reason="completed"))
    (used,) = outcome.events
    assert outcome.caught_up == 1
    assert isinstance(used, RedemptionUsed)
    assert (used.reason, used.at.isoformat()) == ("time_passed", "2026-03-05T08:00:00-05:00")
    refused(
        lambda: use(book.state, "appt", as_of=at(3, 5, 18)),
        book,
        code="already_used",
        message="the credits of 'appt' are already used",
    )


def test_issue10_item3_only_the_packages_an_operation_reads_are_caught_up() -> None:
    book = Book()
    book.buy(PASS10, "mine")
    book.buy(PASS10, "theirs", owner="jones")
    outcome = book(checkout(book.state, daycare_cart(2), booking="t", as_of=at(4, 5), timezone=NY))
    assert {e.package_id for e in outcome.catch_up} == {"mine"}
    assert book.state.package("theirs").status == "active"
    # the nightly catch-up records the rest
    night = book(catch_up(book.state, as_of=at(4, 6)))
    assert [(type(e).__name__, e.package_id) for e in night.events] == [
        ("PackageExpired", "theirs")
    ]
    assert catch_up(book.state, as_of=at(4, 7)).events == ()


def test_catch_up_records_each_package_in_the_order_its_events_took_effect() -> None:
    book = Book()
    book.buy(PASS10)  # expires Mar 31
    book.hold(30, 31, booking="a", as_of=at(3, 2), scheduled_for=at(3, 30, 8))
    book.hold(31, booking="b", as_of=at(3, 3), scheduled_for=at(3, 31, 7))
    outcome = book(catch_up(book.state, as_of=at(4, 2)))
    assert [(type(e).__name__, e.at.isoformat()) for e in outcome.events] == [
        ("RedemptionUsed", "2026-03-30T08:00:00-04:00"),
        ("RedemptionUsed", "2026-03-30T08:00:00-04:00"),
        ("RedemptionUsed", "2026-03-31T07:00:00-04:00"),
        ("PackageExpired", "2026-03-31T23:59:00-04:00"),
    ]
    assert [e.seq for e in outcome.events] == [5, 6, 7, 8]
    assert outcome.caught_up == 4
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.used, daycare.held, daycare.expired) == (3, 0, 7)
    assert book.replayed() == book.state
    assert dt.date(2026, 3, 31) == book.state.package("p1").expires_on
