"""The market options 2-10 of issue 12 in the lifecycle, by example (docs/lifecycle.md, "Market
options in the lifecycle"; the spec is docs/semantics.md section X).

First the refusals of the options' operations, each with its code and message, the state
unchanged, and the accepted case next to it; then one sale of a type carrying each option, and
the operations where the option matters: balances, events and expiry moments. Every test ends
with the ledger conserved and the state equal to the ledger replayed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from lifecycle_kit import ADMIN, DESK, NY, PASS10, USD, Book, at, refused

from punchcard import Cart, Line, Money, Policy, Settings
from punchcard.lifecycle import (
    DEDUCT_REFUND_CREDITS,
    MANAGE_PACKAGES,
    PAUSE_PACKAGES,
    Actor,
    BalanceCancelled,
    BalanceRedeemed,
    BalanceUsed,
    Business,
    DebtSettled,
    ExpiryChanged,
    Outcome,
    PackageExpired,
    PackagePaused,
    PackagePurchased,
    PackageRefunded,
    PackageType,
    PauseEnded,
    PermissionDenied,
    PermissionPolicy,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    TypeComponent,
    cancel,
    catch_up,
    checkout,
    edit_expiry,
    hold,
    pause,
    purchase,
    refund,
    refund_quote,
    unpause,
    use,
)
from punchcard.models import Duration, Pause
from punchcard.testing import assert_ledger_conserved

UTC = dt.timezone.utc
NEW_YORK = Business(timezone=NY)
ELAPSED = Business(timezone=NY, policy=Policy(expiry="elapsed"))
LENIENT = Business(timezone=NY, settings=Settings(refund_after_use=True))
STAFF = Actor("staff", {DEDUCT_REFUND_CREDITS})


def usd(amount: str) -> Money:
    return Money(amount, USD)


def cart(*lines: tuple[str, str, str, int], owner: str = "smith") -> Cart:
    """A cart at downtown of lines (id, item, unit price, units)."""
    return Cart(
        owner,
        "downtown",
        USD,
        [Line(line_id, item, usd(price), units=units) for line_id, item, price, units in lines],
    )


def day(line_id: str = "l1") -> Cart:
    return cart((line_id, "daycare_full", "30", 1))


def sound(book: Book) -> None:
    """The ledger is conserved, and the state kept step by step is the ledger replayed."""
    assert_ledger_conserved(book.state)
    assert book.replayed() == book.state


def d(month: int, day_: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day_)


def redeemed(outcome: Outcome) -> list[RedemptionRecorded]:
    """The operation's own events, each a redemption of credits."""
    own = list(outcome.own)
    assert all(isinstance(e, RedemptionRecorded) for e in own), own
    return [e for e in own if isinstance(e, RedemptionRecorded)]


#: A boarding night per sale, and two more on the tab (option 9).
TAB = PackageType(
    id="tab",
    name="Boarding tab",
    price=usd("90"),
    components=[TypeComponent("boarding", 2, overdraft=2)],
    days_to_expiration=30,
)
#: A $500 card sold for $450, valid six months (options 10 and 5).
CARD = PackageType(
    id="card", name="$500 card", price=usd("450"), value=usd("500"), valid_for=Duration("months", 6)
)
#: A first-use countdown of 30 days.
FIRST_USE = PackageType(
    id="first-use",
    name="30 days from first use",
    components=[TypeComponent("daycare_full", 10)],
    price=usd("250"),
    days_to_expiration=30,
    expiry_starts="first_use",
)


def _paused_pass(book: Book) -> None:
    """PASS10 sold Mar 1 (expires Mar 31), paused Mar 10-19 on Mar 2: expires Apr 10."""
    book.buy(PASS10, "p1")
    book(pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 2), actor=ADMIN))


def _overdrawn_tab(book: Book, nights: int = 3) -> None:
    """A TAB sold Mar 1 and *nights* of boarding checked out on Mar 2."""
    book.buy(TAB, "tab-1")
    stay = cart(("stay", "boarding", "45", nights))
    book(checkout(book.state, stay, booking="stay-1", as_of=at(3, 2), timezone=NY))


# -- the refusal codes of the options' operations ---------------------------------------------------


def test_refusal_in_debt_a_package_below_zero_is_not_refunded() -> None:
    book = Book()
    _overdrawn_tab(book)
    assert book.state.package("tab-1").remaining("boarding") == -1
    refused(
        lambda: refund(book.state, "tab-1", as_of=at(3, 3), actor=STAFF, business=LENIENT),
        book,
        code="in_debt",
        message="package 'tab-1' has credits below zero (an overdraft): the next purchase of "
        "its type settles the debt first",
    )
    # the neighbour: the same tab used down to exactly zero is not in debt, and refunds (with
    # refund_after_use: it was used) its paid value left, nothing
    even = Book()
    _overdrawn_tab(even, nights=2)
    assert even.state.package("tab-1").remaining("boarding") == 0
    (event,) = even(
        refund(even.state, "tab-1", as_of=at(3, 3), actor=STAFF, business=LENIENT)
    ).events
    assert isinstance(event, PackageRefunded)
    assert event.amount == usd("0")
    sound(even)


def test_refusal_not_started_a_first_use_countdown_has_no_date_to_move() -> None:
    book = Book()
    book.buy(FIRST_USE, "f1")
    refused(
        lambda: pause(book.state, "f1", d(3, 10), d(3, 19), as_of=at(3, 2), actor=ADMIN),
        book,
        code="not_started",
        message="package 'f1' has no expiry date to move yet: its countdown starts at first use",
    )
    # the neighbour: once used (Mar 3), the countdown runs to Apr 2 and the pause moves it
    book(checkout(book.state, day(), booking="t1", as_of=at(3, 3), timezone=NY))
    assert book.state.package("f1").expires_on == d(4, 2)
    (event,) = book(pause(book.state, "f1", d(3, 10), d(3, 19), as_of=at(3, 4), actor=ADMIN)).events
    assert isinstance(event, PackagePaused)
    assert (event.old, event.new) == (d(4, 2), d(4, 12))
    sound(book)


