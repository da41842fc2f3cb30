"""The store's tables come from Alembic migrations shipped in the package (SQLite, PostgreSQL):

- from an empty database to the latest revision, and again without change;
- from the previous schema, the tables of the retired ``punchcard.contrib`` stores, which are set
  aside (renamed, rows kept) so the new tables can take their names;
- inside the host's transaction, which decides whether any of it stays;
- from revision 0001 with data: the redemptions move out of the package states into their own
  rows, the projection still equals the ledger replayed, and back down and up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import (
    DATABASES,
    NY,
    PASS10,
    TABLES,
    Database,
    at,
    ledger,
    open_database,
    rows,
    snapshot,
)

from punchcard.lifecycle import LedgerEvent, event_to_dict, replay
from punchcard.store import Store, current_revision, downgrade, upgrade
from punchcard.store._codec import canonical, to_json

HEAD = "0002"


@pytest.fixture(params=DATABASES)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, tables=False)


def tables(database: Database) -> set[str]:
    engine = database.engine()
    try:
        return {t for t in sa.inspect(engine).get_table_names() if t.startswith("punchcard_")}
    finally:
        engine.dispose()


def test_upgrade_from_an_empty_database_and_again(empty: Database) -> None:
    assert current_revision(empty.url) is None
    upgrade(empty.url)
    assert current_revision(empty.url) == HEAD
    assert tables(empty) == {*TABLES, "punchcard_alembic_version"}
    assert rows(empty, "SELECT id, seq FROM punchcard_ledger_head") == [(1, 0)]
    with Store(empty.url) as store:
        store.sell("smith", PASS10, key="s", package_id="p1", as_of=at(3, 1), timezone=NY)
        store.create_tables()  # again: up to date, nothing changes
        assert store.state("smith").package("p1").remaining("daycare_full") == 10
    assert rows(empty, "SELECT id, seq FROM punchcard_ledger_head") == [(1, 1)]


def test_the_hosts_own_alembic_history_is_left_alone(empty: Database) -> None:
    engine = empty.engine()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('host-42')")
    upgrade(engine)
    assert rows(empty, "SELECT version_num FROM alembic_version") == [("host-42",)]
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_upgrade_in_the_hosts_transaction_commits_or_rolls_back_with_it(empty: Database) -> None:
    engine = empty.engine()
    with engine.connect() as conn:
        upgrade(conn)
        assert current_revision(conn) == HEAD
        conn.rollback()
    assert tables(empty) == set()
    with engine.connect() as conn:
        upgrade(conn)
        conn.commit()
    assert current_revision(engine) == HEAD
    engine.dispose()


# The tables of punchcard.contrib, as its stores created them (SQLite spelling of the ledger key;
# PostgreSQL used an identity column).
CONTRIB = (
    """CREATE TABLE punchcard_packages (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, purchased_at TEXT NOT NULL, location TEXT,
    beneficiary TEXT, expires_on TEXT, days_to_expiration INTEGER, expiry_starts TEXT NOT NULL,
    first_used_at TEXT, pricing_rules BOOLEAN NOT NULL)""",
    "CREATE INDEX punchcard_packages_owner ON punchcard_packages (owner)",
    """CREATE TABLE punchcard_components (
    package_id TEXT NOT NULL REFERENCES punchcard_packages (id), item TEXT NOT NULL,
    position INTEGER NOT NULL, hourly BOOLEAN NOT NULL,
    remaining BIGINT NOT NULL CHECK (remaining >= 0), PRIMARY KEY (package_id, item))""",
    """CREATE TABLE punchcard_checkouts (
    idempotency_key TEXT PRIMARY KEY, owner TEXT NOT NULL, cart_id TEXT, at TEXT NOT NULL,
    currency TEXT NOT NULL, total TEXT NOT NULL, covered TEXT NOT NULL, due TEXT NOT NULL,
    cancelled_at TEXT)""",
    """CREATE TABLE punchcard_ledger (
    seq {serial}, event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('granted', 'redeemed', 'restored')),
    package_id TEXT NOT NULL, item TEXT NOT NULL, credits BIGINT NOT NULL CHECK (credits >= 0),
    at TEXT NOT NULL, checkout_key TEXT REFERENCES punchcard_checkouts (idempotency_key),
    line_id TEXT, amount TEXT, currency TEXT,
    restores TEXT UNIQUE REFERENCES punchcard_ledger (event_id),
    FOREIGN KEY (package_id, item) REFERENCES punchcard_components (package_id, item))""",
    "CREATE INDEX punchcard_ledger_checkout ON punchcard_ledger (checkout_key)",
    "INSERT INTO punchcard_packages VALUES"
    " ('p1', 'smith', '2026-01-05T10:00:00', NULL, NULL, NULL, NULL, 'sale', NULL, FALSE)",
    "INSERT INTO punchcard_components VALUES ('p1', 'daycare_full', 0, FALSE, 2)",
    "INSERT INTO punchcard_ledger (event_id, kind, package_id, item, credits, at)"
    " VALUES ('g1', 'granted', 'p1', 'daycare_full', 2, '2026-01-05T10:00:00')",
)


def test_upgrade_from_the_contrib_tables_sets_them_aside(empty: Database) -> None:
    serial = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if empty.name == "sqlite"
        else "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    )
    engine = empty.engine()
    with engine.begin() as conn:
        for statement in CONTRIB:
            conn.exec_driver_sql(statement.replace("{serial}", serial))
    upgrade(engine)
    assert tables(empty) >= {
        "punchcard_contrib_packages",
        "punchcard_contrib_components",
        "punchcard_contrib_checkouts",
        "punchcard_contrib_ledger",
        *TABLES,
    }
    assert rows(empty, "SELECT id, owner FROM punchcard_contrib_packages") == [("p1", "smith")]
    assert rows(empty, "SELECT remaining FROM punchcard_contrib_components") == [(2,)]
    assert rows(empty, "SELECT kind, credits FROM punchcard_contrib_ledger") == [("granted", 2)]
    with Store(engine) as store:  # the new tables work under the old names
        store.sell("smith", PASS10, key="s", package_id="p1", as_of=at(3, 1), timezone=NY)
        assert store.state("smith").package("p1").remaining("daycare_full") == 10
    engine.dispose()


def write_revision_1(database: Database, events: list[LedgerEvent]) -> None:
    """The tables at revision 0001, with *events* and their projection as the store of that
    revision wrote them: events as ``event_to_dict`` (format 1), package states with their
    redemptions inline (format 1)."""
    upgrade(database.url, "0001")
    state = replay(events)
    engine = database.engine()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO punchcard_events (position, event_id, package_id, seq, owner, type,"
                " format, body, operation_key) VALUES (:position, :event_id, :package_id, :seq,"
                " 'smith', :type, 1, :body, :key)"
            ),
            [
                {
                    "position": position,
                    "event_id": event.event_id,
                    "package_id": event.package_id,
                    "seq": event.seq,
                    "type": event_to_dict(event)["type"],
                    "body": canonical(event_to_dict(event)),
                    "key": f"op-{position}",
                }
                for position, event in enumerate(events, start=1)
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO punchcard_packages (package_id, owner, position, version, format,"
                " state) VALUES (:package_id, 'smith', :position, :version, 1, :state)"
            ),
            [
                {
                    "package_id": p.id,
                    "position": next(
                        i for i, e in enumerate(events, start=1) if e.package_id == p.id
                    ),
                    "version": p.version,
                    "state": canonical(to_json(p)),
                }
                for p in state.packages
            ],
        )
        conn.execute(sa.text("UPDATE punchcard_ledger_head SET seq = :n"), {"n": len(events)})
        conn.execute(sa.text("INSERT INTO punchcard_owners VALUES ('smith')"))
    engine.dispose()


def test_upgrade_from_revision_1_moves_the_redemptions_to_their_rows(empty: Database) -> None:
    events = ledger()
    write_revision_1(empty, events)
    assert current_revision(empty.url) == "0001"
    upgrade(empty.url)
    assert current_revision(empty.url) == HEAD
    expected = replay(events)
    records = [r for p in expected.packages for r in p.redemptions]
    assert len(records) == 2
    assert sorted(
        rows(empty, "SELECT redemption_id, booking, status FROM punchcard_redemptions")
    ) == sorted((r.id, r.booking, r.status) for r in records)
    assert {f for (f,) in rows(empty, "SELECT DISTINCT format FROM punchcard_packages")} == {2}
    with Store(empty.url) as store:
        # The projection after the migration is what the (format 1) ledger replays to...
        assert store.state("smith") == store.replay("smith") == expected
        # ...and the store carries on from it: the held booking is cancelled once.
        cancelled = store.cancel("smith", "A-1", key="c", as_of=at(4, 8))
        assert [type(e).__name__ for e in cancelled.events] == ["RedemptionCancelled"]
        assert store.state("smith") == store.replay("smith")
        assert store.state("smith").package("m").components[0].held == 0
    # Back down to revision 1 and up again: the same rows.
    engine = empty.engine()
    before = snapshot(empty)
    downgrade(engine, "0001")
    assert {f for (f,) in rows(empty, "SELECT DISTINCT format FROM punchcard_packages")} == {1}
    upgrade(engine)
    assert snapshot(empty) == before
    engine.dispose()
