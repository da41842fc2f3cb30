"""A host application: its own rows in, punchcard's store beside them, in one database.

The host keeps its customers, pets, package sales and tickets in its own tables; punchcard's
store (:mod:`punchcard.store`) keeps the ledger and the packages' state in its tables, in the same
SQLite file. Every till request runs in one transaction of the host, which the store joins:

- the host's package sales become punchcard sales (the terms of each sale as a package type);
- the front desk closes Rex's ticket, and the side till Bella's: the daycare pass has 2 credits
  left, the front desk takes one, so Bella's 2 days are covered for one day only;
- the front desk never got its reply and sends its ticket again: same idempotency key, so the
  store answers with the first outcome and applies nothing twice;
- a card is declined: the host rolls its transaction back, and neither its ticket row nor the
  credits stay;
- Bella's day is cancelled, and the request arrives twice: the credit comes back once.

Run it from the repository root, with a database file or without one (in memory)::

    python3 examples/host_integration.py [DATABASE]

Run it twice on one file and the second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from punchcard import Cart, Line, Money
from punchcard.lifecycle import PackageType, TypeComponent
from punchcard.store import Business, Receipt, Store

TIMEZONE = "America/New_York"
LOCATION = "downtown"
CURRENCY = "USD"
#: The business's settings, given to every store once (here: the zone of its location).
BUSINESS = Business(timezone=TIMEZONE)

# The host's own tables, beside punchcard's (punchcard_events, punchcard_packages, ...).
host = sa.MetaData()
customers = sa.Table(
    "customers",
    host,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
)
pets = sa.Table(
    "pets",
    host,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("name", sa.String, nullable=False),
)
tickets = sa.Table(
    "tickets",
    host,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False),
    sa.Column("covered", sa.String, nullable=False),
    sa.Column("due", sa.String, nullable=False),
)

CUSTOMERS: list[dict[str, Any]] = [{"id": 7, "name": "Sam Smith"}]
PETS: list[dict[str, Any]] = [
    {"id": 12, "customer_id": 7, "name": "Rex"},
    {"id": 13, "customer_id": 7, "name": "Bella"},
]
# A sale as the host's back office holds it, with the terms of the package sold.
SALES: list[dict[str, Any]] = [
    {
        "id": 501,
        "customer_id": 7,
        "type_name": "10 Day Daycare",
        "price": "60.00",
        "sold_at": "2026-01-05 10:00:00",  # local time of the business
        "days_valid": 90,
        "countdown": "sale",
        "credits": {"daycare_full": 2},
    },
    {
        "id": 502,
        "customer_id": 7,
        "type_name": "Grooming Bundle",
        "price": "200.00",
        "sold_at": "2026-02-01 12:00:00",
        "days_valid": 180,
        "countdown": "first_use",
        "credits": {"grooming": 5, "shampoo": 2},
    },
]
TICKET_FRONT_DESK: dict[str, Any] = {
    "id": "T-1001",
    "customer_id": 7,
    "lines": [
        {"id": "T-1001/1", "service": "daycare_full", "price": "30.00", "qty": 1},
        {"id": "T-1001/2", "service": "grooming", "price": "55.00", "qty": 1},
        {"id": "T-1001/3", "service": "shampoo", "price": "15.00", "qty": 1},
    ],
}
TICKET_SIDE_TILL: dict[str, Any] = {
    "id": "T-1002",
    "customer_id": 7,
    "lines": [{"id": "T-1002/1", "service": "daycare_full", "price": "30.00", "qty": 2}],
}
TICKET_DECLINED: dict[str, Any] = {
    "id": "T-1003",
    "customer_id": 7,
    "lines": [{"id": "T-1003/1", "service": "grooming", "price": "55.00", "qty": 1}],
}
CHECKOUT_AT = dt.datetime(2026, 3, 2, 17, 30)  # local time; punchcard never reads the clock
CANCEL_AT = dt.datetime(2026, 3, 3, 9, 0)


# -- mapping the host's rows to punchcard values ---------------------------------------------------


def owner_id(customer_id: int) -> str:
    return f"customer-{customer_id}"


def type_from_sale(sale: Mapping[str, Any]) -> PackageType:
    """The terms of one sale of the host as a punchcard :class:`PackageType`."""
    return PackageType(
        id=f"sale-{sale['id']}",
        name=sale["type_name"],
        price=Money(sale["price"], CURRENCY),
        components=[TypeComponent(service, n) for service, n in sale["credits"].items()],
        days_to_expiration=sale["days_valid"],
        expiry_starts=sale["countdown"],
    )


def cart_from_ticket(ticket: Mapping[str, Any]) -> Cart:
    """A till's ticket as a punchcard :class:`Cart`."""
    return Cart(
        owner_id(ticket["customer_id"]),
        LOCATION,
        CURRENCY,
        [
            Line(line["id"], line["service"], Money(line["price"], CURRENCY), units=line["qty"])
            for line in ticket["lines"]
        ],
        id=ticket["id"],
    )


