"""The store's tables, as the latest migration leaves them (SQLAlchemy Core).

Every name starts with ``punchcard_``, so the tables can live in the host's database beside its
own. The migrations (``migrations/versions/``) create and change them; this module only
describes them for the queries.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = [
    "begin_sqlite",
    "events",
    "ledger_head",
    "metadata",
    "operations",
    "owners",
    "packages",
    "redemptions",
]


def begin_sqlite(conn: sa.Connection, write: bool) -> None:
    """On SQLite, start the transaction of *conn* ourselves unless the driver already has.

    Python's sqlite3 begins a transaction only before the first INSERT, UPDATE or DELETE: the
    reads before it would not share one snapshot, a transaction that reads before it writes could
    not take the write lock once another has committed, and DDL would run outside any
    transaction. ``BEGIN IMMEDIATE`` takes the write lock at once (writers run one after the
    other: on SQLite the whole file is the guard); ``BEGIN`` just starts one snapshot. Nothing is
    done on other databases, or when the transaction has begun (by the host, say).
    """
    if conn.dialect.name != "sqlite":
        return
    raw: Any = conn.connection.dbapi_connection
    if not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


metadata = sa.MetaData()

#: One row per owner: the row an operation locks so that operations of one owner run one at a
#: time (rules that span packages are read and written under it).
owners = sa.Table(
    "punchcard_owners",
    metadata,
    sa.Column("owner", sa.String, primary_key=True),
)

#: One row: the last global ledger position handed out. Taken just before the events are
#: inserted and held to the commit, so ledger order is commit order.
ledger_head = sa.Table(
    "punchcard_ledger_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

#: The ledger: every event, at its global position.
events = sa.Table(
    "punchcard_events",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String, nullable=False),
    sa.Column("package_id", sa.String, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("operation_key", sa.String, nullable=False),
    sa.UniqueConstraint("package_id", "seq", name="punchcard_events_package_seq"),
    sa.Index("punchcard_events_owner", "owner", "position"),
    sa.Index("punchcard_events_operation", "operation_key", "position"),
)

#: The projection: each package's current state, updated in the transaction of its events.
packages = sa.Table(
    "punchcard_packages",
    metadata,
    sa.Column("package_id", sa.String, primary_key=True),
    sa.Column("owner", sa.String, nullable=False),
    #: The position of its purchase: packages load in the order they were bought.
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Index("punchcard_packages_owner", "owner", "position"),
)

#: One row per redemption (held, used or cancelled), so that an operation loads the owner's held
#: ones and those of the booking it names, not the owner's whole history.
redemptions = sa.Table(
    "punchcard_redemptions",
    metadata,
    sa.Column("redemption_id", sa.String, primary_key=True),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("package_id", sa.String, nullable=False),
    sa.Column("booking", sa.String, nullable=False),
    sa.Column("line_id", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("credits", sa.Integer, nullable=False),
    #: The position of the event that recorded it: records load in the order recorded.
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Index("punchcard_redemptions_booking", "owner", "booking"),
    sa.Index("punchcard_redemptions_status", "owner", "status"),
)

#: Idempotency: one row per key committed, with the request's digest and its outcome.
operations = sa.Table(
    "punchcard_operations",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("operation", sa.String, nullable=False),
    sa.Column("digest", sa.String, nullable=False),
    #: The canonical JSON the digest is taken over.
    sa.Column("request", sa.Text, nullable=False),
    #: What the operation answered besides its events (the charges of a hold, checkout or closed ticket).
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("first_position", sa.BigInteger, nullable=True),
    sa.Column("last_position", sa.BigInteger, nullable=True),
)
