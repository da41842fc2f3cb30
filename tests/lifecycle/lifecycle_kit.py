"""Shared values for the lifecycle tests: a catalogue, a ledger driver, and a refusal checker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    MANAGE_PACKAGES,
    PAUSE_PACKAGES,
    Actor,
    LedgerEvent,
    LedgerState,
    OperationRefused,
    Outcome,
    PackageType,
    Period,
    TypeComponent,
    event_to_dict,
    hold,
    purchase,
    replay,
)

NY = "America/New_York"
SYDNEY = "Australia/Sydney"
USD = "USD"
DAYCARE_PRICE = Money("30.00", USD)

PASS10 = PackageType(
    id="daycare-10",
    name="10 Day Daycare",
    location="downtown",
    components=[TypeComponent("daycare_full", 10)],
    price=Money("250.00", USD),
    days_to_expiration=30,
    reminder_days=7,
    low_balance_threshold=2,
    purchasable_online=True,
)
THREE = PackageType(
    id="three",
    name="3 for 100",
    location="downtown",
    components=[TypeComponent("daycare_full", 3)],
    price=Money("100.00", USD),
)
BUNDLE = PackageType(
    id="groom-5-shampoo-2",
    name="5 Grooming + 2 Shampoo",
    components=[TypeComponent("grooming", 5), TypeComponent("shampoo", 2)],
    price=Money("200.00", USD),
    days_to_expiration=60,
)
MONTHLY = PackageType(
    id="monthly-8",
    name="Monthly 8 Days",
    location="downtown",
    components=[TypeComponent("daycare_full", 8)],
    price=Money("200.00", USD),
    subscription=Period("months"),
    purchasable_online=True,
)

ADMIN = Actor("admin", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, MANAGE_PACKAGES, PAUSE_PACKAGES})
DESK = Actor("front-desk")


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> dt.datetime:
    """A naive local time (read in the package's zone)."""
    return dt.datetime(year, month, day, hour, minute)


class Book:
    """A host in miniature: a ledger list and the state, kept by applying outcomes."""

    def __init__(self) -> None:
        self.events: list[LedgerEvent] = []
        self.state = LedgerState()

    def __call__(self, outcome: Outcome) -> Outcome:
        self.events.extend(outcome.events)
        self.state = outcome.state
        return outcome

    def buy(
        self,
        ptype: PackageType = PASS10,
        package_id: str = "p1",
        *,
        owner: str = "smith",
        when: dt.datetime | None = None,
        timezone: str = NY,
        **kwargs: Any,
    ) -> Outcome:
        return self(
            purchase(
                self.state,
                ptype,
                package_id=package_id,
                owner=owner,
                as_of=when or at(3, 1, 10),
                timezone=timezone,
                **kwargs,
            )
        )

    def hold(
        self,
        *days: int,
        booking: str = "appt-1",
        as_of: dt.datetime | None = None,
        scheduled_for: dt.datetime | None = None,
        **kwargs: Any,
    ) -> Outcome:
        """Hold one day of daycare per day of *days* (lines ``d<day>``) for *booking*, booked at
        *as_of* (Mar 2, 09:00) for *scheduled_for* (Mar 5, 08:00), in New York."""
        return self(
            hold(
                self.state,
                daycare_cart(*days),
                booking=booking,
                as_of=as_of or at(3, 2),
                scheduled_for=scheduled_for or at(3, 5, 8),
                timezone=NY,
                **kwargs,
            )
        )

    def replayed(self) -> LedgerState:
        return replay(self.events)


def daycare_cart(
    *days: int,
    owner: str = "smith",
    units: int = 1,
    item: str = "daycare_full",
    cart_id: str | None = None,
) -> Cart:
    """A cart of one daycare line per day (line ids ``d<day>``)."""
    return Cart(
        owner,
        "downtown",
        USD,
        [Line(f"d{d}", item, DAYCARE_PRICE, units=units) for d in days],
        id=cart_id,
    )


def refused(
    call: Callable[[], object],
    book: Book,
    *,
    code: str,
    message: str,
    error: type[Exception] = OperationRefused,
) -> Exception:
    """Assert *call* raises *error* with *code* (for OperationRefused) and exactly *message*,
    and that the ledger and the state are unchanged (nothing changed, nothing returned)."""
    before_state = book.state
    before_events = [event_to_dict(e) for e in book.events]
    snapshot = replay(book.events)
    with pytest.raises(error) as info:
        call()
    err = info.value
    if isinstance(err, OperationRefused):
        assert err.code == code
    assert str(err) == message
    assert book.state is before_state
    assert book.state == snapshot  # the input state was not mutated
    assert all(book.state.get(p.id) is p for p in book.state.packages)
    assert [event_to_dict(e) for e in book.events] == before_events
    return err