def test_refusal_pause_after_expiry_a_pause_cannot_start_after_the_expiry_date() -> None:
    book = Book()
    book.buy(PASS10, "p1")  # expires Mar 31
    refused(
        lambda: pause(book.state, "p1", d(4, 1), d(4, 5), as_of=at(3, 2), actor=ADMIN),
        book,
        code="pause_after_expiry",
        message="package 'p1' expires on 2026-03-31, before the pause starts (2026-04-01)",
    )
    # the neighbour: a pause from the expiry date itself moves it by the paused days
    (event,) = book(pause(book.state, "p1", d(3, 31), d(4, 5), as_of=at(3, 2), actor=ADMIN)).events
    assert isinstance(event, PackagePaused)
    assert (event.old, event.new) == (d(3, 31), d(4, 6))
    sound(book)


def test_refusal_pause_in_past_a_pause_cannot_start_before_today() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    refused(
        lambda: pause(book.state, "p1", d(3, 4), d(3, 6), as_of=at(3, 5), actor=ADMIN),
        book,
        code="pause_in_past",
        message="package 'p1' cannot be paused from 2026-03-04, before today (2026-03-05)",
    )
    # the neighbour: a pause from today, late in the day, is accepted
    (event,) = book(
        pause(book.state, "p1", d(3, 5), d(3, 6), as_of=at(3, 5, 23, 59), actor=ADMIN)
    ).events
    assert isinstance(event, PackagePaused)
    assert (event.start, event.end, event.new) == (d(3, 5), d(3, 6), d(4, 2))
    sound(book)


def test_refusal_pause_over_a_pause_that_ended_cannot_be_ended_again() -> None:
    book = Book()
    _paused_pass(book)  # paused Mar 10-19, expires Apr 10
    refused(
        lambda: unpause(book.state, "p1", d(3, 10), as_of=at(3, 20), actor=ADMIN),
        book,
        code="pause_over",
        message="the pause of package 'p1' from 2026-03-10 to 2026-03-19 is over",
    )
    # the neighbour: on its last day, late in the evening, it still ends (one day given back)
    (event,) = book(unpause(book.state, "p1", d(3, 10), as_of=at(3, 19, 23), actor=ADMIN)).events
    assert isinstance(event, PauseEnded)
    assert (event.until, event.old, event.new) == (d(3, 18), d(4, 10), d(4, 9))
    assert book.state.package("p1").pauses == (Pause(d(3, 10), d(3, 18)),)
    sound(book)


def test_refusal_pause_overlaps_two_pauses_never_share_a_date() -> None:
    book = Book()
    _paused_pass(book)  # paused Mar 10-19
    for start, end in ((d(3, 19), d(3, 22)), (d(3, 5), d(3, 10)), (d(3, 12), d(3, 13))):
        refused(
            lambda start=start, end=end: pause(  # type: ignore[misc]
                book.state, "p1", start, end, as_of=at(3, 3), actor=ADMIN
            ),
            book,
            code="pause_overlaps",
            message="package 'p1' is already paused from 2026-03-10 to 2026-03-19",
        )
    # the neighbours: the days just before and just after are free
    book(pause(book.state, "p1", d(3, 20), d(3, 22), as_of=at(3, 3), actor=ADMIN))
    book(pause(book.state, "p1", d(3, 5), d(3, 9), as_of=at(3, 3), actor=ADMIN))
    package = book.state.package("p1")
    assert package.pauses == (
        Pause(d(3, 5), d(3, 9)),
        Pause(d(3, 10), d(3, 19)),
        Pause(d(3, 20), d(3, 22)),
    )
    assert package.expires_on == d(3, 31) + dt.timedelta(days=10 + 3 + 5)
    sound(book)


def test_refusal_redeemed_in_pause_credits_held_on_a_paused_date_stop_the_pause() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    book(
        hold(
            book.state, day(), booking="a1", as_of=at(3, 2), scheduled_for=at(3, 12, 8), timezone=NY
        )
    )
    refused(
        lambda: pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 3), actor=ADMIN),
        book,
        code="redeemed_in_pause",
        message="package 'p1' has credits held for 'a1' on 2026-03-12; cancel them first",
    )
    # the neighbours: a pause that ends the day before the booking is accepted...
    book(pause(book.state, "p1", d(3, 9), d(3, 11), as_of=at(3, 3), actor=ADMIN))
    # ... and credits used this morning do not stop a pause from today
    book(checkout(book.state, day("l2"), booking="t1", as_of=at(3, 4, 9), timezone=NY))
    (event,) = book(
        pause(book.state, "p1", d(3, 4), d(3, 4), as_of=at(3, 4, 10), actor=ADMIN)
    ).events
    assert isinstance(event, PackagePaused)
    sound(book)


def test_refusal_redeemed_in_pause_names_money_of_a_stored_value() -> None:
    book = Book()
    book.buy(CARD, "card")
    bath = cart(("bath", "bath", "25", 1))
    book(hold(book.state, bath, booking="b1", as_of=at(3, 2), scheduled_for=at(3, 12), timezone=NY))
    refused(
        lambda: pause(book.state, "card", d(3, 12), d(3, 12), as_of=at(3, 3), actor=ADMIN),
        book,
        code="redeemed_in_pause",
        message="package 'card' has money held for 'b1' on 2026-03-12; cancel them first",
    )
    book(cancel(book.state, "b1", as_of=at(3, 3)))
    (event,) = book(
        pause(book.state, "card", d(3, 12), d(3, 12), as_of=at(3, 3, 10), actor=ADMIN)
    ).events
    assert isinstance(event, PackagePaused)
    assert (event.old, event.new) == (d(9, 1), d(9, 2))
    sound(book)


