"""The store's tables come from Alembic migrations shipped in the package (SQLite, PostgreSQL):

- from an empty database to the latest revision, and again without change;
- from the previous schema, the tables of the retired ``punchcard.contrib`` stores, which are set
  aside (renamed, rows kept) so the new tables can take their names;
- inside the host's transaction, which decides whether any of it stays;
- from revision 0001 with data: the redemptions move out of the package states into their own
  rows (revision 0002), and back down and up again;
- from revision 0002 with data, as an earlier punchcard wrote it (its events without ``"v"``, its
  package states in format 2, shaped otherwise): revision 0003 rebuilds every package state and
  redemption row from the ledger, equal to the ledger replayed, and the store carries on from
  them; 0003 refuses to be downgraded, with a clear error, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from databases import (
    DATABASES,
    NY,
    PASS10,
    TABLES,
    Database,
    at,
    cart,
    ledger,
    old_event_dict,
    old_state_dict,
    open_database,
    rows,
    snapshot,
)

from punchcard.lifecycle import (
    LedgerError,
    LedgerEvent,
    LedgerState,
    PackagePurchased,
    checkout,
    hold,
    purchase,
    replay,
)
from punchcard.store import Store, StoreError, current_revision, downgrade, upgrade
from punchcard.store._codec import canonical, to_json

HEAD = "0005"


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


def two_owners() -> list[LedgerEvent]:
    """The ledger of :func:`databases.ledger` (owner ``smith``) and, after it, one of ``jones``:
    a pass with a ticket closed and a day held (booking ``A-1`` too: another family's)."""
    state = LedgerState()
    events: list[LedgerEvent] = []
    steps = [
        lambda s: purchase(s, PASS10, package_id="j", owner="jones", as_of=at(3, 1), timezone=NY),
        lambda s: checkout(
            s, cart("jones", ("d", "daycare_full", 2)), booking="T-9", as_of=at(3, 2), timezone=NY
        ),
        lambda s: hold(
            s,
            cart("jones", ("d", "daycare_full", 1)),
            booking="A-1",
            as_of=at(3, 3),
            scheduled_for=at(4, 20),
            timezone=NY,
        ),
    ]
    for step in steps:
        outcome = step(state)
        events, state = events + list(outcome.events), outcome.state
    return ledger() + events


def owners_of(events: list[LedgerEvent]) -> dict[str, str]:
    return {e.package_id: e.owner for e in events if isinstance(e, PackagePurchased)}


def zones_of(event: LedgerEvent) -> dict[str, str]:
    """The zones an event body of format 2 carries beside the dict (its date-times' zones)."""
    return {
        name: value.tzinfo.key
        for name in ("at", "scheduled_for")
        if isinstance(value := getattr(event, name, None), dt.datetime)
        and isinstance(value.tzinfo, ZoneInfo)
    }


def write_earlier(database: Database, events: list[LedgerEvent], revision: str) -> None:
    """The tables at *revision* (``"0001"`` or ``"0002"``), holding *events* and their
    projection as the store of that revision wrote them, in the shapes of the earlier punchcard
    (raw JSON): events as its event dicts (format 1 at 0001; at 0002 format 2, with their zones);
    package states in its shape of ``PackageState`` (format 1, redemptions inline, at 0001;
    format 2 at 0002, with a row of format 1 per redemption)."""
    upgrade(database.url, revision)
    state = replay(events)
    owner = owners_of(events)
    position = {e.event_id: i for i, e in enumerate(events, start=1)}
    fmt = 1 if revision == "0001" else 2
    engine = database.engine()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO punchcard_events (position, event_id, package_id, seq, owner, type,"
                " format, body, operation_key) VALUES (:position, :event_id, :package_id, :seq,"
                " :owner, :type, :format, :body, :key)"
            ),
            [
                {
                    "position": position[event.event_id],
                    "event_id": event.event_id,
                    "package_id": event.package_id,
                    "seq": event.seq,
                    "owner": owner[event.package_id],
                    "type": old_event_dict(event)["type"],
                    "format": fmt,
                    "body": canonical(
                        old_event_dict(event)
                        if fmt == 1
                        else {**old_event_dict(event), "zones": zones_of(event)}
                    ),
                    "key": f"op-{position[event.event_id]}",
                }
                for event in events
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO punchcard_packages (package_id, owner, position, version, format,"
                " state) VALUES (:package_id, :owner, :position, :version, :format, :state)"
            ),
            [
                {
                    "package_id": p.id,
                    "owner": p.owner,
                    "position": position[p.purchase.event_id],
                    "version": p.version,
                    "format": fmt,
                    "state": canonical(old_state_dict(p, redemptions=fmt == 1)),
                }
                for p in state.packages
            ],
        )
        records: list[dict[str, Any]] = [
            {
                "redemption_id": r.id,
                "owner": p.owner,
                "package_id": p.id,
                "booking": r.booking,
                "line_id": r.line_id,
                "status": r.status,
                "credits": r.credits,
                "position": position[r.id],
                "record": canonical(to_json(r)),
            }
            for p in state.packages
            for r in p.redemptions
        ]
        if fmt == 2 and records:
            conn.execute(
                sa.text(
                    "INSERT INTO punchcard_redemptions (redemption_id, owner, package_id, booking,"
                    " line_id, status, credits, position, format, record) VALUES"
                    " (:redemption_id, :owner, :package_id, :booking, :line_id, :status, :credits,"
                    " :position, 1, :record)"
                ),
                records,
            )
        conn.execute(sa.text("UPDATE punchcard_ledger_head SET seq = :n"), {"n": len(events)})
        conn.execute(
            sa.text("INSERT INTO punchcard_owners VALUES (:owner)"),
            [{"owner": o} for o in sorted(set(owner.values()))],
        )
    engine.dispose()


def formats(database: Database) -> set[int]:
    return {f for (f,) in rows(database, "SELECT DISTINCT format FROM punchcard_packages")}


def redemption_rows(database: Database) -> list[tuple[Any, ...]]:
    return sorted(
        rows(
            database,
            "SELECT redemption_id, owner, package_id, booking, line_id, status, credits, position"
            " FROM punchcard_redemptions",
        )
    )


def expected_redemption_rows(events: list[LedgerEvent]) -> list[tuple[Any, ...]]:
    """The rows of the redemptions of ``replay(events)``, at the positions of their events."""
    position = {e.event_id: i for i, e in enumerate(events, start=1)}
    return sorted(
        (r.id, p.owner, p.id, r.booking, r.line_id, r.status, r.credits, position[r.id])
        for p in replay(events).packages
        for r in p.redemptions
    )


def test_upgrade_from_revision_1_moves_the_redemptions_to_their_rows(empty: Database) -> None:
    events = ledger()
    write_earlier(empty, events, "0001")
    assert current_revision(empty.url) == "0001"
    upgrade(empty.url, "0002")
    assert current_revision(empty.url) == "0002"
    assert len(expected_redemption_rows(events)) == 2
    assert redemption_rows(empty) == expected_redemption_rows(events)
    assert formats(empty) == {2}
    # Back down to revision 1 and up again: the same rows.
    engine = empty.engine()
    before = snapshot(empty)
    downgrade(engine, "0001")
    assert formats(empty) == {1}
    assert "punchcard_redemptions" not in tables(empty)
    upgrade(engine, "0002")
    assert snapshot(empty) == before
    # And on to the latest revision: the projection is what the (earlier) ledger replays to.
    upgrade(engine)
    assert current_revision(engine) == HEAD
    with Store(engine) as store:
        assert store.state("smith") == store.replay("smith") == replay(events)
    engine.dispose()


def test_upgrade_from_revision_2_rebuilds_the_states_from_the_ledger(empty: Database) -> None:
    events = two_owners()
    write_earlier(empty, events, "0002")
    assert formats(empty) == {2}
    with (
        Store(empty.url) as store,
        pytest.raises(LedgerError, match=r"run punchcard\.store\.upgrade"),
    ):
        store.state("smith")  # the earlier states are not read: they are rebuilt
    upgrade(empty.url)
    assert current_revision(empty.url) == HEAD
    expected = replay(events)
    assert formats(empty) == {3}
    assert len(expected.packages) == 4
    assert redemption_rows(empty) == expected_redemption_rows(events)
    # The ledger is left as it was written (its earlier formats stay readable).
    assert {f for (f,) in rows(empty, "SELECT DISTINCT format FROM punchcard_events")} == {2}
    with Store(empty.url) as store:
        # Every package state and redemption is what the ledger replays to...
        for owner in ("smith", "jones"):
            assert store.state(owner) == store.replay(owner)
            assert store.state(owner).packages == expected.owned_by(owner)
        assert store.events() == events
        # ...and the store carries on from them: each family's A-1 is its own, cancelled once.
        cancelled = store.cancel("smith", "A-1", key="c", as_of=at(4, 8))
        assert [(type(e).__name__, e.package_id) for e in cancelled.events] == [
            ("RedemptionCancelled", "m")
        ]
        assert cancelled.positions == (len(events) + 1,)
        assert store.state("smith").package("m").components[0].held == 0
        assert store.state("jones").package("j").components[0].held == 1
        assert store.state("smith") == store.replay("smith")


def test_revision_3_refuses_to_be_downgraded_and_changes_nothing(empty: Database) -> None:
    write_earlier(empty, two_owners(), "0002")
    upgrade(empty.url)
    before = snapshot(empty, (*TABLES, "punchcard_alembic_version"))
    for target in ("0002", "base"):
        with pytest.raises(StoreError, match="revision 0003 cannot be downgraded") as refused:
            downgrade(empty.url, target)
        assert "restore the backup" in str(refused.value)
        assert current_revision(empty.url) == HEAD
        assert snapshot(empty, (*TABLES, "punchcard_alembic_version")) == before
