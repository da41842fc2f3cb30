"""Closing a ticket in one operation (issue 9 item 5): the lines that hold credits use them, the
rest of the ticket (new lines, booked units no hold covered) is offered to the owner's credits by
the engine, and one result says per line what was covered, what is due and why."""

from __future__ import annotations

from lifecycle_kit import DAYCARE_PRICE, NY, PASS10, THREE, Book, at, refused

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    RedemptionRecorded,
    RedemptionUsed,
    TicketOutcome,
    close_ticket,
    hold,
)

GROOM = Money("55.00", "USD")


def _ticket(*lines: Line) -> Cart:
    return Cart("smith", "downtown", "USD", list(lines), id="ticket-9")


def _open_ticket(book: Book) -> None:
    """On Mar 2 the ticket is opened for a 2-day stay (both held) and 3 nights of which 1 held."""
    book(
        hold(
            book.state,
            _ticket(
                Line("stay", "daycare_full", DAYCARE_PRICE, units=2),
                Line("nights", "daycare_full", DAYCARE_PRICE, units=1),
            ),
            booking="ticket-9",
            booking_kind="ticket",
            as_of=at(3, 2, 9),
            scheduled_for=at(3, 6, 17),
            timezone=NY,
        )
    )


def test_issue9_item5_a_ticket_closes_in_one_operation() -> None:
    book = Book()
    book.buy(THREE, "small", when=at(3, 1))  # 3 days
    _open_ticket(book)  # 3 credits held, all from "small"
    book.buy(PASS10, "big", when=at(3, 3))  # bought after the booking
    ticket = _ticket(
        Line("stay", "daycare_full", DAYCARE_PRICE, units=2),  # held: 2 of 2
        Line("nights", "daycare_full", DAYCARE_PRICE, units=3),  # held: 1 of 3
        Line("groom", "grooming", GROOM),  # new, and no credit pays for grooming
        Line("extra", "daycare_full", DAYCARE_PRICE),  # new
    )
    outcome = book(
        close_ticket(book.state, ticket, booking="ticket-9", as_of=at(3, 6, 16), timezone=NY)
    )
    assert isinstance(outcome, TicketOutcome)
    assert outcome.catch_up == ()
    used = [e for e in outcome.own if isinstance(e, RedemptionUsed)]
    assert [(e.line_id, e.credits, e.reason) for e in used] == [
        ("stay", 2, "ticket_closed"),
        ("nights", 1, "ticket_closed"),
    ]
    new = [e for e in outcome.own if isinstance(e, RedemptionRecorded)]
    assert [(e.line_id, e.package_id, e.credits, e.status) for e in new] == [
        ("nights", "big", 2, "used"),
        ("extra", "big", 1, "used"),
    ]
    assert {e.booking for e in outcome.own} == {"ticket-9"}
    by_line = {line.line_id: line for line in outcome.lines}
    assert [line.line_id for line in outcome.lines] == ["stay", "nights", "groom", "extra"]
    assert [(str(t.total), str(t.covered), str(t.due)) for t in outcome.lines] == [
        ("60.00", "60.00", "0.00"),
        ("90.00", "90.00", "0.00"),
        ("55.00", "0.00", "55.00"),
        ("30.00", "30.00", "0.00"),
    ]
    assert [(h.credits, h.status) for h in by_line["stay"].holds] == [(2, "used")]
    assert [r.credits for r in by_line["nights"].redemptions] == [2]
    assert {r.reason for r in by_line["groom"].rejections} == {"type_mismatch"}
    assert (str(outcome.total), str(outcome.covered), str(outcome.due)) == (
        "235.00",
        "180.00",
        "55.00",
    )
    # the engine's answer for the part no hold covered: 2 nights, the groom, the extra day
    assert [(r.line_id, str(r.total)) for r in outcome.application.lines] == [
        ("nights", "60.00"),
        ("groom", "55.00"),
        ("extra", "30.00"),
    ]
    assert str(outcome.application.covered) == "90.00"
    small = book.state.package("small").component("daycare_full")
    big = book.state.package("big").component("daycare_full")
    assert (small.held, small.used, big.used, big.remaining) == (0, 3, 3, 7)
    assert book.replayed() == book.state


def test_issue9_item5_closing_again_redeems_nothing_more_for_covered_units() -> None:
    book = Book()
    book.buy(PASS10)
    _open_ticket(book)
    ticket = _ticket(
        Line("stay", "daycare_full", DAYCARE_PRICE, units=2),
        Line("nights", "daycare_full", DAYCARE_PRICE, units=2),
    )
    first = book(
        close_ticket(book.state, ticket, booking="ticket-9", as_of=at(3, 6, 16), timezone=NY)
    )
    assert str(first.covered) == "120.00"
    again = book(
        close_ticket(book.state, ticket, booking="ticket-9", as_of=at(3, 6, 16, 5), timezone=NY)
    )
    assert again.events == ()
    assert [str(t.covered) for t in again.lines] == ["60.00", "60.00"]
    assert book.state.package("p1").component("daycare_full").used == 4


def test_issue9_item5_holds_whose_time_passed_are_already_used_and_count() -> None:
    book = Book()
    book.buy(PASS10)
    _open_ticket(book)  # scheduled for Mar 6, 17:00
    ticket = _ticket(
        Line("stay", "daycare_full", DAYCARE_PRICE, units=2),
        Line("nights", "daycare_full", DAYCARE_PRICE, units=1),
    )
    outcome = book(
        close_ticket(book.state, ticket, booking="ticket-9", as_of=at(3, 7, 9), timezone=NY)
    )
    assert [type(e).__name__ for e in outcome.catch_up] == ["RedemptionUsed", "RedemptionUsed"]
    assert {e.reason for e in outcome.catch_up} == {"time_passed"}  # type: ignore[union-attr]
    assert outcome.own == ()
    assert str(outcome.covered) == "90.00"


def test_issue9_item5_a_line_holding_more_credits_than_its_units_is_refused() -> None:
    book = Book()
    book.buy(PASS10)
    _open_ticket(book)
    ticket = _ticket(
        Line("stay", "daycare_full", DAYCARE_PRICE, units=1),
        Line("nights", "daycare_full", DAYCARE_PRICE, units=1),
    )
    refused(
        lambda: close_ticket(
            book.state, ticket, booking="ticket-9", as_of=at(3, 6, 16), timezone=NY
        ),
        book,
        code="held_exceeds_units",
        message="line 'stay' of ticket 'ticket-9' holds 2 credits for 1 units; cancel the holds "
        "it no longer needs first",
    )


def test_issue9_item5_a_ticket_with_no_holds_is_a_checkout() -> None:
    book = Book()
    book.buy(THREE)
    ticket = _ticket(Line("day", "daycare_full", DAYCARE_PRICE, units=4))
    outcome = book(
        close_ticket(book.state, ticket, booking="walk-in", as_of=at(3, 2, 9), timezone=NY)
    )
    (line,) = outcome.lines
    assert (line.holds, [r.credits for r in line.redemptions]) == ((), [3])
    assert (str(line.covered), str(line.due)) == ("90.00", "30.00")
    assert line.rejections == ()  # the package did pay for the line: no rejection