def test_refusal_unknown_pause_unpause_names_the_first_date_of_a_pause() -> None:
    book = Book()
    _paused_pass(book)  # paused Mar 10-19
    refused(
        lambda: unpause(book.state, "p1", d(3, 11), as_of=at(3, 5), actor=ADMIN),
        book,
        code="unknown_pause",
        message="package 'p1' has no pause starting on 2026-03-11 (it has ['2026-03-10..2026-03-19'])",
    )
    # the neighbour: its first date calls the pause off (it has not begun): the expiry date is
    # back where it was and the package has no pause
    (event,) = book(unpause(book.state, "p1", d(3, 10), as_of=at(3, 5), actor=ADMIN)).events
    assert isinstance(event, PauseEnded)
    assert (event.until, event.old, event.new) == (None, d(4, 10), d(3, 31))
    package = book.state.package("p1")
    assert (package.pauses, package.expires_on) == ((), d(3, 31))
    sound(book)


# -- option 2: priority ------------------------------------------------------------------------------


def test_option_2_priority_is_sold_with_the_package_and_consumed_first() -> None:
    gift = PackageType(
        id="gift",
        name="2 free days",
        components=[TypeComponent("daycare_full", 2)],
        price=usd("0"),
        priority=10,
    )
    book = Book()
    book.buy(PASS10, "old", when=at(3, 1))
    (sale,) = book.buy(gift, "gift", when=at(3, 2)).events
    assert isinstance(sale, PackagePurchased)
    assert sale.priority == 10
    assert book.state.package("gift").as_package().priority == 10
    three = cart(("l1", "daycare_full", "30", 3))
    outcome = book(checkout(book.state, three, booking="t1", as_of=at(3, 3), timezone=NY))
    # the newer package with the lower priority pays first, before FIFO
    assert [(e.package_id, e.credits, e.amount) for e in outcome.own] == [
        ("gift", 2, usd("60")),
        ("old", 1, usd("30")),
    ]
    # cancelled, each package gets its own credits back
    book(cancel(book.state, "t1", as_of=at(3, 4)))
    assert (book.state.package("gift").remaining("daycare_full"),) == (2,)
    assert book.state.package("old").remaining("daycare_full") == 10
    sound(book)


# -- option 3: pools -----------------------------------------------------------------------------


def test_option_3_a_pool_credit_pays_every_item_of_its_pool_keyed_by_the_pool() -> None:
    grooming = PackageType(
        id="groom-3",
        name="3 grooming services",
        components=[TypeComponent("grooming", 3, items=["bath", "haircut", "nails"])],
        price=usd("90"),
    )
    book = Book()
    book.buy(grooming, "g1")
    booked = cart(("a", "bath", "25", 1), ("b", "nails", "15", 1), ("c", "daycare_full", "30", 1))
    outcome = book(
        hold(
            book.state, booked, booking="appt", as_of=at(3, 2), scheduled_for=at(3, 5), timezone=NY
        )
    )
    held = sorted((e.line_id, e.item, e.credits, e.amount) for e in outcome.own)
    assert held == [("a", "grooming", 1, usd("25")), ("b", "grooming", 1, usd("15"))]
    assert outcome.application is not None
    assert [(r.line_id, r.reason) for r in outcome.application.rejections] == [
        ("c", "type_mismatch")
    ]
    pool = book.state.package("g1").component("grooming")
    assert (pool.remaining, pool.held) == (1, 2)
    # one line used, one cancelled: the pool's balance moves by its name
    used = book(use(book.state, "appt", line_id="a", as_of=at(3, 4)))
    (used_event,) = used.own
    assert isinstance(used_event, RedemptionUsed)
    assert used_event.item == "grooming"
    cancelled = book(cancel(book.state, "appt", line_id="b", as_of=at(3, 4, 10)))
    (cancelled_event,) = cancelled.own
    assert isinstance(cancelled_event, RedemptionCancelled)
    assert (cancelled_event.item, cancelled_event.credits) == ("grooming", 1)
    pool = book.state.package("g1").component("grooming")
    assert (pool.remaining, pool.held, pool.used) == (2, 0, 1)
    # a haircut, the pool's third item, takes a credit at the till
    outcome = book(
        checkout(
            book.state, cart(("h", "haircut", "40", 1)), booking="t", as_of=at(3, 6), timezone=NY
        )
    )
    assert [(e.item, e.amount) for e in redeemed(outcome)] == [("grooming", usd("40"))]
    assert book.state.package("g1").remaining("grooming") == 1
    sound(book)


# -- option 4: substitutes -----------------------------------------------------------------------


FULL_DAYS = PackageType(
    id="full-2",
    name="2 full days",
    components=[TypeComponent("daycare_full", 2, substitutes=["daycare_half"])],
    price=usd("60"),
)
HALF_DAYS = PackageType(
    id="half-2",
    name="2 half days",
    components=[TypeComponent("daycare_half", 2)],
    price=usd("30"),
)


