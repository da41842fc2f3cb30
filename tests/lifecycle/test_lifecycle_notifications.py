"""Notifications due (section L): an expiry reminder N days before the expiry date, never when no
credit is left; a low-balance notice when the credits left reach the threshold; each due once."""

from __future__ import annotations

import datetime as dt

import attrs
from lifecycle_kit import ADMIN, MONTHLY, NY, PASS10, THREE, Book, at, daycare_cart

from punchcard.lifecycle import (
    Notification,
    TypeComponent,
    assign,
    checkout,
    deduct,
    edit_expiry,
    notifications_due,
    renew,
)
from punchcard.timeutil import zone


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
    assert (note.kind, note.remaining, note.key) == ("low_balance", 2, "low_balance:p1:1")
    assert note.due_at.isoformat() == "2026-03-04T09:00:00-05:00"
    sent = frozenset({note.key})
    book(checkout(book.state, daycare_cart(6), booking="t2", as_of=at(3, 6), timezone=NY))
    assert _due(book, at(3, 7), sent) == []  # still low, already sent


def test_issue10_item5_low_balance_is_due_once_per_package_not_again_after_new_credits() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, reminder_days=None))  # threshold 2
    book(checkout(book.state, daycare_cart(2, units=9), booking="t1", as_of=at(3, 2), timezone=NY))
    (note,) = _due(book, at(3, 3))
    assert note.due_at.isoformat() == "2026-03-02T09:00:00-05:00"
    sent = frozenset({note.key})
    book(assign(book.state, "p1", "daycare_full", 3, as_of=at(3, 4), actor=ADMIN))
    assert _due(book, at(3, 5)) == []  # 4 left: not low (nothing is sent while it is not)
    book(checkout(book.state, daycare_cart(6, units=2), booking="t2", as_of=at(3, 6), timezone=NY))
    assert _due(book, at(3, 7), sent) == []  # low again, but it was due once already
    assert [n.key for n in _due(book, at(3, 7))] == [note.key]


def test_issue10_item5_low_balance_never_because_of_a_sale_an_assignment_or_a_renewal() -> None:
    """A 2-credit monthly subscription with threshold 2 is not low after its sale nor after
    each renewal; a use in a period makes it low once in that period."""
    two = attrs.evolve(
        MONTHLY,
        components=[TypeComponent("daycare_full", 2)],
        low_balance_threshold=2,
        reminder_days=None,
    )
    book = Book()
    book.buy(two, when=at(1, 31, 12))
    assert _due(book, at(2, 1)) == []  # sold at the threshold
    book(assign(book.state, "p1", "daycare_full", 1, as_of=at(2, 2), actor=ADMIN))
    assert _due(book, at(2, 3)) == []
    book(renew(book.state, as_of=at(3, 1)))  # period 2: 2 credits (3 forfeited)
    assert book.state.package("p1").remaining("daycare_full") == 2
    assert _due(book, at(3, 2)) == []  # a renewal does not make it low
    book(checkout(book.state, daycare_cart(3), booking="t1", as_of=at(3, 3), timezone=NY))
    (note,) = _due(book, at(3, 4))
    assert (note.key, note.remaining) == ("low_balance:p1:2", 1)
    sent = frozenset({note.key})
    # period 3 (from Mar 31): not low, although its period-2 notice was never due again
    assert _due(book, at(4, 1), sent) == []
    book(checkout(book.state, daycare_cart(4), booking="t2", as_of=at(4, 2), timezone=NY))
    (again,) = _due(book, at(4, 3), sent)
    assert again.key == "low_balance:p1:3"


def test_issue10_item5_a_deduction_makes_the_balance_low() -> None:
    book = Book()
    book.buy(attrs.evolve(THREE, low_balance_threshold=1))
    book(deduct(book.state, "p1", "daycare_full", 2, as_of=at(3, 2), actor=ADMIN))
    (note,) = _due(book, at(3, 3))
    assert (note.kind, note.remaining) == ("low_balance", 1)
    assert book.state.package("p1").low_balance_at == at(3, 2).replace(tzinfo=zone(NY))


def test_a_package_sold_at_the_threshold_is_not_low_at_the_sale() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, low_balance_threshold=10, reminder_days=None))
    assert _due(book, at(3, 2)) == []
    book(checkout(book.state, daycare_cart(2), booking="t", as_of=at(3, 2), timezone=NY))
    assert [n.kind for n in _due(book, at(3, 3))] == ["low_balance"]
