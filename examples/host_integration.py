"""A host application: its own rows in, punchcard in the middle, the reference store out.

punchcard never writes anything: :func:`punchcard.apply` returns the new balances and the ledger
events, and the host stores them. This example stores them with the reference layer
:mod:`punchcard.contrib.sqlite` (the same code runs on PostgreSQL with
:mod:`punchcard.contrib.postgres`), next to the host's own tables in the same database:

- the host's rows (customers, pets, package sales) are plain dicts, mapped to punchcard values;
- two tills ring up tickets for the same customer at the same moment, and both read the same
  balances. The front desk stores first; the side till's commit finds a balance changed (its
  compare-and-set guard fails), writes nothing, and checks out again on the new balances;
- the front desk never got its reply and sends its ticket again: same idempotency key, so the
  store answers with the earlier receipt and applies nothing twice;
- Bella's day is cancelled, and the cancellation arrives twice: the credit comes back once.

Run it from the repository root, with a database file or without one (in memory)::

    python3 examples/host_integration.py [DATABASE]

Run it twice on one file and the second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from punchcard import Cart, Component, Line, Money, Package, apply
from punchcard.contrib import Conflict, Receipt
from punchcard.contrib.sqlite import Store

TIMEZONE = "America/New_York"
LOCATION = "downtown"
CURRENCY = "USD"

# The host's own tables. punchcard's four tables (punchcard_packages, punchcard_components,
# punchcard_checkouts, punchcard_ledger) live beside them, keyed by the same package ids.
HOST_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pets (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER NOT NULL REFERENCES customers (id), name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS package_sales (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER NOT NULL REFERENCES customers (id), type_name TEXT NOT NULL)",
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
        "pet_id": None,  # shared by all the customer's pets
        "location": "downtown",
        "type_name": "10 Day Daycare",
        "sold_at": "2026-01-05 10:00:00",  # local time of the business
        "days_valid": 90,
        "countdown": "sale",
        "first_used_at": "2026-01-12T08:05:00-05:00",
        "credits": {"daycare_full": 2},
    },
    {
        "id": 502,
        "customer_id": 7,
        "pet_id": 12,  # Rex's own
        "location": None,  # usable at every location
        "type_name": "Rex's Grooming Bundle",
        "sold_at": "2026-02-01 12:00:00",
        "days_valid": 180,
        "countdown": "first_use",
        "first_used_at": None,
        "credits": {"grooming": 5, "shampoo": 2},
    },
]

# Two tickets rung up at the same moment at two tills, for the same customer.
TICKET_FRONT_DESK: dict[str, Any] = {
    "id": "T-1001",
    "customer_id": 7,
    "lines": [
        {"id": "T-1001/1", "service": "daycare_full", "pet_id": 12, "price": "30.00", "qty": 1},
        {"id": "T-1001/2", "service": "grooming", "pet_id": 12, "price": "55.00", "qty": 1},
        {"id": "T-1001/3", "service": "shampoo", "pet_id": 12, "price": "15.00", "qty": 1},
    ],
}
TICKET_SIDE_TILL: dict[str, Any] = {
    "id": "T-1002",
    "customer_id": 7,
    "lines": [
        {"id": "T-1002/1", "service": "daycare_full", "pet_id": 13, "price": "30.00", "qty": 2},
    ],
}
CHECKOUT_AT = dt.datetime(2026, 3, 2, 17, 30)  # local time; punchcard never reads the clock
CANCEL_AT = dt.datetime(2026, 3, 3, 9, 0)


# -- mapping the host's rows to punchcard values -------------------------------------------------


def owner_id(customer_id: int) -> str:
    return f"customer-{customer_id}"


def pet_ref(pet_id: int | None) -> str | None:
    return None if pet_id is None else f"pet-{pet_id}"


def package_from_sale(sale: Mapping[str, Any]) -> Package:
    """One sale of the host as a punchcard :class:`Package`."""
    return Package(
        id=str(sale["id"]),
        owner=owner_id(sale["customer_id"]),
        location=sale["location"],
        beneficiary=pet_ref(sale["pet_id"]),
        purchased_at=dt.datetime.fromisoformat(sale["sold_at"]),
        components=[Component(service, n) for service, n in sale["credits"].items()],
        days_to_expiration=sale["days_valid"],
        expiry_starts=sale["countdown"],
        first_used_at=(
            None
            if sale["first_used_at"] is None
            else dt.datetime.fromisoformat(sale["first_used_at"])
        ),
    )


def cart_from_ticket(ticket: Mapping[str, Any]) -> Cart:
    """A till's ticket as a punchcard :class:`Cart`; the ticket id makes the idempotency key."""
    return Cart(
        owner_id(ticket["customer_id"]),
        LOCATION,
        CURRENCY,
        [
            Line(
                line["id"],
                line["service"],
                Money(line["price"], CURRENCY),
                units=line["qty"],
                beneficiary=pet_ref(line["pet_id"]),
            )
            for line in ticket["lines"]
        ],
        id=ticket["id"],
    )


