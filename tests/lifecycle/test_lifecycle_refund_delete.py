"""Refund and delete (section L): refund allowed while unused, after use only with
``refund_after_use``, the amount exact to the minor unit; delete refused once any credit was used
or manually removed."""

from __future__ import annotations

import pytest
from lifecycle_kit import ADMIN, BUNDLE, DESK, NY, PASS10, THREE, Book, at, daycare_cart, refused

from punchcard import Money, Settings
from punchcard.lifecycle import (
    Actor,
    Business,
    PackageRefunded,
    PermissionDenied,
    assign,
    cancel,
    checkout,
    deduct,
    delete,
    expire,
    refund,
    refund_quote,
    revenue,
)

AFTER_USE = Business(settings=Settings(refund_after_use=True))


def _use(book: Book, n: int, booking: str = "t1", when=None) -> None:  # type: ignore[no-untyped-def]
    book(
        checkout(
            book.state,
            daycare_cart(3, units=n),
            booking=booking,
            as_of=when or at(3, 3),
            timezone=NY,
        )
    )


def test_refund_of_an_unused_package_pays_back_the_price() -> None:
    book = Book()
    book.buy(PASS10)
    outcome = book(refund(book.state, "p1", as_of=at(3, 2), actor=ADMIN))
    (event,) = outcome.events
    assert isinstance(event, PackageRefunded)
    assert event.amount == Money("250.00", "USD")
    assert event.actor == "admin"
    package = book.state.package("p1")
    assert package.status == "refunded"
    assert package.refunded_amount == Money("250", "USD")
    daycare = package.component("daycare_full")
    assert (daycare.remaining, daycare.refunded, daycare.granted) == (0, 10, 10)


def test_refund_after_use_is_refused_without_the_setting() -> None:
    book = Book()
    book.buy(PASS10)
    _use(book, 1)
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 4), actor=ADMIN),
        book,
        code="used",
        message="package 'p1' has been used; refunds after use need the refund_after_use setting",
    )


def test_refund_after_use_with_the_setting_pays_the_credits_left_exactly() -> None:
    # $100 for 3 credits: 33.34 + 33.33 + 33.33; one used (the first part), two left.
    book = Book()
    book.buy(THREE)
    assert refund_quote(book.state.package("p1")) == Money("100.00", "USD")
    _use(book, 1)
    assert refund_quote(book.state.package("p1")) == Money("66.66", "USD")
    outcome = book(refund(book.state, "p1", as_of=at(3, 4), actor=ADMIN, business=AFTER_USE))
    assert outcome.events[0].amount == Money("66.66", "USD")  # type: ignore[union-attr]
    money = revenue(book.state.package("p1"))
    assert (money.used, money.refunded) == (Money("33.34", "USD"), Money("66.66", "USD"))


def test_refund_of_a_bundle_is_exact_per_component() -> None:
    # $200 shared 5:2 -> grooming 142.86, shampoo 57.14; one grooming redeemed.
    book = Book()
    book.buy(BUNDLE, "b1")
    from punchcard import Cart, Line

    cart = Cart("smith", "downtown", "USD", [Line("g", "grooming", Money("50", "USD"))])
    book(checkout(book.state, cart, booking="t", as_of=at(3, 3), timezone=NY))
    quote = refund_quote(book.state.package("b1"))
    # grooming: 142.86 / 5 = 28.58 x1 + 28.57 x4 -> the first (28.58) is used
    assert quote == Money("171.42", "USD")
    assert quote + Money("28.58", "USD") == Money("200.00", "USD")


def test_assigned_credits_are_free_and_do_not_raise_the_refund() -> None:
    book = Book()
    book.buy(THREE)
    book(assign(book.state, "p1", "daycare_full", 2, as_of=at(3, 2), actor=ADMIN, note="sorry"))
    assert refund_quote(book.state.package("p1")) == Money("100.00", "USD")
    _use(book, 2)
    # paid credits leave first: 2 of the 3 paid ones are used, 1 paid + 2 free left
    assert refund_quote(book.state.package("p1")) == Money("33.33", "USD")


