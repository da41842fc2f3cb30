"""Notifications due (section L): an expiry reminder N days before the expiry date, never when no
credit is left; a low-balance notice when the credits left reach the threshold; each due once."""

from __future__ import annotations

import datetime as dt

import attrs
from lifecycle_kit import ADMIN, MONTHLY, NY, PASS10, Book, at, daycare_cart

from punchcard.lifecycle import (
    Notification,
    assign,
    checkout,
    deduct,
    edit_expiry,
    notifications_due,
)


def _due(book: Book, when: dt.datetime, sent: frozenset[str] = frozenset()) -> list[Notification]:
    return list(notifications_due(book.state.packages, as_of=when, sent=sent))


def test_expiry_reminder_is_due_n_days_before_from_local_midnight() -> None:
    book = Book()
    book.buy(PASS10)  # expires Mar 31, reminder 7 days before: from Mar 24 00:00 local
    assert _due(book, at(3, 23, 23, 59)) == []
    (note,) = _due(book, at(3, 24, 0, 0))
    assert (note.kind, note.package_id, note.owner, note.remaining) == (
        "expiry_reminder",
        "p1",
        "smith",
        10,
    )
    assert note.expires_on == dt.date(2026, 3, 31)
    assert note.due_at.isoformat() == "2026-03-24T00:00:00-04:00"
    assert note.key == "expiry_reminder:p1:2026-03-31"


def test_each_notification_is_due_once() -> None:
    book = Book()
    book.buy(PASS10)
    sent = frozenset(n.key for n in _due(book, at(3, 24)))
    assert _due(book, at(3, 25), sent) == []


def test_no_expiry_reminder_when_no_credit_is_left() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, low_balance_threshold=None))
    book(checkout(book.state, daycare_cart(2, units=10), booking="t", as_of=at(3, 2), timezone=NY))
    assert _due(book, at(3, 25)) == []


def test_no_notice_after_expiry_or_for_a_subscription() -> None:
    book = Book()
    book.buy(PASS10)
    assert _due(book, at(3, 31, 23, 59)) == []
    sub = Book()
    sub.buy(attrs.evolve(MONTHLY, reminder_days=3))
    assert _due(sub, at(3, 30)) == []


def test_a_moved_expiry_date_makes_a_new_reminder_due() -> None:
    book = Book()
    book.buy(PASS10)
    sent = frozenset(n.key for n in _due(book, at(3, 24)))
    book(edit_expiry(book.state, "p1", dt.date(2026, 4, 30), as_of=at(3, 25)))
    assert _due(book, at(3, 26), sent) == []
    (note,) = _due(book, at(4, 23), sent)
    assert note.key == "expiry_reminder:p1:2026-04-30"


def test_low_balance_when_the_credits_left_reach_the_threshold() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, reminder_days=None))  # threshold 2
    book(checkout(book.state, daycare_cart(2, units=7), booking="t1", as_of=at(3, 2), timezone=NY))
    assert _due(book, at(3, 3)) == []  # 3 left
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 4), actor=ADMIN))
    (note,) = _due(book, at(3, 5))
    assert (note.kind, note.remaining, note.key) == ("low_balance", 2, "low_balance:p1:10")
    assert note.due_at.isoformat() == "2026-03-04T09:00:00-05:00"
    sent = frozenset({note.key})
    book(checkout(book.state, daycare_cart(6), booking="t2", as_of=at(3, 6), timezone=NY))
    assert _due(book, at(3, 7), sent) == []  # still low, already sent


def test_low_balance_is_armed_again_by_new_credits() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, reminder_days=None))
    book(checkout(book.state, daycare_cart(2, units=9), booking="t1", as_of=at(3, 2), timezone=NY))
    sent = frozenset(n.key for n in _due(book, at(3, 3)))
    book(assign(book.state, "p1", "daycare_full", 3, as_of=at(3, 4), actor=ADMIN))
    assert _due(book, at(3, 5), sent) == []  # 4 left
    book(checkout(book.state, daycare_cart(6, units=2), booking="t2", as_of=at(3, 6), timezone=NY))
    (note,) = _due(book, at(3, 7), sent)
    assert note.key == "low_balance:p1:13"


def test_a_package_sold_at_the_threshold_is_not_low_at_the_sale() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, low_balance_threshold=10, reminder_days=None))
    assert _due(book, at(3, 2)) == []
    book(checkout(book.state, daycare_cart(2), booking="t", as_of=at(3, 2), timezone=NY))
    assert [n.kind for n in _due(book, at(3, 3))] == ["low_balance"]
