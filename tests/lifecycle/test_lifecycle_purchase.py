"""Purchase (section L): every component of the type, once-per-owner, portal, beneficiaries,
the expiry fixed at sale, and the refusals, each leaving the ledger untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest
from lifecycle_kit import (
    ADMIN,
    BUNDLE,
    MONTHLY,
    NY,
    PASS10,
    SYDNEY,
    Book,
    at,
    daycare_cart,
    refused,
)

from punchcard import Money
from punchcard.errors import InvalidTimeError, InvalidValueError, PunchcardError
from punchcard.lifecycle import (
    Catalogue,
    OperationRefused,
    PackagePurchased,
    PackageType,
    TypeComponent,
    checkout,
    delete,
    expire,
    ledger_event_id,
    portal_listing,
    purchase,
    refund,
)


def test_purchase_grants_every_component_of_a_bundle() -> None:
    book = Book()
    outcome = book.buy(BUNDLE, "b1")
    (event,) = outcome.events
    assert isinstance(event, PackagePurchased)
    assert event.seq == 1
    assert event.event_id == ledger_event_id("b1", 1)
    package = book.state.package("b1")
    assert [(c.item, c.granted, c.remaining) for c in package.components] == [
        ("grooming", 5, 5),
        ("shampoo", 2, 2),
    ]
    assert package.paid == Money("200", "USD")
    assert package.paid_credits == 7
    assert package.status == "active"
    assert package.version == 1


def test_purchase_snapshots_the_type_and_fixes_expiry_from_the_local_sale_date() -> None:
    # 23:30 in New York on Jan 5 is already Jan 6 in UTC: the local date counts.
    book = Book()
    book.buy(PASS10, when=dt.datetime(2026, 1, 5, 23, 30))
    package = book.state.package("p1")
    assert package.expires_on == dt.date(2026, 2, 4)
    assert package.purchased_at.isoformat() == "2026-01-05T23:30:00-05:00"
    assert package.location == "downtown"
    assert package.timezone == NY
    assert (package.reminder_days, package.low_balance_threshold) == (7, 2)


def test_purchase_with_countdown_from_first_use_has_no_expiry_yet() -> None:
    book = Book()
    book.buy(attrs.evolve(PASS10, expiry_starts="first_use"))
    assert book.state.package("p1").expires_on is None


def test_purchase_of_a_subscription_ends_its_first_period_the_day_before_the_next() -> None:
    book = Book()
    book.buy(MONTHLY, when=at(1, 31, 12))
    package = book.state.package("p1")
    assert package.expires_on == dt.date(2026, 2, 27)  # period 2 starts on Feb 28
    assert package.period == 1


def test_purchase_aware_time_is_converted_to_the_local_zone() -> None:
    book = Book()
    book.buy(PASS10, when=dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.timezone.utc))
    package = book.state.package("p1")
    assert package.purchased_at.isoformat() == "2026-02-28T23:00:00-05:00"
    assert package.expires_on == dt.date(2026, 3, 30)


def test_purchase_at_a_local_time_that_does_not_exist_is_an_input_error() -> None:
    book = Book()
    with pytest.raises(InvalidTimeError):
        book.buy(PASS10, when=dt.datetime(2026, 10, 4, 2, 30), timezone=SYDNEY)
    assert len(book.state) == 0


def test_once_per_owner_refuses_a_second_purchase_with_the_exact_message() -> None:
    book = Book()
    once = attrs.evolve(PASS10, once_per_owner=True)
    book.buy(once, "p1")
    err = refused(
        lambda: purchase(
            book.state, once, package_id="p2", owner="smith", as_of=at(3, 2), timezone=NY
        ),
        book,
        code="once_per_owner",
        message="This package can only be purchased once per client.",
    )
    assert isinstance(err, PunchcardError)
    assert isinstance(err, ValueError)
    # another owner may still buy it
    book.buy(once, "p3", owner="jones")
    assert "p3" in book.state


def _refunded(book: Book) -> None:
    book(refund(book.state, "p1", as_of=at(3, 2), actor=ADMIN))


def _deleted(book: Book) -> None:
    book(delete(book.state, "p1", as_of=at(3, 2)))


def _refunded_then_deleted(book: Book) -> None:
    _refunded(book)
    book(delete(book.state, "p1", as_of=at(3, 3)))


def _used_up(book: Book) -> None:
    book(checkout(book.state, daycare_cart(2, units=10), booking="t", as_of=at(3, 2), timezone=NY))


def _expired(book: Book) -> None:
    book(expire(book.state, as_of=at(4, 1)))


@pytest.mark.parametrize(
    "fate", [_refunded, _deleted, _refunded_then_deleted, _used_up, _expired, None]
)
def test_issue10_item4_once_per_owner_counts_every_package_of_the_type_ever_bought(
    fate: Callable[[Book], None] | None,
) -> None:
    once = attrs.evolve(PASS10, once_per_owner=True)  # 10 days, expires Mar 31
    book = Book()
    book.buy(once)
    if fate is not None:
        fate(book)
    assert book.state.package("p1").status != "active" or fate in (None, _used_up)
    refused(
        lambda: purchase(
            book.state, once, package_id="p2", owner="smith", as_of=at(4, 5), timezone=NY
        ),
        book,
        code="once_per_owner",
        message="This package can only be purchased once per client.",
    )
    assert [t.id for t in portal_listing(Catalogue([once]), book.state, "smith").packages] == []


def test_duplicate_package_id_is_refused() -> None:
    book = Book()
    book.buy(PASS10, "p1")
    refused(
        lambda: purchase(
            book.state, BUNDLE, package_id="p1", owner="x", as_of=at(3, 2), timezone=NY
        ),
        book,
        code="duplicate_package",
        message="there is already a package 'p1'",
    )


def test_inactive_type_is_refused() -> None:
    book = Book()
    refused(
        lambda: purchase(
            book.state,
            attrs.evolve(PASS10, active=False),
            package_id="p1",
            owner="smith",
            as_of=at(3, 2),
            timezone=NY,
        ),
        book,
        code="inactive_type",
        message="package type 'daycare-10' is not active",
    )


def test_portal_purchase_of_a_type_not_sold_online_is_refused() -> None:
    book = Book()
    refused(
        lambda: purchase(
            book.state,
            BUNDLE,
            package_id="b1",
            owner="smith",
            as_of=at(3, 2),
            timezone=NY,
            channel="portal",
        ),
        book,
        code="not_online",
        message="package type 'groom-5-shampoo-2' cannot be purchased online",
    )
    book.buy(BUNDLE, "b1", channel="pos")  # at the till it sells
    assert book.state.package("b1").channel == "pos"


def test_individual_type_needs_a_beneficiary_and_shared_refuses_one() -> None:
    book = Book()
    individual = attrs.evolve(PASS10, individual=True)
    refused(
        lambda: purchase(
            book.state, individual, package_id="p1", owner="smith", as_of=at(3, 2), timezone=NY
        ),
        book,
        code="beneficiary_required",
        message="package type 'daycare-10' is sold for one pet / family member: name the beneficiary",
    )
    refused(
        lambda: purchase(
            book.state,
            PASS10,
            package_id="p1",
            owner="smith",
            as_of=at(3, 2),
            timezone=NY,
            beneficiary="rex",
        ),
        book,
        code="beneficiary_not_allowed",
        message="package type 'daycare-10' is shared by the whole account; got beneficiary 'rex'",
    )
    book.buy(individual, beneficiary="rex")
    assert book.state.package("p1").beneficiary == "rex"


def test_package_type_needs_at_least_one_credit() -> None:
    with pytest.raises(InvalidValueError, match=r"^quantity: must be a whole number >= 1, got 0$"):
        TypeComponent("daycare_full", 0)
    with pytest.raises(InvalidValueError, match="at least one component"):
        PackageType(id="x", name="X", components=[], price=Money("1", "USD"))
    with pytest.raises(InvalidValueError, match="must not be negative"):
        PackageType(id="x", name="X", components=[TypeComponent("a", 1)], price=Money("-1", "USD"))


def test_unknown_timezone_is_refused_before_anything() -> None:
    book = Book()
    with pytest.raises(InvalidValueError, match="unknown IANA time zone"):
        book.buy(PASS10, timezone="Mars/Olympus")
    assert len(book.state) == 0


def test_refusal_codes_are_listed() -> None:
    from punchcard.lifecycle import REFUSAL_CODES

    assert "once_per_owner" in REFUSAL_CODES
    assert "already_cancelled" in REFUSAL_CODES
    with pytest.raises(OperationRefused):
        raise OperationRefused("used", "x")
