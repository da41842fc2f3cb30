"""A host application: its own database rows in, punchcard in the middle, its own database out.

punchcard never writes anything: :func:`punchcard.apply` returns the new package states and the
ledger events, and the host stores them. This example shows one way to do that safely with the
standard library's :mod:`sqlite3`:

- the host's rows (customers, pets, packages with their remaining credits) are plain dicts, read
  from its tables and mapped to punchcard values;
- a till applies a ticket and stores the result in **one transaction**: the checkout, the new
  balances and the ledger events are all written, or none is;
- each balance is written with a **compare-and-set** (``UPDATE ... WHERE remaining = expected``),
  so two tills that read the same balance cannot both spend the same credit: the second one finds
  the balance changed, rolls back, reloads and applies its ticket again;
- the checkout row is keyed by the ticket id, so a till that retries a ticket already stored
  (a lost reply, a double click) changes nothing.

Run it from the repository root, with a database file or without one (in memory)::

    python3 examples/host_integration.py [DATABASE]
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from punchcard import Application, Cart, Component, Line, Money, Package, apply

TIMEZONE = "America/New_York"
LOCATION = "downtown"
CURRENCY = "USD"

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    pet_id INTEGER REFERENCES pets (id),          -- NULL: shared by all the customer's pets
    location TEXT,                                -- NULL: usable at every location
    type_name TEXT NOT NULL,
    sold_at TEXT NOT NULL,                        -- local time of the business
    days_valid INTEGER,                           -- NULL: never expires
    countdown TEXT NOT NULL DEFAULT 'sale',       -- 'sale' or 'first_use'
    expires_on TEXT,
    first_used_at TEXT
);
CREATE TABLE IF NOT EXISTS package_credits (
    package_id INTEGER NOT NULL REFERENCES packages (id),
    service TEXT NOT NULL,
    remaining INTEGER NOT NULL CHECK (remaining >= 0),
    PRIMARY KEY (package_id, service)
);
CREATE TABLE IF NOT EXISTS checkouts (
    ticket_id TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    at TEXT NOT NULL,
    total TEXT NOT NULL,
    covered TEXT NOT NULL,
    due TEXT NOT NULL,
    currency TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
    event_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES checkouts (ticket_id),
    package_id INTEGER NOT NULL REFERENCES packages (id),
    line_id TEXT NOT NULL,
    service TEXT NOT NULL,
    credits INTEGER NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

# The host's data, as its own tables hold it.
CUSTOMERS: list[dict[str, Any]] = [{"id": 7, "name": "Sam Smith"}]
PETS: list[dict[str, Any]] = [
    {"id": 12, "customer_id": 7, "name": "Rex"},
    {"id": 13, "customer_id": 7, "name": "Bella"},
]
PACKAGE_ROWS: list[dict[str, Any]] = [
    {
        "id": 501,
        "customer_id": 7,
        "pet_id": None,
        "location": "downtown",
        "type_name": "10 Day Daycare",
        "sold_at": "2026-01-05 10:00:00",
        "days_valid": 90,
        "countdown": "sale",
        "expires_on": None,
        "first_used_at": "2026-01-12T08:05:00-05:00",
        "credits": {"daycare_full": 2},
    },
    {
        "id": 502,
        "customer_id": 7,
        "pet_id": 12,
        "location": None,
        "type_name": "Rex's Grooming Bundle",
        "sold_at": "2026-02-01 12:00:00",
        "days_valid": 180,
        "countdown": "first_use",
        "expires_on": None,
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


class StaleBalance(Exception):
    """A balance changed between reading the packages and storing the result."""


class AlreadyRecorded(Exception):
    """This ticket was stored before (a retry): nothing was written."""


# -- the database -------------------------------------------------------------------------------


def connect(path: str) -> sqlite3.Connection:
    """Open the database; transactions are begun and ended explicitly (see :func:`transaction`)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(SCHEMA)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """All or nothing. ``BEGIN IMMEDIATE`` takes the write lock at once."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def seed(conn: sqlite3.Connection) -> None:
    """Insert the host's example rows into an empty database."""
    if conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]:
        return
    with transaction(conn):
        conn.executemany("INSERT INTO customers (id, name) VALUES (:id, :name)", CUSTOMERS)
        conn.executemany(
            "INSERT INTO pets (id, customer_id, name) VALUES (:id, :customer_id, :name)", PETS
        )
        for row in PACKAGE_ROWS:
            conn.execute(
                "INSERT INTO packages (id, customer_id, pet_id, location, type_name, sold_at,"
                " days_valid, countdown, expires_on, first_used_at) VALUES (:id, :customer_id,"
                " :pet_id, :location, :type_name, :sold_at, :days_valid, :countdown, :expires_on,"
                " :first_used_at)",
                row,
            )
            conn.executemany(
                "INSERT INTO package_credits (package_id, service, remaining) VALUES (?, ?, ?)",
                [(row["id"], service, n) for service, n in row["credits"].items()],
            )


