"""Holds, uses and cancellations (section L): a redemption is held for a future appointment or an
open ticket and used once the ticket is closed, the appointment completed, or its time passed;
cancelling restores exactly the credits its redemptions took, once."""

from __future__ import annotations

import datetime as dt

import attrs
from lifecycle_kit import NY, PASS10, THREE, Book, at, daycare_cart, refused

from punchcard import Cart, Line, Money, Settings, apply
from punchcard.lifecycle import (
    Business,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    cancel,
    checkout,
    hold,
    use,
    use_due,
    uses_due,
)


def test_hold_records_held_credits_as_the_engine_decides() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    cart = daycare_cart(5, 6, cart_id="cart-9")
    engine = apply(cart, [book.state.package("p1").as_package()], as_of=at(3, 5, 8), timezone=NY)
    outcome = book(
        hold(
            book.state,
            cart,
            booking="appt-1",
            as_of=at(3, 2),
            scheduled_for=at(3, 5, 8),
            timezone=NY,
        )
    )
    assert outcome.application == engine
    assert [type(e) for e in outcome.events] == [RedemptionRecorded, RedemptionRecorded]
    first = outcome.events[0]
    assert isinstance(first, RedemptionRecorded)
    assert (first.booking, first.line_id, first.credits, first.status, first.cart_id) == (
        "appt-1",
        "d5",
        1,
        "held",
        "cart-9",
    )
    # one event per redemption of the engine, with its line, package, item, credits and amount
    assert [(e.line_id, e.package_id, e.item, e.credits, e.amount) for e in outcome.events] == [
        (r.line_id, r.package_id, r.item, r.credits, r.amount) for r in engine.redemptions
    ]
    assert first.amount == Money("30", "USD")
    assert first.at.isoformat() == "2026-03-02T09:00:00-05:00"
    assert first.scheduled_for.isoformat() == "2026-03-05T08:00:00-05:00"
    package = book.state.package("p1")
    daycare = package.component("daycare_full")
    assert (daycare.remaining, daycare.held, daycare.used) == (8, 2, 0)
    assert [r.status for r in package.redemptions] == ["held", "held"]


def test_hold_takes_the_same_credits_as_apply_fifo_across_packages() -> None:
    book = Book()
    book.buy(THREE, "old", when=at(2, 1))
    book.buy(PASS10, "new", when=at(2, 2))
    cart = daycare_cart(5, units=5)
    outcome = book(hold(book.state, cart, booking="b", as_of=at(3, 2), timezone=NY))
    assert outcome.application is not None
    expected = [(r.package_id, r.credits) for r in outcome.application.redemptions]
    assert expected == [("old", 3), ("new", 2)]
    got = [(e.package_id, e.credits) for e in outcome.events if isinstance(e, RedemptionRecorded)]
    assert got == expected
    assert book.state.package("old").component("daycare_full").held == 3
    assert book.state.package("new").component("daycare_full").held == 2


def test_hold_judges_expiry_at_the_scheduled_time() -> None:
    # PASS10 bought Mar 1 expires Mar 31 (23:59): an appointment on Apr 1 gets no credit.
    book = Book()
    book.buy(PASS10)
    outcome = book.hold(1, booking="late", as_of=at(3, 20), scheduled_for=at(4, 1, 8))
    assert outcome.events == ()
    assert outcome.application is not None
    assert [r.reason for r in outcome.application.rejections] == ["expired"]
    assert book.state.package("p1").total_remaining == 10


def test_hold_ignores_packages_bought_after_the_booking() -> None:
    # Bought on Mar 10; a booking made on Mar 9 for Mar 12 does not see it, although the engine
    # alone would (the package is valid on Mar 12).
    book = Book()
    book.buy(PASS10, "p1", when=at(3, 10))
    outcome = book.hold(1, booking="b", as_of=at(3, 9), scheduled_for=at(3, 12))
    assert outcome.events == ()
    assert (
        len(
            apply(
                daycare_cart(1),
                [book.state.package("p1").as_package()],
                as_of=at(3, 12),
                timezone=NY,
            ).redemptions
        )
        == 1
    )


def test_hold_twice_for_the_same_line_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5)
    refused(
        lambda: hold(
            book.state, daycare_cart(5), booking="appt-1", as_of=at(3, 2, 10), timezone=NY
        ),
        book,
        code="already_redeemed",
        message="line 'd5' of booking 'appt-1' already has credits held from package 'p1'; "
        "cancel it first",
    )


def test_first_hold_starts_a_first_use_countdown_like_the_engine() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, expiry_starts="first_use"))
    before = book.state.package("p1").as_package()
    book.hold(5, scheduled_for=at(3, 5, 8))
    engine = apply(daycare_cart(5), [before], as_of=at(3, 5, 8), timezone=NY).package("p1")
    package = book.state.package("p1")
    assert package.expires_on == engine.expires_on == dt.date(2026, 4, 4)
    assert package.first_used_at == engine.first_used_at


