"""Reference persistence for hosts: store packages, commit checkouts safely, keep the ledger.

punchcard never writes; these small stores show (and, if you like, do) what a host must do with
an :class:`~punchcard.Application` so that no credit is ever spent twice:

- :mod:`punchcard.contrib.sqlite`: standard library :mod:`sqlite3`;
- :mod:`punchcard.contrib.postgres`: PostgreSQL with psycopg 3 (the ``postgres`` extra).

Both have the same API and behaviour (:class:`SQLStore`); ``docs/persistence.md`` walks through
the commit.
"""

from __future__ import annotations

from ._common import (
    Cancellation,
    Conflict,
    EntryKind,
    LedgerEntry,
    Receipt,
    SQLStore,
    UnknownCheckout,
    replay,
)

__all__ = [
    "Cancellation",
    "Conflict",
    "EntryKind",
    "LedgerEntry",
    "Receipt",
    "SQLStore",
    "UnknownCheckout",
    "replay",
]