def test_option_4_a_full_day_credit_pays_a_half_day_at_its_own_value_after_the_own_item() -> None:
    rates = Business(timezone=NY, rates={"downtown": {"daycare_full": usd("30")}})
    book = Book()
    book.buy(FULL_DAYS, "full")
    book.buy(HALF_DAYS, "half", when=at(3, 1, 11))
    halves = cart(("half", "daycare_half", "40", 3))
    outcome = book(
        checkout(book.state, halves, booking="t1", as_of=at(3, 2), timezone=NY, business=rates)
    )
    # the half-day credits first (own item), then a full-day one as a substitute, taking off
    # min(the full day's rate 30, the unit price 40)
    assert [(e.package_id, e.item, e.credits, e.amount) for e in redeemed(outcome)] == [
        ("half", "daycare_half", 2, usd("80")),
        ("full", "daycare_full", 1, usd("30")),
    ]
    assert outcome.application is not None
    assert str(outcome.application.due) == "10.00"
    # without a rate, the substitute takes off the unit price
    book(cancel(book.state, "t1", as_of=at(3, 3)))
    again = book(checkout(book.state, halves, booking="t2", as_of=at(3, 4), timezone=NY))
    assert [e.amount for e in redeemed(again)] == [usd("80"), usd("40")]
    sound(book)


def test_option_4_a_half_day_credit_never_pays_a_full_day() -> None:
    book = Book()
    book.buy(HALF_DAYS, "half")
    outcome = book(checkout(book.state, day(), booking="t1", as_of=at(3, 2), timezone=NY))
    assert outcome.events == ()
    assert outcome.application is not None
    assert [(r.package_id, r.reason) for r in outcome.application.rejections] == [
        ("half", "type_mismatch")
    ]
    assert book.state.package("half").remaining("daycare_half") == 2
    sound(book)


# -- option 5: calendar validity --------------------------------------------------------------


def test_option_5_valid_for_months_clamps_the_month_end_and_expires_at_its_end() -> None:
    month = PackageType(
        id="month",
        name="A month of daycare",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("120"),
        valid_for=Duration("months", 1),
    )
    book = Book()
    (sale,) = book.buy(month, "m1", when=at(1, 31, 15)).events
    assert isinstance(sale, PackagePurchased)
    assert sale.valid_for == Duration("months", 1)
    package = book.state.package("m1")
    assert package.expires_on == d(2, 28)  # Jan 31 + 1 month, clamped
    moment = package.expiry_moment(NEW_YORK.expires_at)
    assert moment is not None
    assert moment.isoformat() == "2026-02-28T23:59:00-05:00"
    # a checkout the minute before pays...
    paid = checkout(book.state, day(), booking="t1", as_of=at(2, 28, 23, 58), timezone=NY)
    assert [e.credits for e in redeemed(paid)] == [1]
    # ... and at 23:59 the package is expired: the catch-up records it first, nothing pays
    late = book(checkout(book.state, day(), booking="t1", as_of=at(2, 28, 23, 59), timezone=NY))
    assert late.own == ()
    (expired,) = late.catch_up
    assert isinstance(expired, PackageExpired)
    assert (expired.expires_on, expired.at.isoformat()) == (d(2, 28), "2026-02-28T23:59:00-05:00")
    assert book.state.package("m1").component("daycare_full").expired == 5
    sound(book)


@pytest.mark.parametrize(
    ("length", "sold", "expires"),
    [
        (Duration("months", 3), d(5, 15), d(8, 15)),
        (Duration("months", 1), d(3, 31), d(4, 30)),
        (Duration("months", 12), d(2, 28, 2027), d(2, 28, 2028)),
        (Duration("weeks", 2), d(3, 2), d(3, 16)),
        (Duration("days", 10), d(3, 25), d(4, 4)),
    ],
)
def test_option_5_valid_for_counts_on_the_local_calendar(
    length: Duration, sold: dt.date, expires: dt.date
) -> None:
    ptype = PackageType(
        id="v",
        name="Valid for",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        valid_for=length,
    )
    book = Book()
    book.buy(ptype, "v1", when=dt.datetime.combine(sold, dt.time(18)))
    assert book.state.package("v1").expires_on == expires


def test_option_5_valid_for_from_first_use_starts_at_the_first_service() -> None:
    weeks = PackageType(
        id="w",
        name="Two weeks from first use",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        valid_for=Duration("weeks", 2),
        expiry_starts="first_use",
    )
    book = Book()
    book.buy(weeks, "w1")
    assert book.state.package("w1").expires_on is None
    book(
        hold(book.state, day(), booking="a", as_of=at(3, 2), scheduled_for=at(3, 9, 8), timezone=NY)
    )
    assert book.state.package("w1").expires_on == d(3, 23)
    sound(book)


# -- option 6: exact-time (elapsed) expiry ------------------------------------------------------------


def test_option_6_elapsed_expiry_ends_at_the_same_local_time_across_a_dst_change() -> None:
    week = PackageType(
        id="week",
        name="7 days",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        days_to_expiration=7,
    )
    book = Book()
    # bought Monday Mar 2, 00:00 EST; clocks go forward on Sunday Mar 8
    book.buy(week, "w1", when=at(3, 2, 0), business=ELAPSED)
    package = book.state.package("w1")
    moment = package.expiry_moment(ELAPSED.expires_at, ELAPSED.expiry_mode)
    assert moment is not None
    assert moment.isoformat() == "2026-03-09T00:00:00-04:00"  # the next Monday 00:00 local
    elapsed = moment.astimezone(UTC) - package.purchased_at.astimezone(UTC)
    assert elapsed == dt.timedelta(days=7, hours=-1)  # 167 hours: the lost hour
    # end_of_day would have given Mar 9, 23:59
    eod = package.expiry_moment(NEW_YORK.expires_at)
    assert eod is not None
    assert eod.isoformat() == "2026-03-09T23:59:00-04:00"
    last = checkout(
        book.state, day(), booking="t1", as_of=at(3, 8, 23, 59), timezone=NY, business=ELAPSED
    )
    assert [e.credits for e in redeemed(last)] == [1]
    late = book(
        checkout(book.state, day(), booking="t1", as_of=at(3, 9, 0), timezone=NY, business=ELAPSED)
    )
    assert late.own == ()
    (expired,) = late.catch_up
    assert isinstance(expired, PackageExpired)
    assert expired.at.isoformat() == "2026-03-09T00:00:00-04:00"
    sound(book)


