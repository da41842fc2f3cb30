"""Decisions the spec leaves open, each pinned here or in the module named in docs/lifecycle.md
("Decisions")."""

from __future__ import annotations

import datetime as dt

import attrs
from lifecycle_kit import ADMIN, DESK, MONTHLY, NY, PASS10, Book, at, daycare_cart, refused

from punchcard import Money
from punchcard.lifecycle import (
    balances_report,
    cancel,
    checkout,
    delete,
    purchase,
    refund,
    renew,
)


def test_decision_cancel_does_not_undo_a_first_use_countdown() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, expiry_starts="first_use"))
    book.hold(5, booking="a", as_of=at(3, 2), scheduled_for=at(3, 5))
    book(cancel(book.state, "a", as_of=at(3, 3)))
    package = book.state.package("p1")
    assert package.total_used == package.total_held == 0
    assert package.expires_on == dt.date(2026, 4, 4)  # Mar 5 + 30, kept


def test_decision_delete_needs_no_permission_and_keeps_the_counts() -> None:
    book = Book()
    book.buy(PASS10)
    book(delete(book.state, "p1", as_of=at(3, 2), actor=DESK))
    package = book.state.package("p1")
    assert package.status == "deleted"
    assert package.total_remaining == 10
    assert all(c.conserved() for c in package.components)
    assert balances_report(book.state.packages, as_of=at(3, 3)) == ()


def test_decision_a_refunded_package_still_counts_as_bought_once_per_owner() -> None:
    once = attrs.evolve(PASS10, once_per_owner=True)
    book = Book()
    book.buy(once)
    book(refund(book.state, "p1", as_of=at(3, 2), actor=ADMIN))
    refused(
        lambda: purchase(
            book.state, once, package_id="p2", owner="smith", as_of=at(3, 3), timezone=NY
        ),
        book,
        code="once_per_owner",
        message="This package can only be purchased once per client.",
    )


def test_decision_balances_report_lists_active_packages_with_no_credit_left() -> None:
    book = Book()
    book.buy(PASS10)
    book(checkout(book.state, daycare_cart(2, units=10), booking="t", as_of=at(3, 2), timezone=NY))
    (row,) = balances_report(book.state.packages, as_of=at(3, 3))
    assert (row.remaining, row.held) == (0, 0)


def test_decision_naive_times_are_local_in_the_package_zone() -> None:
    sydney = Book()
    sydney.buy(PASS10, when=dt.datetime(2026, 3, 1, 10), timezone="Australia/Sydney")
    assert sydney.state.package("p1").purchased_at.isoformat() == "2026-03-01T10:00:00+11:00"


def test_decision_held_credits_survive_a_renewal() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    book.hold(27, booking="a", as_of=at(2, 20), scheduled_for=at(2, 27, 8))
    (event,) = book(renew(book.state, as_of=at(3, 1))).events
    assert [c.credits for c in event.forfeited] == [7]  # type: ignore[union-attr]
    daycare = book.state.package("p1").component("daycare_full")
    assert (daycare.held, daycare.remaining, daycare.expired) == (1, 8, 7)
    assert book.state.package("p1").paid == Money("400", "USD")


def test_every_decision_in_the_docs_names_tests_that_exist() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    decisions = page.split("## Decisions", 1)[1]
    items = re.split(r"\n\d+\. ", decisions)[1:]
    assert len(items) >= 18
    defined = set()
    for module in (root / "tests" / "lifecycle").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", module.read_text(encoding="utf-8"), re.M))
    for item in items:
        named = re.findall(r"`(test_\w+)`", item)
        assert named, f"a decision names no test: {item[:60]!r}"
        assert set(named) <= defined, sorted(set(named) - defined)