# -- the database ---------------------------------------------------------------------------------


def open_database(url: str) -> sa.Engine:
    """The host's tables and punchcard's in one database, with the example's rows."""
    engine = sa.create_engine(url)
    host.create_all(engine)
    Store(engine).create_tables()
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(customers)).scalar():
            return engine  # seeded by an earlier run
        conn.execute(sa.insert(customers), CUSTOMERS)
        conn.execute(sa.insert(pets), PETS)
        store = Store(conn, business=BUSINESS)  # punchcard's rows in the host's transaction
        for sale in SALES:
            store.sell(
                owner_id(sale["customer_id"]),
                type_from_sale(sale),
                key=f"sale-{sale['id']}",
                package_id=str(sale["id"]),
                as_of=dt.datetime.fromisoformat(sale["sold_at"]),
            )
    return engine


class Declined(Exception):
    """The host's own error: the card was declined."""


def close_ticket(engine: sa.Engine, ticket: Mapping[str, Any], *, pay: bool = True) -> Receipt:
    """Close a ticket in one transaction of the host: punchcard redeems the credits (one
    operation: lines booked earlier would use their holds, the rest is offered to the credits),
    the host writes its ticket row and takes the payment; if the payment fails, none of it
    stays."""
    with engine.begin() as conn:
        receipt = Store(conn, business=BUSINESS).close_ticket(
            cart_from_ticket(ticket),
            key=ticket["id"],  # the ticket number: a resent ticket is recognised
            booking=ticket["id"],
            as_of=CHECKOUT_AT,
        )
        assert receipt.charges is not None
        if not receipt.replayed:
            conn.execute(
                sa.insert(tickets).values(
                    id=ticket["id"],
                    customer_id=ticket["customer_id"],
                    covered=str(receipt.charges.covered),
                    due=str(receipt.charges.due),
                )
            )
        if not pay:
            raise Declined(ticket["id"])
        return receipt


def describe(ticket: Mapping[str, Any], receipt: Receipt) -> str:
    """One line for the till's screen."""
    if receipt.replayed:
        return f"{ticket['id']}: already recorded, nothing written"
    assert receipt.charges is not None
    return f"{ticket['id']}: stored, covered {receipt.charges.covered}, due {receipt.charges.due}"


def balances(engine: sa.Engine) -> list[str]:
    names = {str(sale["id"]): sale["type_name"] for sale in SALES}
    with Store(engine, business=BUSINESS) as store:
        state = store.state(owner_id(7), history=False)
    return [
        f"package {p.id} ({names[p.id]}) {c.item}: {c.remaining} left"
        for p in state
        for c in p.components
    ]


def ledger(engine: sa.Engine) -> list[str]:
    with Store(engine) as store:
        events = store.events(owner_id(7))
    return [
        f"{e.package_id} #{e.seq} {type(e).__name__}"
        + (f" {e.line_id} {e.credits} {e.item}" if hasattr(e, "line_id") else "")
        for e in events
    ]


# -- the story ------------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    engine = open_database(f"sqlite:///{argv[0]}" if argv else "sqlite://")
    out = [
        describe(TICKET_FRONT_DESK, close_ticket(engine, TICKET_FRONT_DESK)),
        describe(TICKET_SIDE_TILL, close_ticket(engine, TICKET_SIDE_TILL)),
        # The front desk's reply was lost and it sends the same ticket again: nothing changes.
        describe(TICKET_FRONT_DESK, close_ticket(engine, TICKET_FRONT_DESK)),
    ]
    try:
        close_ticket(engine, TICKET_DECLINED, pay=False)
    except Declined:
        out.append("T-1003: card declined, nothing kept")
    # Bella's day is cancelled; the request reaches the server twice (same key).
    for _ in range(2):
        with engine.begin() as conn:
            cancelled = Store(conn, business=BUSINESS).cancel(
                owner_id(7), "T-1002", key="cancel-T-1002", as_of=CANCEL_AT
            )
        restored = sum(e.credits for e in cancelled.events)
        if cancelled.replayed:
            out.append("T-1002: already cancelled, nothing restored")
        else:
            out.append(f"T-1002: cancelled, {restored} credit(s) restored")

    print("\n".join(out))
    print("\nbalances:")
    print("\n".join(f"  {text}" for text in balances(engine)))
    print("\nledger:")
    print("\n".join(f"  {text}" for text in ledger(engine)))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