def test_refund_needs_the_deduct_refund_permission() -> None:
    book = Book()
    book.buy(PASS10)
    err = refused(
        lambda: refund(book.state, "p1", as_of=at(3, 2), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )
    assert isinstance(err, PermissionDenied)
    assert isinstance(err, LookupError)
    assert err.permission == "deduct_refund_credits"
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 2), actor=None),
        book,
        code="",
        message="no actor was given and the operation needs the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )


def test_refund_with_credits_held_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(9, booking="a", as_of=at(3, 2), scheduled_for=at(3, 9))
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 3), actor=ADMIN, business=AFTER_USE),
        book,
        code="credits_held",
        message="package 'p1' has 1 credits held for bookings; cancel or use them first",
    )
    book(cancel(book.state, "a", as_of=at(3, 4)))
    book(refund(book.state, "p1", as_of=at(3, 5), actor=ADMIN))  # unused again: allowed
    assert book.state.package("p1").refunded_amount == Money("250", "USD")


def test_refund_twice_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    book(refund(book.state, "p1", as_of=at(3, 2), actor=ADMIN))
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 3), actor=ADMIN),
        book,
        code="already_refunded",
        message="package 'p1' was already refunded",
    )


def test_refund_of_an_expired_package_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    refused(
        lambda: refund(book.state, "p1", as_of=at(4, 1), actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; its credits have lapsed and cannot be "
        "refunded",
    )
    book(expire(book.state, as_of=at(4, 1)))
    refused(
        lambda: refund(book.state, "p1", as_of=at(4, 2), actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; its credits have lapsed and cannot be "
        "refunded",
    )


def test_refund_of_an_unknown_package_is_refused() -> None:
    book = Book()
    refused(
        lambda: refund(book.state, "nope", as_of=at(3, 2), actor=ADMIN),
        book,
        code="unknown_package",
        message="there is no package 'nope'",
    )


def test_delete_an_unused_package() -> None:
    book = Book()
    book.buy(PASS10)
    outcome = book(delete(book.state, "p1", as_of=at(3, 2), actor=Actor("ann")))
    assert book.state.package("p1").status == "deleted"
    assert outcome.events[0].actor == "ann"
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 3)),
        book,
        code="already_deleted",
        message="package 'p1' was already deleted",
    )
    refused(
        lambda: assign(book.state, "p1", "daycare_full", 1, as_of=at(3, 3), actor=ADMIN),
        book,
        code="package_deleted",
        message="package 'p1' was deleted",
    )


def test_delete_is_refused_once_a_credit_was_used() -> None:
    book = Book()
    book.buy(PASS10)
    _use(book, 1)
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 4)),
        book,
        code="used",
        message="package 'p1' cannot be deleted: credits of it were used",
    )


def test_delete_is_refused_once_a_credit_was_removed_by_hand() -> None:
    book = Book()
    book.buy(PASS10)
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 2), actor=ADMIN))
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 4)),
        book,
        code="credits_removed",
        message="package 'p1' cannot be deleted: credits were removed from it by hand",
    )


def test_delete_is_refused_while_credits_are_held() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(9, booking="a", as_of=at(3, 2), scheduled_for=at(3, 9))
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 4)),
        book,
        code="credits_held",
        message="package 'p1' cannot be deleted: 1 credits are held for bookings",
    )


@pytest.mark.parametrize("business", [Business(), AFTER_USE])
def test_refund_amount_plus_used_value_is_the_price(business: Business) -> None:
    book = Book()
    book.buy(THREE)
    if business.settings.refund_after_use:
        _use(book, 2)
    outcome = book(refund(book.state, "p1", as_of=at(3, 9), actor=ADMIN, business=business))
    money = revenue(book.state.package("p1"))
    assert money.used + money.refunded == Money("100", "USD")
    assert money.refunded == outcome.events[0].amount  # type: ignore[union-attr]
