"""Manual assign and deduct, gated by permissions, and editing the expiry date (section L:
packages cannot be unexpired)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from lifecycle_kit import ADMIN, DESK, MONTHLY, NY, PASS10, Book, at, daycare_cart, refused

from punchcard.errors import InvalidTypeError, InvalidValueError
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    Actor,
    CreditsAssigned,
    CreditsDeducted,
    ExpiryChanged,
    PermissionDenied,
    assign,
    deduct,
    edit_expiry,
    expire,
    hold,
)


def test_assign_adds_free_credits_with_the_permission() -> None:
    book = Book()
    book.buy(PASS10)
    staff = Actor("ann", {ASSIGN_CREDITS})
    outcome = book(
        assign(book.state, "p1", "daycare_full", 3, as_of=at(3, 2), actor=staff, note="goodwill")
    )
    (event,) = outcome.events
    assert isinstance(event, CreditsAssigned)
    assert (event.credits, event.note, event.actor) == (3, "goodwill", "ann")
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.granted, daycare.remaining) == (13, 13)
    assert book.state.package("p1").paid_credits == 10


def test_assign_without_the_permission_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    for actor in (DESK, Actor("bob", {DEDUCT_REFUND_CREDITS})):
        err = refused(
            lambda actor=actor: assign(
                book.state, "p1", "daycare_full", 1, as_of=at(3, 2), actor=actor
            ),
            book,
            code="",
            message=f"actor {actor.id!r} lacks the permission 'assign_credits'",
            error=PermissionDenied,
        )
        assert err.permission == "assign_credits"  # type: ignore[attr-defined]


def test_deduct_removes_credits_with_the_permission() -> None:
    book = Book()
    book.buy(PASS10)
    outcome = book(
        deduct(
            book.state,
            "p1",
            "daycare_full",
            2,
            as_of=at(3, 2),
            actor=Actor("bob", {DEDUCT_REFUND_CREDITS}),
        )
    )
    assert isinstance(outcome.events[0], CreditsDeducted)
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.remaining, daycare.deducted) == (8, 2)


def test_deduct_without_the_permission_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    err = refused(
        lambda: deduct(
            book.state,
            "p1",
            "daycare_full",
            1,
            as_of=at(3, 2),
            actor=Actor("ann", {ASSIGN_CREDITS}),
        ),
        book,
        code="",
        message="actor 'ann' lacks the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )
    assert err.permission == "deduct_refund_credits"  # type: ignore[attr-defined]


def test_permission_is_checked_before_anything_else() -> None:
    book = Book()
    refused(
        lambda: deduct(book.state, "ghost", "x", 1, as_of=at(3, 2), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )


def test_deduct_more_than_left_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    book(hold(book.state, daycare_cart(5, units=8), booking="a", as_of=at(3, 2), timezone=NY))
    refused(
        lambda: deduct(book.state, "p1", "daycare_full", 3, as_of=at(3, 3), actor=ADMIN),
        book,
        code="insufficient_credits",
        message="cannot deduct 3 credits of 'daycare_full' from package 'p1': 2 left",
    )


def test_adjusting_an_item_the_package_has_not_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    for op in (assign, deduct):
        refused(
            lambda op=op: op(book.state, "p1", "boarding", 1, as_of=at(3, 2), actor=ADMIN),
            book,
            code="unknown_item",
            message="package 'p1' has no component 'boarding' (it has ['daycare_full'])",
        )


def test_adjusting_an_expired_package_is_refused() -> None:
    book = Book()
    book.buy(PASS10)  # expires Mar 31 23:59
    refused(
        lambda: assign(book.state, "p1", "daycare_full", 1, as_of=at(3, 31, 23, 59), actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; packages cannot be unexpired",
    )
    book(assign(book.state, "p1", "daycare_full", 1, as_of=at(3, 31, 23, 58), actor=ADMIN))
    assert book.state.package("p1").remaining("daycare_full") == 11


@pytest.mark.parametrize("credits", [0, -1])
def test_adjusting_by_less_than_one_credit_is_an_input_error(credits: int) -> None:
    book = Book()
    book.buy(PASS10)
    with pytest.raises(InvalidValueError, match=r"^credits: must be a whole number >= 1"):
        assign(book.state, "p1", "daycare_full", credits, as_of=at(3, 2), actor=ADMIN)
    with pytest.raises(InvalidTypeError):
        deduct(book.state, "p1", "daycare_full", True, as_of=at(3, 2), actor=ADMIN)


def test_edit_expiry_moves_the_date() -> None:
    book = Book()
    book.buy(PASS10)
    outcome = book(
        edit_expiry(book.state, "p1", dt.date(2026, 4, 30), as_of=at(3, 20), actor=Actor("ann"))
    )
    (event,) = outcome.events
    assert isinstance(event, ExpiryChanged)
    assert (event.old, event.new, event.actor) == (
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
        "ann",
    )
    assert book.state.package("p1").expires_on == dt.date(2026, 4, 30)
    assert expire(book.state, as_of=at(4, 1)).events == ()


def test_edited_expiry_wins_over_a_first_use_countdown() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, expiry_starts="first_use"))
    book(edit_expiry(book.state, "p1", dt.date(2026, 3, 20), as_of=at(3, 2)))
    book(hold(book.state, daycare_cart(5), booking="a", as_of=at(3, 3), timezone=NY))
    package = book.state.package("p1")
    assert package.first_used_at is not None
    assert package.expires_on == dt.date(2026, 3, 20)


def test_edit_expiry_of_an_expired_package_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    # expired by time, before the sweep ran
    refused(
        lambda: edit_expiry(book.state, "p1", dt.date(2026, 5, 1), as_of=at(4, 1)),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; packages cannot be unexpired",
    )
    book(expire(book.state, as_of=at(4, 1)))
    refused(
        lambda: edit_expiry(book.state, "p1", dt.date(2026, 5, 1), as_of=at(4, 2)),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; packages cannot be unexpired",
    )


def test_edit_expiry_to_the_same_date_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    refused(
        lambda: edit_expiry(book.state, "p1", dt.date(2026, 3, 31), as_of=at(3, 2)),
        book,
        code="unchanged",
        message="package 'p1' already expires on 2026-03-31",
    )


def test_edit_expiry_of_a_subscription_is_refused() -> None:
    book = Book()
    book.buy(MONTHLY)
    refused(
        lambda: edit_expiry(book.state, "p1", dt.date(2026, 5, 1), as_of=at(3, 2)),
        book,
        code="subscription",
        message="package 'p1' is a subscription: its dates are its periods",
    )


def test_edit_expiry_needs_a_date() -> None:
    book = Book()
    book.buy(PASS10)
    with pytest.raises(InvalidTypeError, match=r"^expires_on: must be a datetime\.date"):
        edit_expiry(book.state, "p1", dt.datetime(2026, 5, 1), as_of=at(3, 2))
