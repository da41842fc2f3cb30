"""Issue 12, options 11-17 in the lifecycle: transfer (11), change of beneficiary (12),
subscription control (13: renewal date set by hand, renewals stopped, rollover cap, uses per
period), refund of a used package at the service price (14), reload notices (15), countdown
reset (16) and expiry judged at the booking (17). Each option: its rule, its refusals (a refused
operation changes nothing), the ledger round trip of its events and its default (unset: the
source articles' behaviour)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lifecycle_kit import (
    ADMIN,
    DESK,
    MONTHLY,
    NY,
    PASS10,
    THREE,
    USD,
    Book,
    at,
    daycare_cart,
    refused,
)
from options_kit import BOSS, EURO, FIRST_USE, WALKS, WEEKLY

from punchcard import Cart, Line, Money, Settings
from punchcard.errors import InvalidTypeError, InvalidValueError
from punchcard.lifecycle import (
    BeneficiaryChanged,
    Business,
    CountdownReset,
    CreditsTransferredIn,
    CreditsTransferredOut,
    LedgerEvent,
    PackageType,
    PermissionDenied,
    RedemptionCancelled,
    RenewalDateSet,
    RenewalStopped,
    SubscriptionRenewed,
    TypeComponent,
    cancel,
    change_beneficiary,
    checkout,
    event_from_dict,
    event_to_dict,
    expire,
    history,
    hold,
    notifications_due,
    refund,
    refund_breakdown,
    refund_quote,
    renew,
    revenue,
    set_renewal,
    stop_renewal,
    transfer,
    use,
)
from punchcard.testing import assert_ledger_conserved


def _round_trip(event: LedgerEvent) -> None:
    assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


# -- option 11: transfer ------------------------------------------------------------------------


def _two_clients() -> Book:
    """smith's PASS10 (p1, $250 for 10) and jones's THREE (j1, $100 for 3), both Mar 1."""
    book = Book()
    book.buy(PASS10, "p1")
    book.buy(THREE, "j1", owner="jones", when=at(3, 1, 11))
    return book


def test_issue12_option11_transfer_moves_credits_and_both_ledgers_record_it() -> None:
    book = _two_clients()
    outcome = book(
        transfer(
            book.state, "p1", "j1", "daycare_full", 2, as_of=at(3, 3), actor=ADMIN, note="gift"
        )
    )
    out, into = outcome.own
    assert isinstance(out, CreditsTransferredOut)
    assert isinstance(into, CreditsTransferredIn)
    assert (out.package_id, out.to_package, out.to_owner, out.credits, out.actor) == (
        "p1",
        "j1",
        "jones",
        2,
        "admin",
    )
    assert (into.package_id, into.from_package, into.from_owner, into.note) == (
        "j1",
        "p1",
        "smith",
        "gift",
    )
    given, taken = book.state.package("p1"), book.state.package("j1")
    c = given.component("daycare_full")
    assert (c.granted, c.remaining, c.transferred) == (10, 8, 2)
    t = taken.component("daycare_full")
    assert (t.granted, t.remaining, t.transferred) == (5, 5, 0)
    assert_ledger_conserved(book.state)
    assert book.replayed() == book.state
    assert history(book.events, "p1")[-1].summary == (
        "2 daycare_full transferred by admin to package j1 of jones (gift)"
    )
    assert history(book.events, "j1")[-1].change == 2
    # the giver keeps what was paid for them; the credits carry no revenue of the receiver
    assert revenue(given).transferred == Money("50.00", USD)
    assert revenue(taken).deferred == Money("100.00", USD)
    assert refund_quote(taken) == Money("100.00", USD)
    # the receiving client may use them
    cart = daycare_cart(6, 7, 8, 9, 10, owner="jones")
    paid = book(checkout(book.state, cart, booking="t", as_of=at(3, 4), timezone=NY))
    assert paid.application.due == Money("0.00", USD)


def test_issue12_option11_transfer_events_round_trip_through_the_ledger_codec() -> None:
    book = _two_clients()
    outcome = book(transfer(book.state, "p1", "j1", "daycare_full", 1, as_of=at(3, 3), actor=BOSS))
    for event in outcome.own:
        _round_trip(event)


def test_issue12_option11_transfer_needs_the_assign_credits_permission() -> None:
    book = _two_clients()
    refused(
        lambda: transfer(book.state, "p1", "j1", "daycare_full", 1, as_of=at(3, 3), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'assign_credits'",
        error=PermissionDenied,
    )


@pytest.mark.parametrize(
    ("to", "credits", "code", "message"),
    [
        ("p1", 1, "same_package", "cannot transfer credits of package 'p1' to itself"),
        (
            "p1x",
            11,
            "insufficient_credits",
            "cannot transfer 11 credits of 'daycare_full' from package 'p1': 10 left",
        ),
        (
            "g1",
            1,
            "unknown_item",
            "package 'g1' has no component 'daycare_full' (it has ['grooming'])",
        ),
        (
            "w1",
            1,
            "unit_mismatch",
            "package 'p1' holds whole credits of 'daycare_full', package 'w1' not",
        ),
        (
            "e1",
            1,
            "currency_mismatch",
            "package 'p1' was paid in USD, package 'e1' in EUR; credits move only between packages "
            "of one currency",
        ),
    ],
)
def test_issue12_option11_transfer_refusals_change_nothing(
    to: str, credits: int, code: str, message: str
) -> None:
    book = _two_clients()
    book.buy(PASS10, "p1x", owner="jones", when=at(3, 1, 12))
    book.buy(WALKS, "w1", owner="jones", when=at(3, 1, 12))
    book.buy(EURO, "e1", owner="jones", when=at(3, 1, 12))
    grooming = PackageType(
        id="g", name="Grooming", components=[TypeComponent("grooming", 2)], price=Money("80", USD)
    )
    book.buy(grooming, "g1", owner="jones", when=at(3, 1, 12))
    refused(
        lambda: transfer(
            book.state, "p1", to, "daycare_full", credits, as_of=at(3, 3), actor=ADMIN
        ),
        book,
        code=code,
        message=message,
    )


def test_issue12_option11_transfer_refuses_an_expired_package_either_side() -> None:
    book = _two_clients()
    book(expire(book.state, as_of=at(4, 1)))  # PASS10 expired Mar 31
    refused(
        lambda: transfer(book.state, "p1", "j1", "daycare_full", 1, as_of=at(4, 1), actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; its credits have lapsed",
    )
    refused(
        lambda: transfer(book.state, "j1", "p1", "daycare_full", 1, as_of=at(4, 1), actor=ADMIN),
        book,
        code="package_expired",
        message="package 'p1' expired on 2026-03-31; packages cannot be unexpired",
    )


@pytest.mark.parametrize(
    ("credits", "note", "error", "field"),
    [
        (0, "", InvalidValueError, "credits"),
        (1.5, "", InvalidTypeError, "credits"),
        (1, 7, InvalidTypeError, "note"),
    ],
)
def test_issue12_option11_transfer_bad_input_names_the_field(
    credits: object, note: object, error: type[Exception], field: str
) -> None:
    book = _two_clients()
    with pytest.raises(error) as info:
        transfer(
            book.state,
            "p1",
            "j1",
            "daycare_full",
            credits,  # type: ignore[arg-type]
            as_of=at(3, 3),
            actor=ADMIN,
            note=note,  # type: ignore[arg-type]
        )
    assert info.value.field == field  # type: ignore[attr-defined]


# -- option 12: change of beneficiary ------------------------------------------------------------

INDIVIDUAL = PackageType(
    id="rex-5",
    name="5 days for one dog",
    components=[TypeComponent("daycare_full", 5)],
    price=Money("125.00", USD),
    individual=True,
)


def _dog_cart(dog: str | None, day: int = 5) -> Cart:
    return Cart(
        "smith",
        "downtown",
        USD,
        [Line(f"d{day}", "daycare_full", Money("30.00", USD), beneficiary=dog)],
    )


def test_issue12_option12_change_beneficiary_moves_the_package_to_another_pet() -> None:
    book = Book()
    book.buy(INDIVIDUAL, "r1", beneficiary="rex")
    book(
        hold(
            book.state,
            _dog_cart("rex"),
            booking="a",
            as_of=at(3, 2),
            scheduled_for=at(3, 5),
            timezone=NY,
        )
    )
    outcome = book(change_beneficiary(book.state, "r1", "fido", as_of=at(3, 3), actor=ADMIN))
    (event,) = outcome.own
    assert isinstance(event, BeneficiaryChanged)
    assert (event.old, event.new) == ("rex", "fido")
    _round_trip(event)
    package = book.state.package("r1")
    assert package.beneficiary == "fido"
    # the held credit keeps its booking
    assert [r.status for r in package.redemptions_of("a")] == ["held"]
    # now fido's lines are paid, rex's are not
    rex = checkout(book.state, _dog_cart("rex", 6), booking="t1", as_of=at(3, 6), timezone=NY)
    assert [r.reason for r in rex.application.rejections] == ["beneficiary_mismatch"]
    fido = checkout(book.state, _dog_cart("fido", 6), booking="t2", as_of=at(3, 6), timezone=NY)
    assert fido.application.due == Money("0.00", USD)
    assert history(book.events, "r1")[-1].summary == "Moved by admin from rex to fido"
    assert book.replayed() == book.state


def test_issue12_option12_change_beneficiary_to_none_shares_the_package() -> None:
    book = Book()
    book.buy(INDIVIDUAL, "r1", beneficiary="rex")
    book(change_beneficiary(book.state, "r1", None, as_of=at(3, 3), actor=ADMIN))
    assert book.state.package("r1").beneficiary is None
    shared = checkout(book.state, _dog_cart("fido"), booking="t", as_of=at(3, 6), timezone=NY)
    assert shared.application.due == Money("0.00", USD)
    _round_trip(book.events[-1])


def test_issue12_option12_change_beneficiary_refusals_change_nothing() -> None:
    book = Book()
    book.buy(INDIVIDUAL, "r1", beneficiary="rex")
    refused(
        lambda: change_beneficiary(book.state, "r1", "fido", as_of=at(3, 3), actor=DESK),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'manage_packages'",
        error=PermissionDenied,
    )
    refused(
        lambda: change_beneficiary(book.state, "r1", "rex", as_of=at(3, 3), actor=ADMIN),
        book,
        code="unchanged",
        message="package 'r1' is already for rex",
    )
    with pytest.raises(InvalidValueError) as info:
        change_beneficiary(book.state, "r1", "", as_of=at(3, 3), actor=ADMIN)
    assert info.value.field == "beneficiary"
    book(refund(book.state, "r1", as_of=at(3, 4), actor=ADMIN))
    refused(
        lambda: change_beneficiary(book.state, "r1", "fido", as_of=at(3, 5), actor=ADMIN),
        book,
        code="package_refunded",
        message="package 'r1' was refunded",
    )


# -- option 13: subscription control ------------------------------------------------------------


def _monthly() -> Book:
    """MONTHLY (8 days a month) bought Mar 1: its first period ends Mar 31."""
    book = Book()
    book.buy(MONTHLY, "sub")
    return book


def test_issue12_option13_set_renewal_moves_the_end_of_the_period_and_the_ones_after() -> None:
    book = _monthly()
    assert book.state.package("sub").expires_on == dt.date(2026, 3, 31)
    outcome = book(
        set_renewal(book.state, "sub", dt.date(2026, 3, 20), as_of=at(3, 5), actor=ADMIN)
    )
    (event,) = outcome.own
    assert isinstance(event, RenewalDateSet)
    assert (event.period, event.old, event.new) == (1, dt.date(2026, 3, 31), dt.date(2026, 3, 20))
    _round_trip(event)
    # it renews at 23:59 on the date set, not before
    assert renew(book.state, as_of=at(3, 20, 23, 58)).events == ()
    renewed = book(renew(book.state, as_of=at(3, 20, 23, 59)))
    assert [type(e) for e in renewed.events] == [SubscriptionRenewed]
    package = book.state.package("sub")
    # the next period counts from the day after the date set, one month long
    assert (package.period, package.expires_on) == (2, dt.date(2026, 4, 20))
    assert book.replayed() == book.state


def test_issue12_option13_set_renewal_refusals_change_nothing() -> None:
    book = _monthly()
    book.buy(PASS10, "p1", when=at(3, 1, 11))
    refused(
        lambda: set_renewal(book.state, "p1", dt.date(2026, 3, 20), as_of=at(3, 5)),
        book,
        code="not_subscription",
        message="package 'p1' is not a subscription",
    )
    refused(
        lambda: set_renewal(book.state, "sub", dt.date(2026, 3, 31), as_of=at(3, 5)),
        book,
        code="unchanged",
        message="subscription 'sub' already renews at the end of 2026-03-31",
    )
    refused(
        lambda: set_renewal(book.state, "sub", dt.date(2026, 3, 4), as_of=at(3, 5)),
        book,
        code="renewal_passed",
        message="the end of 2026-03-04 is not after 2026-03-05T09:00:00-05:00: a renewal date "
        "is set for the future",
    )
    with pytest.raises(InvalidTypeError) as info:
        set_renewal(book.state, "sub", at(3, 20), as_of=at(3, 5))
    assert info.value.field == "renews_on"


def test_issue12_option13_stop_renewal_lets_the_period_run_out_without_a_refund() -> None:
    book = _monthly()
    outcome = book(stop_renewal(book.state, "sub", as_of=at(3, 5), actor=ADMIN))
    (event,) = outcome.own
    assert isinstance(event, RenewalStopped)
    assert (event.period, event.ends_on) == (1, dt.date(2026, 3, 31))
    _round_trip(event)
    # the credits stay usable until the end of the period, then the package expires
    used = checkout(book.state, daycare_cart(30), booking="t", as_of=at(3, 30), timezone=NY)
    assert used.application.due == Money("0.00", USD)
    assert renew(book.state, as_of=at(4, 2)).events == ()
    gone = book(expire(book.state, as_of=at(4, 1)))
    assert book.state.package("sub").status == "expired"
    assert [type(e).__name__ for e in gone.events] == ["PackageExpired"]
    assert book.replayed() == book.state
    refused(
        lambda: stop_renewal(book.state, "sub", as_of=at(4, 2)),
        book,
        code="package_expired",
        message="package 'sub' expired on 2026-03-31; packages cannot be unexpired",
    )


def test_issue12_option13_stop_renewal_refused_twice_and_on_a_plain_package() -> None:
    book = _monthly()
    book.buy(PASS10, "p1", when=at(3, 1, 11))
    book(stop_renewal(book.state, "sub", as_of=at(3, 5)))
    refused(
        lambda: stop_renewal(book.state, "sub", as_of=at(3, 6)),
        book,
        code="already_stopped",
        message="subscription 'sub' already stops after 2026-03-31",
    )
    refused(
        lambda: stop_renewal(book.state, "p1", as_of=at(3, 6)),
        book,
        code="not_subscription",
        message="package 'p1' is not a subscription",
    )


@pytest.mark.parametrize(
    ("business", "remaining", "forfeited"),
    [
        (Business(timezone=NY), 8, 5),  # the default: unused credits are forfeited
        (Business(timezone=NY, unused_at_renewal="rollover"), 13, 0),
        (Business(timezone=NY, unused_at_renewal="rollover", rollover_cap=2), 10, 3),
    ],
    ids=["forfeit (default)", "rollover", "rollover capped at 2"],
)
def test_issue12_option13_rollover_cap_keeps_at_most_n_credits_at_a_renewal(
    business: Business, remaining: int, forfeited: int
) -> None:
    book = _monthly()
    book(checkout(book.state, daycare_cart(2, 3, 4), booking="t", as_of=at(3, 4), timezone=NY))
    outcome = book(renew(book.state, as_of=at(4, 1), business=business))
    (event,) = outcome.events
    assert isinstance(event, SubscriptionRenewed)
    assert sum(c.credits for c in event.forfeited) == forfeited
    assert book.state.package("sub").remaining("daycare_full") == remaining
    assert_ledger_conserved(book.state)
    assert book.replayed() == book.state


def test_issue12_option13_rollover_cap_needs_rollover_and_a_count() -> None:
    with pytest.raises(InvalidValueError) as info:
        Business(rollover_cap=2)
    assert info.value.field == "rollover_cap"
    with pytest.raises(InvalidValueError) as info:
        Business(unused_at_renewal="rollover", rollover_cap=-1)
    assert info.value.field == "rollover_cap"


def test_issue12_option13_uses_per_period_cap_refuses_the_next_use_with_period_cap() -> None:
    capped = Business(timezone=NY, use_caps={"yoga-weekly": 2})
    book = Book()
    book.buy(WEEKLY, "w")  # Sunday Mar 1: the week runs Mar 1-7

    def yoga(day: int) -> Cart:
        return Cart("smith", "downtown", USD, [Line(f"y{day}", "yoga", Money("20.00", USD))])

    for day in (2, 3):
        done = book(
            checkout(book.state, yoga(day), booking=f"y{day}", as_of=at(3, day), business=capped)
        )
        assert done.application.due == Money("0.00", USD)
    third = checkout(book.state, yoga(4), booking="y4", as_of=at(3, 4), business=capped)
    assert third.application.due == Money("20.00", USD)
    assert [(r.package_id, r.reason) for r in third.application.rejections] == [("w", "period_cap")]
    # without the cap (the default), the third use is paid
    free = checkout(book.state, yoga(4), booking="y4", as_of=at(3, 4), timezone=NY)
    assert free.application.due == Money("0.00", USD)
    # a cancellation in the period gives the use back
    book(cancel(book.state, "y3", as_of=at(3, 4, 10)))
    again = checkout(book.state, yoga(4), booking="y4", as_of=at(3, 4, 11), business=capped)
    assert again.application.due == Money("0.00", USD)
    book(again)
    # the next period has its own uses
    book(renew(book.state, as_of=at(3, 8), business=capped))
    nxt = checkout(book.state, yoga(9), booking="y9", as_of=at(3, 9), business=capped)
    assert nxt.application.due == Money("0.00", USD)
    assert book.state.package("w").component("yoga").period_uses == 0


@pytest.mark.parametrize(
    ("caps", "error", "field"),
    [
        ({"yoga-weekly": 0}, InvalidValueError, "use_caps.yoga-weekly"),
        ({"yoga-weekly": "2"}, InvalidTypeError, "use_caps.yoga-weekly"),
        ("yoga", InvalidTypeError, "use_caps"),
    ],
)
def test_issue12_option13_use_caps_bad_input_names_the_field(
    caps: object, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        Business(use_caps=caps)  # type: ignore[arg-type]
    assert info.value.field == field  # type: ignore[attr-defined]


def test_issue12_option13_defaults_are_the_seeds() -> None:
    business = Business()
    assert (business.rollover_cap, business.use_caps, business.use_cap("monthly-8")) == (
        None,
        (),
        None,
    )
    book = _monthly()
    assert book.state.package("sub").renewing


# -- option 14: refund of a used package --------------------------------------------------------


def _used_pass() -> Book:
    """PASS10 ($250 for 10: $25 a credit) with 2 credits used on $30 lines."""
    book = Book()
    book.buy(PASS10, "p1")
    book(checkout(book.state, daycare_cart(2, 3), booking="t", as_of=at(3, 3), timezone=NY))
    return book


@pytest.mark.parametrize(
    ("business", "amount", "used"),
    [
        (Business(timezone=NY, settings=Settings(refund_after_use=True)), "200.00", "50.00"),
        (
            Business(
                timezone=NY,
                settings=Settings(refund_after_use=True),
                refund_used_at="service_price",
            ),
            "190.00",
            "60.00",
        ),
    ],
    ids=["paid value (default)", "service price"],
)
def test_issue12_option14_refund_charges_used_credits_at_the_chosen_basis(
    business: Business, amount: str, used: str
) -> None:
    book = _used_pass()
    breakdown = refund_breakdown(book.state.package("p1"), business=business)
    assert (breakdown.amount, breakdown.used) == (Money(amount, USD), Money(used, USD))
    assert breakdown.paid == breakdown.used + breakdown.other + breakdown.amount
    outcome = book(refund(book.state, "p1", as_of=at(3, 4), actor=ADMIN, business=business))
    assert outcome.own[0].amount == Money(amount, USD)  # type: ignore[union-attr]
    money = revenue(book.state.package("p1"))
    assert money.refunded == Money(amount, USD)
    assert money.used == Money(used, USD)  # what the refund kept is earned


def test_issue12_option14_the_service_price_never_refunds_more_than_the_paid_value() -> None:
    # credits used on $20 lines: the service price is below the paid value of $25 a credit
    book = Book()
    book.buy(PASS10, "p1")
    cheap = Cart(
        "smith", "downtown", USD, [Line("c", "daycare_full", Money("20.00", USD), units=2)]
    )
    book(checkout(book.state, cheap, booking="t", as_of=at(3, 3), timezone=NY))
    business = Business(timezone=NY, refund_used_at="service_price")
    assert refund_breakdown(book.state.package("p1"), business=business).amount == Money(
        "200.00", USD
    )


def test_issue12_option14_refund_used_at_is_checked() -> None:
    with pytest.raises(InvalidValueError) as info:
        Business(refund_used_at="retail")  # type: ignore[arg-type]
    assert info.value.field == "refund_used_at"
    assert Business().refund_used_at == "paid_value"


# -- option 15: reload due ----------------------------------------------------------------------


def test_issue12_option15_a_reload_notice_is_due_when_the_credits_come_down_to_n() -> None:
    business = Business(timezone=NY, reload_at=1)
    book = Book()
    book.buy(THREE, "p1")
    assert [
        n.kind for n in notifications_due(book.state.packages, as_of=at(3, 2), business=business)
    ] == []
    book(checkout(book.state, daycare_cart(2), booking="a", as_of=at(3, 2), timezone=NY))
    assert [
        n.kind for n in notifications_due(book.state.packages, as_of=at(3, 2), business=business)
    ] == []
    book(checkout(book.state, daycare_cart(3), booking="b", as_of=at(3, 3), timezone=NY))
    (notice,) = notifications_due(book.state.packages, as_of=at(3, 3, 10), business=business)
    assert (notice.kind, notice.package_id, notice.remaining) == ("reload_due", "p1", 1)
    # due once: not again once sent
    again = notifications_due(
        book.state.packages, as_of=at(3, 3, 11), sent={notice.key}, business=business
    )
    assert list(again) == []
    # without reload_at (the default), never
    assert list(notifications_due(book.state.packages, as_of=at(3, 3, 10))) == []


def test_issue12_option15_reload_at_zero_waits_until_the_package_runs_out() -> None:
    business = Business(timezone=NY, reload_at=0)
    book = Book()
    book.buy(THREE, "p1")
    book(checkout(book.state, daycare_cart(2, 3), booking="a", as_of=at(3, 2), timezone=NY))
    assert list(notifications_due(book.state.packages, as_of=at(3, 2, 10), business=business)) == []
    book(checkout(book.state, daycare_cart(4), booking="b", as_of=at(3, 4), timezone=NY))
    kinds = [
        n.kind
        for n in notifications_due(book.state.packages, as_of=at(3, 4, 10), business=business)
    ]
    assert kinds == ["reload_due"]
    with pytest.raises(InvalidValueError) as info:
        Business(reload_at=-1)
    assert info.value.field == "reload_at"


# -- option 16: countdown reset -----------------------------------------------------------------


def _first_use_held() -> Book:
    """FIRST_USE (3 days, 10 days from the first use) bought Mar 1, one day held on Mar 2 for
    Mar 5: the countdown started at the appointment (expires Mar 15)."""
    book = Book()
    book.buy(FIRST_USE, "fu")
    book(
        hold(
            book.state,
            daycare_cart(5),
            booking="a",
            as_of=at(3, 2),
            scheduled_for=at(3, 5, 8),
            timezone=NY,
        )
    )
    assert book.state.package("fu").expires_on == dt.date(2026, 3, 15)
    return book


def test_issue12_option16_cancelling_every_use_early_resets_the_countdown() -> None:
    business = Business(timezone=NY, countdown_reset=True)
    book = _first_use_held()
    outcome = book(cancel(book.state, "a", as_of=at(3, 3), business=business))
    assert [type(e) for e in outcome.own] == [RedemptionCancelled, CountdownReset]
    reset = outcome.own[1]
    assert isinstance(reset, CountdownReset)
    assert reset.expires_on == dt.date(2026, 3, 15)
    _round_trip(reset)
    package = book.state.package("fu")
    assert (package.first_used_at, package.expires_on) == (None, None)
    # the next use starts it again
    book(
        hold(
            book.state,
            daycare_cart(20),
            booking="b",
            as_of=at(3, 15),
            scheduled_for=at(3, 20, 8),
            timezone=NY,
        )
    )
    assert book.state.package("fu").expires_on == dt.date(2026, 3, 30)
    assert book.replayed() == book.state


def test_issue12_option16_by_default_a_started_countdown_stays() -> None:
    book = _first_use_held()
    outcome = book(cancel(book.state, "a", as_of=at(3, 3)))
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]
    assert book.state.package("fu").expires_on == dt.date(2026, 3, 15)


def test_issue12_option16_no_reset_once_a_use_was_used() -> None:
    business = Business(timezone=NY, countdown_reset=True)
    book = _first_use_held()
    book(
        hold(
            book.state,
            daycare_cart(6),
            booking="b",
            as_of=at(3, 2, 10),
            scheduled_for=at(3, 6, 8),
            timezone=NY,
        )
    )
    book(use(book.state, "a", as_of=at(3, 5, 17)))
    outcome = book(cancel(book.state, "b", as_of=at(3, 5, 18), business=business))
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]
    assert book.state.package("fu").expires_on == dt.date(2026, 3, 15)
    # and not while another booking still holds a credit
    book2 = _first_use_held()
    book2(
        hold(
            book2.state,
            daycare_cart(6),
            booking="b",
            as_of=at(3, 2, 10),
            scheduled_for=at(3, 6, 8),
            timezone=NY,
        )
    )
    outcome = book2(cancel(book2.state, "a", as_of=at(3, 3), business=business))
    assert [type(e) for e in outcome.own] == [RedemptionCancelled]


# -- option 17: expiry judged at the booking ----------------------------------------------------


def _late_hold(business: Business) -> object:
    """PASS10 bought Mar 1 (expires Mar 31, 23:59): a hold booked Mar 30 for Apr 2."""
    book = Book()
    book.buy(PASS10, "p1")
    return hold(
        book.state,
        daycare_cart(2),
        booking="a",
        as_of=at(3, 30),
        scheduled_for=at(4, 2, 8),
        business=business,
    )


def test_issue12_option17_by_default_the_expiry_is_judged_at_the_appointment() -> None:
    outcome = _late_hold(Business(timezone=NY))
    app = outcome.application  # type: ignore[attr-defined]
    assert app.due == Money("30.00", USD)
    assert [r.reason for r in app.rejections] == ["expired"]
    assert Business().expiry_judged_at == "appointment"


def test_issue12_option17_a_hold_made_before_the_expiry_keeps_its_credit() -> None:
    outcome = _late_hold(Business(timezone=NY, expiry_judged_at="booking"))
    app = outcome.application  # type: ignore[attr-defined]
    assert app.due == Money("0.00", USD)
    assert [r.package_id for r in app.redemptions] == ["p1"]


def test_issue12_option17_a_hold_booked_after_the_expiry_is_still_refused() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    business = Business(timezone=NY, expiry_judged_at="booking")
    outcome = hold(
        book.state,
        daycare_cart(2),
        booking="a",
        as_of=at(4, 1),
        scheduled_for=at(4, 2, 8),
        business=business,
    )
    # expired by the booking time: the catch-up records the expiry, no credit is offered
    assert [type(e).__name__ for e in outcome.catch_up] == ["PackageExpired"]
    assert (outcome.application.due, outcome.application.redemptions) == (Money("30.00", USD), ())
    with pytest.raises(InvalidValueError) as info:
        Business(expiry_judged_at="checkout")  # type: ignore[arg-type]
    assert info.value.field == "expiry_judged_at"