def test_checkout_records_used_credits_at_once() -> None:
    book = Book()
    book.buy(PASS10)
    outcome = book(
        checkout(book.state, daycare_cart(3), booking="ticket-7", as_of=at(3, 3, 17), timezone=NY)
    )
    (event,) = outcome.events
    assert isinstance(event, RedemptionRecorded)
    assert (event.status, event.booking_kind) == ("used", "ticket")
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.held, daycare.used, daycare.remaining) == (0, 1, 9)


def test_use_marks_held_credits_used() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5, 6)
    outcome = book(use(book.state, "appt-1", as_of=at(3, 5, 17), reason="completed"))
    assert [type(e) for e in outcome.events] == [RedemptionUsed, RedemptionUsed]
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.held, daycare.used, daycare.remaining) == (0, 2, 8)


def test_use_refusals() -> None:
    book = Book()
    book.buy(PASS10)
    refused(
        lambda: use(book.state, "nope", as_of=at(3, 5)),
        book,
        code="unknown_booking",
        message="no credits were redeemed for 'nope'",
    )
    book.hold(5)
    book(use(book.state, "appt-1", as_of=at(3, 5, 17)))
    refused(
        lambda: use(book.state, "appt-1", as_of=at(3, 5, 18)),
        book,
        code="already_used",
        message="the credits of 'appt-1' are already used",
    )
    book.hold(7, booking="appt-2", as_of=at(3, 6), scheduled_for=at(3, 7, 8))
    book(cancel(book.state, "appt-2", as_of=at(3, 6, 12)))
    refused(
        lambda: use(book.state, "appt-2", as_of=at(3, 7, 18)),
        book,
        code="already_cancelled",
        message="booking 'appt-2' was already cancelled; nothing to restore",
    )


def test_uses_due_tells_which_holds_are_used_as_of_a_time() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5, booking="a", scheduled_for=at(3, 5, 8))
    book.hold(9, booking="b", scheduled_for=at(3, 9, 8))
    assert [r.booking for _p, r in uses_due(book.state.packages, as_of=at(3, 5, 7, 59))] == []
    assert [r.booking for _p, r in uses_due(book.state.packages, as_of=at(3, 5, 8))] == ["a"]
    record = book.state.package("p1").redemptions[1]
    assert record.status_at(at(3, 9, 8).replace(tzinfo=record.scheduled_for.tzinfo)) == "used"
    outcome = book(use_due(book.state, as_of=at(3, 10)))
    assert [(e.booking, e.reason, e.at.isoformat()) for e in outcome.events] == [  # type: ignore[union-attr]
        ("a", "time_passed", "2026-03-05T08:00:00-05:00"),
        ("b", "time_passed", "2026-03-09T08:00:00-04:00"),  # after the DST change of Mar 8
    ]
    assert book.state.package("p1").component("daycare_full").used == 2
    assert book.replayed() == book.state
    assert use_due(book.state, as_of=at(3, 11)).events == ()


def test_cancel_restores_exactly_the_credits_held() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5, 6, 7)
    outcome = book(cancel(book.state, "appt-1", as_of=at(3, 3)))
    assert [type(e) for e in outcome.events] == [RedemptionCancelled] * 3
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.remaining, daycare.held, daycare.used) == (10, 0, 0)


def test_cancel_restores_used_credits_too() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5)
    book(use(book.state, "appt-1", as_of=at(3, 5, 17)))
    outcome = book(cancel(book.state, "appt-1", as_of=at(3, 6)))
    (event,) = outcome.events
    assert isinstance(event, RedemptionCancelled)
    assert event.was == "used"
    assert book.state.package("p1").component("daycare_full").remaining == 10


def test_cancel_across_two_packages_restores_each_its_own() -> None:
    book = Book()
    book.buy(THREE, "old", when=at(2, 1))
    book.buy(PASS10, "new", when=at(2, 2))
    book(hold(book.state, daycare_cart(5, units=5), booking="b", as_of=at(3, 2), timezone=NY))
    book(cancel(book.state, "b", as_of=at(3, 3)))
    assert book.state.package("old").remaining("daycare_full") == 3
    assert book.state.package("new").remaining("daycare_full") == 10


def test_cancel_one_line_of_a_booking() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5, 6, 7)
    book(cancel(book.state, "appt-1", line_id="d6", as_of=at(3, 3)))
    statuses = {r.line_id: r.status for r in book.state.package("p1").redemptions}
    assert statuses == {"d5": "held", "d6": "cancelled", "d7": "held"}
    # the line may be booked again, and only once
    book(hold(book.state, daycare_cart(6), booking="appt-1", as_of=at(3, 3, 10), timezone=NY))
    assert book.state.package("p1").component("daycare_full").held == 3


