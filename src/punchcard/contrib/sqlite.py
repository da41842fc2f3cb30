"""The reference store on SQLite (standard library :mod:`sqlite3`).

One file, several processes: the file is put in WAL mode (readers never wait for the writer),
every write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at once, so two
transactions never both read then both try to write), and a busy connection waits up to
*timeout* seconds for the lock instead of failing.

>>> import datetime as dt
>>> from punchcard import Cart, Component, Line, Money, Package
>>> store = Store.connect(":memory:")
>>> store.create_schema()
>>> store.add_package(Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5),
...                           components=[Component("daycare_full", 2)]))
>>> cart = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))],
...             id="T-1")
>>> receipt = store.checkout(cart, at=dt.datetime(2026, 3, 2, 17, 30), timezone="America/New_York")
>>> str(receipt.covered), receipt.duplicate, store.balances()
('30.00', False, {('p1', 'daycare_full'): 1})
>>> again = store.checkout(cart, at=dt.datetime(2026, 3, 2, 17, 30), timezone="America/New_York")
>>> again.duplicate, again.events == receipt.events, store.balances()
(True, True, {('p1', 'daycare_full'): 1})
>>> store.close()
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from ..errors import InvalidValueError
from ._common import (
    Cancellation,
    Conflict,
    LedgerEntry,
    Receipt,
    SQLStore,
    UnknownCheckout,
    replay,
)

__all__ = [
    "Cancellation",
    "Conflict",
    "LedgerEntry",
    "Receipt",
    "Store",
    "UnknownCheckout",
    "replay",
]


class Store(SQLStore):
    """The reference store on one :class:`sqlite3.Connection`.

    The connection must be in autocommit mode (``isolation_level=None``): the store begins and
    ends its transactions itself. :meth:`connect` opens one that is.
    """

    SERIAL: ClassVar[str] = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, connection: sqlite3.Connection) -> None:
        if connection.isolation_level is not None:
            raise InvalidValueError(
                "connection",
                "must be opened with isolation_level=None (the store begins its own"
                f" transactions), got {connection.isolation_level!r}",
            )
        #: The connection (one per thread or process, as sqlite3 wants).
        self.connection = connection

    @classmethod
    def connect(cls, path: str, *, timeout: float = 30.0) -> Store:
        """Open (or create) the database at *path* (``":memory:"`` for a private one).

        Turns on foreign keys and, for a file, WAL mode; a write waits up to *timeout* seconds
        for another connection's transaction to end.
        """
        connection = sqlite3.connect(path, isolation_level=None, timeout=timeout)
        connection.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            connection.execute("PRAGMA journal_mode = WAL")
        return cls(connection)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def _execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self.connection.execute(sql, params).rowcount

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.connection.execute(sql, params)]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
