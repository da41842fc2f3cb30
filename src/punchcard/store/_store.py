"""The store: the ledger and the projection in the host's database, and the one commit path every
mutating operation goes through."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .._validate import check_identifier
from ..errors import InvalidTypeError, InvalidValueError
from ..lifecycle import (
    Business,
    LedgerEvent,
    LedgerState,
    Outcome,
    RedemptionOutcome,
    RedemptionRecord,
    TicketOutcome,
    replay,
    state_as_of,
)
from . import _codec, _schema
from ._operations import Operations
from ._projection import project
from ._types import Charges, Receipt, Request
from .errors import Conflict, IdempotencyKeyReused, OwnerMismatch, StoreError, UnknownOperation

__all__ = ["Store"]

_DIALECTS: Final = ("sqlite", "postgresql")
#: PostgreSQL: serialization failure, deadlock, lock timeout, unique violation (a row another
#: transaction inserted meanwhile: the next attempt reads it).
_PG_RETRY: Final = frozenset({"40001", "40P01", "55P03", "23505"})
#: SQLite primary result codes: busy, locked; extended: unique and primary key constraints.
_SQLITE_BUSY: Final = frozenset({5, 6})
_SQLITE_UNIQUE: Final = frozenset({1555, 2067})

Target = str | sa.Engine | sa.Connection


class Store(Operations):
    """Packages, their ledger and their current state in a SQL database (SQLite or PostgreSQL),
    through SQLAlchemy Core.

    *target* is where the tables are:

    - a database URL (``"sqlite:///till.db"``, ``"postgresql://user@host/db"``): the store makes
      its own engine (psycopg 3 for PostgreSQL; a SQLite file in WAL mode) and commits each
      operation in a transaction of its own;
    - an :class:`sqlalchemy.Engine`: the same, on the host's engine (and its pool);
    - an :class:`sqlalchemy.Connection`: every operation runs inside the host's transaction on
      it (in a savepoint) and the store never commits: the host's ``commit()`` commits its own
      rows and punchcard's together, its ``rollback()`` leaves nothing of either.

    *business* holds the settings every operation runs with. An operation that meets another
    transaction (a deadlock, a lock timeout, a serialization failure, a busy SQLite file) is tried
    again up to *retries* more times, then :class:`~punchcard.store.Conflict` is raised.
    *lock_timeout* (seconds) bounds each wait for a lock in the store's own transactions.
    """

    def __init__(
        self,
        target: Target,
        *,
        business: Business | None = None,
        retries: int = 3,
        lock_timeout: float = 10.0,
    ) -> None:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidValueError("retries", f"must be a whole number >= 0, got {retries!r}")
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)):
            raise InvalidTypeError("lock_timeout", f"must be seconds, got {lock_timeout!r}")
        if not lock_timeout > 0:
            raise InvalidValueError("lock_timeout", f"must be > 0 seconds, got {lock_timeout!r}")
        if business is not None and not isinstance(business, Business):
            raise InvalidTypeError("business", f"must be a Business, got {business!r}")
        #: The business settings every operation runs with.
        self.business = Business() if business is None else business
        #: Conflicts retried before :class:`Conflict` is raised.
        self.retries = retries
        self.lock_timeout = float(lock_timeout)
        self._connection: sa.Connection | None = None
        self._own_engine = False
        if isinstance(target, str):
            self._engine: sa.Engine | None = _engine(target, self.lock_timeout)
            self._own_engine = True
            dialect = self._engine.dialect.name
        elif isinstance(target, sa.Engine):
            self._engine = target
            dialect = target.dialect.name
        elif isinstance(target, sa.Connection):
            self._engine = None
            self._connection = target
            dialect = target.dialect.name
        else:
            raise InvalidTypeError(
                "target", f"must be a database URL, an Engine or a Connection, got {target!r}"
            )
        if dialect not in _DIALECTS:
            raise InvalidValueError(
                "target", f"must be a SQLite or PostgreSQL database, got {dialect!r}"
            )
        self._dialect = dialect

    # -- set-up ----------------------------------------------------------------------------------

    def create_tables(self) -> None:
        """Create the store's tables, or bring them to the latest version (the Alembic
        migrations shipped with punchcard: :func:`punchcard.store.upgrade`)."""
        from ._migrate import upgrade

        upgrade(self._connection if self._connection is not None else self._require_engine())

    def close(self) -> None:
        """Release the connections of an engine the store made from a URL (nothing otherwise)."""
        if self._own_engine and self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_engine(self) -> sa.Engine:
        assert self._engine is not None
        return self._engine

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[sa.Connection]:
        """A transaction for one attempt: the store's own, or a savepoint in the host's."""
        if self._connection is not None:
            conn = self._connection
            _schema.begin_sqlite(conn, write)
            with conn.begin_nested():
                yield conn
            return
        with self._require_engine().connect() as conn, conn.begin():
            _schema.begin_sqlite(conn, write)
            if write and self._dialect == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(self.lock_timeout * 1000)}")
            yield conn

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        try:
            with self._transaction(write=False) as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the database failed: {_describe(exc)}") from exc

    # -- the commit path -------------------------------------------------------------------------

    def run(self, request: Request, *, key: str) -> Receipt:
        """Commit *request* under the idempotency key *key*, once.

        In one transaction: lock the owner's guard row (and the counterpart's, for an operation
        of two owners, in name order); if *key* was committed before, return
        that outcome (``replayed=True``) when the request is the same, or raise
        :class:`~punchcard.store.IdempotencyKeyReused`; refuse packages named by the request
        that belong to another owner; load the owner's state; run the operation; take the
        ledger positions; append its events, update the projection, record the key. Retried on
        a conflict, up to :attr:`retries` more times.
        """
        if not isinstance(request, Request):
            raise InvalidTypeError("request", f"must be a Request, got {request!r}")
        check_identifier(request.owner, "owner")  # before any SQL: a bad owner names the field
        as_of = request.arguments.get("as_of", dt.datetime.min)
        if not isinstance(as_of, dt.datetime):
            raise InvalidTypeError("as_of", f"must be a datetime.datetime, got {as_of!r}")
        if not isinstance(key, str) or not key:
            raise InvalidValueError("key", f"must be a non-empty string, got {key!r}")
        _codec.request_json(key, "key")
        text, digest = _codec.request_digest(request, self.business)
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._transaction(write=True) as conn:
                    receipt = self._commit(conn, request, key, text, digest, attempt)
                return receipt
            except sa.exc.DBAPIError as exc:
                if not self._retryable(exc):
                    raise StoreError(f"the database failed: {_describe(exc)}") from exc
                if attempt > self.retries:
                    raise Conflict(
                        f"{request.operation} for {request.owner!r} met other transactions"
                        f" {attempt} times: {_describe(exc)}",
                        attempts=attempt,
                    ) from exc
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            except sa.exc.SQLAlchemyError as exc:
                raise StoreError(f"the database failed: {_describe(exc)}") from exc

    def _retryable(self, exc: sa.exc.DBAPIError) -> bool:
        orig = exc.orig
        if self._dialect == "postgresql":
            return getattr(orig, "sqlstate", None) in _PG_RETRY
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and (code & 0xFF in _SQLITE_BUSY or code in _SQLITE_UNIQUE)

    def _commit(
        self,
        conn: sa.Connection,
        request: Request,
        key: str,
        text: str,
        digest: str,
        attempt: int,
    ) -> Receipt:
        owner = request.owner
        counterpart = request.counterpart
        owners = sorted({owner} if counterpart is None else {owner, counterpart})
        for each in owners:  # in name order: two transfers the other way round never deadlock
            self._guard(conn, each)
        ops = _schema.operations
        stored = conn.execute(
            sa.select(ops.c.owner, ops.c.operation, ops.c.digest, ops.c.outcome).where(
                ops.c.key == key
            )
        ).first()
        if stored is not None:
            if stored.digest != digest:
                raise IdempotencyKeyReused(key, stored.operation, request.operation)
            return self._stored_receipt(conn, key, stored, attempt)
        self._check_owners(conn, owner, request.package_ids)
        state = self._load(conn, owner, request.booking)
        if counterpart is not None and counterpart != owner:
            self._check_owners(conn, counterpart, request.counterpart_package_ids)
            theirs = self._load(conn, counterpart, None)
            state = LedgerState((*state.packages, *theirs.packages))
        outcome = request.plan(state)
        if not isinstance(outcome, Outcome):
            raise InvalidTypeError("plan", f"must return an Outcome, got {outcome!r}")
        touched = _touched(owners, state, outcome)
        positions = self._append(conn, outcome.state, key, outcome.events)
        project(conn, state, outcome.state, touched, outcome.events, positions)
        charges = (
            Charges.of(outcome) if isinstance(outcome, (RedemptionOutcome, TicketOutcome)) else None
        )
        conn.execute(
            sa.insert(ops).values(
                key=key,
                owner=owner,
                operation=request.operation,
                digest=digest,
                request=text,
                outcome=_codec.canonical({"charges": _codec.to_json(charges)}),
                first_position=positions[0] if positions else None,
                last_position=positions[-1] if positions else None,
            )
        )
        return Receipt(
            key=key,
            operation=request.operation,
            owner=owner,
            events=outcome.events,
            positions=positions,
            charges=charges,
            replayed=False,
            attempts=attempt,
            outcome=outcome,
        )

    def _guard(self, conn: sa.Connection, owner: str) -> None:
        """Lock the owner's row (made first if it is new) to the end of the transaction."""
        table = _schema.owners
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        conn.execute(insert(table).values(owner=owner).on_conflict_do_nothing())
        conn.execute(sa.select(table.c.owner).where(table.c.owner == owner).with_for_update())

    def _check_owners(self, conn: sa.Connection, owner: str, package_ids: Sequence[str]) -> None:
        if not package_ids:
            return
        table = _schema.packages
        rows = conn.execute(
            sa.select(table.c.package_id, table.c.owner).where(
                table.c.package_id.in_(sorted(set(package_ids)))
            )
        )
        for package_id, stored_owner in rows:
            if stored_owner != owner:
                raise OwnerMismatch(package_id, owner=owner, stored_owner=stored_owner)

    def _load(
        self, conn: sa.Connection, owner: str, booking: str | None, *, every: bool = False
    ) -> LedgerState:
        """The owner's packages as the projection holds them, in the order they were bought,
        with their held redemptions and those of *booking* (with *every*: all of them).

        Index searches only: the cost is the owner's packages, holds and the booking's records,
        not the length of their history."""
        table = _schema.packages
        records = _schema.redemptions
        query = sa.select(
            records.c.position, records.c.package_id, records.c.format, records.c.record
        ).where(records.c.owner == owner)
        if every:
            found = list(conn.execute(query))
        else:
            # Two index searches (an OR would scan the owner's whole history on SQLite).
            found = list(conn.execute(query.where(records.c.status == "held")))
            if booking is not None:
                found += conn.execute(
                    query.where(records.c.booking == booking, records.c.status != "held")
                )
        grouped: dict[str, list[RedemptionRecord]] = {}
        for _position, package_id, fmt, body in sorted(found, key=lambda row: row[0]):
            grouped.setdefault(package_id, []).append(_codec.record_from_row(fmt, body))
        rows = conn.execute(
            sa.select(table.c.package_id, table.c.format, table.c.state)
            .where(table.c.owner == owner)
            .order_by(table.c.position)
        )
        return LedgerState(
            _codec.state_from_row(fmt, body, grouped.get(package_id, ()))
            for package_id, fmt, body in rows
        )

    def _append(
        self, conn: sa.Connection, after: LedgerState, key: str, events: Sequence[LedgerEvent]
    ) -> tuple[int, ...]:
        """Take the next global positions and insert *events* at them, each under the owner of
        its package (in *after*, the state they lead to).

        The ledger head is updated here, after the owner's guard and just before the insert, and
        stays locked to the commit: a transaction that commits later gets later positions."""
        if not events:
            return ()
        head = _schema.ledger_head
        last = conn.execute(
            sa.update(head)
            .where(head.c.id == 1)
            .values(seq=head.c.seq + len(events))
            .returning(head.c.seq)
        ).scalar_one()
        first = last - len(events) + 1
        rows = []
        for i, event in enumerate(events):
            kind, fmt, body = _codec.event_row(event)
            rows.append(
                {
                    "position": first + i,
                    "event_id": event.event_id,
                    "package_id": event.package_id,
                    "seq": event.seq,
                    "owner": after.package(event.package_id).owner,
                    "type": kind,
                    "format": fmt,
                    "body": body,
                    "operation_key": key,
                }
            )
        conn.execute(sa.insert(_schema.events), rows)
        return tuple(range(first, last + 1))

    def _stored_receipt(self, conn: sa.Connection, key: str, stored: Any, attempt: int) -> Receipt:
        table = _schema.events
        rows = conn.execute(
            sa.select(table.c.position, table.c.format, table.c.body)
            .where(table.c.operation_key == key)
            .order_by(table.c.position)
        ).all()
        data = _codec.loads(stored.outcome, "outcome")
        charges = _codec.from_json(Charges | None, data.get("charges"), "outcome.charges")
        return Receipt(
            key=key,
            operation=stored.operation,
            owner=stored.owner,
            events=tuple(_codec.event_from_row(fmt, body) for _p, fmt, body in rows),
            positions=tuple(position for position, _f, _b in rows),
            charges=charges,
            replayed=True,
            attempts=attempt,
        )

    # -- reading ---------------------------------------------------------------------------------

    def receipt(self, key: str) -> Receipt:
        """The stored outcome of the operation committed under *key* (``replayed=True``);
        :class:`~punchcard.store.UnknownOperation` if there is none."""
        ops = _schema.operations
        with self._reading() as conn:
            stored = conn.execute(
                sa.select(ops.c.owner, ops.c.operation, ops.c.digest, ops.c.outcome).where(
                    ops.c.key == key
                )
            ).first()
            if stored is None:
                raise UnknownOperation(key)
            return self._stored_receipt(conn, key, stored, 1)

    def state(self, owner: str, *, history: bool = True) -> LedgerState:
        """The owner's packages as they stand (the projection), in the order they were bought,
        with every redemption they had; with ``history=False`` only with the held ones (what an
        operation loads: enough for balances, at a cost that does not grow with the history)."""
        with self._reading() as conn:
            return self._load(conn, owner, None, every=history)

    def events(self, owner: str | None = None) -> list[LedgerEvent]:
        """The ledger (of one owner, or of all), in ledger order (the order of the commits)."""
        table = _schema.events
        query = sa.select(table.c.format, table.c.body).order_by(table.c.position)
        if owner is not None:
            query = query.where(table.c.owner == owner)
        with self._reading() as conn:
            return [_codec.event_from_row(fmt, body) for fmt, body in conn.execute(query)]

    def replay(self, owner: str | None = None) -> LedgerState:
        """The state the ledger (of one owner, or of all) folds into: what the projection must
        equal (:meth:`state`)."""
        return replay(self.events(owner))

    def state_as_of(self, owner: str, when: dt.datetime) -> LedgerState:
        """The owner's packages as they stood at *when*, from the ledger
        (:func:`punchcard.lifecycle.state_as_of`)."""
        return state_as_of(self.events(owner), when)

    def owners(self) -> list[str]:
        """Every owner the store has written for, sorted."""
        table = _schema.owners
        with self._reading() as conn:
            return list(conn.execute(sa.select(table.c.owner).order_by(table.c.owner)).scalars())

    def sweep_all(self, *, key: str, as_of: dt.datetime) -> list[Receipt]:
        """:meth:`sweep` for every owner, each in its own transaction, under the key
        ``canonical([key, owner])`` (so a rerun of a nightly job with the same *key* applies
        nothing twice)."""
        return [
            self.sweep(owner, key=_codec.canonical([key, owner]), as_of=as_of)
            for owner in self.owners()
        ]


