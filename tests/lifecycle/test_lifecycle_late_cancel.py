"""Issue 12, option 1: the late-cancel window and the no-show rule. Cancelling an appointment or a
class less than the window before its start, or not showing up, forfeits the credit (the
business keeps it, in the component's ``forfeited`` bucket) or restores it for a fee the outcome
reports and the ledger records; staff with the ``waive`` permission waive it. By default every
cancellation restores the credits, as before."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lifecycle_kit import ADMIN, DESK, NY, PASS10, THREE, USD, Book, at, daycare_cart, refused
from options_kit import FEES, FORFEITS

from punchcard import Cart, Line, Money, Settings
from punchcard.errors import InvalidTypeError, InvalidValueError
from punchcard.lifecycle import (
    BalanceCancelled,
    BalanceForfeited,
    Business,
    CancellationFee,
    CancelOutcome,
    LateCancel,
    PackageType,
    PermissionDenied,
    RedemptionCancelled,
    RedemptionForfeited,
    RedemptionUsed,
    cancel,
    delete,
    event_from_dict,
    event_to_dict,
    history,
    hold,
    no_show,
    refund,
    revenue,
)
from punchcard.testing import assert_ledger_conserved


def _booked(*days: int, units: int = 1, kind: str = "appointment") -> Book:
    """PASS10 bought Mar 1; *days* booked on Mar 2 for Mar 5, 08:00 (New York)."""
    book = Book()
    book.buy(PASS10, "p1")
    book(
        hold(
            book.state,
            daycare_cart(*days, units=units),
            booking="appt",
            booking_kind=kind,  # type: ignore[arg-type]
            as_of=at(3, 2),
            scheduled_for=at(3, 5, 8),
            timezone=NY,
        )
    )
    return book


def test_issue12_option1_by_default_a_cancellation_minutes_before_the_start_restores() -> None:
    book = _booked(5)
    outcome = book(cancel(book.state, "appt", as_of=at(3, 5, 7, 55)))
    assert isinstance(outcome, CancelOutcome)
    assert [type(e) for e in outcome.events] == [RedemptionCancelled]
    assert (outcome.forfeited, outcome.fee, outcome.waived) == (0, None, False)
    c = book.state.package("p1").component("daycare_full")
    assert (c.remaining, c.held, c.forfeited) == (10, 0, 0)
    assert Business().late_cancel == LateCancel()


def test_issue12_option1_a_late_cancellation_forfeits_the_credit_and_the_ledger_says_so() -> None:
    book = _booked(5, 6)
    outcome = book(cancel(book.state, "appt", line_id="d5", as_of=at(3, 4, 9), business=FORFEITS))
    (event,) = outcome.own
    assert isinstance(event, RedemptionForfeited)
    assert (event.was, event.reason, event.credits, event.line_id) == (
        "held",
        "late_cancel",
        1,
        "d5",
    )
    assert (outcome.forfeited, outcome.fee) == (1, None)
    p = book.state.package("p1")
    c = p.component("daycare_full")
    # the forfeited credit is neither restored nor held: a bucket of its own, conserved
    assert (c.remaining, c.held, c.used, c.forfeited) == (8, 1, 0, 1)
    assert c.conserved()
    assert [r.status for r in p.redemptions_of("appt")] == ["forfeited", "held"]
    assert history(book.events, "p1")[-1].summary == (
        "appt cancelled late: 1 daycare_full forfeited"
    )
    assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event
    assert book.replayed() == book.state
    # cancelled once: a second cancellation of the line restores nothing
    refused(
        lambda: cancel(book.state, "appt", line_id="d5", as_of=at(3, 4, 10), business=FORFEITS),
        book,
        code="already_cancelled",
        message="booking 'appt' was already cancelled; nothing to restore",
    )


@pytest.mark.parametrize(
    ("when", "late"),
    [
        (at(3, 4, 8), False),  # exactly 24 hours before: in time
        (at(3, 4, 8, 1), True),
        (at(3, 2, 12), False),
    ],
)
def test_issue12_option1_the_window_is_less_than_n_hours_before_the_start(
    when: dt.datetime, late: bool
) -> None:
    book = _booked(5)
    outcome = book(cancel(book.state, "appt", as_of=when, business=FORFEITS))
    assert [type(e) for e in outcome.own] == [RedemptionForfeited if late else RedemptionCancelled]


def test_issue12_option1_the_window_is_elapsed_time_across_a_clock_change() -> None:
    # Clocks go forward in New York on 8 March 2026: from 12:00 on the 7th to 12:00 on the 8th
    # is 24 hours on the wall clock but 23 elapsed hours, inside a 24-hour window.
    book = Book()
    book.buy(PASS10, "p1")
    book(
        hold(
            book.state,
            daycare_cart(8),
            booking="appt",
            as_of=at(3, 2),
            scheduled_for=at(3, 8, 12),
            timezone=NY,
        )
    )
    outcome = cancel(book.state, "appt", as_of=at(3, 7, 12), business=FORFEITS)
    assert [type(e) for e in outcome.own] == [RedemptionForfeited]
    outcome = cancel(book.state, "appt", as_of=at(3, 7, 11), business=FORFEITS)
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]


def test_issue12_option1_a_late_fee_restores_the_credits_and_charges_each_line_once() -> None:
    # Line d5 takes 4 credits: the 3 of THREE (bought first) and 1 of PASS10, two redemptions of
    # one line; line d6 one more. One fee per line: 2 x 15.
    book = Book()
    book.buy(THREE, "p0", when=at(2, 27, 10))
    book.buy(PASS10, "p1")
    cart = daycare_cart(5, units=4)
    cart = cart.__class__(
        cart.owner, cart.location, cart.currency, [*cart.lines, *daycare_cart(6).lines]
    )
    book(
        hold(
            book.state, cart, booking="appt", as_of=at(3, 2), scheduled_for=at(3, 5, 8), timezone=NY
        )
    )
    outcome = book(cancel(book.state, "appt", as_of=at(3, 5, 6), business=FEES))
    kinds = [(type(e).__name__, e.package_id, getattr(e, "line_id", None)) for e in outcome.own]
    assert kinds == [
        ("RedemptionCancelled", "p0", "d5"),
        ("CancellationFee", "p0", "d5"),
        ("RedemptionCancelled", "p1", "d5"),
        ("RedemptionCancelled", "p1", "d6"),
        ("CancellationFee", "p1", "d6"),
    ]
    assert outcome.fee == Money("30.00", USD)
    assert outcome.forfeited == 0
    fees = [e for e in outcome.own if isinstance(e, CancellationFee)]
    assert [(e.reason, e.fee) for e in fees] == [("late_cancel", Money("15.00", USD))] * 2
    assert book.state.package("p0").remaining("daycare_full") == 3
    assert book.state.package("p1").remaining("daycare_full") == 10
    entry = history(book.events, "p1")[-1]
    assert (entry.summary, entry.amount, entry.change) == (
        "appt cancelled late: fee 15.00 USD (line d6)",
        Money("15.00", USD),
        0,
    )
    assert book.replayed() == book.state


def test_issue12_option1_an_open_ticket_is_never_cancelled_late() -> None:
    book = _booked(5, kind="ticket")
    outcome = cancel(book.state, "appt", as_of=at(3, 5, 7), business=FORFEITS)
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]


def test_issue12_option1_cancelling_after_the_start_is_not_late_it_is_a_correction() -> None:
    # After the start the credit is used (section L): cancelling it restores as before; a
    # customer who did not come is a no-show.
    book = _booked(5)
    outcome = cancel(book.state, "appt", as_of=at(3, 5, 9), business=FORFEITS)
    assert [type(e) for e in outcome.events] == [RedemptionUsed, RedemptionCancelled]


def test_issue12_option1_a_no_show_is_refused_before_the_start() -> None:
    book = _booked(5)
    refused(
        lambda: no_show(book.state, "appt", as_of=at(3, 5, 7, 59), business=FORFEITS),
        book,
        code="not_started",
        message="booking 'appt' starts at 2026-03-05T08:00:00-05:00; a no-show is recorded once "
        "its time has passed",
    )


@pytest.mark.parametrize(
    ("business", "kinds", "remaining", "forfeited", "fee"),
    [
        (Business(timezone=NY), ["RedemptionCancelled"], 10, 0, None),
        (FORFEITS, ["RedemptionForfeited"], 9, 1, None),
        (FEES, ["RedemptionCancelled", "CancellationFee"], 10, 0, Money("15.00", USD)),
    ],
    ids=["restore (default)", "forfeit", "fee"],
)
def test_issue12_option1_a_no_show_follows_the_business_rule(
    business: Business, kinds: list[str], remaining: int, forfeited: int, fee: Money | None
) -> None:
    book = _booked(5)
    outcome = book(no_show(book.state, "appt", as_of=at(3, 5, 10), business=business))
    # the catch-up first records the use (the time passed), then the rule applies to it
    assert [type(e).__name__ for e in outcome.catch_up] == ["RedemptionUsed"]
    assert [type(e).__name__ for e in outcome.own] == kinds
    assert all(getattr(e, "was", "used") == "used" for e in outcome.own)
    c = book.state.package("p1").component("daycare_full")
    assert (c.remaining, c.forfeited, c.used, outcome.forfeited, outcome.fee) == (
        remaining,
        forfeited,
        0,
        forfeited,
        fee,
    )
    if forfeited:
        assert outcome.own[0].reason == "no_show"  # type: ignore[union-attr]
    assert book.replayed() == book.state


def test_issue12_option1_staff_waive_a_penalty_with_the_waive_permission() -> None:
    book = _booked(5)
    late = at(3, 4, 9)
    refused(
        lambda: cancel(book.state, "appt", as_of=late, actor=DESK, waive=True, business=FORFEITS),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )
    outcome = book(
        cancel(book.state, "appt", as_of=late, actor=ADMIN, waive=True, business=FORFEITS)
    )
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]
    assert (outcome.waived, outcome.forfeited, outcome.own[0].actor) == (True, 0, "admin")
    assert book.state.package("p1").remaining("daycare_full") == 10


def test_issue12_option1_waiving_nothing_needs_no_permission() -> None:
    book = _booked(5)
    outcome = cancel(book.state, "appt", as_of=at(3, 3), actor=DESK, waive=True, business=FORFEITS)
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]
    assert outcome.waived is False
    with pytest.raises(InvalidTypeError, match=r"^waive: must be True or False"):
        cancel(book.state, "appt", as_of=at(3, 3), waive="yes", business=FORFEITS)  # type: ignore[arg-type]


def test_issue12_option1_forfeited_credits_count_as_used_for_refunds_and_deletion() -> None:
    book = _booked(5)
    book(cancel(book.state, "appt", as_of=at(3, 4, 9), business=FORFEITS))
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 6)),
        book,
        code="used",
        message="package 'p1' cannot be deleted: credits of it were used",
    )
    refused(
        lambda: refund(book.state, "p1", as_of=at(3, 6), actor=ADMIN),
        book,
        code="used",
        message="package 'p1' has been used; refunds after use need the refund_after_use setting",
    )
    lenient = Business(timezone=NY, settings=Settings(refund_after_use=True))
    outcome = book(refund(book.state, "p1", as_of=at(3, 6), actor=ADMIN, business=lenient))
    assert outcome.own[0].amount == Money("225.00", USD)  # type: ignore[union-attr]
    money = revenue(book.state.package("p1"))
    assert (money.forfeited, money.used, money.refunded) == (
        Money("25.00", USD),
        Money("0.00", USD),
        Money("225.00", USD),
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"window": dt.timedelta(0)}, "window", "must be None or a timedelta > 0"),
        ({"window": 24}, "window", "must be None or a timedelta > 0"),
        ({"late": "fine"}, "late", "must be one of"),
        ({"no_show": "fee"}, "fee", "the no-show rule charges a fee: give its amount"),
        (
            {"window": dt.timedelta(hours=2), "late": "fee"},
            "fee",
            "the late-cancel rule charges a fee: give its amount",
        ),
        ({"fee": Money("5", USD)}, "fee", "no rule charges a fee"),
        ({"no_show": "fee", "fee": Money("0", USD)}, "fee", "must be more than zero"),
    ],
)
def test_issue12_option1_the_terms_are_checked(
    kwargs: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidValueError) as info:
        LateCancel(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert message in str(info.value)


#: A $100 card sold for $90, for baths (X9).
SPA_CARD = PackageType(
    id="spa-card", name="Spa card", price=Money("90", USD), value=Money("100", USD), items=["bath"]
)


def _bath_held() -> Book:
    book = Book()
    book.buy(SPA_CARD, "card")
    bath = Cart("smith", "downtown", USD, [Line("bath", "bath", Money("25.00", USD))])
    book(
        hold(
            book.state, bath, booking="spa", as_of=at(3, 2), scheduled_for=at(3, 5, 8), timezone=NY
        )
    )
    return book


def test_issue12_option1_a_late_cancel_of_stored_value_forfeits_its_money() -> None:
    book = _bath_held()
    outcome = book(cancel(book.state, "spa", as_of=at(3, 4, 9), business=FORFEITS))
    (event,) = outcome.own
    assert isinstance(event, BalanceForfeited)
    assert (event.was, event.reason, event.amount) == ("held", "late_cancel", Money("25.00", USD))
    money = book.state.package("card").balance
    assert money is not None
    assert (money.remaining, money.held, money.forfeited) == (
        Money("75.00", USD),
        Money("0.00", USD),
        Money("25.00", USD),
    )
    assert money.conserved()
    assert_ledger_conserved(book.state)
    assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event
    assert history(book.events, "card")[-1].summary == (
        "spa cancelled late: 25.00 USD of the balance forfeited"
    )
    assert book.replayed() == book.state


def test_issue12_option1_a_late_fee_on_stored_value_restores_the_money_and_charges_the_fee() -> (
    None
):
    book = _bath_held()
    outcome = book(cancel(book.state, "spa", as_of=at(3, 4, 9), business=FEES))
    assert [type(e) for e in outcome.own] == [BalanceCancelled, CancellationFee]
    assert outcome.fee == Money("15.00", USD)
    money = book.state.package("card").balance
    assert money is not None
    assert money.remaining == Money("100.00", USD)
    assert event_from_dict(json.loads(json.dumps(event_to_dict(outcome.own[1])))) == outcome.own[1]
    assert book.replayed() == book.state