def load_package_rows(conn: sqlite3.Connection, customer_id: int) -> list[dict[str, Any]]:
    """The customer's package rows as plain dicts, each with ``credits``: service -> remaining."""
    rows = [
        dict(row)
        for row in conn.execute(
            "SELECT * FROM packages WHERE customer_id = ? ORDER BY id", (customer_id,)
        )
    ]
    for row in rows:
        row["credits"] = {
            credit["service"]: credit["remaining"]
            for credit in conn.execute(
                "SELECT service, remaining FROM package_credits WHERE package_id = ?"
                " ORDER BY service",
                (row["id"],),
            )
        }
    return rows


# -- mapping the host's rows to punchcard values and back ----------------------------------------


def owner_id(customer_id: int) -> str:
    return f"customer-{customer_id}"


def pet_ref(pet_id: int | None) -> str | None:
    return None if pet_id is None else f"pet-{pet_id}"


def package_from_row(row: Mapping[str, Any]) -> Package:
    """One host package row (with its ``credits``) as a punchcard :class:`Package`."""
    return Package(
        id=str(row["id"]),
        owner=owner_id(row["customer_id"]),
        location=row["location"],
        beneficiary=pet_ref(row["pet_id"]),
        purchased_at=dt.datetime.fromisoformat(row["sold_at"]),
        components=[Component(service, n) for service, n in row["credits"].items()],
        days_to_expiration=row["days_valid"],
        expiry_starts=row["countdown"],
        expires_on=None if row["expires_on"] is None else dt.date.fromisoformat(row["expires_on"]),
        first_used_at=(
            None
            if row["first_used_at"] is None
            else dt.datetime.fromisoformat(row["first_used_at"])
        ),
    )


def cart_from_ticket(ticket: Mapping[str, Any]) -> Cart:
    """A till's ticket as a punchcard :class:`Cart`."""
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


# -- one till ------------------------------------------------------------------------------------


def read_and_apply(
    conn: sqlite3.Connection, ticket: Mapping[str, Any], at: dt.datetime
) -> tuple[tuple[Package, ...], Application]:
    """Read the customer's packages and apply the ticket to them. Writes nothing."""
    packages = tuple(
        package_from_row(row) for row in load_package_rows(conn, ticket["customer_id"])
    )
    result = apply(cart_from_ticket(ticket), packages, at=at, timezone=TIMEZONE)
    return packages, result


def store(
    conn: sqlite3.Connection,
    ticket: Mapping[str, Any],
    before: Sequence[Package],
    result: Application,
) -> None:
    """Store the checkout, the new balances and the ledger events in one transaction.

    Raises :class:`StaleBalance` (and writes nothing) if any balance is no longer the one the
    result was computed from, and :class:`AlreadyRecorded` if the ticket was stored before.
    """
    old = {p.id: p for p in before}
    with transaction(conn):
        try:
            conn.execute(
                "INSERT INTO checkouts (ticket_id, customer_id, at, total, covered, due, currency)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    ticket["id"],
                    ticket["customer_id"],
                    result.at.isoformat(),
                    str(result.total),
                    str(result.covered),
                    str(result.due),
                    result.currency,
                ),
            )
        except sqlite3.IntegrityError:
            raise AlreadyRecorded(ticket["id"]) from None

        for new in result.packages:
            was = old[new.id]
            for before_c, after_c in zip(was.components, new.components, strict=True):
                if after_c.remaining == before_c.remaining:
                    continue
                # Compare-and-set: only if nobody changed the balance since we read it.
                changed = conn.execute(
                    "UPDATE package_credits SET remaining = ?"
                    " WHERE package_id = ? AND service = ? AND remaining = ?",
                    (after_c.remaining, int(new.id), after_c.item, before_c.remaining),
                ).rowcount
                if changed != 1:
                    raise StaleBalance(
                        f"package {new.id} {after_c.item}: expected {before_c.remaining} left"
                    )
            if was.first_used_at is None and new.first_used_at is not None:
                changed = conn.execute(
                    "UPDATE packages SET first_used_at = ?, expires_on = ?"
                    " WHERE id = ? AND first_used_at IS NULL",
                    (
                        new.first_used_at.isoformat(),
                        None if new.expires_on is None else new.expires_on.isoformat(),
                        int(new.id),
                    ),
                ).rowcount
                if changed != 1:
                    raise StaleBalance(f"package {new.id}: first use already recorded")

        conn.executemany(
            "INSERT INTO ledger (event_id, ticket_id, package_id, line_id, service, credits,"
            " amount, currency, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    event.event_id,
                    ticket["id"],
                    int(event.package_id),
                    event.line_id,
                    event.item,
                    event.credits,
                    str(event.amount),
                    event.amount.currency,
                    event.at.isoformat(),
                )
                for event in result.events
            ],
        )