def test_option_6_elapsed_expiry_the_nightly_catch_up_records_the_exact_instant() -> None:
    month = PackageType(
        id="month",
        name="A month",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        valid_for=Duration("months", 1),
    )
    book = Book()
    book.buy(month, "m1", when=at(1, 31, 15, 30), business=ELAPSED)
    moment = book.state.package("m1").expiry_moment(ELAPSED.expires_at, ELAPSED.expiry_mode)
    assert moment is not None
    assert moment.isoformat() == "2026-02-28T15:30:00-05:00"  # clamped, same local time
    assert catch_up(book.state, as_of=at(2, 28, 15, 29), business=ELAPSED).events == ()
    (expired,) = book(catch_up(book.state, as_of=at(3, 1, 6), business=ELAPSED)).events
    assert isinstance(expired, PackageExpired)
    assert (expired.at.isoformat(), expired.credits[0].credits) == (
        "2026-02-28T15:30:00-05:00",
        5,
    )
    sound(book)


def test_option_6_an_edited_expiry_date_still_ends_at_expires_at() -> None:
    book = Book()
    book.buy(PASS10, "p1", when=at(3, 1, 10), business=ELAPSED)
    package = book.state.package("p1")
    assert package.expiry_moment(ELAPSED.expires_at, "elapsed") == dt.datetime(
        2026, 3, 31, 10, tzinfo=package.tz
    )
    (event,) = book(
        edit_expiry(book.state, "p1", d(4, 15), as_of=at(3, 2), business=ELAPSED)
    ).events
    assert isinstance(event, ExpiryChanged)
    moment = book.state.package("p1").expiry_moment(ELAPSED.expires_at, "elapsed")
    assert moment is not None
    assert moment.isoformat() == "2026-04-15T23:59:00-04:00"
    sound(book)


# -- option 7: future activation ----------------------------------------------------------------


def test_option_7_valid_from_refuses_earlier_checkouts_and_starts_the_countdown() -> None:
    book = Book()
    (sale,) = book.buy(PASS10, "gift", when=at(3, 1, 10), valid_from=at(3, 10, 9)).events
    assert isinstance(sale, PackagePurchased)
    assert sale.valid_from is not None
    assert sale.valid_from.isoformat() == "2026-03-10T09:00:00-04:00"
    # the 30 days count from Mar 10, not from the sale
    assert book.state.package("gift").expires_on == d(4, 9)
    early = book(checkout(book.state, day(), booking="t1", as_of=at(3, 10, 8, 59), timezone=NY))
    assert early.events == ()
    assert early.application is not None
    assert [(r.package_id, r.reason) for r in early.application.rejections] == [
        ("gift", "not_yet_valid")
    ]
    assert book.state.package("gift").remaining("daycare_full") == 10
    on_time = book(checkout(book.state, day(), booking="t1", as_of=at(3, 10, 9), timezone=NY))
    assert [e.credits for e in redeemed(on_time)] == [1]
    sound(book)


def test_option_7_a_hold_before_valid_from_is_judged_at_its_scheduled_time() -> None:
    book = Book()
    book.buy(PASS10, "gift", when=at(3, 1, 10), valid_from=at(3, 10, 9))
    too_soon = hold(
        book.state, day(), booking="a1", as_of=at(3, 5), scheduled_for=at(3, 9, 9), timezone=NY
    )
    assert too_soon.events == ()
    assert too_soon.application is not None
    assert [r.reason for r in too_soon.application.rejections] == ["not_yet_valid"]
    booked = book(
        hold(
            book.state, day(), booking="a1", as_of=at(3, 5), scheduled_for=at(3, 12, 9), timezone=NY
        )
    )
    assert [(e.status, e.credits) for e in redeemed(booked)] == [("held", 1)]
    sound(book)


def test_option_7_an_unused_gift_is_refunded_in_full_before_it_starts() -> None:
    book = Book()
    book.buy(PASS10, "gift", when=at(3, 1, 10), valid_from=at(3, 10, 9))
    (event,) = book(refund(book.state, "gift", as_of=at(3, 6), actor=STAFF)).events
    assert isinstance(event, PackageRefunded)
    assert (event.amount, event.credits[0].credits) == (usd("250"), 10)
    sound(book)


def test_option_7_valid_from_with_elapsed_expiry_counts_from_its_instant() -> None:
    week = PackageType(
        id="week",
        name="7 days",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        days_to_expiration=7,
    )
    book = Book()
    book.buy(week, "w1", when=at(3, 1, 10), valid_from=at(3, 10, 9), business=ELAPSED)
    moment = book.state.package("w1").expiry_moment(ELAPSED.expires_at, "elapsed")
    assert moment is not None
    assert moment.isoformat() == "2026-03-17T09:00:00-04:00"
    sound(book)


# -- option 8: pause ---------------------------------------------------------------------------


