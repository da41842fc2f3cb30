"""The daycare's punchcard-facing code: its catalogue and staff, its tickets table, and one
function per thing the front desk does. Each runs on the request's :class:`Desk` (its
connection, idempotency key and time): the daycare's rows and punchcard's commit together, in
the one transaction the web layer opens per request."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    Actor,
    PackageType,
    TypeComponent,
    balances_report,
)
from punchcard.store import Business, Receipt, Store

TIMEZONE, LOCATION, CURRENCY = "America/New_York", "downtown", "USD"
TYPES = [  # id, name, price, credits per item, other terms
    ("daycare-10", "10 Day Daycare", "250", {"daycare_full": 10}, {"days_to_expiration": 90}),
    ("groom-5-shampoo-2", "5 Grooming + 2 Shampoo", "200", {"grooming": 5, "shampoo": 2}, {}),
    ("welcome", "Welcome Day", "0", {"daycare_full": 1}, {"once_per_owner": True}),
]
CATALOGUE = {
    id_: PackageType(
        id=id_,
        name=name,
        price=Money(price, CURRENCY),
        components=[TypeComponent(item, n) for item, n in credits.items()],
        **terms,
    )
    for id_, name, price, credits, terms in TYPES
}
STAFF = {"ann": Actor("ann", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS}), "desk": Actor("desk")}
BUSINESS = Business(timezone=TIMEZONE)  # its one location's zone: no timezone= on each call

metadata = sa.MetaData()
tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("covered", sa.String, nullable=False),
    sa.Column("due", sa.String, nullable=False),
)


def setup(engine: sa.Engine) -> None:
    """The daycare's tables and punchcard's, in one database."""
    metadata.create_all(engine)
    Store(engine).create_tables()


@dataclasses.dataclass
class Desk:
    """One front-desk request: its connection (in its transaction), its key and its time."""

    conn: sa.Connection
    key: str
    as_of: dt.datetime

    @property
    def store(self) -> Store:
        return Store(self.conn, business=BUSINESS)


def cart(owner: str, lines: list[dict[str, Any]]) -> Cart:
    items = [Line(x["id"], x["item"], Money(x["price"], CURRENCY), units=x["units"]) for x in lines]
    return Cart(owner, LOCATION, CURRENCY, items)


def charges(receipt: Receipt) -> dict[str, str]:
    assert receipt.charges is not None  # (a hold or a closed ticket has them)
    return {"covered": str(receipt.charges.covered), "due": str(receipt.charges.due)}


def sell(desk: Desk, owner: str, type_id: str, package_id: str) -> int:
    ptype = CATALOGUE[type_id]
    sold = desk.store.sell(owner, ptype, key=desk.key, package_id=package_id, as_of=desk.as_of)
    return len(sold.events)


def book(desk: Desk, owner: str, booking: str, lines: list[Any], at: dt.datetime) -> dict[str, str]:
    held = desk.store.hold(
        cart(owner, lines), key=desk.key, booking=booking, as_of=desk.as_of, scheduled_for=at
    )
    return charges(held)


def close_ticket(desk: Desk, owner: str, ticket: str, booking: str | None, lines: list[Any]) -> Any:
    """One operation: the lines booked as *booking* use their holds, the rest of the ticket is
    offered to the credits; the ticket row records what is due, in the request's transaction."""
    closed = desk.store.close_ticket(
        cart(owner, lines), key=desk.key, booking=booking or ticket, as_of=desk.as_of
    )
    due = charges(closed)
    insert = sa.insert(tickets).values(id=ticket, owner=owner, **due)
    desk.conn.execute(insert.prefix_with("OR IGNORE"))  # a retried request: the row is there
    return due


def cancel(desk: Desk, owner: str, booking: str) -> int:
    cancelled = desk.store.cancel(owner, booking, key=desk.key, as_of=desk.as_of)
    return sum(e.credits for e in cancelled.events)


def adjust(desk: Desk, owner: str, package_id: str, item: str, credits: int, staff: str) -> int:
    """Staff add (credits > 0) or remove (credits < 0) credits by hand."""
    change = desk.store.assign if credits > 0 else desk.store.deduct
    change(
        owner, package_id, item, abs(credits), key=desk.key, as_of=desk.as_of, actor=STAFF[staff]
    )
    return credits


def nightly(engine: sa.Engine, key: str, as_of: dt.datetime) -> int:
    """Each owner's sweep in its own transaction: running the night's job again changes nothing."""
    with Store(engine, business=BUSINESS) as store:
        swept = store.sweep_all(key=key, as_of=as_of)
    return sum(len(r.events) for r in swept if not r.replayed)


def balances(desk: Desk, owner: str) -> list[dict[str, Any]]:
    state = desk.store.state(owner, history=False)
    rows = balances_report(state, as_of=desk.as_of, business=BUSINESS)
    return [
        {"package": r.package_id, "item": r.item, "remaining": r.remaining, "held": r.held}
        for r in rows
    ]