# -- the database ----------------------------------------------------------------------------------


def open_store(path: str) -> Store:
    """The reference store, with the host's tables beside punchcard's, and the example's rows."""
    store = Store.connect(path)
    store.create_schema()
    conn = store.connection
    for statement in HOST_SCHEMA:
        conn.execute(statement)
    if conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]:
        return store  # seeded by an earlier run
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO customers (id, name) VALUES (:id, :name)", CUSTOMERS)
    conn.executemany(
        "INSERT INTO pets (id, customer_id, name) VALUES (:id, :customer_id, :name)", PETS
    )
    conn.executemany(
        "INSERT INTO package_sales (id, customer_id, type_name)"
        " VALUES (:id, :customer_id, :type_name)",
        SALES,
    )
    conn.execute("COMMIT")
    for sale in SALES:
        store.add_package(package_from_sale(sale))
    return store


def describe(receipt: Receipt) -> str:
    """One line for the till's screen."""
    if receipt.duplicate:
        return f"{receipt.cart_id}: already recorded, nothing written"
    again = "" if receipt.attempts == 1 else f" (applied {receipt.attempts} times)"
    return f"{receipt.cart_id}: stored, covered {receipt.covered}, due {receipt.due}{again}"


def balances(store: Store) -> list[str]:
    names = dict(store.connection.execute("SELECT id, type_name FROM package_sales"))
    return [
        f"package {pid} ({names[int(pid)]}) {item}: {left} left"
        for (pid, item), left in sorted(store.balances().items())
    ]


def ledger(store: Store) -> list[str]:
    tickets = dict(
        store.connection.execute("SELECT idempotency_key, cart_id FROM punchcard_checkouts")
    )
    lines = []
    for entry in store.ledger():
        if entry.kind == "granted":
            continue
        verb = "redeemed" if entry.kind == "redeemed" else "restored"
        lines.append(
            f"{tickets[entry.checkout_key]} {entry.line_id}: {entry.credits} {entry.item}"
            f" credit(s) of package {entry.package_id} {verb}, {entry.amount} {CURRENCY}"
        )
    return lines


# -- the story -------------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    store = open_store(argv[0] if argv else ":memory:")
    owner = owner_id(7)
    out: list[str] = []

    # Both tills read the same balances at the same moment and apply their tickets...
    front_read = store.load_packages(owner)
    side_read = store.load_packages(owner)
    front = apply(
        cart_from_ticket(TICKET_FRONT_DESK), front_read, as_of=CHECKOUT_AT, timezone=TIMEZONE
    )
    side = apply(
        cart_from_ticket(TICKET_SIDE_TILL), side_read, as_of=CHECKOUT_AT, timezone=TIMEZONE
    )
    out.append(f"front desk read package 501 with {front_read[0].remaining('daycare_full')} left")
    out.append(f"side till read package 501 with {side_read[0].remaining('daycare_full')} left")

    # ...the front desk stores first...
    out.append(describe(store.commit(front)))

    # ...so the side till's guard fails: nothing is written, and it checks out again.
    try:
        side_receipt = store.commit(side)
    except Conflict as exc:
        out.append(f"T-1002: conflict ({exc}); reading again")
        side_receipt = store.checkout(
            cart_from_ticket(TICKET_SIDE_TILL), at=CHECKOUT_AT, timezone=TIMEZONE
        )
    out.append(describe(side_receipt))

    # The front desk's reply was lost and it sends the same ticket again: nothing changes.
    out.append(
        describe(
            store.checkout(cart_from_ticket(TICKET_FRONT_DESK), at=CHECKOUT_AT, timezone=TIMEZONE)
        )
    )

    # Bella's day is cancelled; the request reaches the server twice.
    for _ in range(2):
        cancelled = store.cancel(side_receipt.key, at=CANCEL_AT)
        if cancelled.duplicate:
            out.append("T-1002: already cancelled, nothing restored")
        else:
            out.append(f"T-1002: cancelled, {cancelled.credits} credit(s) restored")

    print("\n".join(out))
    print("\nbalances:")
    print("\n".join(f"  {text}" for text in balances(store)))
    print("\nledger:")
    print("\n".join(f"  {text}" for text in ledger(store)))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
