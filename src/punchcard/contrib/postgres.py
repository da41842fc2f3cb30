"""The reference store on PostgreSQL, with psycopg 3 (``pip install 'punchcard[postgres]'``).

psycopg is imported when a store is made, not with this module. The connection must be in
autocommit mode: the store opens a transaction for each write (``connection.transaction()``), and
each read is one statement, hence one consistent snapshot.

PostgreSQL's default isolation, READ COMMITTED, is all the guards need: an ``UPDATE ... WHERE
remaining = expected`` that meets a row another transaction is changing waits for it, then checks
its condition again against the committed row, and changes nothing if it no longer holds. Under
REPEATABLE READ or SERIALIZABLE the database reports the same situation as a serialization
failure; the store turns that (and a deadlock, which its ordering of updates should prevent) into
a :class:`Conflict`, so :meth:`~punchcard.contrib.SQLStore.checkout` retries it all the same.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

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

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "Cancellation",
    "Conflict",
    "LedgerEntry",
    "Receipt",
    "Store",
    "UnknownCheckout",
    "replay",
]


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """psycopg writes a parameter ``%s`` where the shared statements write ``?``."""
    return sql.replace("?", "%s")


class Store(SQLStore):
    """The reference store on one ``psycopg.Connection`` in autocommit mode."""

    SERIAL: ClassVar[str] = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        if not connection.autocommit:
            raise InvalidValueError(
                "connection",
                "must be in autocommit mode (the store opens its own transactions); connect"
                " with psycopg.connect(..., autocommit=True)",
            )
        #: The connection (one per thread or process).
        self.connection = connection

    @classmethod
    def connect(cls, conninfo: str) -> Store:
        """Connect to *conninfo* (``"postgresql://user@host:port/db"`` or ``"host=... "``)."""
        import psycopg

        return cls(psycopg.connect(conninfo, autocommit=True))

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def _execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self.connection.execute(_placeholders(sql), params).rowcount

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.connection.execute(_placeholders(sql), params)]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        from psycopg import errors

        try:
            with self.connection.transaction():
                yield
        except (errors.SerializationFailure, errors.DeadlockDetected) as exc:
            raise Conflict(f"the database refused the transaction: {exc}") from exc