def _touched(owners: Sequence[str], before: LedgerState, outcome: Outcome) -> list[str]:
    """The packages the outcome's events touch, checked: each one of the *owners* (the
    request's owner, and its counterpart if any), whatever the values say (a package of another
    owner was never loaded; a new one must be sold to him)."""
    touched: list[str] = []
    for event in outcome.events:
        if event.package_id in touched:
            continue
        old = before.get(event.package_id)
        new = outcome.state.get(event.package_id)
        if (
            (old is not None and old.owner not in owners)
            or new is None
            or new.owner not in owners
            or (old is not None and old.owner != new.owner)
        ):
            raise StoreError(
                f"the operation wrote events for package {event.package_id!r}, which is not a"
                f" package of {' or '.join(map(repr, owners))}"
            )
        touched.append(event.package_id)
    return touched


def _engine(url: str, lock_timeout: float) -> sa.Engine:
    """An engine for a database URL: psycopg 3 for PostgreSQL; for a SQLite file, WAL mode (a
    reader never waits for the writer) and a writer that waits up to *lock_timeout* seconds."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidValueError("target", f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed)
    engine = sa.create_engine(parsed, connect_args={"timeout": lock_timeout})
    if parsed.database not in (None, "", ":memory:"):

        @sa.event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA journal_mode = WAL")

    return engine


def _describe(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
