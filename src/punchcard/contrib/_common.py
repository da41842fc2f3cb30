"""The reference store, once for every database: schema, loading, the guarded commit, the retry
loop, cancellation and the ledger.

:mod:`punchcard.contrib.sqlite` and :mod:`punchcard.contrib.postgres` only say how to talk to
their database (placeholders, transactions, one connection); everything a host must get right is
here, so both behave the same. A host with its own tables copies :meth:`SQLStore.commit` and its
steps: they are the whole recipe (see ``docs/persistence.md``).

The statements are written with ``?`` placeholders and portable SQL (``ON CONFLICT DO NOTHING``
is understood by SQLite 3.24+ and PostgreSQL 9.5+). Times and dates are stored as ISO 8601 text,
exactly as punchcard reads them: a naive time is local time of the business, which neither a
SQLite column nor a PostgreSQL ``timestamptz`` could hold as such.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Final, Literal

import attrs

from ..engine import apply
from ..errors import InvalidValueError, PunchcardError
from ..events import CreditsRedeemed, event_id
from ..models import Cart, Component, Package, RatesInput, Settings
from ..money import Money
from ..policy import Policy
from ..results import Application, Guard

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

#: What a ledger entry records: credits granted (a package added), redeemed, or restored.
EntryKind = Literal["granted", "redeemed", "restored"]

_DEFAULT_SETTINGS: Final = Settings()
_DEFAULT_POLICY: Final = Policy()


# Hosts import the two errors below from punchcard.contrib (or a backend module): their
# tracebacks name that path, not this private module (see the __module__ assignment below).


class Conflict(PunchcardError, RuntimeError):
    """Another checkout changed what this one read; nothing was written. Load and apply again.

    >>> from punchcard import Guard
    >>> err = Conflict.stale(Guard("p1", "daycare_full", expected=2, new=1), found=1)
    >>> str(err)
    "package 'p1' daycare_full: expected 2 credits left, found 1"
    >>> err.package_id, err.guard.expected, err.found
    ('p1', 2, 1)
    """

    def __init__(
        self,
        message: str,
        *,
        package_id: str | None = None,
        guard: Guard | None = None,
        found: int | None = None,
    ) -> None:
        super().__init__(message)
        #: The package whose row had changed, when one is known.
        self.package_id = package_id
        #: The compare-and-set condition that did not hold, if it was a balance.
        self.guard = guard
        #: The credits the database held instead (``None``: the component is gone).
        self.found = found

    @classmethod
    def stale(cls, guard: Guard, found: int | None) -> Conflict:
        """The balance of *guard*'s component was no longer ``guard.expected``."""
        held = "it is gone" if found is None else f"found {found}"
        return cls(
            f"package {guard.package_id!r} {guard.item}: expected {guard.expected} credits left,"
            f" {held}",
            package_id=guard.package_id,
            guard=guard,
            found=found,
        )


class UnknownCheckout(PunchcardError, LookupError):
    """No checkout with this idempotency key was stored."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no checkout with key {key!r} was stored")
        #: The key asked for.
        self.key = key


Conflict.__module__ = UnknownCheckout.__module__ = "punchcard.contrib"


@attrs.frozen
class Receipt:
    """What was stored for one checkout: the outcome a till shows, and the ledger events.

    ``duplicate`` is true when the checkout had been stored before (a retry): nothing was
    written now, and the receipt is the earlier one.
    """

    #: The checkout's idempotency key (:attr:`punchcard.Application.idempotency_key`).
    key: str
    owner: str
    cart_id: str | None
    #: The checkout time.
    at: dt.datetime
    total: Money
    covered: Money
    due: Money
    #: The credits redeemed, in the order the engine applied them.
    events: tuple[CreditsRedeemed, ...]
    #: ``True``: stored before, nothing written now.
    duplicate: bool
    #: The application committed now (``None`` for a duplicate): per-line results for the till.
    application: Application | None = attrs.field(default=None, eq=False, repr=False)
    #: How many times :meth:`SQLStore.checkout` loaded and applied (1 + conflicts retried).
    attempts: int = 1

    @property
    def credits(self) -> int:
        """The credits redeemed, over all events."""
        return sum(event.credits for event in self.events)


@attrs.frozen
class LedgerEntry:
    """One row of the ledger: credits granted to, redeemed from or restored to a component."""

    #: The order of the ledger (ascending, with gaps).
    seq: int
    event_id: str
    kind: EntryKind
    package_id: str
    item: str
    credits: int
    at: dt.datetime
    #: The checkout a redemption or restore belongs to.
    checkout_key: str | None = None
    line_id: str | None = None
    #: What the redeemed credits took off (restores repeat it).
    amount: Money | None = None
    #: For a restore: the ``event_id`` of the redemption it gives back (unique: once only).
    restores: str | None = None

    @property
    def change(self) -> int:
        """The signed change to the component's remaining credits."""
        return -self.credits if self.kind == "redeemed" else self.credits