def test_a_second_cancel_never_restores_twice() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5)
    book(cancel(book.state, "appt-1", as_of=at(3, 3)))
    refused(
        lambda: cancel(book.state, "appt-1", as_of=at(3, 3, 10)),
        book,
        code="already_cancelled",
        message="booking 'appt-1' was already cancelled; nothing to restore",
    )
    assert book.state.package("p1").remaining("daycare_full") == 10


def test_cancel_of_an_unknown_booking_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    refused(
        lambda: cancel(book.state, "ghost", as_of=at(3, 3)),
        book,
        code="unknown_booking",
        message="no credits were redeemed for 'ghost'",
    )


def test_cancel_after_expiry_expires_the_restored_credits_by_default() -> None:
    book = Book()
    book.buy(PASS10)  # expires Mar 31
    book.hold(31, scheduled_for=at(3, 31, 8))
    outcome = book(cancel(book.state, "appt-1", as_of=at(4, 2)))
    (event,) = outcome.own
    assert isinstance(event, RedemptionCancelled)
    assert event.expired == 1
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.held, daycare.used, daycare.remaining, daycare.expired) == (0, 0, 0, 10)


def test_cancel_after_expiry_can_be_refused_by_policy() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(31, scheduled_for=at(3, 31, 8))
    refused(
        lambda: cancel(
            book.state, "appt-1", as_of=at(4, 2), business=Business(cancel_after_expiry="refuse")
        ),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; its credits cannot be restored "
        "(cancel_after_expiry='refuse')",
    )


def test_cancel_on_a_refunded_package_is_refused() -> None:
    from lifecycle_kit import ADMIN

    from punchcard.lifecycle import refund

    book = Book()
    book.buy(PASS10)
    book(checkout(book.state, daycare_cart(3), booking="t1", as_of=at(3, 3), timezone=NY))
    book(
        refund(
            book.state,
            "p1",
            as_of=at(3, 4),
            actor=ADMIN,
            business=Business(settings=Settings(refund_after_use=True)),
        )
    )
    refused(
        lambda: cancel(book.state, "t1", as_of=at(3, 5)),
        book,
        code="package_refunded",
        message="package 'p1' was refunded; its credits cannot be restored",
    )


def test_events_before_the_last_event_of_a_package_are_refused() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(5, as_of=at(3, 2, 12))
    refused(
        lambda: cancel(book.state, "appt-1", as_of=at(3, 2, 11)),
        book,
        code="out_of_order",
        message="2026-03-02T11:00:00-05:00 is before the last event of package 'p1' "
        "(2026-03-02T12:00:00-05:00); events are recorded in time order",
    )


def test_hourly_hold_takes_one_credit_per_hour() -> None:
    from lifecycle_kit import BUNDLE

    from punchcard.lifecycle import PackageType, TypeComponent

    walks = PackageType(
        id="walk-10",
        name="10 walk hours",
        price=Money("100", "USD"),
        components=[TypeComponent("walk", 10, hourly=True)],
    )
    book = Book()
    assert walks.hourly
    assert not BUNDLE.hourly
    book.buy(walks, "w1")
    book.buy(BUNDLE, "b1")
    cart = Cart(
        "smith",
        "downtown",
        "USD",
        [Line("l1", "walk", Money("20", "USD"), units=3, charge_by="hour")],
    )
    book(hold(book.state, cart, booking="walks", as_of=at(3, 2), timezone=NY))
    assert book.state.package("w1").component("walk").held == 3
    assert book.state.package("b1").total_remaining == 7


def test_issue9_two_owners_one_booking_id_cancel_and_use_need_the_owner() -> None:
    """Issue 9, cross-owner actions: two families booked under the same id ``appt-1``. Without
    ``owner`` a cancel or a use is refused naming ``owner`` (it would touch both families'
    credits); with it, only that owner's redemptions move."""
    import pytest

    from punchcard import InvalidValueError

    book = Book()
    book.buy(PASS10, "p1", owner="smith")
    book.buy(PASS10, "p2", owner="jones")
    for owner in ("smith", "jones"):
        cart = daycare_cart(5, owner=owner)
        book(hold(book.state, cart, booking="appt-1", as_of=at(3, 2), timezone=NY))
    before = book.state
    for operation in (cancel, use):
        with pytest.raises(InvalidValueError, match=r"^owner: booking 'appt-1' has .* 2 owners"):
            operation(book.state, "appt-1", as_of=at(3, 3))
    assert book.state == before
    book(cancel(book.state, "appt-1", as_of=at(3, 3), owner="jones"))
    assert book.state.package("p2").component("daycare_full").remaining == 10
    assert book.state.package("p1").component("daycare_full").held == 1
    book(use(book.state, "appt-1", as_of=at(3, 3), owner="smith"))
    assert book.state.package("p1").component("daycare_full").used == 1
    assert book.replayed() == book.state