def checkout(
    conn: sqlite3.Connection,
    ticket: Mapping[str, Any],
    at: dt.datetime,
    *,
    attempts: int = 3,
    log: list[str] | None = None,
) -> Application:
    """Read, apply and store a ticket; on a stale balance, read again and retry."""
    log = [] if log is None else log
    for attempt in range(1, attempts + 1):
        before, result = read_and_apply(conn, ticket, at)
        try:
            store(conn, ticket, before, result)
        except StaleBalance as exc:
            log.append(f"{ticket['id']}: attempt {attempt} rolled back ({exc}); reading again")
            continue
        log.append(f"{ticket['id']}: stored, covered {result.covered}, due {result.due}")
        return result
    raise StaleBalance(f"{ticket['id']}: gave up after {attempts} attempts")


# -- the story -----------------------------------------------------------------------------------


def balances(conn: sqlite3.Connection) -> list[str]:
    return [
        f"package {row['id']} ({row['type_name']}) {row['service']}: {row['remaining']} left"
        for row in conn.execute(
            "SELECT p.id, p.type_name, c.service, c.remaining FROM packages p"
            " JOIN package_credits c ON c.package_id = p.id ORDER BY p.id, c.service"
        )
    ]


def ledger(conn: sqlite3.Connection) -> list[str]:
    return [
        f"{row['ticket_id']} {row['line_id']}: {row['credits']} {row['service']} credit(s)"
        f" of package {row['package_id']}, {row['amount']} {row['currency']}"
        for row in conn.execute("SELECT * FROM ledger ORDER BY ticket_id, line_id, package_id")
    ]


def main(argv: Sequence[str]) -> int:
    path = argv[0] if argv else ":memory:"
    conn = connect(path)
    seed(conn)
    out: list[str] = []

    # Both tills read the same balances at the same moment and apply their tickets...
    front_before, front = read_and_apply(conn, TICKET_FRONT_DESK, CHECKOUT_AT)
    side_before, side = read_and_apply(conn, TICKET_SIDE_TILL, CHECKOUT_AT)
    out.append(f"front desk read package 501 with {front_before[0].remaining('daycare_full')} left")
    out.append(f"side till read package 501 with {side_before[0].remaining('daycare_full')} left")

    # ...the front desk stores first...
    try:
        store(conn, TICKET_FRONT_DESK, front_before, front)
        out.append(f"T-1001: stored, covered {front.covered}, due {front.due}")
    except AlreadyRecorded:
        out.append("T-1001: already recorded, nothing written")

    # ...so the side till's compare-and-set fails: it rolls back, reads again and retries.
    try:
        store(conn, TICKET_SIDE_TILL, side_before, side)
        out.append(f"T-1002: stored, covered {side.covered}, due {side.due}")
    except StaleBalance as exc:
        out.append(f"T-1002: rolled back ({exc}); reading again")
        try:
            checkout(conn, TICKET_SIDE_TILL, CHECKOUT_AT, log=out)
        except AlreadyRecorded:
            out.append("T-1002: already recorded, nothing written")
    except AlreadyRecorded:
        out.append("T-1002: already recorded, nothing written")

    # The front desk's reply was lost and it sends the same ticket again: nothing changes.
    try:
        checkout(conn, TICKET_FRONT_DESK, CHECKOUT_AT, log=out)
    except AlreadyRecorded:
        out.append("T-1001: already recorded, nothing written")

    print("\n".join(out))
    print("\nbalances:")
    print("\n".join(f"  {text}" for text in balances(conn)))
    print("\nledger:")
    print("\n".join(f"  {text}" for text in ledger(conn)))
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