@attrs.frozen
class Cancellation:
    """What cancelling a checkout restored."""

    key: str
    #: The restore entries written now (none for a duplicate).
    restored: tuple[LedgerEntry, ...]
    #: ``True``: the checkout had been cancelled before; nothing was restored now.
    duplicate: bool

    @property
    def credits(self) -> int:
        """The credits restored now."""
        return sum(entry.credits for entry in self.restored)


def replay(entries: Iterable[LedgerEntry]) -> dict[tuple[str, str], int]:
    """Fold ledger *entries* (in ``seq`` order) into the remaining credits per (package, item).

    Raises :class:`~punchcard.InvalidValueError` if a redemption takes more than is left: the
    ledger of a store that committed with its guards never does.

    >>> at = dt.datetime(2026, 3, 2, 9)
    >>> replay([
    ...     LedgerEntry(1, "g", "granted", "p1", "x", 3, at),
    ...     LedgerEntry(2, "r", "redeemed", "p1", "x", 2, at),
    ...     LedgerEntry(3, "s", "restored", "p1", "x", 2, at, restores="r"),
    ... ])
    {('p1', 'x'): 3}
    >>> replay([LedgerEntry(1, "r", "redeemed", "p1", "x", 1, at)])
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: credits: entry 1 (r) takes 1 of p1 x, 0 left
    """
    balances: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry.package_id, entry.item)
        left = balances.get(key, 0) + entry.change
        if left < 0:
            raise InvalidValueError(
                "credits",
                f"entry {entry.seq} ({entry.event_id}) takes {entry.credits} of"
                f" {entry.package_id} {entry.item}, {balances.get(key, 0)} left",
            )
        balances[key] = left
    return balances


# -- the schema -------------------------------------------------------------------------------