def test_option_8_pause_moves_the_expiry_by_the_paused_days() -> None:
    book = Book()
    book.buy(PASS10, "p1")  # expires Mar 31
    outcome = book(
        pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 2), actor=ADMIN, note="vacation")
    )
    (event,) = outcome.events
    assert isinstance(event, PackagePaused)
    assert (event.start, event.end, event.old, event.new, event.note, event.actor) == (
        d(3, 10),
        d(3, 19),
        d(3, 31),
        d(4, 10),
        "vacation",
        "admin",
    )
    package = book.state.package("p1")
    assert package.expires_on == d(4, 10)  # 10 paused days, both ends included
    assert package.pauses == (Pause(d(3, 10), d(3, 19)),)
    assert package.as_package().pauses == (Pause(d(3, 10), d(3, 19)),)
    # it expires at the end of the moved date, not before
    assert catch_up(book.state, as_of=at(4, 10, 23, 58)).events == ()
    (expired,) = book(catch_up(book.state, as_of=at(4, 11))).events
    assert isinstance(expired, PackageExpired)
    assert (expired.expires_on, expired.at.isoformat()) == (d(4, 10), "2026-04-10T23:59:00-04:00")
    sound(book)


def test_option_8_no_redemption_on_a_paused_date() -> None:
    book = Book()
    _paused_pass(book)  # paused Mar 10-19
    for when in (at(3, 10, 0), at(3, 19, 23, 58)):
        paused = checkout(book.state, day(), booking="t1", as_of=when, timezone=NY)
        assert paused.events == ()
        assert paused.application is not None
        assert [(r.package_id, r.reason) for r in paused.application.rejections] == [
            ("p1", "paused")
        ]
    # a hold is judged on the date of its appointment
    on_a_paused_date = hold(
        book.state, day(), booking="a1", as_of=at(3, 5), scheduled_for=at(3, 15, 8), timezone=NY
    )
    assert on_a_paused_date.events == ()
    assert on_a_paused_date.application is not None
    assert [r.reason for r in on_a_paused_date.application.rejections] == ["paused"]
    # the days around the pause pay
    before = book(checkout(book.state, day(), booking="t0", as_of=at(3, 9, 23, 58), timezone=NY))
    after = book(checkout(book.state, day(), booking="t2", as_of=at(3, 20, 0), timezone=NY))
    assert [e.credits for e in (*redeemed(before), *redeemed(after))] == [1, 1]
    assert book.state.package("p1").remaining("daycare_full") == 8
    sound(book)


