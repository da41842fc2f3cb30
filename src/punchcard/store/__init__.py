"""One store for a package's whole life, in the host's SQL database (``pip install
'punchcard[sql]'``): SQLAlchemy 2 Core on SQLite or PostgreSQL (psycopg 3).

Every mutating operation (sell, hold, checkout, close a ticket, use, cancel, refund, assign,
deduct, edit expiry, delete, renew, expire, the sweeps) goes through one commit path: under the
owner's guard, once per idempotency key, ledger events appended in commit order (the catch-up of
the packages it reads first) and the packages' current state updated in the same transaction.
See ``docs/persistence.md``.

>>> import datetime as dt
>>> from punchcard import Cart, Line, Money
>>> from punchcard.lifecycle import PackageType, TypeComponent
>>> store = Store("sqlite://")
>>> store.create_tables()
>>> pass10 = PackageType(id="day-10", name="10 Day Daycare", price=Money("250", "USD"),
...                      components=[TypeComponent("daycare_full", 10)])
>>> sold = store.sell("smith", pass10, key="sale-1", package_id="p1",
...                   as_of=dt.datetime(2026, 3, 1, 9), timezone="America/New_York")
>>> ticket = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
>>> done = store.checkout(ticket, key="T-1", booking="T-1",
...                       as_of=dt.datetime(2026, 3, 2, 17, 30), timezone="America/New_York")
>>> str(done.charges.covered), done.replayed, store.state("smith").package("p1").remaining("daycare_full")
('30.00', False, 9)
>>> again = store.checkout(ticket, key="T-1", booking="T-1",
...                        as_of=dt.datetime(2026, 3, 2, 17, 30), timezone="America/New_York")
>>> again.replayed, again.events == done.events, store.state("smith").package("p1").remaining("daycare_full")
(True, True, 9)
>>> store.close()
"""

from __future__ import annotations

from ..lifecycle import Business
from ._migrate import current_revision, downgrade, upgrade
from ._store import Store
from ._types import Charges, LineCharge, Receipt, Request
from .errors import Conflict, IdempotencyKeyReused, OwnerMismatch, StoreError, UnknownOperation

__all__ = [
    "Business",
    "Charges",
    "Conflict",
    "IdempotencyKeyReused",
    "LineCharge",
    "OwnerMismatch",
    "Receipt",
    "Request",
    "Store",
    "StoreError",
    "UnknownOperation",
    "current_revision",
    "downgrade",
    "upgrade",
]