#: ``{serial}`` is the ledger's ascending key, which each database spells its own way.
SCHEMA: Final[tuple[str, ...]] = (
    """CREATE TABLE IF NOT EXISTS punchcard_packages (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    purchased_at TEXT NOT NULL,          -- ISO 8601; naive = local time of the business
    location TEXT,                       -- NULL: usable at every location
    beneficiary TEXT,                    -- NULL: shared by every pet / family member
    expires_on TEXT,                     -- YYYY-MM-DD
    days_to_expiration INTEGER,
    expiry_starts TEXT NOT NULL,         -- 'sale' or 'first_use'
    first_used_at TEXT,
    pricing_rules BOOLEAN NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS punchcard_packages_owner ON punchcard_packages (owner)",
    """CREATE TABLE IF NOT EXISTS punchcard_components (
    package_id TEXT NOT NULL REFERENCES punchcard_packages (id),
    item TEXT NOT NULL,
    position INTEGER NOT NULL,
    hourly BOOLEAN NOT NULL,
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    PRIMARY KEY (package_id, item)
)""",
    """CREATE TABLE IF NOT EXISTS punchcard_checkouts (
    idempotency_key TEXT PRIMARY KEY,    -- a retried checkout has the same key: stored once
    owner TEXT NOT NULL,
    cart_id TEXT,
    at TEXT NOT NULL,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    covered TEXT NOT NULL,
    due TEXT NOT NULL,
    cancelled_at TEXT                    -- set once: a second cancel restores nothing
)""",
    """CREATE TABLE IF NOT EXISTS punchcard_ledger (
    seq {serial},
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('granted', 'redeemed', 'restored')),
    package_id TEXT NOT NULL,
    item TEXT NOT NULL,
    credits BIGINT NOT NULL CHECK (credits >= 0),
    at TEXT NOT NULL,
    checkout_key TEXT REFERENCES punchcard_checkouts (idempotency_key),
    line_id TEXT,
    amount TEXT,
    currency TEXT,
    restores TEXT UNIQUE REFERENCES punchcard_ledger (event_id),
    FOREIGN KEY (package_id, item) REFERENCES punchcard_components (package_id, item)
)""",
    "CREATE INDEX IF NOT EXISTS punchcard_ledger_checkout ON punchcard_ledger (checkout_key)",
)

_LOAD = (
    "SELECT p.id, p.owner, p.purchased_at, p.location, p.beneficiary, p.expires_on,"
    " p.days_to_expiration, p.expiry_starts, p.first_used_at, p.pricing_rules,"
    " c.item, c.remaining, c.hourly"
    " FROM punchcard_packages p JOIN punchcard_components c ON c.package_id = p.id"
    " WHERE p.owner = ? ORDER BY p.id, c.position"
)
_LEDGER_COLUMNS = (
    "seq, event_id, kind, package_id, item, credits, at, checkout_key, line_id, amount, currency,"
    " restores"
)
_INSERT_ENTRY = (
    "INSERT INTO punchcard_ledger (event_id, kind, package_id, item, credits, at, checkout_key,"
    " line_id, amount, currency, restores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _text(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _moment(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _entry(row: Sequence[Any]) -> LedgerEntry:
    seq, eid, kind, package_id, item, credits, at, key, line_id, amount, currency, restores = row
    return LedgerEntry(
        seq=int(seq),
        event_id=eid,
        kind=kind,
        package_id=package_id,
        item=item,
        credits=int(credits),
        at=dt.datetime.fromisoformat(at),
        checkout_key=key,
        line_id=line_id,
        amount=None if amount is None else Money(amount, currency),
        restores=restores,
    )


class SQLStore(abc.ABC):
    """Packages, balances, checkouts and the ledger in four tables of one database.

    Subclasses provide :meth:`_execute`, :meth:`_query` and :meth:`_transaction` for their
    database, and :attr:`SERIAL`, the spelling of the ledger's ascending key.
    """

    #: The column definition of ``punchcard_ledger.seq``.
    SERIAL: ClassVar[str]

    # -- what a database provides --------------------------------------------------------------

    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement with ``?`` placeholders; return the number of rows it changed."""

    @abc.abstractmethod
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query with ``?`` placeholders; return its rows."""

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """All or nothing: commit on leaving, roll back on any exception (and re-raise it)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # -- setting up ----------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the four tables (and their indexes) if they do not exist yet."""
        with self._transaction():
            for statement in SCHEMA:
                self._execute(statement.replace("{serial}", self.SERIAL))

    def add_package(self, package: Package) -> None:
        """Store a package the owner bought, with a ``granted`` ledger entry per component."""
        with self._transaction():
            self._execute(
                "INSERT INTO punchcard_packages (id, owner, purchased_at, location, beneficiary,"
                " expires_on, days_to_expiration, expiry_starts, first_used_at, pricing_rules)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    package.id,
                    package.owner,
                    package.purchased_at.isoformat(),
                    package.location,
                    package.beneficiary,
                    _text(package.expires_on),
                    package.days_to_expiration,
                    package.expiry_starts,
                    _text(package.first_used_at),
                    package.pricing_rules,
                ),
            )
            for position, component in enumerate(package.components):
                self._execute(
                    "INSERT INTO punchcard_components (package_id, item, position, hourly,"
                    " remaining) VALUES (?, ?, ?, ?, ?)",
                    (package.id, component.item, position, component.hourly, component.remaining),
                )
                self._execute(
                    _INSERT_ENTRY,
                    (
                        event_id("granted", package.id, component.item),
                        "granted",
                        package.id,
                        component.item,
                        component.remaining,
                        package.purchased_at.isoformat(),
                        None,
                        None,
                        None,
                        None,
                        None,
                    ),
                )

    # -- reading -------------------------------------------------------------------------------

    def load_packages(self, owner: str) -> list[Package]:
        """The packages of *owner* as they stand, by id (one statement: one consistent read)."""
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for row in self._query(_LOAD, (owner,)):
            rows.setdefault(row[0], []).append(row)
        packages = []
        for group in rows.values():
            first = group[0]
            packages.append(
                Package(
                    id=first[0],
                    owner=first[1],
                    purchased_at=dt.datetime.fromisoformat(first[2]),
                    components=[Component(r[10], int(r[11]), hourly=bool(r[12])) for r in group],
                    location=first[3],
                    beneficiary=first[4],
                    expires_on=None if first[5] is None else dt.date.fromisoformat(first[5]),
                    days_to_expiration=first[6],
                    expiry_starts=first[7],
                    first_used_at=_moment(first[8]),
                    pricing_rules=bool(first[9]),
                )
            )
        return sorted(packages, key=lambda p: p.id)

    def balances(self) -> dict[tuple[str, str], int]:
        """The remaining credits of every component, by (package id, item), in that order."""
        rows = self._query("SELECT package_id, item, remaining FROM punchcard_components")
        return {(pid, item): int(left) for pid, item, left in sorted(rows)}

    def ledger(self, package_id: str | None = None) -> list[LedgerEntry]:
        """The ledger (of one package, or of all), in ``seq`` order."""
        sql = f"SELECT {_LEDGER_COLUMNS} FROM punchcard_ledger"
        if package_id is None:
            return [_entry(row) for row in self._query(sql + " ORDER BY seq")]
        return [
            _entry(row)
            for row in self._query(sql + " WHERE package_id = ? ORDER BY seq", (package_id,))
        ]

    def receipt(self, key: str) -> Receipt:
        """The stored outcome of the checkout with idempotency key *key* (as a duplicate)."""
        rows = self._query(
            "SELECT owner, cart_id, at, currency, total, covered, due FROM punchcard_checkouts"
            " WHERE idempotency_key = ?",
            (key,),
        )
        if not rows:
            raise UnknownCheckout(key)
        owner, cart_id, at, currency, total, covered, due = rows[0]
        events = tuple(
            CreditsRedeemed(
                event_id=entry.event_id,
                package_id=entry.package_id,
                owner=owner,
                line_id=entry.line_id or "",
                item=entry.item,
                credits=entry.credits,
                amount=entry.amount or Money.zero(currency),
                at=entry.at,
                cart_id=cart_id,
            )
            for entry in map(
                _entry,
                self._query(
                    f"SELECT {_LEDGER_COLUMNS} FROM punchcard_ledger"
                    " WHERE checkout_key = ? AND kind = 'redeemed' ORDER BY seq",
                    (key,),
                ),
            )
        )
        return Receipt(
            key=key,
            owner=owner,
            cart_id=cart_id,
            at=dt.datetime.fromisoformat(at),
            total=Money(total, currency),
            covered=Money(covered, currency),
            due=Money(due, currency),
            events=events,
            duplicate=True,
        )

    # -- writing -------------------------------------------------------------------------------

    def commit(self, application: Application) -> Receipt:
        """Store *application* atomically: all of it, once, and only if what it read still holds.

        1. claim its idempotency key (a unique row): if it was stored before, return the
           earlier receipt and write nothing;
        2. append its events to the ledger;
        3. compare-and-set each balance it touches (its guards): ``UPDATE ... SET remaining =
           new WHERE ... AND remaining = expected``; if one changed meanwhile, raise
           :class:`Conflict` and roll everything back;
        4. record the first use (and the expiry date it starts) of packages used for the first
           time, unless another checkout recorded one meanwhile (:class:`Conflict` again).
        """
        key = application.idempotency_key
        with self._transaction():
            if not self._claim(key, application):
                return self.receipt(key)
            self._append_events(key, application)
            self._apply_guards(application)
            self._record_first_use(application)
        return Receipt(
            key=key,
            owner=application.owner,
            cart_id=application.cart_id,
            at=application.at,
            total=application.total,
            covered=application.covered,
            due=application.due,
            events=application.events,
            duplicate=False,
            application=application,
        )

    def checkout(
        self,
        cart: Cart,
        *,
        at: dt.datetime,
        timezone: str | dt.tzinfo,
        settings: Settings = _DEFAULT_SETTINGS,
        policy: Policy = _DEFAULT_POLICY,
        rates: RatesInput = None,
        retries: int = 3,
    ) -> Receipt:
        """Load the owner's packages, apply *cart*, commit; on a :class:`Conflict`, do it again
        (up to *retries* more times, then the last conflict is raised)."""
        attempt = 0
        while True:
            attempt += 1
            packages = self.load_packages(cart.owner)
            application = apply(
                cart,
                packages,
                as_of=at,
                timezone=timezone,
                settings=settings,
                policy=policy,
                rates=rates,
            )
            try:
                receipt = self.commit(application)
            except Conflict:
                if attempt > retries:
                    raise
                continue
            return attrs.evolve(receipt, attempts=attempt)

    def cancel(self, key: str, *, at: dt.datetime) -> Cancellation:
        """Cancel the checkout with idempotency key *key*: give back every credit it redeemed,
        exactly once. A second cancellation restores nothing and says it was a duplicate.

        The credits come back even if the package has expired since: an expired package is
        never used again by the engine, so they stay unusable (as the lifecycle's default).
        """
        with self._transaction():
            marked = self._execute(
                "UPDATE punchcard_checkouts SET cancelled_at = ?"
                " WHERE idempotency_key = ? AND cancelled_at IS NULL",
                (at.isoformat(), key),
            )
            if not marked:
                if not self._query(
                    "SELECT 1 FROM punchcard_checkouts WHERE idempotency_key = ?", (key,)
                ):
                    raise UnknownCheckout(key)
                return Cancellation(key, (), duplicate=True)
            redeemed = [
                _entry(row)
                for row in self._query(
                    f"SELECT {_LEDGER_COLUMNS} FROM punchcard_ledger"
                    " WHERE checkout_key = ? AND kind = 'redeemed'",
                    (key,),
                )
            ]
            # The same global order as the commit's guards: no two transactions wait in a circle.
            for entry in sorted(redeemed, key=lambda e: (e.package_id, e.item, e.seq)):
                self._execute(
                    _INSERT_ENTRY,
                    (
                        event_id("restored", entry.event_id),
                        "restored",
                        entry.package_id,
                        entry.item,
                        entry.credits,
                        at.isoformat(),
                        key,
                        entry.line_id,
                        None if entry.amount is None else str(entry.amount),
                        None if entry.amount is None else entry.amount.currency,
                        entry.event_id,
                    ),
                )
                self._execute(
                    "UPDATE punchcard_components SET remaining = remaining + ?"
                    " WHERE package_id = ? AND item = ?",
                    (entry.credits, entry.package_id, entry.item),
                )
            restored = self._query(
                f"SELECT {_LEDGER_COLUMNS} FROM punchcard_ledger"
                " WHERE checkout_key = ? AND kind = 'restored' ORDER BY seq",
                (key,),
            )
        return Cancellation(key, tuple(map(_entry, restored)), duplicate=False)

    # -- the steps of a commit -----------------------------------------------------------------

    def _claim(self, key: str, application: Application) -> bool:
        """Insert the checkout row; ``False`` if its key was stored before."""
        inserted = self._execute(
            "INSERT INTO punchcard_checkouts (idempotency_key, owner, cart_id, at, currency,"
            " total, covered, due) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                key,
                application.owner,
                application.cart_id,
                application.at.isoformat(),
                application.currency,
                str(application.total),
                str(application.covered),
                str(application.due),
            ),
        )
        return inserted == 1

    def _append_events(self, key: str, application: Application) -> None:
        """One ``redeemed`` ledger row per engine event."""
        for event in application.events:
            self._execute(
                _INSERT_ENTRY,
                (
                    event.event_id,
                    "redeemed",
                    event.package_id,
                    event.item,
                    event.credits,
                    event.at.isoformat(),
                    key,
                    event.line_id,
                    str(event.amount),
                    event.amount.currency,
                    None,
                ),
            )

    def _apply_guards(self, application: Application) -> None:
        """Compare-and-set every balance the application touches, in one global order (package
        id, item), so that two transactions never wait for each other in a circle."""
        for guard in sorted(application.guards, key=lambda g: (g.package_id, g.item)):
            self._set_remaining(guard)

    def _set_remaining(self, guard: Guard) -> None:
        """``remaining = new`` only if it is still ``expected``: exactly one row, or a conflict."""
        changed = self._execute(
            "UPDATE punchcard_components SET remaining = ?"
            " WHERE package_id = ? AND item = ? AND remaining = ?",
            (guard.new, guard.package_id, guard.item, guard.expected),
        )
        if changed != 1:
            rows = self._query(
                "SELECT remaining FROM punchcard_components WHERE package_id = ? AND item = ?",
                (guard.package_id, guard.item),
            )
            raise Conflict.stale(guard, int(rows[0][0]) if rows else None)

    def _record_first_use(self, application: Application) -> None:
        """Store ``first_used_at`` (and the ``expires_on`` it starts) of packages first used by
        this checkout; a first use recorded meanwhile by another checkout is a conflict."""
        used = {r.package_id for r in application.redemptions}
        for package in sorted(application.packages, key=lambda p: p.id):
            if package.id not in used or package.first_used_at != application.at:
                continue
            changed = self._execute(
                "UPDATE punchcard_packages SET first_used_at = ?, expires_on = ?"
                " WHERE id = ? AND first_used_at IS NULL",
                (application.at.isoformat(), _text(package.expires_on), package.id),
            )
            if changed == 1:
                continue
            rows = self._query(
                "SELECT first_used_at FROM punchcard_packages WHERE id = ?", (package.id,)
            )
            stored = rows[0][0] if rows else None
            if _moment(stored) != package.first_used_at:  # another checkout's first use
                raise Conflict(
                    f"package {package.id!r}: first use already recorded ({stored})",
                    package_id=package.id,
                )