def test_option_8_pause_and_unpause_need_the_pause_packages_permission() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    refused(
        lambda: pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 2), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'pause_packages'",
        error=PermissionDenied,
    )
    err = refused(
        lambda: pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 2)),
        book,
        code="",
        message="no actor was given and the operation needs the permission 'pause_packages'",
        error=PermissionDenied,
    )
    assert isinstance(err, PermissionDenied)
    assert (err.permission, err.actor) == (PAUSE_PACKAGES, None)
    # an actor with the permission pauses; ending the pause needs it too
    book(pause(book.state, "p1", d(3, 10), d(3, 19), as_of=at(3, 2), actor=ADMIN))
    refused(
        lambda: unpause(book.state, "p1", d(3, 10), as_of=at(3, 12), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'pause_packages'",
        error=PermissionDenied,
    )
    # a business may ask for another permission (or none)
    managers = Business(
        timezone=NY, permissions=PermissionPolicy({"pause": MANAGE_PACKAGES, "unpause": None})
    )
    refused(
        lambda: pause(
            book.state,
            "p1",
            d(3, 25),
            d(3, 26),
            as_of=at(3, 3),
            actor=Actor("desk"),
            business=managers,
        ),
        book,
        code="",
        message="actor 'desk' lacks the permission 'manage_packages'",
        error=PermissionDenied,
    )
    (ended,) = book(
        unpause(book.state, "p1", d(3, 10), as_of=at(3, 12), actor=DESK, business=managers)
    ).events
    assert isinstance(ended, PauseEnded)
    assert (ended.until, ended.new) == (d(3, 11), d(4, 2))
    sound(book)


def test_option_8_unpause_gives_back_the_days_not_taken() -> None:
    book = Book()
    _paused_pass(book)  # paused Mar 10-19: expires Apr 10
    (ended,) = book(unpause(book.state, "p1", d(3, 10), as_of=at(3, 15, 12), actor=ADMIN)).events
    assert isinstance(ended, PauseEnded)
    # paused Mar 10-14 (5 days kept), Mar 15-19 given back
    assert (ended.start, ended.end, ended.until, ended.old, ended.new) == (
        d(3, 10),
        d(3, 19),
        d(3, 14),
        d(4, 10),
        d(4, 5),
    )
    package = book.state.package("p1")
    assert (package.pauses, package.expires_on) == ((Pause(d(3, 10), d(3, 14)),), d(4, 5))
    # today pays again
    paid = book(checkout(book.state, day(), booking="t1", as_of=at(3, 15, 13), timezone=NY))
    assert [e.credits for e in redeemed(paid)] == [1]
    sound(book)


def test_option_8_a_pause_makes_an_elapsed_expiry_a_date() -> None:
    # docs/lifecycle.md: a pause moves the expiry *date*; under the elapsed mode the package
    # then ends at expires_at on the moved date, as an edited date does
    week = PackageType(
        id="week",
        name="7 days",
        components=[TypeComponent("daycare_full", 5)],
        price=usd("100"),
        days_to_expiration=7,
    )
    book = Book()
    book.buy(week, "w1", when=at(3, 2, 10), business=ELAPSED)
    (event,) = book(
        pause(book.state, "w1", d(3, 4), d(3, 5), as_of=at(3, 3), actor=ADMIN, business=ELAPSED)
    ).events
    assert isinstance(event, PackagePaused)
    assert (event.old, event.new) == (d(3, 9), d(3, 11))
    moment = book.state.package("w1").expiry_moment(ELAPSED.expires_at, "elapsed")
    assert moment is not None
    assert moment.isoformat() == "2026-03-11T23:59:00-04:00"
    sound(book)


# -- option 9: overdraft -------------------------------------------------------------------------


def test_option_9_an_overdraft_goes_below_zero_down_to_its_limit_only() -> None:
    book = Book()
    _overdrawn_tab(book, nights=4)  # 2 credits, 2 more on the tab
    tab = book.state.package("tab-1").component("boarding")
    assert (tab.granted, tab.remaining, tab.used, tab.overdraft) == (2, -2, 4, 2)
    assert book.state.package("tab-1").in_debt
    more = book(
        checkout(
            book.state, cart(("n5", "boarding", "45", 1)), booking="t5", as_of=at(3, 3), timezone=NY
        )
    )
    assert more.events == ()
    assert more.application is not None
    assert [(r.package_id, r.reason) for r in more.application.rejections] == [
        ("tab-1", "exhausted")
    ]
    sound(book)


def test_option_9_debt_is_the_last_resort_after_every_credit_left() -> None:
    book = Book()
    book.buy(TAB, "tab-1")
    plain = PackageType(
        id="night", name="1 night", components=[TypeComponent("boarding", 1)], price=usd("45")
    )
    book.buy(plain, "night", when=at(3, 1, 11))
    stay = cart(("stay", "boarding", "45", 4))
    outcome = book(checkout(book.state, stay, booking="s1", as_of=at(3, 2), timezone=NY))
    by_package: dict[str, int] = {}
    for e in outcome.own:
        assert isinstance(e, RedemptionRecorded)
        by_package[e.package_id] = by_package.get(e.package_id, 0) + e.credits
    assert by_package == {"tab-1": 3, "night": 1}
    assert book.state.package("night").remaining("boarding") == 0
    assert book.state.package("tab-1").remaining("boarding") == -1
    sound(book)


def test_option_9_the_next_purchase_settles_the_debt_on_both_packages() -> None:
    book = Book()
    _overdrawn_tab(book)  # tab-1 at -1
    sale = book.buy(TAB, "tab-2", when=at(3, 9))
    assert [type(e) for e in sale.events] == [PackagePurchased, DebtSettled, DebtSettled]
    settled = [e for e in sale.events if isinstance(e, DebtSettled)]
    assert [(e.package_id, e.debtor, e.payer, e.item, e.credits) for e in settled] == [
        ("tab-2", "tab-1", "tab-2", "boarding", 1),
        ("tab-1", "tab-1", "tab-2", "boarding", 1),
    ]
    old = book.state.package("tab-1").component("boarding")
    new = book.state.package("tab-2").component("boarding")
    assert (old.granted, old.remaining, old.used) == (3, 0, 3)
    assert (new.granted, new.remaining, new.settled) == (2, 1, 1)
    assert not book.state.package("tab-1").in_debt
    # the new package pays what is left of it
    outcome = book(
        checkout(
            book.state, cart(("n", "boarding", "45", 1)), booking="s2", as_of=at(3, 10), timezone=NY
        )
    )
    assert [(e.package_id, e.credits) for e in redeemed(outcome)] == [("tab-2", 1)]
    sound(book)


def test_option_9_a_debt_larger_than_the_sale_is_settled_in_part_also_once_expired() -> None:
    small = PackageType(
        id="tab",  # the same type: a one-night sale of it
        name="Boarding tab",
        price=usd("45"),
        components=[TypeComponent("boarding", 1, overdraft=2)],
    )
    book = Book()
    _overdrawn_tab(book, nights=4)  # tab-1 at -2; it expires Mar 31
    # (this expiry was refused by the ledger's fold: "takes 0 remaining credits, only -2")
    (expired,) = book(catch_up(book.state, as_of=at(4, 2))).events
    assert isinstance(expired, PackageExpired)
    assert [(c.item, c.credits) for c in expired.credits] == [("boarding", 0)]
    assert book.state.package("tab-1").status == "expired"
    # the debt outlived the package (nothing lapsed of a component below zero)
    assert book.state.package("tab-1").component("boarding").expired == 0
    sale = book.buy(small, "tab-2", when=at(4, 3))
    settled = [e for e in sale.events if isinstance(e, DebtSettled)]
    assert [(e.package_id, e.credits) for e in settled] == [("tab-2", 1), ("tab-1", 1)]
    assert book.state.package("tab-1").remaining("boarding") == -1
    assert book.state.package("tab-2").remaining("boarding") == 0
    # another owner's (or another type's) sale settles nothing
    other = purchase(
        book.state, TAB, package_id="jones-1", owner="jones", as_of=at(4, 4), timezone=NY
    )
    assert [type(e) for e in other.events] == [PackagePurchased]
    sound(book)


def test_option_9_a_cancelled_overdrawn_stay_clears_the_debt() -> None:
    book = Book()
    _overdrawn_tab(book)  # tab-1 at -1
    (event,) = book(cancel(book.state, "stay-1", as_of=at(3, 3))).events
    assert isinstance(event, RedemptionCancelled)
    assert (event.credits, event.expired) == (3, 0)
    tab = book.state.package("tab-1").component("boarding")
    assert (tab.remaining, tab.used) == (2, 0)
    # nothing is owed now: the next sale settles nothing
    sale = book.buy(TAB, "tab-2", when=at(3, 4))
    assert [type(e) for e in sale.events] == [PackagePurchased]
    sound(book)


# -- option 10: stored value --------------------------------------------------------------------


def _card_with_holds(book: Book) -> None:
    """CARD sold Mar 1; a grooming ($55.50) and two days of daycare ($60) held for Mar 5."""
    book.buy(CARD, "card")
    booked = cart(("g", "grooming", "55.50", 1), ("d", "daycare_full", "30", 2))
    book(
        hold(
            book.state, booked, booking="a", as_of=at(3, 2), scheduled_for=at(3, 5, 9), timezone=NY
        )
    )


def test_option_10_stored_value_is_held_used_and_cancelled_in_exact_money() -> None:
    book = Book()
    _card_with_holds(book)
    sale = book.events[0]
    assert isinstance(sale, PackagePurchased)
    assert (sale.value, sale.price, sale.components) == (usd("500"), usd("450"), ())
    held = [e for e in book.events if isinstance(e, BalanceRedeemed)]
    assert sorted((e.line_id, e.amount, e.status) for e in held) == [
        ("d", usd("60.00"), "held"),
        ("g", usd("55.50"), "held"),
    ]
    card = book.state.package("card")
    assert card.balance is not None
    assert (card.balance.remaining, card.balance.held) == (usd("384.50"), usd("115.50"))
    (used,) = book(use(book.state, "a", line_id="g", as_of=at(3, 3))).events
    assert isinstance(used, BalanceUsed)
    assert (used.line_id, used.amount, used.reason) == ("g", usd("55.50"), "completed")
    (cancelled,) = book(cancel(book.state, "a", line_id="d", as_of=at(3, 4))).events
    assert isinstance(cancelled, BalanceCancelled)
    assert (cancelled.amount, cancelled.was, cancelled.expired) == (usd("60"), "held", usd("0"))
    card = book.state.package("card")
    assert card.balance is not None
    assert (
        card.balance.granted,
        card.balance.remaining,
        card.balance.held,
        card.balance.used,
    ) == (usd("500"), usd("444.50"), usd("0"), usd("55.50"))
    assert card.balance.conserved()
    sound(book)


def test_option_10_stored_value_refund_pays_the_paid_share_of_the_money_left() -> None:
    book = Book()
    _card_with_holds(book)
    refused(
        lambda: refund(book.state, "card", as_of=at(3, 3), actor=STAFF),
        book,
        code="credits_held",
        message="package 'card' has 115.50 USD of its balance held for bookings; cancel or use "
        "them first",
    )
    book(use(book.state, "a", line_id="g", as_of=at(3, 3)))
    book(cancel(book.state, "a", line_id="d", as_of=at(3, 4)))
    # $444.50 of $500 sold for $450: $400.05 back, exactly
    assert refund_quote(book.state.package("card")) == usd("400.05")
    refused(
        lambda: refund(book.state, "card", as_of=at(3, 6), actor=STAFF),
        book,
        code="used",
        message="package 'card' has been used; refunds after use need the refund_after_use setting",
    )
    (event,) = book(
        refund(book.state, "card", as_of=at(3, 6), actor=STAFF, business=LENIENT)
    ).events
    assert isinstance(event, PackageRefunded)
    assert (event.amount, event.balance, event.credits) == (usd("400.05"), usd("444.50"), ())
    card = book.state.package("card")
    assert card.balance is not None
    assert (card.status, card.balance.remaining, card.balance.refunded) == (
        "refunded",
        usd("0"),
        usd("444.50"),
    )
    sound(book)


def test_option_10_stored_value_expires_with_its_money_and_a_late_cancel_lapses() -> None:
    book = Book()
    book.buy(CARD, "card")  # Mar 1 + 6 months: expires Sep 1
    assert book.state.package("card").expires_on == d(9, 1)
    bath = cart(("bath", "bath", "20", 1))
    book(hold(book.state, bath, booking="b1", as_of=at(3, 7), scheduled_for=at(3, 8), timezone=NY))
    # the bath was used on Mar 8 (its time passed), the card expired at the end of Sep 1, and
    # the bath cancelled on Sep 5 gives its $20 back only to lapse at once
    outcome = book(cancel(book.state, "b1", as_of=at(9, 5)))
    used, expired, cancelled = outcome.events
    assert isinstance(used, BalanceUsed)
    assert (used.reason, used.at.isoformat()) == ("time_passed", "2026-03-08T09:00:00-04:00")
    assert isinstance(expired, PackageExpired)
    assert (expired.balance, expired.at.isoformat()) == (usd("480"), "2026-09-01T23:59:00-04:00")
    assert isinstance(cancelled, BalanceCancelled)
    assert (cancelled.was, cancelled.amount, cancelled.expired) == ("used", usd("20"), usd("20"))
    card = book.state.package("card")
    assert card.balance is not None
    assert (card.status, card.balance.remaining, card.balance.used, card.balance.expired) == (
        "expired",
        usd("0"),
        usd("0"),
        usd("500"),
    )
    sound(book)


def test_option_10_stored_value_for_listed_items_pays_only_those() -> None:
    spa = PackageType(
        id="spa", name="Spa card", price=usd("90"), value=usd("100"), items=["bath", "nails"]
    )
    book = Book()
    book.buy(spa, "spa")
    mixed = cart(
        ("bath", "bath", "25", 1), ("day", "daycare_full", "30", 1), ("free", "nails", "0", 1)
    )
    outcome = book(checkout(book.state, mixed, booking="t1", as_of=at(3, 2), timezone=NY))
    # the bath is paid; daycare is not among its items; a $0 line is never touched
    (paid,) = outcome.own
    assert isinstance(paid, BalanceRedeemed)
    assert (paid.line_id, paid.amount, paid.status) == ("bath", usd("25"), "used")
    assert outcome.application is not None
    assert str(outcome.application.due) == "30.00"
    spa_state = book.state.package("spa")
    assert spa_state.balance is not None
    assert spa_state.balance.remaining == usd("75")
    sound(book)
